import EventData
import Foundation
import PostgresNIO

extension PostgresEventStore {
    public func forget(users: [String]) throws -> Erasure {
        let externals = Set(users).sorted()
        let at = ISO8601DateFormatter().string(from: Date())
        writeLock.lock()
        defer { writeLock.unlock() }
        let erasure = try write { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                var erasure = Erasure(at: at, users: 0, events: 0, attributes: 0, vectors: 0, rejects: 0)
                func count(_ query: PostgresQuery) async throws -> Int {
                    var total = 0
                    for try await value in try await connection.query(query, logger: logger).decode(Int64.self) {
                        total += Int(value)
                    }
                    return total
                }
                for external in externals {
                    erasure.attributes += try await count(
                        "WITH gone AS (DELETE FROM user_attribute WHERE external = \(external) RETURNING 1) SELECT count(*) FROM gone"
                    )
                    erasure.vectors += try await count(
                        "WITH gone AS (DELETE FROM user_vector WHERE external = \(external) RETURNING 1) SELECT count(*) FROM gone"
                    )
                    let pattern = ByteBuffer(string: external)
                    var rejected: [Int64] = []
                    let candidates = try await connection.query(
                        "SELECT id, raw FROM reject WHERE position(\(pattern) in raw) > 0", logger: logger)
                    for try await (id, raw) in candidates.decode((Int64, ByteBuffer).self)
                    where Erasure.rawText(String(buffer: raw), mentions: external) {
                        rejected.append(id)
                    }
                    for id in rejected {
                        try await connection.query("DELETE FROM reject WHERE id = \(id)", logger: logger)
                    }
                    erasure.rejects += rejected.count
                    var userID: Int?
                    for try await id in try await connection.query(
                        "SELECT id FROM \"user\" WHERE external = \(external)", logger: logger
                    ).decode(Int.self) {
                        userID = id
                    }
                    guard let userID else { continue }
                    for try await (first, last) in try await connection.query(
                        "SELECT min(ts), max(ts) FROM event WHERE user_id = \(userID)", logger: logger
                    ).decode((Int64?, Int64?).self) {
                        if let first { erasure.firstEvent = min(erasure.firstEvent ?? first, first) }
                        if let last { erasure.lastEvent = max(erasure.lastEvent ?? last, last) }
                    }
                    erasure.events += try await count(
                        "WITH gone AS (DELETE FROM event WHERE user_id = \(userID) RETURNING 1) SELECT count(*) FROM gone"
                    )
                    let placeholder = Erasure.placeholder()
                    try await connection.query(
                        "UPDATE \"user\" SET external = \(placeholder) WHERE id = \(userID)", logger: logger)
                    erasure.users += 1
                }
                try await connection.query(
                    """
                    INSERT INTO erasure (at, users, events, attributes, vectors, rejects)
                    VALUES (\(erasure.at), \(erasure.users), \(erasure.events), \(erasure.attributes), \
                    \(erasure.vectors), \(erasure.rejects))
                    """, logger: logger)
                return erasure
            }
        }
        dictionaries.clear()
        return erasure
    }

    public func erasures() throws -> [Erasure] {
        try read { connection, logger in
            var erasures: [Erasure] = []
            for try await (at, users, events, attributes, vectors, rejects) in try await connection.query(
                "SELECT at, users, events, attributes, vectors, rejects FROM erasure ORDER BY id", logger: logger
            ).decode((String, Int, Int, Int, Int, Int).self) {
                erasures.append(
                    Erasure(
                        at: at, users: users, events: events, attributes: attributes, vectors: vectors,
                        rejects: rejects))
            }
            return erasures
        }
    }
}
