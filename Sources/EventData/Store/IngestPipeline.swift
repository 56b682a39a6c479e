import Foundation
import JSONScanning

// The part of ingest every backend shares. Ingest runs on two threads so that parsing and
// writing overlap: the calling thread reads the source and turns rows into batches of dense-id
// events (dictionary lookups, property JSON), and a writer thread stores each batch in one
// transaction (SQLite: one prepared statement bound through the C API; PostgreSQL: COPY). At
// most one batch waits between them, which bounds memory.

/// How an ingest is cut up; tests use small numbers to exercise the batching.
///
/// Batches (one transaction each) start at `firstBatchRows` and double up to `maxBatchRows`.
/// Large batches matter when the input is ordered by time rather than by user: each batch is
/// inserted in key order, so it touches every B-tree page once however scattered its users
/// are, and fewer, larger batches mean fewer passes over the table (10M time-ordered events:
/// 77k rows/s with 100k-row batches, 425k rows/s with 1M-row batches). Small first batches
/// keep the reading and writing threads overlapping on small inputs.
package struct IngestBatching: Sendable {
    /// Rows in the first batch.
    package var firstBatchRows: Int
    /// Rows in a batch at most (about 120 MB of pending events).
    package var maxBatchRows: Int
    /// Rows between progress reports.
    package var progressInterval: Int

    package init(firstBatchRows: Int = 100_000, maxBatchRows: Int = 1_000_000, progressInterval: Int = 50_000) {
        self.firstBatchRows = firstBatchRows
        self.maxBatchRows = maxBatchRows
        self.progressInterval = progressInterval
    }
}

/// Rejected rows quoted in an ``IngestSummary``.
let rejectExampleCount = 10

/// Runs one ingest: reads `source` on the calling thread into batches, which `write` stores
/// on a thread of its own, and reports progress and the row accounting.
///
/// - Parameters:
///   - dictionaries: The store's dictionaries as the ingest starts, and its `source` row.
///   - start: When the ingest started (before the dictionaries were read), for its duration.
///   - location: The store's location, for messages.
///   - write: Receives the batches until the channel is empty and closed, committing each
///     (``IngestChannel/commit(_:)``), and returns the totals; runs on the writer thread.
///   - storeError: Turns the writer's errors into the store's error type.
package func runIngest(
    _ source: any EventSource, options: IngestOptions, batching: IngestBatching,
    dictionaries: consuming IngestDictionaries, start: ContinuousClock.Instant, location: String,
    progress: ((IngestProgress) -> Void)?,
    write: @escaping @Sendable (IngestChannel) throws -> IngestTotals,
    storeError: @escaping @Sendable (any Error) -> any Error
) throws -> IngestSummary {
    let clock = ContinuousClock()
    func elapsed() -> Double {
        let duration = start.duration(to: clock.now).components
        return Double(duration.seconds) + Double(duration.attoseconds) * 1e-18
    }
    let sourceName = source.name
    let sourceID = dictionaries.sourceID
    var checked = options
    // Positions standing in for times are not times: only their order means anything.
    if source.timesAreOrderOnly { checked.plausibility = options.plausibility?.ignoringTimes }
    var builder = IngestBatchBuilder(dictionaries, options: checked)
    let channel = IngestChannel(capacity: 1, location: location)
    let writer = Thread {
        let result = Result { try write(channel) }
        channel.finish(result.mapError(storeError))
    }
    writer.start()

    var nextProgress = batching.progressInterval
    var batchRows = batching.firstBatchRows
    do {
        try source.forEachRow { row in
            builder.add(row)
            if builder.pendingRows >= batchRows {
                try channel.send(builder.takeBatch(isLast: false))
                batchRows = min(batching.maxBatchRows, 2 * batchRows)
            }
            if let progress, builder.rowsRead >= nextProgress {
                nextProgress += batching.progressInterval
                let written = channel.committed
                progress(
                    IngestProgress(
                        rowsRead: builder.rowsRead, stored: written.stored, duplicates: written.duplicates,
                        rejected: written.rejected, seconds: elapsed()))
            }
        }
        try channel.send(builder.takeBatch(isLast: true))
    } catch {
        channel.close()
        // A failed writer is the cause of the source's stop (its `send` threw), so report it.
        if case .failure(let writerError) = channel.waitForWriter() { throw writerError }
        throw error
    }
    let totals = try channel.waitForWriter().get()
    let summary = IngestSummary(
        source: sourceName, sourceID: sourceID, rowsRead: builder.rowsRead, stored: totals.stored,
        duplicates: totals.duplicates, rejected: totals.rejected, rejectsByKind: builder.rejectsByKind,
        rejectExamples: builder.rejectExamples, newUsers: builder.newUsers, newItems: builder.newItems,
        seconds: elapsed(), repeatedRows: totals.repeatedRows, knownRejects: totals.knownRejects)
    if let progress {
        progress(
            IngestProgress(
                rowsRead: summary.rowsRead, stored: summary.stored, duplicates: summary.duplicates,
                rejected: summary.rejected, seconds: summary.seconds))
    }
    return summary
}

/// The dictionaries as stored when an ingest starts, and the new `source` row's id.
package struct IngestDictionaries: Sendable {
    package var users: [String: Int] = [:]
    package var items: [String: Int] = [:]
    package var types: [EventType: Int] = [:]
    package var sourceID: Int64 = 0
    /// Whether the store held any event when the ingest began.
    package var storeHeldEvents = false

    /// The dictionaries as stored and the ingest's source row.
    package init(_ stored: DictionaryCache.Entries, sourceID: Int64, storeHeldEvents: Bool) {
        users = stored.users.indexes
        items = stored.items.indexes
        for (index, type) in stored.types.enumerated() { types[type] = index }
        self.sourceID = sourceID
        self.storeHeldEvents = storeHeldEvents
    }
}

/// An event ready to insert: dictionary ids resolved, properties as JSON.
package struct PendingEvent: Sendable {
    package var user: Int
    package var timestamp: Int64
    package var type: Int
    /// The item's dense id, or -1 when the event names no item.
    package var item: Int
    package var value: Double?
    package var session: String?
    package var duration: Double?
    package var category: String?
    package var properties: String?
    package var line: Int
    /// 1 for an event's first row in the source; 2, 3, ... for identical rows kept with
    /// ``IngestOptions/keepDuplicateRows`` (stored as `occurrence` `''`, `'2'`, `'3'`, ...).
    package var occurrence: Int = 1
    /// Whether an earlier row of this ingest may be identical (false: certainly none is), so
    /// that the writer looks up where a duplicate came from only when it may be a repeat.
    package var mayRepeat = false
}

/// A dictionary entry created by the batch that first needed it.
package struct NewEntry: Sendable {
    package var id: Int
    package var name: String
}

/// What one transaction writes.
package struct IngestBatch: Sendable {
    package var events: [PendingEvent] = []
    package var rejections: [RowRejection] = []
    package var newUsers: [NewEntry] = []
    package var newItems: [NewEntry] = []
    package var newTypes: [NewEntry] = []
    package var rowsRead = 0
    package var isLast = false

    /// Indexes of `events` sorted by (user, timestamp), input order kept among equals: inserting
    /// in primary-key order keeps B-tree writes local when the input is ordered by time rather
    /// than by user. The first occurrence of a duplicate is still the one stored.
    package func insertionOrder() -> [Int] {
        let isSorted = zip(events, events.dropFirst()).allSatisfy { ($0.user, $0.timestamp) <= ($1.user, $1.timestamp) }
        if isSorted { return Array(events.indices) }
        return events.indices.sorted { a, b in
            (events[a].user, events[a].timestamp, a) < (events[b].user, events[b].timestamp, b)
        }
    }
}

/// Turns source rows into batches on the reading thread.
struct IngestBatchBuilder {
    private var users: [String: Int]
    private var items: [String: Int]
    private var types: [EventType: Int]
    private let options: IngestOptions
    /// With ``IngestOptions/keepDuplicateRows``: rows seen so far per event identity, keyed by
    /// the identity's hash (8 bytes a row instead of the identity itself). Two identities
    /// sharing a hash (about 1 in 10^13 pairs) would number a row as a repeat: it is still
    /// stored, and a re-ingest may store it once more.
    private var occurrences: [Int: Int] = [:]
    /// Without it, when the store held events before this ingest: the identities read so far,
    /// to tell repeats within the source from events stored by earlier ingests.
    private var seen = IdentityFilter()
    private let storeHeldEvents: Bool
    private var batch = IngestBatch()
    private(set) var rowsRead = 0
    private(set) var rejectsByKind: [String: Int] = [:]
    private(set) var rejectExamples: [RowRejection] = []
    private(set) var newUsers = 0
    private(set) var newItems = 0

    init(_ dictionaries: consuming IngestDictionaries, options: IngestOptions) {
        users = dictionaries.users
        items = dictionaries.items
        types = dictionaries.types
        storeHeldEvents = dictionaries.storeHeldEvents
        self.options = options
    }

    /// Rows in the batch being built.
    var pendingRows: Int { batch.rowsRead }

    mutating func add(_ row: SourceRow) {
        rowsRead += 1
        batch.rowsRead += 1
        switch row {
        case .rejected(let rejection):
            reject(rejection)
        case .event(let event, let line):
            if let problem = Self.unstorable(event) ?? options.plausibility?.violation(in: event) {
                reject(RowRejection(line: line, reason: problem.reason, kind: problem.kind, raw: Self.describe(event)))
                return
            }
            var pending = PendingEvent(
                user: userID(event.userID), timestamp: event.timestamp, type: typeID(event.type),
                item: event.itemID.flatMap { $0.isEmpty ? nil : itemID($0) } ?? -1, value: event.value,
                session: event.sessionID.flatMap { $0.isEmpty ? nil : $0 }, duration: event.duration,
                category: event.category, properties: PropertiesJSON.encode(event.properties), line: line)
            if options.keepDuplicateRows {
                let key = Self.identityHash(pending)
                pending.occurrence = occurrences[key, default: 0] + 1
                occurrences[key] = pending.occurrence
            } else if storeHeldEvents {
                pending.mayRepeat = seen.insert(Self.identityHash(pending))
            } else {
                // Into an empty store (the common first ingest) a duplicate can only repeat a row
                // of this ingest, or of one running beside it: the writer's lookup tells which,
                // and the hash and filter, a cache miss a row, are not needed.
                pending.mayRepeat = true
            }
            batch.events.append(pending)
        }
    }

    /// A hash of the event's identity (user, time, type, item, value, session).
    private static func identityHash(_ event: PendingEvent) -> Int {
        var hasher = Hasher()
        hasher.combine(event.user)
        hasher.combine(event.timestamp)
        hasher.combine(event.type)
        hasher.combine(event.item)
        // SQLite compares -0.0 and 0.0 as equal, so they are one identity.
        hasher.combine(event.value.map { $0 == 0 ? 0 : $0.bitPattern })
        hasher.combine(event.session)
        return hasher.finalize()
    }

    /// Hands over the batch built so far and starts a new one.
    mutating func takeBatch(isLast: Bool) -> IngestBatch {
        var taken = batch
        taken.isLast = isLast
        batch = IngestBatch()
        batch.events.reserveCapacity(taken.events.count)
        return taken
    }

    private mutating func reject(_ rejection: RowRejection) {
        batch.rejections.append(rejection)
        rejectsByKind[rejection.kind, default: 0] += 1
        if rejectExamples.count < rejectExampleCount { rejectExamples.append(rejection) }
    }

    private mutating func userID(_ external: String) -> Int {
        let (id, isNew) = Self.denseID(of: external, in: &users, name: external, recordingIn: &batch.newUsers)
        if isNew { newUsers += 1 }
        return id
    }

    private mutating func itemID(_ external: String) -> Int {
        let (id, isNew) = Self.denseID(of: external, in: &items, name: external, recordingIn: &batch.newItems)
        if isNew { newItems += 1 }
        return id
    }

    private mutating func typeID(_ type: EventType) -> Int {
        Self.denseID(of: type, in: &types, name: type.rawValue, recordingIn: &batch.newTypes).id
    }

    /// The dense id of `key`: its existing one, or the next free one (recorded in `entries`
    /// so the writer inserts it into the dictionary table before the events that use it).
    private static func denseID<Key: Hashable>(
        of key: Key, in ids: inout [Key: Int], name: String, recordingIn entries: inout [NewEntry]
    ) -> (id: Int, isNew: Bool) {
        if let id = ids[key] { return (id, false) }
        let id = ids.count
        ids[key] = id
        entries.append(NewEntry(id: id, name: name))
        return (id, true)
    }

    /// Why the store cannot keep `event` as it is, as a rejection kind and reason, or nil.
    ///
    /// Ids and event types cannot hold control characters: SQLite (through GRDB) cuts text at
    /// U+0000, so `u<NUL>1` would become `u` and clash with other ids, and the others turn
    /// terminals and exported files against their readers. A category cannot hold U+0000 for
    /// the first reason. SQLite stores NaN as NULL, so a NaN value or duration would be lost.
    static func unstorable(_ event: Event) -> (kind: String, reason: String)? {
        // Field by field rather than over an array of them: this runs for every row read, and
        // an array costs an allocation a row.
        if let problem = idProblem("user id", event.userID) ?? idProblem("event type", event.type.rawValue)
            ?? idProblem("item id", event.itemID) ?? idProblem("session id", event.sessionID)
        {
            return problem
        }
        if let category = event.category, let found = firstControlCharacter(in: category, onlyNUL: true) {
            return (
                RejectionKind.badValue,
                "category contains the control character \(codePoint(found.scalar)) at position \(found.position); "
                    + "remove it"
            )
        }
        if let value = event.value, value.isNaN {
            return (RejectionKind.badValue, "value is NaN; give a number or leave the field empty")
        }
        if let duration = event.duration, duration.isNaN {
            return (RejectionKind.badValue, "duration is NaN; give a number of seconds or leave the field empty")
        }
        return nil
    }

    /// Why the id `text` (named `name` in the reason) cannot be stored, or nil.
    private static func idProblem(_ name: String, _ text: String?) -> (kind: String, reason: String)? {
        guard let text, let found = firstControlCharacter(in: text, onlyNUL: false) else { return nil }
        return (
            RejectionKind.badID,
            "\(name) contains the control character \(codePoint(found.scalar)) at position \(found.position); "
                + "clean the id"
        )
    }

    /// The first control character of `text` (only U+0000 when `onlyNUL`) and its 1-based
    /// position in Unicode scalars, or nil.
    private static func firstControlCharacter(
        in text: String, onlyNUL: Bool
    ) -> (scalar: Unicode.Scalar, position: Int)? {
        // The fast path scans UTF-8 bytes: the control characters are ASCII, and no byte of a
        // multi-byte sequence is below 0x80.
        let hasControl = text.utf8.contains { (byte: UInt8) -> Bool in
            onlyNUL ? byte == 0 : byte < 0x20 || byte == 0x7F
        }
        guard hasControl else { return nil }
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let isControl = onlyNUL ? scalar.value == 0 : scalar.value < 0x20 || scalar.value == 0x7F
            if isControl { return (scalar, offset + 1) }
        }
        return nil
    }

    /// `U+0000` for a scalar.
    private static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// A readable rendering of an event for a reject record.
    private static func describe(_ event: Event) -> String {
        [
            event.userID, String(event.timestamp), event.type.rawValue, event.itemID ?? "", event.sessionID ?? "",
            event.value.map { String($0) } ?? "", event.duration.map { String($0) } ?? "", event.category ?? "",
        ].joined(separator: ",")
    }
}

/// The event identity hashes an ingest has read, to tell whether a row may repeat an earlier
/// one (false: it certainly does not). The first 65,536 are kept exactly, in a set (an HTTP
/// batch of a few events costs next to nothing); past that a Bloom filter takes over: 16 MiB,
/// three bits in one 64-bit word per hash (one cache miss), about 1.5% false positives at 10
/// million rows, none missed. It spares the writer a lookup for each duplicate of a re-ingest
/// (half the re-ingest time) while keeping the count of repeats exact. Ingests into an empty
/// store do without it.
struct IdentityFilter {
    private static let wordCount = 1 << 21
    private static let exactLimit = 1 << 16
    private var exact: Set<Int> = []
    private var words: [UInt64] = []

    /// Adds `hash`, returning whether it may have been added before (false: it was not).
    mutating func insert(_ hash: Int) -> Bool {
        if words.isEmpty {
            if exact.count < Self.exactLimit { return !exact.insert(hash).inserted }
            words = Array(repeating: 0, count: Self.wordCount)
            for earlier in exact { _ = insertBits(earlier) }
            exact = []
        }
        return insertBits(hash)
    }

    /// Sets the Bloom filter's bits of `hash`, returning whether they were all set already.
    private mutating func insertBits(_ hash: Int) -> Bool {
        let bits = UInt64(bitPattern: Int64(hash))
        let word = Int(bits & UInt64(Self.wordCount - 1))
        // Three bit positions from three other parts of the hash (written out: a loop over an
        // array literal allocates on every row).
        let mask: UInt64 = 1 << (bits >> 21 & 63) | 1 << (bits >> 27 & 63) | 1 << (bits >> 33 & 63)
        let present = words[word] & mask == mask
        words[word] |= mask
        return present
    }
}

/// Counts of what the writer has committed.
package struct IngestTotals: Sendable {
    package var rowsRead = 0
    package var stored = 0
    package var duplicates = 0
    package var rejected = 0
    /// Duplicates identical to an earlier row of this same ingest.
    package var repeatedRows = 0
    /// Rejected rows already kept from an earlier ingest of a source of the same name.
    package var knownRejects = 0

    package init() {}
}

/// Batches from the reading thread to the writer thread, and the writer's result back.
///
/// All state is guarded by `condition`'s lock.
package final class IngestChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private let location: String
    private var batches: [IngestBatch] = []
    private var closed = false
    private var result: Result<IngestTotals, any Error>?
    private var totals = IngestTotals()

    init(capacity: Int, location: String) {
        self.capacity = capacity
        self.location = location
    }

    /// Queues a batch, waiting while `capacity` batches are queued.
    ///
    /// - Throws: The writer's error if it has stopped.
    package func send(_ batch: IngestBatch) throws {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity, result == nil { condition.wait() }
        if let result {
            _ = try result.get()
            throw EventDataError.store(
                path: location, detail: "the ingest's writer stopped before the last batch; ingest the source again")
        }
        batches.append(batch)
        if batch.isLast { closed = true }
        condition.broadcast()
    }

    /// Tells the writer that no more batches come: it writes those already queued (whole
    /// batches of rows read before a failure) and stops.
    package func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil when the channel is closed and empty.
    package func receive() -> IngestBatch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty, !closed { condition.wait() }
        guard !batches.isEmpty else { return nil }
        condition.broadcast()
        return batches.removeFirst()
    }

    /// Records what the writer has committed so far.
    package func commit(_ totals: IngestTotals) {
        condition.lock()
        self.totals = totals
        condition.unlock()
    }

    /// What the writer has committed so far.
    package var committed: IngestTotals {
        condition.lock()
        defer { condition.unlock() }
        return totals
    }

    /// Records the writer's outcome and wakes the reading thread.
    package func finish(_ result: Result<IngestTotals, any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the writer's outcome.
    package func waitForWriter() -> Result<IngestTotals, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}

/// Event properties as a compact JSON object with sorted keys (deterministic, so equal
/// properties give equal text).
package enum PropertiesJSON {
    /// The JSON text, or nil when there are no properties.
    static func encode(_ properties: [String: String]) -> String? {
        guard !properties.isEmpty else { return nil }
        var json: [UInt8] = [UInt8(ascii: "{")]
        for (position, entry) in properties.sorted(by: { $0.key < $1.key }).enumerated() {
            if position > 0 { json.append(UInt8(ascii: ",")) }
            JSONStringLiteral.append(entry.key, to: &json)
            json.append(UInt8(ascii: ":"))
            JSONStringLiteral.append(entry.value, to: &json)
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    /// The properties of stored JSON text, or nil when it is not an object of strings (a
    /// damaged store). One `decoder` serves a whole read.
    package static func decode(_ json: String, with decoder: JSONDecoder) -> [String: String]? {
        try? decoder.decode([String: String].self, from: Data(json.utf8))
    }
}
