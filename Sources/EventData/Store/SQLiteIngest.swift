import Foundation
import GRDB
import GRDBSQLite
import JSONScanning

// Ingest runs on two threads so that parsing and writing overlap: the calling thread reads the
// source and turns rows into batches of dense-id events (dictionary lookups, property JSON),
// and a writer thread inserts each batch in one transaction with one prepared statement bound
// through the SQLite C API. At most one batch waits between them, which bounds memory.

/// How an ingest is cut up; tests use small numbers to exercise the batching.
///
/// Batches (one transaction each) start at `firstBatchRows` and double up to `maxBatchRows`.
/// Large batches matter when the input is ordered by time rather than by user: each batch is
/// inserted in key order, so it touches every B-tree page once however scattered its users
/// are, and fewer, larger batches mean fewer passes over the table (10M time-ordered events:
/// 77k rows/s with 100k-row batches, 425k rows/s with 1M-row batches). Small first batches
/// keep the reading and writing threads overlapping on small inputs.
struct IngestBatching: Sendable {
    /// Rows in the first batch.
    var firstBatchRows = 100_000
    /// Rows in a batch at most (about 120 MB of pending events).
    var maxBatchRows = 1_000_000
    /// Rows between progress reports.
    var progressInterval = 50_000
}

extension SQLiteEventStore {
    /// Rejected rows quoted in an ``IngestSummary``.
    static let rejectExampleCount = 10

    /// Reads every row of `source` into the store (see ``EventStore/ingest(_:options:progress:)``).
    ///
    /// `progress` runs on the calling thread while the store is busy writing: it must not call
    /// back into this store.
    public func ingest(
        _ source: any EventSource, options: IngestOptions, progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary {
        try ingest(source, options: options, batching: IngestBatching(), progress: progress)
    }

    func ingest(
        _ source: any EventSource, options: IngestOptions = IngestOptions(), batching: IngestBatching,
        progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary {
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let duration = start.duration(to: clock.now).components
            return Double(duration.seconds) + Double(duration.attoseconds) * 1e-18
        }
        let sourceName = source.name
        let dictionaries = try access { try queue.write { db in try IngestDictionaries(db, sourceName: sourceName) } }
        let sourceID = dictionaries.sourceID
        var checked = options
        // Positions standing in for times are not times: only their order means anything.
        if source.timesAreOrderOnly { checked.plausibility = options.plausibility?.ignoringTimes }
        var builder = IngestBatchBuilder(consume dictionaries, options: checked)
        let channel = IngestChannel(capacity: 1, location: location)
        // `unowned`: this function waits for the writer on every path, so the queue outlives
        // it, and the finished thread (released a little later) does not keep the database
        // open after the store is gone.
        let writer = Thread { [unowned queue, location] in
            let result = Result {
                try IngestWriter(sourceID: sourceID, sourceName: sourceName, location: location).run(queue, channel)
            }
            channel.finish(result.mapError { Self.storeError($0, path: location) })
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
}

/// The dictionaries as stored when an ingest starts, and the new `source` row's id.
struct IngestDictionaries: Sendable {
    var users: [String: Int] = [:]
    var items: [String: Int] = [:]
    var types: [EventType: Int] = [:]
    var sourceID: Int64 = 0
    /// Whether the store held any event when the ingest began.
    var storeHeldEvents = false

    init(_ db: Database, sourceName: String) throws {
        storeHeldEvents = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event)") ?? false
        for (index, id) in try SQLiteEventStore.vocabulary(db, table: "user").externalIDs.enumerated() {
            users[id] = index
        }
        for (index, id) in try SQLiteEventStore.vocabulary(db, table: "item").externalIDs.enumerated() {
            items[id] = index
        }
        for (index, type) in try SQLiteEventStore.eventTypes(db).enumerated() { types[type] = index }
        try db.execute(
            sql: "INSERT INTO source (name, ingested_at) VALUES (?, ?)",
            arguments: [sourceName, Int64((Date().timeIntervalSince1970 * 1000).rounded())])
        sourceID = db.lastInsertedRowID
    }
}

/// An event ready to insert: dictionary ids resolved, properties as JSON.
struct PendingEvent: Sendable {
    var user: Int
    var timestamp: Int64
    var type: Int
    /// The item's dense id, or -1 when the event names no item.
    var item: Int
    var value: Double?
    var session: String?
    var duration: Double?
    var category: String?
    var properties: String?
    var line: Int
    /// 1 for an event's first row in the source; 2, 3, ... for identical rows kept with
    /// ``IngestOptions/keepDuplicateRows`` (stored as `occurrence` `''`, `'2'`, `'3'`, ...).
    var occurrence: Int = 1
    /// Whether an earlier row of this ingest may be identical (false: certainly none is), so
    /// that the writer looks up where a duplicate came from only when it may be a repeat.
    var mayRepeat = false
}

/// A dictionary entry created by the batch that first needed it.
struct NewEntry: Sendable {
    var id: Int
    var name: String
}

/// What one transaction writes.
struct IngestBatch: Sendable {
    var events: [PendingEvent] = []
    var rejections: [RowRejection] = []
    var newUsers: [NewEntry] = []
    var newItems: [NewEntry] = []
    var newTypes: [NewEntry] = []
    var rowsRead = 0
    var isLast = false

    /// Indexes of `events` sorted by (user, timestamp), input order kept among equals: inserting
    /// in primary-key order keeps B-tree writes local when the input is ordered by time rather
    /// than by user. The first occurrence of a duplicate is still the one stored.
    func insertionOrder() -> [Int] {
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
        if rejectExamples.count < SQLiteEventStore.rejectExampleCount { rejectExamples.append(rejection) }
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

/// A Bloom filter of event identity hashes: 16 MiB, three bits in one 64-bit word per hash
/// (one cache miss), about 1.5% false positives at 10 million rows, none missed. It spares
/// the writer a lookup for each duplicate of a re-ingest (half the re-ingest time) while
/// keeping the count of repeats exact. Ingests into an empty store do without it.
struct IdentityFilter {
    private static let wordCount = 1 << 21
    private var words: [UInt64] = []

    /// Adds `hash`, returning whether it may have been added before (false: it was not).
    mutating func insert(_ hash: Int) -> Bool {
        if words.isEmpty { words = Array(repeating: 0, count: Self.wordCount) }
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
struct IngestTotals: Sendable {
    var rowsRead = 0
    var stored = 0
    var duplicates = 0
    var rejected = 0
    /// Duplicates identical to an earlier row of this same ingest.
    var repeatedRows = 0
    /// Rejected rows already kept from an earlier ingest of a source of the same name.
    var knownRejects = 0
}

/// Batches from the reading thread to the writer thread, and the writer's result back.
///
/// All state is guarded by `condition`'s lock.
final class IngestChannel: @unchecked Sendable {
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
    func send(_ batch: IngestBatch) throws {
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
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil when the channel is closed and empty.
    func receive() -> IngestBatch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty, !closed { condition.wait() }
        guard !batches.isEmpty else { return nil }
        condition.broadcast()
        return batches.removeFirst()
    }

    /// Records what the writer has committed so far.
    func commit(_ totals: IngestTotals) {
        condition.lock()
        self.totals = totals
        condition.unlock()
    }

    /// What the writer has committed so far.
    var committed: IngestTotals {
        condition.lock()
        defer { condition.unlock() }
        return totals
    }

    /// Records the writer's outcome and wakes the reading thread.
    func finish(_ result: Result<IngestTotals, any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the writer's outcome.
    func waitForWriter() -> Result<IngestTotals, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}

/// Writes batches on the writer thread, one transaction each.
struct IngestWriter {
    let sourceID: Int64
    let sourceName: String
    let location: String

    /// SQLite settings for bulk loading, restored afterwards:
    /// - `synchronous = OFF` skips fsync: WAL keeps the file consistent if the process dies; a
    ///   power cut may lose the last batches, which re-ingesting restores.
    /// - a 256 MiB page cache keeps the B-tree pages a batch touches in memory.
    /// - `foreign_keys = OFF`: each event would otherwise look up its user, type and source
    ///   (about a quarter of the insert time); the writer inserts those rows itself, in the same
    ///   transaction, before the events that name them.
    /// - `wal_autocheckpoint = 0`: one checkpoint at the end instead of one per batch, so
    ///   pages are not copied from the WAL to the database again and again.
    private static let bulkSettings: [(pragma: String, value: String)] = [
        ("synchronous", "OFF"), ("cache_size", "-262144"), ("foreign_keys", "OFF"), ("wal_autocheckpoint", "0"),
    ]

    func run(_ queue: DatabaseQueue, _ channel: IngestChannel) throws -> IngestTotals {
        try queue.writeWithoutTransaction { db in
            var saved: [(pragma: String, value: String)] = []
            for setting in Self.bulkSettings {
                let current = try String.fetchOne(db, sql: "PRAGMA \(setting.pragma)") ?? ""
                saved.append((setting.pragma, current))
                try db.execute(sql: "PRAGMA \(setting.pragma) = \(setting.value)")
            }
            func restore() throws {
                for setting in saved where !setting.value.isEmpty {
                    try db.execute(sql: "PRAGMA \(setting.pragma) = \(setting.value)")
                }
            }
            do {
                let totals = try writeBatches(db, channel)
                try restore()
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return totals
            } catch {
                if db.isInsideTransaction { try? db.rollback() }
                // The ingest's own error matters more than a failure to restore the settings.
                try? restore()
                throw error
            }
        }
    }

    private func writeBatches(_ db: Database, _ channel: IngestChannel) throws -> IngestTotals {
        let insertEvent = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO event (\(EventRowReader.columns), occurrence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let findEvent = try db.cachedStatement(
            sql: """
                SELECT source_id FROM event
                WHERE user_id = ? AND ts = ? AND type_id = ? AND item_id = ? AND value = ? AND session = ?
                    AND occurrence = ?
                """)
        let insertUser = try db.cachedStatement(sql: "INSERT INTO user (id, external) VALUES (?, ?)")
        let insertItem = try db.cachedStatement(sql: "INSERT INTO item (id, external) VALUES (?, ?)")
        let insertType = try db.cachedStatement(sql: "INSERT INTO event_type (id, name) VALUES (?, ?)")
        let insertReject = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO reject (source_id, source_name, line, kind, reason, raw)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
        let updateSource = try db.cachedStatement(
            sql: """
                UPDATE source SET rows_read = rows_read + ?, stored = stored + ?, duplicates = duplicates + ?,
                    rejected = rejected + ?, completed = ? WHERE id = ?
                """)
        var totals = IngestTotals()
        while let batch = channel.receive() {
            try db.beginTransaction()
            for entry in batch.newUsers { try insert(entry, with: insertUser, into: .user, db) }
            for entry in batch.newItems { try insert(entry, with: insertItem, into: .item, db) }
            for entry in batch.newTypes { try insert(entry, with: insertType, into: .eventType, db) }
            let events = try insert(batch, with: insertEvent, finding: findEvent, db)
            let knownRejects = try insert(batch.rejections, with: insertReject, db)
            let duplicates = batch.events.count - events.stored
            try updateSource.execute(
                arguments: [batch.rowsRead, events.stored, duplicates, batch.rejections.count, batch.isLast, sourceID])
            try db.commit()
            totals.rowsRead += batch.rowsRead
            totals.stored += events.stored
            totals.duplicates += duplicates
            totals.repeatedRows += events.repeated
            totals.rejected += batch.rejections.count
            totals.knownRejects += knownRejects
            channel.commit(totals)
        }
        return totals
    }

    /// The dictionary tables.
    enum DictionaryTable {
        case user, item, eventType

        var table: String {
            switch self {
            case .user: return "user"
            case .item: return "item"
            case .eventType: return "event_type"
            }
        }

        var column: String { self == .eventType ? "name" : "external" }

        var noun: String {
            switch self {
            case .user: return "user id"
            case .item: return "item id"
            case .eventType: return "event type"
            }
        }
    }

    /// Adds a dictionary entry, explaining a clash with the stored entries.
    private func insert(_ entry: NewEntry, with statement: Statement, into dictionary: DictionaryTable, _ db: Database)
        throws
    {
        do {
            try statement.execute(arguments: [entry.id, entry.name])
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let table = dictionary.table
            let holder = try String.fetchOne(
                db, sql: "SELECT \(dictionary.column) FROM \(table) WHERE id = ?", arguments: [entry.id])
            // Another ingest added the same id under the same dense id: nothing to do.
            if holder == entry.name { return }
            throw clash(entry, holder: holder, dictionary, error, db)
        }
    }

    /// Why `entry` could not be added: another ingest since this one started took its dense id
    /// (`holder` holds it now) or added the same id under another dense id (the dictionaries
    /// were read when this ingest started), or SQLite found it equal to a different stored id.
    private func clash(
        _ entry: NewEntry, holder: String?, _ dictionary: DictionaryTable, _ error: DatabaseError, _ db: Database
    ) -> EventDataError {
        let table = dictionary.table
        let column = dictionary.column
        let sqlite = error.message ?? "constraint failed"
        let owner = try? Row.fetchOne(
            db, sql: "SELECT id, \(column) FROM \(table) WHERE \(column) = ?", arguments: [entry.name])
        let ownerID = owner.map { $0[0] as Int }
        let ownerName = owner.map { $0[1] as String }
        let concurrent = "another ingest wrote to this store at the same time"
        let retry = "run one ingest at a time, then ingest this source again (duplicates are skipped)"
        if let holder {
            return EventDataError.store(
                path: location,
                detail: "\(concurrent): it gave dense id \(entry.id) to \(dictionary.noun) \(holder.debugDescription) "
                    + "while this ingest meant it for \(entry.name.debugDescription); \(retry)")
        }
        if let ownerID, let ownerName, ownerName == entry.name, ownerID != entry.id {
            return EventDataError.store(
                path: location,
                detail:
                    "\(concurrent): it added \(dictionary.noun) \(entry.name.debugDescription) (dense id \(ownerID)) "
                    + "after this ingest started; \(retry)")
        }
        let stored = ownerName.map { " the stored \(dictionary.noun) \($0.debugDescription)" } ?? " a stored one"
        return EventDataError.store(
            path: location,
            detail: "\(dictionary.noun) \(entry.name.debugDescription) clashes with\(stored) (SQLite: \(sqlite)); "
                + "clean the id in the source and ingest it again")
    }

    /// Inserts the batch's rejected rows, returning how many were already kept from an
    /// earlier ingest of a source of the same name (`INSERT OR IGNORE` skips them). Text is
    /// bound with its length so that it is kept whole even when it holds U+0000.
    private func insert(_ rejections: [RowRejection], with statement: Statement, _ db: Database) throws -> Int {
        let sqlite = statement.sqliteStatement
        let connection = db.sqliteConnection
        var known = 0
        for rejection in rejections {
            sqlite3_bind_int64(sqlite, 1, sourceID)
            SQLiteCall.bind(sqlite, 2, text: sourceName)
            sqlite3_bind_int64(sqlite, 3, Int64(rejection.line))
            SQLiteCall.bind(sqlite, 4, text: rejection.kind)
            SQLiteCall.bind(sqlite, 5, text: rejection.reason)
            SQLiteCall.bind(sqlite, 6, text: rejection.raw)
            let code = sqlite3_step(sqlite)
            sqlite3_reset(sqlite)
            guard code == SQLITE_DONE else { throw SQLiteCall.error(db, code: code) }
            known += 1 - Int(sqlite3_changes(connection))
        }
        return known
    }

    /// Inserts the batch's events, returning how many were new (`INSERT OR IGNORE` leaves
    /// duplicates out and reports no change for them) and how many of the duplicates repeat a
    /// row this same ingest stored (looked up with `find`).
    private func insert(
        _ batch: IngestBatch, with statement: Statement, finding find: Statement, _ db: Database
    ) throws -> (stored: Int, repeated: Int) {
        let sqlite = statement.sqliteStatement
        let lookup = find.sqliteStatement
        let connection = db.sqliteConnection
        var stored = 0
        var repeated = 0
        for index in batch.insertionOrder() {
            let event = batch.events[index]
            Self.bindIdentity(event, to: sqlite)
            SQLiteCall.bind(sqlite, 7, optionalDouble: event.duration)
            SQLiteCall.bind(sqlite, 8, optionalText: event.category)
            SQLiteCall.bind(sqlite, 9, optionalText: event.properties)
            sqlite3_bind_int64(sqlite, 10, sourceID)
            sqlite3_bind_int64(sqlite, 11, Int64(event.line))
            Self.bindOccurrence(event, to: sqlite, at: 12)
            let code = sqlite3_step(sqlite)
            sqlite3_reset(sqlite)
            guard code == SQLITE_DONE else { throw SQLiteCall.error(db, code: code) }
            // 1 when inserted, 0 when ignored as a duplicate.
            let inserted = Int(sqlite3_changes(connection))
            stored += inserted
            guard inserted == 0, event.mayRepeat else { continue }
            Self.bindIdentity(event, to: lookup)
            Self.bindOccurrence(event, to: lookup, at: 7)
            let found = sqlite3_step(lookup)
            if found == SQLITE_ROW, sqlite3_column_int64(lookup, 0) == sourceID { repeated += 1 }
            sqlite3_reset(lookup)
            guard found == SQLITE_ROW || found == SQLITE_DONE else { throw SQLiteCall.error(db, code: found) }
        }
        return (stored, repeated)
    }

    /// Binds the six identity columns (user, time, type, item, value, session) to parameters
    /// 1 to 6. The primary key cannot hold NULL: an absent item, value or session is ''.
    private static func bindIdentity(_ event: PendingEvent, to sqlite: SQLiteStatement) {
        sqlite3_bind_int64(sqlite, 1, Int64(event.user))
        sqlite3_bind_int64(sqlite, 2, event.timestamp)
        sqlite3_bind_int64(sqlite, 3, Int64(event.type))
        if event.item >= 0 {
            sqlite3_bind_int64(sqlite, 4, Int64(event.item))
        } else {
            SQLiteCall.bindEmptyText(sqlite, 4)
        }
        if let value = event.value {
            sqlite3_bind_double(sqlite, 5, value)
        } else {
            SQLiteCall.bindEmptyText(sqlite, 5)
        }
        if let session = event.session {
            SQLiteCall.bind(sqlite, 6, text: session)
        } else {
            SQLiteCall.bindEmptyText(sqlite, 6)
        }
    }

    /// Binds the occurrence: '' for a first row, '2', '3', ... for kept repeats.
    private static func bindOccurrence(_ event: PendingEvent, to sqlite: SQLiteStatement, at index: Int32) {
        if event.occurrence > 1 {
            SQLiteCall.bind(sqlite, index, text: String(event.occurrence))
        } else {
            SQLiteCall.bindEmptyText(sqlite, index)
        }
    }
}

/// Event properties as a compact JSON object with sorted keys (deterministic, so equal
/// properties give equal text).
enum PropertiesJSON {
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
}
