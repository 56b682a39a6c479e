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
/// JSON Lines to a file beside the store, read by `EventFileReader` and ingested in one
/// transaction, which is committed before the answer: an event acknowledged with 2xx is in the
/// store. One batch is ingested at a time (the store's id dictionaries are read at the start
/// of an ingest), in arrival order.
final class EventIngestion: Sendable {
    let store: SQLiteEventStore
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

    init(store: SQLiteEventStore, maximumEvents: Int) {
        self.store = store
        self.maximumEvents = maximumEvents
        gate = ConcurrencyLimiter(slots: 1, queue: 1 << 20, metrics: nil)
        folder = URL(fileURLWithPath: store.location).deletingLastPathComponent()
    }

    /// Ingests the events of `body` (the request's bytes).
    func ingest(_ body: ByteBuffer) async throws(APIError) -> Result {
        let maximum = maximumEvents
        let lines = try body.withUnsafeReadableBytes { bytes throws(APIError) in
            try Self.lines(of: bytes, maximum: maximum)
        }
        let file = folder.appendingPathComponent(".behave-events-\(UUID().uuidString).jsonl")
        do {
            try lines.write(to: file)
        } catch {
            throw APIError(
                .serviceUnavailable, code: "store_unavailable",
                "the events could not be staged beside the store: \(error.localizedDescription)")
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

    /// The events of `{"events": [...]}` as JSON Lines (each event's text as sent, one per
    /// line).
    static func lines(of body: UnsafeRawBufferPointer, maximum: Int) throws(APIError) -> Data {
        guard !body.isEmpty else { throw .badRequest("the body is empty; send {\"events\": [{...}, ...]}") }
        var scanner = JSONScanner(maximumDepth: 8)
        defer { scanner.deallocate() }
        let document: JSONDocument
        do {
            document = try scanner.scan(body)
        } catch {
            throw .badRequest("the body is not valid JSON: \(error.description)")
        }
        let root = document.root
        guard root.kind == .object else { throw .badRequest("the body is \(root.kind), not {\"events\": [...]}") }
        for (key, _) in root.members where key.string != "events" {
            throw .badRequest("unknown field \(key.string); this endpoint takes events", field: key.string)
        }
        guard let events = root.member("events") else {
            throw .badRequest("events is required: an array of event objects", field: "events")
        }
        guard events.kind == .array else {
            throw .badRequest("events should be an array, not \(events.kind)", field: "events")
        }
        guard (1...maximum).contains(events.count) else {
            throw .badRequest(
                "events holds \(events.count) events; send 1 to \(maximum) per request", field: "events")
        }
        var text: [UInt8] = []
        text.reserveCapacity(body.count + events.count)
        for (index, event) in events.elements.enumerated() {
            guard event.kind == .object else {
                throw .badRequest("events[\(index)] should be an object, not \(event.kind)", field: "events[\(index)]")
            }
            text.append(contentsOf: event.bytes)
            text.append(UInt8(ascii: "\n"))
        }
        return Data(text)
    }
}

/// The staged file under the name the store records for events that came over HTTP, so its
/// quarantine and summaries say where they came from.
private struct HTTPEvents: EventSource {
    let reader: EventFileReader
    var name: String { "POST /v1/events" }
    func forEachRow(_ body: (SourceRow) throws -> Void) throws { try reader.forEachRow(body) }
}
