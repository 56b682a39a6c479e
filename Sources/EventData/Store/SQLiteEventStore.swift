import Foundation
import GRDB
import GRDBSQLite

/// How a store file is opened.
public enum StoreAccess: Sendable, Hashable {
    /// Read and write: the file is created when missing and its schema brought up to date.
    case readWrite
    /// Read only: the file must exist and nothing is written to it, so a store the user may
    /// read but not write can be described and used. A store written by an older BehaviorKit
    /// is upgraded first when the file is writable, and refused with an error saying so when
    /// it is not.
    case readOnly
}

/// The embedded event store: one SQLite file (WAL mode) through GRDB.
///
/// The schema is described in ``StoreSchema``; migrations run when the store is opened. One
/// store object serialises its own database work; several processes may open the same file
/// (a writer waits up to 10 seconds for another to finish).
///
/// Before opening a file for writing the store looks at it read-only, and refuses, without
/// changing a byte, a file that is not SQLite or an SQLite database that is not a
/// BehaviorKit store (opening it for writing would switch it to WAL mode and add tables).
///
/// ```swift
/// let store = try SQLiteEventStore(path: "behavior.db")
/// let summary = try store.ingest(reader) { progress in print(progress.rowsRead) }
/// let description = try SQLiteEventStore(path: "behavior.db", access: .readOnly).describe()
/// ```
public final class SQLiteEventStore: EventStore, Sendable {
    /// The database file's path, or `:memory:`.
    public let location: String
    let queue: DatabaseQueue
    /// The id dictionaries as last read (see ``DictionaryCache``).
    let dictionaries = DictionaryCache()

    /// Opens the store at `path`; with ``StoreAccess/readWrite`` (the default) it creates the
    /// file and migrates its schema as needed.
    ///
    /// - Throws: ``EventDataError/store(path:detail:)`` naming the path and the fix when the
    ///   file is not an SQLite database, is another application's database, cannot be created
    ///   or written (missing directory, read-only location; for ``StoreAccess/readOnly`` only
    ///   when it needs a schema upgrade), does not exist (``StoreAccess/readOnly``), is in use,
    ///   or was written by a newer BehaviorKit.
    public convenience init(path: String, access: StoreAccess = .readWrite) throws {
        let migrator = StoreSchema.migrator
        let applied = try StoreFile.inspect(path: path, mustExist: access == .readOnly)
        if let applied {
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty else { throw Self.newerSchema(path: path) }
        }
        let pending = migrator.migrations.filter { !(applied ?? []).contains($0) }
        switch access {
        case .readWrite:
            let queue = try Self.openQueue(path: path, readonly: false)
            try self.init(queue: queue, location: path)
        case .readOnly:
            if !pending.isEmpty {
                guard applied?.isEmpty == false else {
                    throw EventDataError.store(
                        path: path,
                        detail: "holds no events yet; ingest events into it first")
                }
                try Self.upgrade(path: path, pending: pending)
            }
            let queue = try Self.openQueue(path: path, readonly: true)
            self.init(opened: queue, location: path)
        }
    }

    /// A fresh store that lives in memory only (for tests and throwaway work).
    public static func inMemory() throws -> SQLiteEventStore {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(named: nil, configuration: Configuration())
        } catch {
            throw storeError(error, path: ":memory:")
        }
        return try SQLiteEventStore(queue: queue, location: ":memory:")
    }

    /// Opens a connection to `path`: WAL mode for writing, or strictly read-only.
    private static func openQueue(path: String, readonly: Bool) throws -> DatabaseQueue {
        do {
            return try makeQueue(path: path, readonly: readonly)
        } catch {
            throw storeError(error, path: path)
        }
    }

    /// A connection to `path`, throwing GRDB's errors as they are.
    ///
    /// A read-only connection to a WAL database creates the `-wal` and `-shm` files when they
    /// are missing, with the database file's permissions: in a directory the user cannot
    /// write it fails, and beside a file made read-only it leaves a read-only `-shm` that
    /// later stops every writer. When there is no `-wal` file no connection has the database
    /// open, so a read-only connection opens it as immutable instead, creating nothing. (A
    /// writer starting meanwhile only changes the file when it checkpoints, at the end of its
    /// ingest; a read overlapping that may fail and is simply run again.)
    static func makeQueue(path: String, readonly: Bool) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "EventStore"
        var target = path
        if readonly, !FileManager.default.fileExists(atPath: path + "-wal"), sqlite3_compileoption_used("USE_URI") == 1
        {
            target = URL(fileURLWithPath: path).absoluteString + "?immutable=1"
        }
        return try DatabaseQueue(path: target, configuration: configuration)
    }

    /// Applies `pending` migrations to the store at `path` for a read-only open, saying that
    /// the upgrade needs write access when the file cannot be written.
    private static func upgrade(path: String, pending: [String]) throws {
        do {
            try StoreSchema.migrator.migrate(try makeQueue(path: path, readonly: false))
        } catch {
            let denied: [ResultCode] = [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH]
            if let error = error as? DatabaseError, denied.contains(error.resultCode) {
                throw EventDataError.store(
                    path: path,
                    detail:
                        "was written by an older BehaviorKit and needs a schema upgrade (\(pending.joined(separator: ", "))) "
                        + "before it can be read, which needs write access, but it is read-only; make it writable "
                        + "for one read (any command that opens it), or ask its owner to open it once")
            }
            throw storeError(error, path: path)
        }
    }

    /// The error for a store whose schema has migrations this build does not know.
    private static func newerSchema(path: String) -> EventDataError {
        EventDataError.store(
            path: path,
            detail: "was written by a newer version of BehaviorKit (its schema has migrations this build "
                + "does not know); upgrade behave, or use another store path")
    }

    private init(queue: DatabaseQueue, location: String) throws {
        self.queue = queue
        self.location = location
        let migrator = StoreSchema.migrator
        let superseded = try access { try queue.read { db in try migrator.hasBeenSuperseded(db) } }
        guard !superseded else { throw Self.newerSchema(path: location) }
        try access { try migrator.migrate(queue) }
    }

    /// A store on a connection whose schema is known to be current (no migration).
    private init(opened queue: DatabaseQueue, location: String) {
        self.queue = queue
        self.location = location
    }

    // MARK: - Vocabularies and attributes

    public func userIDs() throws -> Vocabulary {
        try access { try queue.read { db in try currentDictionaries(db).users } }
    }

    public func itemIDs() throws -> Vocabulary {
        try access { try queue.read { db in try currentDictionaries(db).items } }
    }

    /// The id dictionaries, brought up to date by reading only the entries past the cache's end.
    func currentDictionaries(_ db: Database) throws -> DictionaryCache.Entries {
        let from = dictionaries.counts
        func externals(_ table: String, from start: Int) throws -> [String] {
            try String.fetchAll(
                db, sql: "SELECT external FROM \(table) WHERE id >= ? ORDER BY id", arguments: [start])
        }
        return dictionaries.append(
            users: try externals("user", from: from.users), items: try externals("item", from: from.items),
            types: try String.fetchAll(
                db, sql: "SELECT name FROM event_type WHERE id >= ? ORDER BY id", arguments: [from.types]
            ).map { EventType(rawValue: $0) }, from: from)
    }

    /// Event types ordered by dense id.
    static func eventTypes(_ db: Database) throws -> [EventType] {
        try String.fetchAll(db, sql: "SELECT name FROM event_type ORDER BY id").map { EventType(rawValue: $0) }
    }

    public func ingestAttributes(_ table: [AttributeRow], kind: EntityKind) throws -> Int {
        try access {
            try queue.write { db in
                let insert = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO \(kind.rawValue)_attribute (external, name, value) VALUES (?, ?, ?)")
                var written = 0
                for row in table {
                    for (name, value) in row.values {
                        try insert.execute(arguments: [row.id, name, value])
                        written += 1
                    }
                }
                return written
            }
        }
    }

    public func attributes(kind: EntityKind) throws -> [String: [String: String]] {
        try access {
            try queue.read { db in
                var result: [String: [String: String]] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT external, name, value FROM \(kind.rawValue)_attribute ORDER BY external, name")
                while let row = try rows.next() {
                    let external: String = row[0]
                    result[external, default: [:]][row[1]] = row[2] as String
                }
                return result
            }
        }
    }

    // MARK: - Reading events

    /// Users per block in ``forEachUserHistory(_:)``: bounds memory to one block's events.
    static let historyBlockUsers = 1024

    public func events(forUser userID: String) throws -> [StoredEvent] {
        try access {
            try queue.read { db in
                guard
                    let user = try Int.fetchOne(db, sql: "SELECT id FROM user WHERE external = ?", arguments: [userID])
                else { return [] }
                let types = try currentDictionaries(db).types
                var events: [StoredEvent] = []
                try EventRowReader.read(db, users: user..<(user + 1), types: types) { _, event in events.append(event) }
                EventRowReader.orderTies(&events)
                return events
            }
        }
    }

    public func forEachUserHistory(_ body: (UserHistory) throws -> Void) throws {
        let (users, types) = try access {
            try queue.read { db in
                let current = try currentDictionaries(db)
                return (current.users, current.types)
            }
        }
        var start = 0
        while start < users.count {
            let block = start..<min(users.count, start + Self.historyBlockUsers)
            var histories: [UserHistory] = []
            try access {
                try queue.read { db in
                    try EventRowReader.read(db, users: block, types: types) { user, event in
                        if histories.last?.user != user {
                            histories.append(UserHistory(user: user, userID: users[user], events: []))
                        }
                        histories[histories.count - 1].events.append(event)
                    }
                }
            }
            for var history in histories {
                EventRowReader.orderTies(&history.events)
                try body(history)
            }
            start = block.upperBound
        }
    }

    public func rejects(limit: Int) throws -> [StoredRejection] {
        try access {
            try queue.read { db in
                // Read through the C API with each text's length: reasons and raw text may hold
                // U+0000, where GRDB's String decoding would stop.
                let statement = try db.makeStatement(
                    sql: """
                        SELECT reject.source_id, reject.source_name, reject.line, reject.reason, reject.kind,
                            reject.raw
                        FROM reject ORDER BY reject.source_id, reject.line, reject.id LIMIT ?
                        """)
                try statement.setArguments([max(0, limit)])
                let sqlite = statement.sqliteStatement
                defer { sqlite3_reset(sqlite) }
                var rejects: [StoredRejection] = []
                while true {
                    let code = sqlite3_step(sqlite)
                    if code == SQLITE_DONE { return rejects }
                    guard code == SQLITE_ROW else { throw SQLiteCall.error(db, code: code) }
                    let text = { (column: Int32) in EventRowReader.text(sqlite, column) ?? "" }
                    rejects.append(
                        StoredRejection(
                            sourceID: sqlite3_column_int64(sqlite, 0), source: text(1),
                            rejection: RowRejection(
                                line: Int(sqlite3_column_int64(sqlite, 2)), reason: text(3), kind: text(4),
                                raw: text(5))))
                }
            }
        }
    }

    // MARK: - Errors

    /// Runs database work, turning SQLite failures into ``EventDataError/store(path:detail:)``.
    func access<T>(_ work: () throws -> T) throws -> T {
        try Self.withStoreErrors(path: location, work)
    }

    /// Runs database work on the store at `path`, turning SQLite failures into
    /// ``EventDataError/store(path:detail:)``.
    static func withStoreErrors<T>(path: String, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch {
            throw storeError(error, path: path)
        }
    }

    /// The store error for `error`, phrased with the fix.
    static func storeError(_ error: any Error, path: String) -> any Error {
        if error is EventDataError { return error }
        guard let error = error as? DatabaseError else {
            return EventDataError.store(path: path, detail: "\(error)")
        }
        let detail: String
        switch error.resultCode {
        case .SQLITE_NOTADB:
            detail = "is not an SQLite database; use another store path, or move this file away"
        case .SQLITE_CANTOPEN:
            detail =
                "cannot be opened or created (missing directory or no permission); use a store path in a "
                + "writable directory"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            detail = "is read-only; fix its permissions or use a store path in a writable directory"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            detail = "is in use by another process; wait for it to finish and retry"
        case .SQLITE_FULL:
            detail = "the disk is full; free some space or use a store path on another disk"
        case .SQLITE_CORRUPT:
            detail = "is damaged (\(error.message ?? "corrupt")); ingest the sources again into a new store"
        case .SQLITE_IOERR:
            detail = "input/output error (\(error.message ?? "I/O")); check the disk, or use another store path"
        default:
            detail =
                "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown"); if it persists, "
                + "ingest the sources again into a new store"
        }
        return EventDataError.store(path: path, detail: detail)
    }
}

/// Reads stored events with the SQLite C API, the hot path of every pipeline stage.
enum EventRowReader {
    static let columns =
        "user_id, ts, type_id, item_id, value, session, duration, category, properties, source_id, line"

    /// Calls `body` with every event of the dense user ids in `users`, grouped by user and in
    /// primary-key order (time order; ties are put in input order by ``orderTies(_:)``).
    static func read(
        _ db: Database, users: Range<Int>, types: [EventType], _ body: (Int, StoredEvent) throws -> Void
    ) throws {
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns) FROM event WHERE user_id >= ? AND user_id < ? ORDER BY user_id, ts")
        try statement.setArguments([users.lowerBound, users.upperBound])
        let sqlite = statement.sqliteStatement
        defer { sqlite3_reset(sqlite) }
        let decoder = JSONDecoder()
        while true {
            let code = sqlite3_step(sqlite)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw SQLiteCall.error(db, code: code) }
            let user = Int(sqlite3_column_int64(sqlite, 0))
            let typeID = Int(sqlite3_column_int64(sqlite, 2))
            let line = Int(sqlite3_column_int64(sqlite, 10))
            guard types.indices.contains(typeID) else {
                throw DatabaseError(
                    resultCode: .SQLITE_CORRUPT,
                    message: "event of user \(user) line \(line) has unknown type \(typeID)")
            }
            var properties: [String: String] = [:]
            if let json = text(sqlite, 8) {
                guard let decoded = PropertiesJSON.decode(json, with: decoder) else {
                    throw DatabaseError(
                        resultCode: .SQLITE_CORRUPT,
                        message: "event of user \(user) line \(line) has unreadable properties \(json.prefix(80))")
                }
                properties = decoded
            }
            let event = StoredEvent(
                timestamp: sqlite3_column_int64(sqlite, 1),
                type: types[typeID],
                item: sqlite3_column_type(sqlite, 3) == SQLITE_INTEGER ? Int(sqlite3_column_int64(sqlite, 3)) : nil,
                sessionID: text(sqlite, 5).flatMap { $0.isEmpty ? nil : $0 },
                value: number(sqlite, 4),
                duration: number(sqlite, 6),
                category: text(sqlite, 7),
                properties: properties,
                sourceID: sqlite3_column_int64(sqlite, 9),
                line: line)
            try body(user, event)
        }
    }

    /// Puts events of equal timestamp in input order (source, then line); the primary key
    /// orders them by type, item, value and session instead.
    static func orderTies(_ events: inout [StoredEvent]) {
        var index = 1
        var hasTies = false
        while index < events.count, !hasTies {
            hasTies = events[index].timestamp == events[index - 1].timestamp
            index += 1
        }
        guard hasTies else { return }
        events.sort { ($0.timestamp, $0.sourceID, $0.line) < ($1.timestamp, $1.sourceID, $1.line) }
    }

    /// A text column, nil when NULL.
    static func text(_ sqlite: SQLiteStatement, _ column: Int32) -> String? {
        guard sqlite3_column_type(sqlite, column) != SQLITE_NULL, let bytes = sqlite3_column_text(sqlite, column)
        else { return nil }
        let count = Int(sqlite3_column_bytes(sqlite, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// A numeric column, nil when NULL or the `''` "absent" marker.
    static func number(_ sqlite: SQLiteStatement, _ column: Int32) -> Double? {
        switch sqlite3_column_type(sqlite, column) {
        case SQLITE_FLOAT, SQLITE_INTEGER: return sqlite3_column_double(sqlite, column)
        default: return nil
        }
    }
}

/// Small helpers for calling the SQLite C API on GRDB statements.
enum SQLiteCall {
    /// The error SQLite reports after a failed call.
    static func error(_ db: Database, code: Int32) -> DatabaseError {
        let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }

    /// Binds `text` (copied by SQLite), keeping an empty string a string rather than NULL.
    static func bind(_ sqlite: SQLiteStatement, _ index: Int32, text: String) {
        var text = text
        text.withUTF8 { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    sqlite3_bind_text(sqlite, index, chars, Int32(bytes.count), transient)
                }
            } else {
                bindEmptyText(sqlite, index)
            }
        }
    }

    /// Binds the empty string `''`, the store's "absent" marker in primary-key columns.
    static func bindEmptyText(_ sqlite: SQLiteStatement, _ index: Int32) {
        sqlite3_bind_text(sqlite, index, "", 0, transient)
    }

    /// Binds `text`, or NULL when it is nil.
    static func bind(_ sqlite: SQLiteStatement, _ index: Int32, optionalText text: String?) {
        if let text { bind(sqlite, index, text: text) } else { sqlite3_bind_null(sqlite, index) }
    }

    /// Binds `value`, or NULL when it is nil.
    static func bind(_ sqlite: SQLiteStatement, _ index: Int32, optionalDouble value: Double?) {
        if let value { sqlite3_bind_double(sqlite, index, value) } else { sqlite3_bind_null(sqlite, index) }
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the call returns.
    static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }
}
