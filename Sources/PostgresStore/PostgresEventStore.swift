import EventData
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The event store on PostgreSQL: the same ``EventStore`` as the embedded
/// `SQLiteEventStore`, for stores several processes share (scoring servers behind a load
/// balancer, ingest jobs). Opened from a URL (see ``PostgresLocation``); the schema is created
/// and migrated on first open.
///
/// ```swift
/// let store = try PostgresEventStore(url: "postgres://behave@db.internal/events")
/// let summary = try store.ingest(reader)
/// ```
///
/// Ingest streams each batch into a temporary table with `COPY` and moves it into `event` with
/// one `INSERT ... ON CONFLICT DO NOTHING`, with the same row accounting, de-duplication and
/// rejects as the SQLite store. Ingests into one store are serialised across processes by a
/// PostgreSQL advisory lock (dense ids are handed out from the dictionaries read at the start
/// of an ingest); readers are never blocked. A committed batch is durable when the ingest
/// returns, as PostgreSQL's `synchronous_commit` makes it.
///
/// Calls are synchronous, like the protocol: each runs its queries on a thread of the store's
/// own and waits (see `BlockingBridge`). Reads use up to four connections (a free one, opened
/// when first needed); ingests and other writes use one more. A connection the server closed
/// is reopened on the next call.
public final class PostgresEventStore: EventStore, Sendable {
    /// The store's URL without its password.
    public let location: String
    let address: PostgresLocation
    let bridge: BlockingBridge
    let logger: Logger
    /// The connections reads use: a free one, or else the next in turn.
    let reading: [ConnectionSlot]
    private let nextReader = Atomic<Int>(0)
    /// Reading connections at most (opened as concurrent reads need them).
    static let readingConnections = 4
    /// The connection ingests and other writes use (it holds the ingest's temporary tables).
    let writing: ConnectionSlot
    /// The id dictionaries as last read (see ``DictionaryCache``).
    let dictionaries = DictionaryCache()
    /// Held for a whole ingest or attribute write: one at a time per store object (other
    /// processes wait on the advisory lock).
    let writeLock = NSLock()

    /// Opens the store at `url`, creating and migrating its tables as needed.
    ///
    /// - Throws: ``EventDataError/store(path:detail:)`` when the URL is malformed, the server
    ///   cannot be reached or refuses the login, the schema holds other tables, or it was
    ///   written by a newer BehaviorKit.
    public init(url: String) throws {
        address = try PostgresLocation(url: url)
        location = address.description
        bridge = BlockingBridge(name: "PostgresEventStore")
        var logger = Logger(label: "behaviorkit.postgres-store")
        logger.logLevel = .critical
        self.logger = logger
        let address = address
        reading = (0..<Self.readingConnections).map { _ in
            ConnectionSlot(address: address, logger: logger, isWriter: false)
        }
        writing = ConnectionSlot(address: address, logger: logger, isWriter: true)
        try migrate()
    }

    deinit {
        let slots = reading + [writing]
        try? bridge.run { for slot in slots { await slot.close() } }
        bridge.stop()
    }

    /// Runs `body` on a reading connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) throws -> T {
        let task: @Sendable (PostgresConnection) async throws -> T = { [logger] connection in
            try await body(connection, logger)
        }
        for slot in reading {
            if let result = slot.useIfFree(bridge, task) { return try result.mapStoreError(self) }
        }
        let turn = nextReader.add(1, ordering: .relaxed).oldValue % reading.count
        return try reading[turn].use(bridge, task).mapStoreError(self)
    }

    /// Runs `body` on the writing connection (the caller holds ``writeLock`` when it matters).
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) throws -> T {
        try writing.use(bridge) { [logger] connection in try await body(connection, logger) }.mapStoreError(self)
    }

    // MARK: - Schema

    /// Creates the schema and applies pending migrations, under the advisory lock so that two
    /// servers starting together do not both migrate.
    ///
    /// The lock is taken before the transaction begins: a transaction that began before another
    /// process committed the schema would look it up in a stale catalog (an advisory lock does
    /// not refresh it) and clash on `CREATE SCHEMA IF NOT EXISTS`.
    private func migrate() throws {
        let known = Set(PostgresSchema.migrations.map(\.name))
        let schema = address.schema
        let location = location
        let (lock, unlock) = advisoryLock
        try write { connection, logger in
            try await connection.query(lock, logger: logger)
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        "CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema)\"")", logger: logger)
                    var tables: Set<String> = []
                    let rows = try await connection.query(
                        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = \(schema)",
                        logger: logger)
                    for try await name in rows.decode(String.self) { tables.insert(name) }
                    if !tables.isEmpty, !tables.contains("behaviorkit_migration") {
                        throw EventDataError.store(
                            path: location,
                            detail: "schema \(schema) holds tables that are not a BehaviorKit event store "
                                + "(\(tables.sorted().prefix(5).joined(separator: ", "))); name another schema with "
                                + "?schema=NAME or another database")
                    }
                    try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.migrationTable), logger: logger)
                    var applied: Set<String> = []
                    let done = try await connection.query("SELECT name FROM behaviorkit_migration", logger: logger)
                    for try await name in done.decode(String.self) { applied.insert(name) }
                    guard applied.isSubset(of: known) else {
                        throw EventDataError.store(
                            path: location,
                            detail:
                                "was written by a newer version of BehaviorKit (its schema has migrations this build "
                                + "does not know: \(applied.subtracting(known).sorted().joined(separator: ", "))); "
                                + "upgrade behave, or use another schema")
                    }
                    for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query(
                            "INSERT INTO behaviorkit_migration (name) VALUES (\(migration.name))", logger: logger)
                    }
                }
            } catch {
                _ = try? await connection.query(unlock, logger: logger)
                throw error
            }
            try await connection.query(unlock, logger: logger)
        }
    }

    /// Taking and releasing the session-level advisory lock of this store's schema (two keys:
    /// BehaviorKit's, and the schema name's hash). The name is given, not read from
    /// `current_schema()`, which is NULL (and the lock silently not taken) until the schema exists.
    var advisoryLock: (lock: PostgresQuery, unlock: PostgresQuery) {
        // Schema names are plain (checked by PostgresLocation), so they can be quoted inline.
        let key = "\(Self.advisoryKey), hashtext('\(address.schema)')"
        return (
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(\(key))::text"),
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_unlock(\(key))")
        )
    }

    /// BehaviorKit's advisory lock class.
    private static let advisoryKey = 1_651_204_693

    // MARK: - Vocabularies and attributes

    public func userIDs() throws -> Vocabulary {
        try read { [dictionaries] connection, logger in
            try await Self.current(dictionaries, connection, logger).users
        }
    }

    public func itemIDs() throws -> Vocabulary {
        try read { [dictionaries] connection, logger in
            try await Self.current(dictionaries, connection, logger).items
        }
    }

    /// The id dictionaries, brought up to date by reading only the entries past the cache's end.
    static func current(_ dictionaries: DictionaryCache, _ connection: PostgresConnection, _ logger: Logger)
        async throws -> DictionaryCache.Entries
    {
        let from = dictionaries.counts
        // One round trip for the three dictionaries (a served request pays it per store read).
        let rows = try await connection.query(
            """
            SELECT 0 AS kind, id, external FROM "user" WHERE id >= \(from.users)
            UNION ALL SELECT 1, id, external FROM item WHERE id >= \(from.items)
            UNION ALL SELECT 2, id, name FROM event_type WHERE id >= \(from.types)
            ORDER BY kind, id
            """, logger: logger)
        var read: [[String]] = [[], [], []]
        for try await (kind, _, name) in rows.decode((Int, Int, String).self) { read[kind].append(name) }
        return dictionaries.append(
            users: read[0], items: read[1], types: read[2].map { EventType(rawValue: $0) }, from: from)
    }

    /// The one text column of a query's rows.
    static func strings(_ sql: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> [String] {
        var values: [String] = []
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            .decode(String.self)
        {
            values.append(value)
        }
        return values
    }

    public func ingestAttributes(_ table: [AttributeRow], kind: EntityKind) throws -> Int {
        // PostgreSQL text cannot hold U+0000.
        for row in table {
            for (name, value) in row.values
            where row.id.utf8.contains(0) || name.utf8.contains(0) || value.utf8.contains(0) {
                throw EventDataError.store(
                    path: location,
                    detail: "the \(kind.rawValue) attribute \(name.debugDescription) of \(row.id.debugDescription) "
                        + "holds the character U+0000, which PostgreSQL cannot store; remove it from the table")
            }
        }
        // A later value for the same id and name replaces an earlier one, as one statement
        // cannot update a row twice.
        var latest: [String: [String: String]] = [:]
        var written = 0
        for row in table {
            for (name, value) in row.values {
                latest[row.id, default: [:]][name] = value
                written += 1
            }
        }
        var data = CopyText()
        for (id, values) in latest {
            for (name, value) in values {
                data.text(id)
                data.text(name)
                data.text(value)
                data.endRow()
            }
        }
        let buffers = data.buffers
        let target = "\(kind.rawValue)_attribute"
        writeLock.lock()
        defer { writeLock.unlock() }
        try write { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.copyFrom(
                    table: "incoming_attribute", columns: ["external", "name", "value"], logger: logger
                ) { writer in
                    for buffer in buffers { try await writer.write(buffer) }
                }
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(target) (external, name, value)
                            SELECT external, name, value FROM incoming_attribute
                            ON CONFLICT (external, name) DO UPDATE SET value = excluded.value
                            """), logger: logger)
            }
        }
        return written
    }

    public func attributes(kind: EntityKind) throws -> [String: [String: String]] {
        let sql = "SELECT external, name, value FROM \(kind.rawValue)_attribute ORDER BY external, name"
        return try read { connection, logger in
            var result: [String: [String: String]] = [:]
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            for try await (external, name, value) in rows.decode((String, String, String).self) {
                result[external, default: [:]][name] = value
            }
            return result
        }
    }

    // MARK: - Reading events

    /// Users per query when streaming histories.
    static let historyBlockUsers = 1024

    /// The event columns in the order ``event(_:types:)`` reads them.
    static let eventColumns =
        "user_id, ts, type_id, item_id, value, session, duration, category, properties, source_id, line"

    typealias EventRow = (Int, Int64, Int, Int, Double, String, Double?, String?, String?, Int64, Int64)

    public func events(forUser userID: String) throws -> [StoredEvent] {
        try read { [dictionaries] connection, logger in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.eventColumns) FROM event
                WHERE user_id = (SELECT id FROM "user" WHERE external = \(userID))
                ORDER BY ts, source_id, line
                """, logger: logger)
            var read: [EventRow] = []
            for try await row in rows.decode(EventRow.self) { read.append(row) }
            // The cached event types are refreshed only when a row names one past them.
            var types = dictionaries.types
            if read.contains(where: { $0.2 >= types.count }) {
                types = try await Self.current(dictionaries, connection, logger).types
            }
            let decoder = JSONDecoder()
            return try read.map { try Self.event($0, types: types, decoder: decoder) }
        }
    }

    public func forEachUserHistory(_ body: (UserHistory) throws -> Void) throws {
        let (users, types) = try read { [dictionaries] connection, logger in
            let current = try await Self.current(dictionaries, connection, logger)
            return (current.users, current.types)
        }
        var start = 0
        while start < users.count {
            let block = start..<min(users.count, start + Self.historyBlockUsers)
            let histories = try read { connection, logger in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.eventColumns) FROM event
                    WHERE user_id >= \(block.lowerBound) AND user_id < \(block.upperBound)
                    ORDER BY user_id, ts, source_id, line
                    """, logger: logger)
                var histories: [UserHistory] = []
                let decoder = JSONDecoder()
                for try await row in rows.decode(EventRow.self) {
                    let user = row.0
                    if histories.last?.user != user {
                        histories.append(UserHistory(user: user, userID: users[user], events: []))
                    }
                    histories[histories.count - 1].events.append(try Self.event(row, types: types, decoder: decoder))
                }
                return histories
            }
            for history in histories { try body(history) }
            start = block.upperBound
        }
    }

    /// A stored event from its row (absent item, value and session stored as -1, NaN and '').
    static func event(_ row: EventRow, types: [EventType], decoder: JSONDecoder) throws -> StoredEvent {
        let (user, timestamp, typeID, item, value, session, duration, category, json, sourceID, line) = row
        guard types.indices.contains(typeID) else {
            throw DamagedStore(detail: "event of user \(user) line \(line) has unknown type \(typeID)")
        }
        var properties: [String: String] = [:]
        if let json {
            guard let decoded = PropertiesJSON.decode(json, with: decoder) else {
                throw DamagedStore(
                    detail: "event of user \(user) line \(line) has unreadable properties \(json.prefix(80))")
            }
            properties = decoded
        }
        return StoredEvent(
            timestamp: timestamp, type: types[typeID], item: item >= 0 ? item : nil,
            sessionID: session.isEmpty ? nil : session, value: value.isNaN ? nil : value, duration: duration,
            category: category, properties: properties, sourceID: sourceID, line: Int(line))
    }

    public func rejects(limit: Int) throws -> [StoredRejection] {
        try read { connection, logger in
            let rows = try await connection.query(
                """
                SELECT source_id, source_name, line, reason, kind, raw FROM reject
                ORDER BY source_id, line, id LIMIT \(max(0, limit))
                """, logger: logger)
            var rejects: [StoredRejection] = []
            for try await (sourceID, source, line, reason, kind, raw) in rows.decode(
                (Int64, String, Int64, ByteBuffer, String, ByteBuffer).self)
            {
                rejects.append(
                    StoredRejection(
                        sourceID: sourceID, source: source,
                        rejection: RowRejection(
                            line: Int(line), reason: String(buffer: reason), kind: kind, raw: String(buffer: raw))))
            }
            return rejects
        }
    }

    // MARK: - User vectors

    public func storeUserVectors(_ vectors: [String: [Float]], name: String) throws {
        var data = CopyText()
        for (user, vector) in vectors.sorted(by: { $0.key < $1.key }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(4 * vector.count)
            for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            data.text(name)
            data.text(user)
            data.bytes(bytes)
            data.endRow()
        }
        let buffers = data.buffers
        writeLock.lock()
        defer { writeLock.unlock() }
        try write { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("DELETE FROM user_vector WHERE name = \(name)", logger: logger)
                try await connection.copyFrom(
                    table: "user_vector", columns: ["name", "external", "vector"], logger: logger
                ) { writer in
                    for buffer in buffers { try await writer.write(buffer) }
                }
            }
        }
    }

    public func userVectorSetNames() throws -> [String] {
        try read { connection, logger in
            try await Self.strings(
                "SELECT name FROM user_vector GROUP BY name ORDER BY name COLLATE \"C\"", connection, logger)
        }
    }

    public func userVectors(name: String) throws -> [String: [Float]] {
        try read { connection, logger in
            let rows = try await connection.query(
                "SELECT external, vector FROM user_vector WHERE name = \(name)", logger: logger)
            var vectors: [String: [Float]] = [:]
            for try await (user, bytes) in rows.decode((String, ByteBuffer).self) {
                vectors[user] =
                    bytes.readableBytesView.withContiguousStorageIfAvailable { raw in
                        stride(from: 0, to: raw.count - 3, by: 4).map { offset in
                            var bits: UInt32 = 0
                            for shift in 0..<4 { bits |= UInt32(raw[offset + shift]) << (8 * shift) }
                            return Float(bitPattern: bits)
                        }
                    } ?? []
            }
            return vectors
        }
    }
}

extension Result where Failure == any Error {
    /// The value, or the error as the store's ``EventDataError``.
    fileprivate func mapStoreError(_ store: PostgresEventStore) throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw PostgresErrors.storeError(error, address: store.address)
        }
    }
}
