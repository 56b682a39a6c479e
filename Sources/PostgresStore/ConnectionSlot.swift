import Foundation
import Logging
import PostgresNIO

/// One connection of the store, opened on first use and reopened when the server closed it;
/// used by one call at a time.
final class ConnectionSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let address: PostgresLocation
    private let logger: Logger
    /// Whether the connection writes: it then holds the ingest's temporary tables.
    private let isWriter: Bool

    init(address: PostgresLocation, logger: Logger, isWriter: Bool) {
        self.address = address
        self.logger = logger
        self.isWriter = isWriter
    }

    /// Runs `body` on the connection (opening it when needed) through `bridge`, waiting while
    /// another call uses it.
    func use<T: Sendable>(_ bridge: BlockingBridge, _ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        -> Result<T, any Error>
    {
        lock.lock()
        defer { lock.unlock() }
        return run(bridge, body)
    }

    /// Runs `body` as ``use(_:_:)`` does if no other call is using the connection; nil otherwise.
    func useIfFree<T: Sendable>(
        _ bridge: BlockingBridge, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) -> Result<T, any Error>? {
        guard lock.try() else { return nil }
        defer { lock.unlock() }
        return run(bridge, body)
    }

    /// Runs `body`; the caller holds the lock.
    private func run<T: Sendable>(
        _ bridge: BlockingBridge, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) -> Result<T, any Error> {
        Result {
            let open: PostgresConnection
            if let connection, !connection.isClosed {
                open = connection
            } else {
                let (address, logger, isWriter) = (address, logger, isWriter)
                open = try bridge.run { try await Self.connect(address, logger: logger, isWriter: isWriter) }
                connection = open
            }
            return try bridge.run { try await body(open) }
        }
    }

    /// Closes the connection, if open.
    func close() async {
        let open = lock.withLock {
            defer { connection = nil }
            return connection
        }
        try? await open?.close()
    }

    private static func connect(_ address: PostgresLocation, logger: Logger, isWriter: Bool) async throws
        -> PostgresConnection
    {
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: Int.random(in: 0..<Int.max), logger: logger)
        do {
            try await connection.query(
                PostgresQuery(unsafeSQL: "SET search_path TO \"\(address.schema)\""), logger: logger)
            if isWriter {
                for statement in temporaryTables {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }

    /// The writing connection's staging tables: a batch is copied in, then moved into the
    /// store's tables with one statement each; the commit empties them.
    private static let temporaryTables = [
        """
        CREATE TEMP TABLE incoming (
            ord integer NOT NULL, user_id integer NOT NULL, ts bigint NOT NULL, type_id integer NOT NULL,
            item_id integer NOT NULL, value double precision NOT NULL, session text NOT NULL,
            occurrence integer NOT NULL, duration double precision, category text, properties text,
            source_id bigint NOT NULL, line bigint NOT NULL
        ) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE incoming_reject (
            ord integer NOT NULL, line bigint NOT NULL, kind text NOT NULL, reason bytea NOT NULL, raw bytea NOT NULL
        ) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE incoming_attribute (external text NOT NULL, name text NOT NULL, value text NOT NULL)
        ON COMMIT DELETE ROWS
        """,
    ]
}
