import FileIO
import Foundation

/// What an activity series counts in each period.
public enum ActivityMetric: Hashable, Sendable, CustomStringConvertible {
    /// Distinct users with at least one event in the period (daily active users for days).
    case activeUsers
    /// Sessions (source ids, or a 30-minute inactivity gap) starting in the period.
    case sessions
    /// Events of every type, or of one type.
    case events(EventType?)
    /// Purchase events.
    case purchases
    /// The sum of purchase events' values.
    case revenue

    /// Every metric's name as `parse` reads it.
    public static let names = ["dau", "sessions", "events", "events:TYPE", "purchases", "revenue"]

    /// Reads `dau` (or `active-users`), `sessions`, `events`, `events:TYPE`, `purchases` or
    /// `revenue`; nil for anything else.
    public init?(parsing text: String) {
        let name = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch name {
        case "dau", "active-users": self = .activeUsers
        case "sessions": self = .sessions
        case "events": self = .events(nil)
        case "purchases": self = .purchases
        case "revenue": self = .revenue
        default:
            guard name.hasPrefix("events:"), name.count > "events:".count else { return nil }
            self = .events(EventType(rawValue: String(name.dropFirst("events:".count))))
        }
    }

    /// The column name: `dau`, `sessions`, `events`, `events:TYPE`, `purchases`, `revenue`.
    public var description: String {
        switch self {
        case .activeUsers: "dau"
        case .sessions: "sessions"
        case .events(let type): type.map { "events:\($0.rawValue)" } ?? "events"
        case .purchases: "purchases"
        case .revenue: "revenue"
        }
    }
}

/// The length of a period of an activity series; periods are aligned to UTC.
public enum SeriesPeriod: String, Sendable, Codable, CaseIterable {
    case day
    case hour

    /// The period's length in milliseconds.
    public var milliseconds: Int64 { self == .day ? 86_400_000 : 3_600_000 }

    /// The start of the period holding `timestamp` (epoch milliseconds), in UTC.
    public func floor(_ timestamp: Int64) -> Int64 {
        let length = milliseconds
        let remainder = timestamp % length
        return timestamp - (remainder < 0 ? remainder + length : remainder)
    }

    /// The period starting at `timestamp` as text: `2024-01-05` for days,
    /// `2024-01-05T13:00:00Z` for hours.
    public func label(_ timestamp: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(timestamp) / 1_000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour], from: date)
        let day = String(
            format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        return self == .day ? day : day + String(format: "T%02d:00:00Z", parts.hour ?? 0)
    }
}

/// How an activity series is split into groups, one series per metric and group.
public enum SeriesGrouping: Hashable, Sendable {
    /// One series per metric for the whole store.
    case none
    /// One per event category (events without a category form the group `(none)`); a user
    /// is active, and a session counts, in every category it touched in the period.
    case category
    /// One per value of a user attribute (such as `segment:NAME` from `behave segment`);
    /// users without the attribute form the group `(none)`.
    case userAttribute(String)
}

/// Regular time series of what the store's users did: per period (day or hour, UTC) active
/// users, sessions, events, purchases and revenue, optionally per category or user attribute.
///
/// Every period from the first event's to the last's is present; a period without events
/// holds 0 (the store saw no activity then, which is a fact, not a gap in the data).
///
/// ```swift
/// let series = try ActivitySeries.compute(from: store, metrics: [.activeUsers, .revenue], period: .day)
/// for (name, values) in zip(series.columns, series.values) { print(name, values.suffix(7)) }
/// ```
public struct ActivitySeries: Sendable, Equatable {
    public var period: SeriesPeriod
    /// The first period's start, epoch milliseconds (UTC).
    public var start: Int64
    /// The number of periods.
    public var count: Int
    /// One name per series: the metric, then `:GROUP` when grouped (`dau`, `revenue:books`).
    public var columns: [String]
    /// One array of `count` values per column.
    public var values: [[Double]]

    public init(period: SeriesPeriod, start: Int64, count: Int, columns: [String], values: [[Double]]) {
        self.period = period
        self.start = start
        self.count = count
        self.columns = columns
        self.values = values
    }

    /// The start of period `index`, epoch milliseconds.
    public func periodStart(_ index: Int) -> Int64 { start + Int64(index) * period.milliseconds }

    /// The series as CSV: `date` (the period's label), then one column per series; values
    /// rounded to 6 decimals (sums of prices carry float noise beyond that).
    public func csv() -> String {
        var text = CSVText.line(["date"] + columns)
        for index in 0..<count {
            text += CSVText.line(
                [period.label(periodStart(index))] + values.map { CSVText.number(($0[index] * 1e6).rounded() / 1e6) })
        }
        return text
    }

    /// Computes the series from every user's events up to `until` (inclusive; default all).
    ///
    /// - Parameters:
    ///   - metrics: What to count; at least one.
    ///   - grouping: One series per metric, or per metric and group.
    ///   - sessionGap: The inactivity that ends a session without a source id.
    /// - Throws: ``EventDataError`` when the store cannot be read, holds no events (up to
    ///   `until`), or `metrics` is empty.
    public static func compute(
        from store: any EventStore, metrics: [ActivityMetric], period: SeriesPeriod = .day,
        grouping: SeriesGrouping = .none, until: Int64? = nil, sessionGap: Duration = .seconds(30 * 60)
    ) throws -> ActivitySeries {
        guard !metrics.isEmpty else {
            throw EventDataError.invalidOption(
                name: "metrics", detail: "name at least one of " + ActivityMetric.names.joined(separator: ", "))
        }
        let sessionizer = try Sessionizer(gap: sessionGap)
        let attributeName: String? = if case .userAttribute(let name) = grouping { name } else { nil }
        let attributes = try attributeName.map { _ in try store.attributes(kind: .user) } ?? [:]
        var tally = Tally(period: period, metrics: metrics)
        try store.forEachUserHistory { history in
            let events = until.map { limit in history.events.filter { $0.timestamp <= limit } } ?? history.events
            guard !events.isEmpty else { return }
            let userGroup: String? = attributeName.map { attributes[history.userID]?[$0] ?? Self.noGroup }
            func group(of event: StoredEvent) -> String? {
                switch grouping {
                case .none: nil
                case .category: event.category ?? Self.noGroup
                case .userAttribute: userGroup
                }
            }
            let sessions =
                metrics.contains(.sessions)
                ? sessionizer.sessionize(UserHistory(user: history.user, userID: history.userID, events: events))
                : nil
            tally.add(events, sessions: sessions, group: group)
        }
        guard let first = tally.first, let last = tally.last else {
            throw EventDataError.store(
                path: store.location,
                detail: "holds no events" + (until == nil ? "" : " up to that time") + " to make series from")
        }
        return tally.series(from: first, to: last)
    }

    /// The group of events without a category, or users without the attribute.
    public static let noGroup = "(none)"
}

/// Sums per (metric, group, period) while users stream past.
private struct Tally {
    let period: SeriesPeriod
    let metrics: [ActivityMetric]
    /// Per group (nil when ungrouped), per metric position, period start -> value.
    var sums: [String?: [[Int64: Double]]] = [:]
    var first: Int64?
    var last: Int64?

    init(period: SeriesPeriod, metrics: [ActivityMetric]) {
        self.period = period
        self.metrics = metrics
    }

    mutating func add(_ events: [StoredEvent], sessions: UserSessions?, group: (StoredEvent) -> String?) {
        var active: Set<PeriodKey> = []
        var sessionStarts: Set<SessionKey> = []
        for (position, event) in events.enumerated() {
            let start = period.floor(event.timestamp)
            first = min(first ?? start, start)
            last = max(last ?? start, start)
            let key = group(event)
            active.insert(PeriodKey(group: key, start: start))
            if let sessions {
                let number = sessions.sessionOfEvent[position]
                sessionStarts.insert(
                    SessionKey(group: key, number: number, start: period.floor(sessions.sessions[number].start)))
            }
            for (index, metric) in metrics.enumerated() {
                switch metric {
                case .events(let type) where type == nil || type == event.type: add(1, index, key, start)
                case .purchases where event.type == .purchase: add(1, index, key, start)
                case .revenue where event.type == .purchase: add(event.value ?? 0, index, key, start)
                default: break
                }
            }
        }
        for (index, metric) in metrics.enumerated() {
            if metric == .activeUsers { for key in active { add(1, index, key.group, key.start) } }
            if metric == .sessions { for key in sessionStarts { add(1, index, key.group, key.start) } }
        }
    }

    private mutating func add(_ value: Double, _ metric: Int, _ group: String?, _ start: Int64) {
        sums[group, default: Array(repeating: [:], count: metrics.count)][metric][start, default: 0] += value
    }

    func series(from first: Int64, to last: Int64) -> ActivitySeries {
        let count = Int((last - first) / period.milliseconds) + 1
        let groups = sums.keys.sorted { ($0 ?? "") < ($1 ?? "") }
        var columns: [String] = []
        var values: [[Double]] = []
        for (index, metric) in metrics.enumerated() {
            for group in groups {
                columns.append(group.map { "\(metric):\($0)" } ?? metric.description)
                let byStart = sums[group]?[index] ?? [:]
                values.append((0..<count).map { byStart[first + Int64($0) * period.milliseconds] ?? 0 })
            }
        }
        return ActivitySeries(period: period, start: first, count: count, columns: columns, values: values)
    }
}

private struct PeriodKey: Hashable {
    var group: String?
    var start: Int64
}

private struct SessionKey: Hashable {
    var group: String?
    var number: Int
    var start: Int64
}
