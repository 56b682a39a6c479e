import Foundation
import GRDB
import GRDBSQLite

// The SQLite half of ingest (the shared half is in IngestPipeline.swift): the writer inserts
// each batch in one transaction with one prepared statement bound through the SQLite C API.

extension SQLiteEventStore {
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
        let start = ContinuousClock().now
        let sourceName = source.name
        let dictionaries = try access {
            try queue.write { db in
                try IngestDictionaries(db, sourceName: sourceName, stored: try currentDictionaries(db))
            }
        }
        let sourceID = dictionaries.sourceID
        // `unowned`: runIngest waits for the writer on every path, so the queue outlives it,
        // and the finished thread (released a little later) does not keep the database open
        // after the store is gone.
        return try runIngest(
            source, options: options, batching: batching, dictionaries: dictionaries, start: start,
            location: location, progress: progress,
            write: { [unowned queue, location] channel in
                try IngestWriter(sourceID: sourceID, sourceName: sourceName, location: location).run(queue, channel)
            },
            storeError: { [location] in Self.storeError($0, path: location) })
    }
}

extension IngestDictionaries {
    /// The dictionaries as `stored` and the ingest's new `source` row.
    init(_ db: Database, sourceName: String, stored: DictionaryCache.Entries) throws {
        self.init(
            stored, sourceID: 0,
            storeHeldEvents: try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event)") ?? false)
        try db.execute(
            sql: "INSERT INTO source (name, ingested_at) VALUES (?, ?)",
            arguments: [sourceName, Int64((Date().timeIntervalSince1970 * 1000).rounded())])
        sourceID = db.lastInsertedRowID
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
