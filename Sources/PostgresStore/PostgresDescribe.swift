import EventData
import PostgresNIO

extension PostgresEventStore {
    /// Counts and shapes of what is stored, computed by the server (one pass per figure).
    public func describe() throws -> StoreDescription {
        try read { [dictionaries] connection, logger in
            func count(_ sql: String) async throws -> Int { try await Self.count(sql, connection, logger) }
            let users = try await count(#"SELECT count(*) FROM "user""#)
            let items = try await count("SELECT count(*) FROM item")
            var events = 0
            var first: Int64?
            var last: Int64?
            for try await (total, earliest, latest) in try await connection.query(
                "SELECT count(*), min(ts), max(ts) FROM event", logger: logger
            ).decode((Int, Int64?, Int64?).self) {
                (events, first, last) = (total, earliest, latest)
            }
            let types = try await Self.current(dictionaries, connection, logger).types
            var eventsByType: [String: Int] = [:]
            for try await (type, total) in try await connection.query(
                "SELECT type_id, count(*) FROM event GROUP BY type_id", logger: logger
            ).decode((Int, Int).self) {
                eventsByType[types.indices.contains(type) ? types[type].rawValue : "type \(type)"] = total
            }
            let sessions = try await count(
                "SELECT count(*) FROM (SELECT DISTINCT user_id, session FROM event WHERE session <> '') AS s")
            let pairs = try await count(
                "SELECT count(*) FROM (SELECT DISTINCT user_id, item_id FROM event WHERE item_id >= 0) AS p")
            var quantiles: Quantiles?
            for try await values in try await connection.query(
                """
                SELECT percentile_cont(ARRAY[0, 0.25, 0.5, 0.75, 0.9, 1]::float8[]) WITHIN GROUP (ORDER BY n)
                FROM (SELECT count(*)::float8 AS n FROM event GROUP BY user_id) AS c
                """, logger: logger
            ).decode([Double]?.self) {
                if let values, values.count == 6 {
                    quantiles = Quantiles(
                        min: values[0], p25: values[1], median: values[2], p75: values[3], p90: values[4],
                        max: values[5])
                }
            }
            var rejectsByKind: [String: Int] = [:]
            for try await (kind, total) in try await connection.query(
                "SELECT kind, count(*) FROM reject GROUP BY kind", logger: logger
            ).decode((String, Int).self) {
                rejectsByKind[kind] = total
            }
            var sources: [SourceRecord] = []
            for try await row in try await connection.query(
                """
                SELECT id, name, ingested_at, rows_read, stored, duplicates, rejected, completed
                FROM source ORDER BY id
                """, logger: logger
            ).decode((Int64, String, Int64, Int, Int, Int, Int, Bool).self) {
                sources.append(
                    SourceRecord(
                        id: row.0, name: row.1, ingestedAt: row.2, rowsRead: row.3, stored: row.4, duplicates: row.5,
                        rejected: row.6, completed: row.7))
            }
            let sparsity = users > 0 && items > 0 ? 1 - Double(pairs) / (Double(users) * Double(items)) : nil
            return StoreDescription(
                users: users, items: items, events: events, eventsByType: eventsByType, sessions: sessions,
                firstTimestamp: first, lastTimestamp: last, sparsity: sparsity, interactionsPerUser: quantiles,
                rejects: rejectsByKind.values.reduce(0, +), rejectsByKind: rejectsByKind, sources: sources)
        }
    }
}
