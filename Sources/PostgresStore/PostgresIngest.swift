import EventData
import Foundation
import Logging
import PostgresNIO

extension PostgresEventStore {
    /// Reads every row of `source` into the store (see ``EventStore/ingest(_:options:progress:)``).
    ///
    /// Waits while another process ingests into the same store (an advisory lock), since dense
    /// ids are handed out from the dictionaries as the ingest starts.
    public func ingest(
        _ source: any EventSource, options: IngestOptions, progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary {
        try ingest(source, options: options, batching: IngestBatching(), progress: progress)
    }

    func ingest(
        _ source: any EventSource, options: IngestOptions, batching: IngestBatching,
        progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary {
        let start = ContinuousClock().now
        let sourceName = source.name
        writeLock.lock()
        defer { writeLock.unlock() }
        let (lock, unlock) = advisoryLock
        let opening = try write { [dictionaries] connection, logger in
            try await connection.query(lock, logger: logger)
            do {
                return try await Self.startIngest(sourceName: sourceName, dictionaries, connection, logger)
            } catch {
                _ = try? await connection.query(unlock, logger: logger)
                throw error
            }
        }
        defer { _ = try? write { connection, logger in try await connection.query(unlock, logger: logger) } }
        let sourceID = opening.sourceID
        let address = address
        return try runIngest(
            source, options: options, batching: batching, dictionaries: opening, start: start,
            location: location, progress: progress,
            write: { [self] channel in
                var totals = IngestTotals()
                while let batch = channel.receive() {
                    let written = try write { connection, logger in
                        try await Self.write(batch, sourceID: sourceID, sourceName: sourceName, connection, logger)
                    }
                    totals.rowsRead += batch.rowsRead
                    totals.stored += written.stored
                    totals.duplicates += batch.events.count - written.stored
                    totals.repeatedRows += written.repeated
                    totals.rejected += batch.rejections.count
                    totals.knownRejects += batch.rejections.count - written.newRejects
                    channel.commit(totals)
                }
                return totals
            },
            storeError: { PostgresErrors.storeError($0, address: address) })
    }

    /// Reads the dictionaries and adds the ingest's `source` row.
    private static func startIngest(
        sourceName: String, _ dictionaries: DictionaryCache, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> IngestDictionaries {
        let stored = try await current(dictionaries, connection, logger)
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        var sourceID: Int64 = 0
        var held = false
        for try await (id, exists) in try await connection.query(
            """
            INSERT INTO source (name, ingested_at) VALUES (\(sourceName), \(now))
            RETURNING id, EXISTS (SELECT 1 FROM event)
            """, logger: logger
        ).decode((Int64, Bool).self) {
            (sourceID, held) = (id, exists)
        }
        return IngestDictionaries(stored, sourceID: sourceID, storeHeldEvents: held)
    }

    /// Writes one batch in one transaction: new dictionary entries, the events through the
    /// `incoming` staging table, the rejects through `incoming_reject`, the source's counts.
    private static func write(
        _ batch: IngestBatch, sourceID: Int64, sourceName: String, _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> (stored: Int, repeated: Int, newRejects: Int) {
        try await connection.withTransaction(logger: logger) { connection in
            for (entries, table, column) in [
                (batch.newUsers, "user", "external"), (batch.newItems, "item", "external"),
                (batch.newTypes, "event_type", "name"),
            ] where !entries.isEmpty {
                var data = CopyText()
                for entry in entries {
                    data.integer(entry.id)
                    data.text(entry.name)
                    data.endRow()
                }
                try await copy(data, into: table, columns: ["id", column], connection, logger)
            }
            var stored = 0
            var repeated = 0
            if !batch.events.isEmpty {
                try await copy(
                    eventRows(batch, sourceID: sourceID), into: "incoming", columns: incomingColumns, connection,
                    logger)
                stored = try await count(
                    """
                    WITH inserted AS (
                        INSERT INTO event (\(eventColumns), occurrence)
                        SELECT \(eventColumns), occurrence FROM incoming ORDER BY ord
                        ON CONFLICT DO NOTHING RETURNING 1
                    )
                    SELECT count(*) FROM inserted
                    """, connection, logger)
                if stored < batch.events.count {
                    // Duplicates whose stored copy came from this same ingest (another row of it).
                    try await connection.query("ANALYZE incoming", logger: logger)
                    repeated = try await count(
                        """
                        SELECT count(*) FROM incoming AS i
                        JOIN event AS e USING (user_id, ts, type_id, item_id, value, session, occurrence)
                        WHERE e.source_id = \(sourceID) AND e.line <> i.line
                        """, connection, logger)
                }
            }
            var newRejects = 0
            if !batch.rejections.isEmpty {
                var data = CopyText()
                for (position, rejection) in batch.rejections.enumerated() {
                    data.integer(position)
                    data.integer(rejection.line)
                    data.text(rejection.kind)
                    data.bytes(rejection.reason.utf8)
                    data.bytes(rejection.raw.utf8)
                    data.endRow()
                }
                try await copy(
                    data, into: "incoming_reject", columns: ["ord", "line", "kind", "reason", "raw"], connection, logger
                )
                newRejects = try await count(
                    """
                    WITH inserted AS (
                        INSERT INTO reject (source_id, source_name, line, kind, reason, raw)
                        SELECT \(sourceID), \(quoted: sourceName), line, kind, reason, raw FROM incoming_reject
                        ORDER BY ord
                        ON CONFLICT DO NOTHING RETURNING 1
                    )
                    SELECT count(*) FROM inserted
                    """, connection, logger)
            }
            let duplicates = batch.events.count - stored
            try await connection.query(
                """
                UPDATE source SET rows_read = rows_read + \(batch.rowsRead), stored = stored + \(stored),
                    duplicates = duplicates + \(duplicates), rejected = rejected + \(batch.rejections.count),
                    completed = \(batch.isLast)
                WHERE id = \(sourceID)
                """, logger: logger)
            return (stored, repeated, newRejects)
        }
    }

    /// The columns of `incoming` the events are copied into.
    private static let incomingColumns = [
        "ord", "user_id", "ts", "type_id", "item_id", "value", "session", "occurrence", "duration", "category",
        "properties", "source_id", "line",
    ]

    /// The batch's events as `incoming` rows, in the batch's insertion order (by user and time).
    private static func eventRows(_ batch: IngestBatch, sourceID: Int64) -> CopyText {
        var data = CopyText()
        for (position, index) in batch.insertionOrder().enumerated() {
            let event = batch.events[index]
            data.integer(position)
            data.integer(event.user)
            data.integer(event.timestamp)
            data.integer(event.type)
            data.integer(event.item)
            data.double(event.value ?? .nan)
            data.text(event.session ?? "")
            data.integer(event.occurrence)
            data.double(event.duration)
            data.text(event.category)
            data.text(event.properties)
            data.integer(sourceID)
            data.integer(event.line)
            data.endRow()
        }
        return data
    }

    /// Streams `data` into `table` with `COPY ... FROM STDIN`.
    private static func copy(
        _ data: CopyText, into table: String, columns: [String], _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        let buffers = data.buffers
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for buffer in buffers { try await writer.write(buffer) }
        }
    }

    /// The single integer a query returns.
    static func count(_ sql: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            .decode(Int.self)
        {
            return value
        }
        return 0
    }
}

extension String.StringInterpolation {
    /// A string as an SQL literal (single quotes doubled).
    fileprivate mutating func appendInterpolation(quoted text: String) {
        appendLiteral("'" + text.replacingOccurrences(of: "'", with: "''") + "'")
    }
}
