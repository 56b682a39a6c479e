import EventData
import Foundation
import JSONScanning
import NIOCore

/// `POST /v1/events`: a batch of JSON events into the event store, through the same reader,
/// validation, de-duplication and quarantine as `behave ingest` of a JSON Lines file, with the
/// standard plausibility checks.
///
/// The body is `{"events": [{...}, ...]}`, each event an object with the fields a JSON Lines
/// log has (`user_id`, `timestamp`, `event_type`, `item_id`, ...). The events are written as
/// JSON Lines to a staging folder of this process in the temporary directory, read by `EventFileReader` and ingested in one
/// transaction, which is committed before the answer: an event acknowledged with 2xx is in the
/// store. One batch is ingested at a time (the store's id dictionaries are read at the start
/// of an ingest), in arrival order.
final class EventIngestion: Sendable {
    let store: any EventStore & Sendable
    let maximumEvents: Int
    private let gate: ConcurrencyLimiter
    private let folder: URL

    /// The answer: the batch's accounting, as `behave ingest` reports it.
    struct Result: JSONAnswer {
        var received: Int
        var stored: Int
        var duplicates: Int
        var rejected: Int
        /// Rejected events: their position in the batch, the kind and the reason.
        var rejects: [(index: Int, kind: String, reason: String)]

        func writeMembers(into bytes: inout [UInt8]) {
            for (key, value) in [("received", received), ("stored", stored), ("duplicates", duplicates)] {
                bytes.append(contentsOf: "\"\(key)\":\(value),".utf8)
            }
            bytes.append(contentsOf: "\"rejected\":\(rejected),\"rejects\":[".utf8)
            for (position, reject) in rejects.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: "{\"index\":\(reject.index),\"kind\":".utf8)
                JSONStringLiteral.append(reject.kind, to: &bytes)
                bytes.append(contentsOf: #","reason":"#.utf8)
                JSONStringLiteral.append(reject.reason, to: &bytes)
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: "]"))
        }
    }

    init(store: any EventStore & Sendable, maximumEvents: Int) {
        self.store = store
        self.maximumEvents = maximumEvents
        gate = ConcurrencyLimiter(slots: 1, queue: 1 << 20, metrics: nil)
        folder = Self.stagingFolder()
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The prefix of the staging folders' names; the process id and a UUID follow.
    static let stagingPrefix = "behave-serve-events-"

    /// A new staging folder (`behave-serve-events-PID-UUID` in the temporary directory).
    /// Folders of processes that are gone (killed before they could remove their staged
    /// batches) are removed first.
    static func stagingFolder(in base: URL = FileManager.default.temporaryDirectory) -> URL {
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix(stagingPrefix) {
            guard let pid = Int32(name.dropFirst(stagingPrefix.count).prefix { $0 != "-" }) else { continue }
            // kill(pid, 0) fails with ESRCH only when no such process exists.
            if kill(pid, 0) == -1 && errno == ESRCH {
                try? files.removeItem(at: base.appendingPathComponent(name))
            }
        }
        let name = "\(stagingPrefix)\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        let folder = base.appendingPathComponent(name)
        try? files.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Ingests the events of `body` (the request's bytes).
    func ingest(_ body: ByteBuffer) async throws(APIError) -> Result {
        let batch = try body.withUnsafeReadableBytes { bytes throws(APIError) in
            try parseBody(EventBatch.self, from: bytes)
        }
        guard batch.count <= maximumEvents else {
            throw .badRequest(
                "events holds \(batch.count) events; send 1 to \(maximumEvents) per request", field: "events")
        }
        let file = folder.appendingPathComponent("\(UUID().uuidString).jsonl")
        do {
            try batch.lines.write(to: file)
        } catch {
            throw APIError(
                .serviceUnavailable, code: "store_unavailable",
                "the events could not be staged in \(folder.path): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: file) }
        let finished: IngestSummary?
        do {
            finished = try await gate.run { [store] in
                let reader = HTTPEvents(reader: try EventFileReader.open(path: file.path, format: .jsonl))
                return try store.ingest(reader, options: IngestOptions(plausibility: PlausibilityChecks()))
            }
        } catch {
            throw APIError(
                .serviceUnavailable, code: "store_unavailable", "the event store failed: \(error.localizedDescription)")
        }
        guard let summary = finished else {
            throw APIError(.serviceUnavailable, code: "overloaded", "too many event batches waiting", retryAfter: 1)
        }
        return Result(
            received: summary.rowsRead, stored: summary.stored, duplicates: summary.duplicates,
            rejected: summary.rejected,
            rejects: summary.rejectExamples.map { (index: $0.line - 1, kind: $0.kind, reason: $0.reason) })
    }
}

/// `{"events": [...]}`: the events as JSON Lines (each event's text as sent, one per line).
struct EventBatch: RequestBody {
    static let fields = ["events"]
    var lines: Data
    var count: Int

    init(json object: JSONValue) throws(APIError) {
        guard let events = object.member("events") else {
            throw .badRequest("events is required: an array of event objects", field: "events")
        }
        count = events.count
        guard count > 0 || events.kind != .array else {
            throw .badRequest("events is empty; send at least one event", field: "events")
        }
        var text: [UInt8] = []
        for (index, event) in try events.array(at: "events").enumerated() {
            guard event.kind == .object else {
                throw .badRequest("events[\(index)] should be an object, not \(event.kind)", field: "events[\(index)]")
            }
            text.append(contentsOf: event.bytes)
            text.append(UInt8(ascii: "\n"))
        }
        lines = Data(text)
    }
}

/// The staged file under the name the store records for events that came over HTTP, so its
/// quarantine and summaries say where they came from.
private struct HTTPEvents: EventSource {
    let reader: EventFileReader
    var name: String { "POST /v1/events" }
    func forEachRow(_ body: (SourceRow) throws -> Void) throws { try reader.forEachRow(body) }
}
