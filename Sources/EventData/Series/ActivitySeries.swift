import FileIO
import Foundation
import Randomness

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
/// Every period from the first event's (or the window's start) to the last's (or its end) is present; a period without events
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
    /// What a private series guarantees (nil for an exact one).
    public var privacy: SeriesPrivacyStatement?

    public init(
        period: SeriesPeriod, start: Int64, count: Int, columns: [String], values: [[Double]],
        privacy: SeriesPrivacyStatement? = nil
    ) {
        self.period = period
        self.start = start
        self.count = count
        self.columns = columns
        self.values = values
        self.privacy = privacy
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

    /// Computes the series from every user's events from `from` (inclusive) until `until`
    /// (exclusive; default all).
    ///
    /// A given `from` or `until` fixes that end of the span, so a quiet stretch at either end
    /// is zeros: the span starts with the period holding `from` and ends with the period
    /// holding the last millisecond before `until` (an `until` at midnight ends with the day
    /// before). Otherwise the first or the last event does.
    ///
    /// With `privacy`, each user's contribution is bounded and every period's sums get
    /// Gaussian noise (see ``SeriesPrivacy``): both ends of the span must then be given, the
    /// series cannot be grouped, noisy counts below 0 are set to 0 (post-processing), and
    /// ``privacy`` holds the statement.
    ///
    /// - Parameters:
    ///   - metrics: What to count; at least one.
    ///   - grouping: One series per metric, or per metric and group.
    ///   - sessionGap: The inactivity that ends a session without a source id.
    /// - Throws: ``EventDataError`` when the store cannot be read, holds no events (in the
    ///   window) and no span is given, `metrics` is empty, the window is empty, or a private
    ///   series lacks its span, is grouped or has a setting out of range.
    public static func compute(
        from store: any EventStore, metrics: [ActivityMetric], period: SeriesPeriod = .day,
        grouping: SeriesGrouping = .none, from: Int64? = nil, until: Int64? = nil,
        sessionGap: Duration = .seconds(30 * 60), privacy: SeriesPrivacy? = nil
    ) throws -> ActivitySeries {
        guard !metrics.isEmpty else {
            throw EventDataError.invalidOption(
                name: "metrics", detail: "name at least one of " + ActivityMetric.names.joined(separator: ", "))
        }
        if let from, let until, from >= until {
            throw EventDataError.invalidOption(name: "from", detail: "the window starts after it ends")
        }
        if let privacy {
            do { try privacy.validate() } catch {
                throw EventDataError.invalidOption(name: error.parameter, detail: error.description)
            }
            guard from != nil, until != nil else {
                throw EventDataError.invalidOption(
                    name: from == nil ? "from" : "until",
                    detail: "a private series needs its span given (both ends): the first and last events' times "
                        + "would tell who was active when")
            }
            guard grouping == .none else {
                throw EventDataError.invalidOption(
                    name: "grouping",
                    detail: "a private series cannot be grouped: the groups (categories, attribute values) come "
                        + "from users' data; make one series for the whole store")
            }
        }
        let sessionizer = try Sessionizer(gap: sessionGap)
        let attributeName: String? = if case .userAttribute(let name) = grouping { name } else { nil }
        let attributes = try attributeName.map { _ in try store.attributes(kind: .user) } ?? [:]
        var tally = Tally(period: period, metrics: metrics)
        var generator = RandomGenerator(seed: privacy?.noiseSeed ?? UInt64.random(in: .min ... .max))
        var privateSums: PrivateSums? = nil
        if let privacy, let from, let until {
            let start = period.floor(from)
            let count = Int((period.floor(until - 1) - start) / period.milliseconds) + 1
            privateSums = PrivateSums(privacy: privacy, metrics: metrics, period: period, start: start, count: count)
        }
        try store.forEachUserHistory { history in
            let events = history.events.filter { event in
                from.map { event.timestamp >= $0 } ?? true && until.map { event.timestamp < $0 } ?? true
            }
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
            let contribution = tally.contribution(of: events, sessions: sessions, group: group)
            if privateSums != nil {
                privateSums?.add(contribution, using: &generator)
            } else {
                tally.add(contribution)
            }
        }
        if let privateSums { return try privateSums.series(using: &generator) }
        guard let first = from.map(period.floor) ?? tally.first,
            let last = until.map({ period.floor($0 - 1) }) ?? tally.last
        else {
            throw EventDataError.store(
                path: store.location,
                detail: "holds no events" + (from == nil && until == nil ? "" : " in that window")
                    + " to make series from")
        }
        return tally.series(from: first, to: last)
    }

    /// The group of events without a category, or users without the attribute.
    public static let noGroup = "(none)"
}

/// One user's sums per (metric, group, period), before they join everyone's.
struct Contribution {
    var sums: [ContributionKey: Double] = [:]
    /// The periods of the user's first and last events.
    var first: Int64?
    var last: Int64?
}

struct ContributionKey: Hashable {
    var group: String?
    var metricIndex: Int
    var start: Int64
}

/// Sums per (metric, group, period) while users stream past.
struct Tally {
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

    /// One user's sums from their `events` (and sessions, when counted).
    func contribution(
        of events: [StoredEvent], sessions: UserSessions?, group: (StoredEvent) -> String?
    ) -> Contribution {
        var contribution = Contribution()
        func add(_ value: Double, _ index: Int, _ group: String?, _ start: Int64) {
            contribution.sums[ContributionKey(group: group, metricIndex: index, start: start), default: 0] += value
        }
        var active: Set<PeriodKey> = []
        var sessionStarts: Set<SessionKey> = []
        for (position, event) in events.enumerated() {
            let start = period.floor(event.timestamp)
            contribution.first = min(contribution.first ?? start, start)
            contribution.last = max(contribution.last ?? start, start)
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
        return contribution
    }

    /// Adds one user's (possibly bounded) sums, and widens the span seen to their events.
    mutating func add(_ contribution: Contribution) {
        if let start = contribution.first, let end = contribution.last {
            first = min(first ?? start, start)
            last = max(last ?? end, end)
        }
        for (key, value) in contribution.sums {
            sums[key.group, default: Array(repeating: [:], count: metrics.count)][key.metricIndex][
                key.start, default: 0] += value
        }
    }

    func series(from first: Int64, to last: Int64) -> ActivitySeries {
        let count = Int((last - first) / period.milliseconds) + 1
        let groups = sums.keys.sorted { ($0 ?? "") < ($1 ?? "") }
        var columns: [String] = []
        var values: [[Double]] = []
        for (index, metric) in metrics.enumerated() {
            for group in groups.isEmpty ? [nil] : groups {
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
