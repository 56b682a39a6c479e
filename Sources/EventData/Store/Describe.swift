import GRDB
import GRDBSQLite

/// What an event store holds, for `behave describe` (and its `--json`).
public struct StoreDescription: Sendable, Hashable, Codable {
    /// Users with at least one event.
    public var users: Int
    /// Items named by at least one event.
    public var items: Int
    /// Stored events.
    public var events: Int
    /// Stored events by type name.
    public var eventsByType: [String: Int]
    /// Distinct (user, session id) pairs among events that carry a session id; sessionization
    /// of events without one comes later in the pipeline.
    public var sessions: Int
    /// The earliest event time, in milliseconds since 1970 UTC (nil when empty).
    public var firstTimestamp: Int64?
    /// The latest event time, in milliseconds since 1970 UTC (nil when empty).
    public var lastTimestamp: Int64?
    /// `1 - (distinct user-item pairs) / (users × items)`: the share of the user-item matrix
    /// that is empty (nil when there are no users or no items).
    public var sparsity: Double?
    /// Events per user (nil when there are no users).
    public var interactionsPerUser: Quantiles?
    /// Rejected rows kept in the store (a row rejected again by a re-ingest is kept once, so
    /// this can be below the sum of the sources' ``SourceRecord/rejected``).
    public var rejects: Int
    /// Rejected rows by kind (`bad_timestamp`, `missing_field`, ...).
    public var rejectsByKind: [String: Int]
    /// Every ingest so far, oldest first.
    public var sources: [SourceRecord]

    /// Ingests that did not complete (they stopped early, or are still running in another
    /// process) and whose source has not been ingested completely since, oldest first.
    /// Running the same ingest again finishes one: the events it stored are skipped as
    /// duplicates.
    public var interruptedSources: [SourceRecord] {
        sources.enumerated().filter { index, record in
            !record.completed && !sources[(index + 1)...].contains { $0.name == record.name && $0.completed }
        }.map(\.element)
    }

    public init(
        users: Int, items: Int, events: Int, eventsByType: [String: Int], sessions: Int, firstTimestamp: Int64?,
        lastTimestamp: Int64?, sparsity: Double?, interactionsPerUser: Quantiles?, rejects: Int,
        rejectsByKind: [String: Int], sources: [SourceRecord]
    ) {
        self.users = users
        self.items = items
        self.events = events
        self.eventsByType = eventsByType
        self.sessions = sessions
        self.firstTimestamp = firstTimestamp
        self.lastTimestamp = lastTimestamp
        self.sparsity = sparsity
        self.interactionsPerUser = interactionsPerUser
        self.rejects = rejects
        self.rejectsByKind = rejectsByKind
        self.sources = sources
    }
}

/// Summary quantiles of a sample, interpolated linearly between order statistics: the
/// q-quantile of sorted `x[0..<n]` is `x[k] + f·(x[k+1] - x[k])` with `h = q·(n-1)`,
/// `k = ⌊h⌋`, `f = h - k` (NumPy's default, R's type 7).
public struct Quantiles: Sendable, Hashable, Codable {
    /// The smallest value.
    public var min: Double
    /// The 25th percentile.
    public var p25: Double
    /// The 50th percentile.
    public var median: Double
    /// The 75th percentile.
    public var p75: Double
    /// The 90th percentile.
    public var p90: Double
    /// The largest value.
    public var max: Double

    public init(min: Double, p25: Double, median: Double, p75: Double, p90: Double, max: Double) {
        self.min = min
        self.p25 = p25
        self.median = median
        self.p75 = p75
        self.p90 = p90
        self.max = max
    }

    /// The quantiles of `values` (in any order), or nil when it is empty.
    public init?(of values: [Int]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let h = q * Double(sorted.count - 1)
            let k = Int(h.rounded(.down))
            let low = Double(sorted[k])
            guard k + 1 < sorted.count else { return low }
            return low + (h - Double(k)) * (Double(sorted[k + 1]) - low)
        }
        self.init(
            min: quantile(0), p25: quantile(0.25), median: quantile(0.5), p75: quantile(0.75), p90: quantile(0.9),
            max: quantile(1))
    }
}

/// One ingest as the store recorded it.
public struct SourceRecord: Sendable, Hashable, Codable {
    /// The store's id for the ingest (referenced by events and rejects).
    public var id: Int64
    /// The source's name (usually the file path).
    public var name: String
    /// When the ingest started, in milliseconds since 1970 UTC.
    public var ingestedAt: Int64
    /// Rows read; `rowsRead == stored + duplicates + rejected` (counting the rows written so
    /// far if the ingest did not complete).
    public var rowsRead: Int
    /// Events stored.
    public var stored: Int
    /// Events equal to one already stored.
    public var duplicates: Int
    /// Rows that could not become events (including those an earlier ingest of the same
    /// source already kept).
    public var rejected: Int
    /// False when the ingest stopped early (an unreadable source, a failed write); the counts
    /// then cover the rows written before the stop.
    public var completed: Bool

    public init(
        id: Int64, name: String, ingestedAt: Int64, rowsRead: Int, stored: Int, duplicates: Int, rejected: Int,
        completed: Bool
    ) {
        self.id = id
        self.name = name
        self.ingestedAt = ingestedAt
        self.rowsRead = rowsRead
        self.stored = stored
        self.duplicates = duplicates
        self.rejected = rejected
        self.completed = completed
    }
}

/// Accumulates the event part of a ``StoreDescription`` from events fed in per-user order
/// (all of one user's events before the next user's), in one pass with memory bounded by
/// the largest user.
struct DescriptionAccumulator {
    private(set) var events = 0
    private(set) var countsByType: [Int: Int] = [:]
    private(set) var sessions = 0
    private(set) var userItemPairs = 0
    private(set) var firstTimestamp: Int64?
    private(set) var lastTimestamp: Int64?
    private(set) var eventsPerUser: [Int] = []

    private var currentUser: Int?
    private var currentCount = 0
    private var currentItems = Set<Int>()
    private var currentSessions = Set<String>()

    /// Adds one event of `user`; users must arrive grouped.
    mutating func add(user: Int, timestamp: Int64, type: Int, item: Int?, session: String?) {
        if user != currentUser { finishUser(next: user) }
        events += 1
        currentCount += 1
        countsByType[type, default: 0] += 1
        if let item { currentItems.insert(item) }
        if let session { currentSessions.insert(session) }
        firstTimestamp = Swift.min(firstTimestamp ?? timestamp, timestamp)
        lastTimestamp = Swift.max(lastTimestamp ?? timestamp, timestamp)
    }

    /// Closes the last user; call once after the last event.
    mutating func finish() { finishUser(next: nil) }

    private mutating func finishUser(next: Int?) {
        if currentUser != nil {
            eventsPerUser.append(currentCount)
            userItemPairs += currentItems.count
            sessions += currentSessions.count
        }
        currentUser = next
        currentCount = 0
        currentItems.removeAll(keepingCapacity: true)
        currentSessions.removeAll(keepingCapacity: true)
    }

    /// `1 - pairs / (users × items)`, nil when either count is zero.
    func sparsity(users: Int, items: Int) -> Double? {
        guard users > 0, items > 0 else { return nil }
        return 1 - Double(userItemPairs) / (Double(users) * Double(items))
    }
}

extension SQLiteEventStore {
    public func describe() throws -> StoreDescription {
        try access {
            try queue.read { db in
                let users = try Int.fetchOne(db, sql: "SELECT count(*) FROM user") ?? 0
                let items = try Int.fetchOne(db, sql: "SELECT count(*) FROM item") ?? 0
                let types = try Self.eventTypes(db)
                var accumulator = DescriptionAccumulator()
                // One pass in primary-key order: each user's events are contiguous.
                let statement = try db.makeStatement(
                    sql: "SELECT user_id, ts, type_id, item_id, session FROM event ORDER BY user_id, ts")
                let sqlite = statement.sqliteStatement
                defer { sqlite3_reset(sqlite) }
                while true {
                    let code = sqlite3_step(sqlite)
                    if code == SQLITE_DONE { break }
                    guard code == SQLITE_ROW else { throw SQLiteCall.error(db, code: code) }
                    accumulator.add(
                        user: Int(sqlite3_column_int64(sqlite, 0)), timestamp: sqlite3_column_int64(sqlite, 1),
                        type: Int(sqlite3_column_int64(sqlite, 2)),
                        item: sqlite3_column_type(sqlite, 3) == SQLITE_INTEGER
                            ? Int(sqlite3_column_int64(sqlite, 3)) : nil,
                        session: EventRowReader.text(sqlite, 4).flatMap { $0.isEmpty ? nil : $0 })
                }
                accumulator.finish()
                var eventsByType: [String: Int] = [:]
                for (type, count) in accumulator.countsByType {
                    eventsByType[types.indices.contains(type) ? types[type].rawValue : "type \(type)"] = count
                }
                var rejectsByKind: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) FROM reject GROUP BY kind") {
                    rejectsByKind[row[0]] = row[1] as Int
                }
                let sources = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, name, ingested_at, rows_read, stored, duplicates, rejected, completed
                        FROM source ORDER BY id
                        """
                ).map { row in
                    SourceRecord(
                        id: row[0], name: row[1], ingestedAt: row[2], rowsRead: row[3], stored: row[4],
                        duplicates: row[5], rejected: row[6], completed: row[7])
                }
                return StoreDescription(
                    users: users, items: items, events: accumulator.events, eventsByType: eventsByType,
                    sessions: accumulator.sessions, firstTimestamp: accumulator.firstTimestamp,
                    lastTimestamp: accumulator.lastTimestamp,
                    sparsity: accumulator.sparsity(users: users, items: items),
                    interactionsPerUser: Quantiles(of: accumulator.eventsPerUser),
                    rejects: rejectsByKind.values.reduce(0, +), rejectsByKind: rejectsByKind, sources: sources)
            }
        }
    }
}
