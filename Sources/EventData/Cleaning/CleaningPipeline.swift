/// A cleaning step over user histories: it keeps some users and events (possibly changed) and
/// says what it did.
///
/// Filters are pure: the same histories give the same result. A filter that removes events
/// also leaves out the users it leaves without any.
public protocol HistoryFilter: Sendable {
    /// A short name for reports (`k-core`, `bots`, ...).
    var name: String { get }

    /// Applies the filter.
    ///
    /// - Parameter histories: Users with their events in time order.
    /// - Returns: The kept histories, in input order, and the report.
    func apply(to histories: [UserHistory]) -> FilterResult
}

/// What a filter kept and its report.
public struct FilterResult: Sendable, Hashable {
    /// The kept histories, in their input order.
    public var histories: [UserHistory]
    /// What the filter removed or changed.
    public var report: FilterReport

    public init(histories: [UserHistory], report: FilterReport) {
        self.histories = histories
        self.report = report
    }
}

/// The effect of one filter: what it removed, what it changed, and the numbers behind it.
public struct FilterReport: Sendable, Hashable, Codable {
    /// The filter's name (see ``HistoryFilter/name``).
    public var name: String
    /// Users present before and absent after.
    public var usersRemoved: Int
    /// Distinct items present before and absent after.
    public var itemsRemoved: Int
    /// Events removed.
    public var eventsRemoved: Int
    /// Events kept but changed (for example a capped value).
    public var eventsChanged: Int
    /// One line for people: the rule and its outcome.
    public var detail: String
    /// The filter's own numbers, by name (`iterations`, `cap`, `dropped.click`, ...).
    public var measures: [String: Double]

    public init(
        name: String, usersRemoved: Int, itemsRemoved: Int, eventsRemoved: Int, eventsChanged: Int = 0,
        detail: String, measures: [String: Double] = [:]
    ) {
        self.name = name
        self.usersRemoved = usersRemoved
        self.itemsRemoved = itemsRemoved
        self.eventsRemoved = eventsRemoved
        self.eventsChanged = eventsChanged
        self.detail = detail
        self.measures = measures
    }

    /// A report whose removal counts compare the histories before and after the filter.
    init(
        name: String, before: [UserHistory], after: [UserHistory], eventsChanged: Int = 0, detail: String,
        measures: [String: Double] = [:]
    ) {
        self.init(
            name: name, usersRemoved: before.count - after.count,
            itemsRemoved: Self.distinctItems(before) - Self.distinctItems(after),
            eventsRemoved: Self.eventCount(before) - Self.eventCount(after), eventsChanged: eventsChanged,
            detail: detail, measures: measures)
    }

    private static func distinctItems(_ histories: [UserHistory]) -> Int {
        var items = Set<Int>()
        for history in histories {
            for event in history.events { if let item = event.item { items.insert(item) } }
        }
        return items.count
    }

    private static func eventCount(_ histories: [UserHistory]) -> Int {
        histories.reduce(0) { $0 + $1.events.count }
    }
}

/// Filters applied one after the other, each to what the previous one kept.
///
/// Order matters: dropping event types before the k-core, for example, counts only the kept
/// types as interactions.
///
/// ```swift
/// let pipeline = CleaningPipeline([
///     try EventTypeFilter(allowed: [.view, .cart, .purchase]),
///     try BotFilter(maximumEventsPerMinute: 120),
///     try KCoreFilter(minimumUserInteractions: 5, minimumItemInteractions: 5),
/// ])
/// let cleaned = pipeline.run(histories)
/// for report in cleaned.reports { print(report.name, report.detail) }
/// ```
public struct CleaningPipeline: Sendable {
    /// The filters, in the order they run.
    public var filters: [any HistoryFilter]

    public init(_ filters: [any HistoryFilter]) {
        self.filters = filters
    }

    /// Runs every filter in order.
    ///
    /// - Returns: The histories the last filter kept and one report per filter, in order.
    public func run(_ histories: [UserHistory]) -> CleaningResult {
        var current = histories
        var reports: [FilterReport] = []
        for filter in filters {
            let result = filter.apply(to: current)
            current = result.histories
            reports.append(result.report)
        }
        return CleaningResult(histories: current, reports: reports)
    }
}

/// What a ``CleaningPipeline`` kept and what each of its filters did.
public struct CleaningResult: Sendable, Hashable {
    /// The histories left after every filter.
    public var histories: [UserHistory]
    /// One report per filter, in the order they ran.
    public var reports: [FilterReport]

    public init(histories: [UserHistory], reports: [FilterReport]) {
        self.histories = histories
        self.reports = reports
    }
}
