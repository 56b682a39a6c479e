/// Turns one user's history into a fixed-length vector of numbers: recency, frequency,
/// monetary value, event-type mix, breadth, sessions, funnel conversion and when the user is
/// active. One row per user of a ``FeatureTable`` (for clustering, segmentation or as model
/// input).
///
/// The columns, in this order (``columns`` spells them out for the chosen event types):
///
/// | column | meaning |
/// |---|---|
/// | `recency_days` | (reference time - last event) / 1 day |
/// | `frequency` | number of events |
/// | `monetary` | sum of `value` over `purchase` events (events without a value add nothing; 0 when none) |
/// | `tenure_days` | (last event - first event) / 1 day |
/// | `count_<type>` | events of that type, one column per entry of ``eventTypes`` |
/// | `share_<type>` | `count_<type> / frequency`, one column per entry of ``eventTypes`` |
/// | `distinct_items` | distinct items among events naming one |
/// | `distinct_categories` | distinct categories among events naming one |
/// | `sessions` | sessions (see ``Sessionizer``: source ids kept, otherwise the inactivity gap) |
/// | `mean_session_events` | `frequency / sessions` |
/// | `mean_session_minutes` | mean of (session end - session start) in minutes |
/// | `mean_dwell_seconds` | mean `duration` over events that carry one (0 when none does) |
/// | `view_to_cart` | carts / views |
/// | `cart_to_purchase` | purchases / carts |
/// | `view_to_purchase` | purchases / views |
/// | `hour_00` ... `hour_23` | share of events in each hour of the day, UTC |
/// | `dow_mon` ... `dow_sun` | share of events on each day of the week, UTC |
/// | `category_<name>` | share of events in that category, one column per entry of ``categories`` (none by default) |
///
/// Ratios whose denominator is 0 are 0, so every value is finite. Conversion counts use the
/// `view`, `cart` and `purchase` types whatever ``eventTypes`` holds; shares divide by all of
/// the user's events, including types that have no column. An empty history gives all zeros.
///
/// ```swift
/// let extractor = try UserFeatureExtractor(referenceTime: 1_700_000_000_000, eventTypes: [.view, .cart, .purchase])
/// let row = extractor.features(for: history)   // row.count == extractor.columns.count
/// let table = try UserFeatureExtractor.table(from: store)
/// try table.writeCSV(to: "features.csv")
/// ```
///
/// See Also: ``FeatureTable``, ``Sessionizer``.
public struct UserFeatureExtractor: Sendable {
    /// The moment recency is measured from, in milliseconds since 1970-01-01 UTC.
    public let referenceTime: Int64
    /// The event types that get `count_<type>` and `share_<type>` columns, in column order.
    public let eventTypes: [EventType]
    /// How events are grouped into sessions.
    public let sessionizer: Sessionizer
    /// The categories that get a `category_<name>` share column, in column order.
    public let categories: [String]
    /// The feature names, in the order of the values ``features(for:)`` returns.
    public let columns: [String]

    private let typeColumn: [EventType: Int]
    private let categoryColumn: [String: Int]

    private static let millisecondsPerDay = 86_400_000.0
    private static let millisecondsPerMinute = 60_000.0
    private static let weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// - Parameters:
    ///   - referenceTime: The moment recency is measured from, in milliseconds since
    ///     1970-01-01 UTC (usually the latest event of the data set, as
    ///     ``table(from:referenceTime:eventTypes:sessionGap:)`` chooses by default).
    ///   - eventTypes: The types that get count and share columns, in column order.
    ///   - sessionGap: The longest inactivity that still continues a session (30 minutes by default).
    ///   - categories: Categories that get a share column (what a user browses: segments differ
    ///     by taste); none by default.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a type or category is listed
    ///   twice or the gap is not positive.
    public init(
        referenceTime: Int64, eventTypes: [EventType], sessionGap: Duration = .seconds(30 * 60),
        categories: [String] = []
    ) throws {
        var typeColumn: [EventType: Int] = [:]
        for (index, type) in eventTypes.enumerated() {
            guard typeColumn[type] == nil else {
                throw EventDataError.invalidOption(
                    name: "UserFeatureExtractor.eventTypes",
                    detail: "lists \"\(type)\" twice; give each event type once.")
            }
            typeColumn[type] = index
        }
        var categoryColumn: [String: Int] = [:]
        for (index, category) in categories.enumerated() {
            guard categoryColumn[category] == nil else {
                throw EventDataError.invalidOption(
                    name: "UserFeatureExtractor.categories",
                    detail: "lists \"\(category)\" twice; give each category once.")
            }
            categoryColumn[category] = index
        }
        self.referenceTime = referenceTime
        self.eventTypes = eventTypes
        self.typeColumn = typeColumn
        self.categories = categories
        self.categoryColumn = categoryColumn
        sessionizer = try Sessionizer(gap: sessionGap)
        columns =
            ["recency_days", "frequency", "monetary", "tenure_days"]
            + eventTypes.map { "count_\($0.rawValue)" } + eventTypes.map { "share_\($0.rawValue)" }
            + [
                "distinct_items", "distinct_categories", "sessions", "mean_session_events", "mean_session_minutes",
                "mean_dwell_seconds", "view_to_cart", "cart_to_purchase", "view_to_purchase",
            ]
            + (0..<24).map { $0 < 10 ? "hour_0\($0)" : "hour_\($0)" }
            + Self.weekdayNames.map { "dow_\($0)" } + categories.map { "category_\($0)" }
    }

    /// The feature vector of one user, in ``columns`` order.
    ///
    /// - Parameter history: The user's events, oldest first (as the store returns them).
    /// - Returns: `columns.count` finite numbers (all zeros for an empty history).
    public func features(for history: UserHistory) -> [Double] {
        let events = history.events
        guard let first = events.first, let last = events.last else {
            return [Double](repeating: 0, count: columns.count)
        }
        var typeCounts = [Int](repeating: 0, count: eventTypes.count)
        var hours = [Int](repeating: 0, count: 24)
        var categoryCounts = [Int](repeating: 0, count: self.categories.count)
        var weekdays = [Int](repeating: 0, count: 7)
        var tally = EventTally()
        var earliest = first.timestamp
        var latest = last.timestamp

        for event in events {
            earliest = min(earliest, event.timestamp)
            latest = max(latest, event.timestamp)
            if let column = typeColumn[event.type] { typeCounts[column] += 1 }
            tally.add(event)
            if let category = event.category, let column = categoryColumn[category] { categoryCounts[column] += 1 }
            // Floor division, so times before 1970 land in the right hour and day.
            let (day, millisecondOfDay) = Self.floorDivide(event.timestamp, by: 86_400_000)
            hours[Int(millisecondOfDay / 3_600_000)] += 1
            // 1970-01-01 was a Thursday: day 0 is index 3 counting from Monday.
            weekdays[Int(Self.floorDivide(day + 3, by: 7).remainder)] += 1
        }

        let split = sessionizer.sessionize(history)
        let sessionCount = split.sessions.count
        let sessionMilliseconds = split.sessions.reduce(0.0) { $0 + Double($1.end - $1.start) }
        let frequency = Double(events.count)

        var row: [Double] = []
        row.reserveCapacity(columns.count)
        row.append(Double(referenceTime - latest) / Self.millisecondsPerDay)
        row.append(frequency)
        row.append(tally.spend)
        row.append(Double(latest - earliest) / Self.millisecondsPerDay)
        row.append(contentsOf: typeCounts.map(Double.init))
        row.append(contentsOf: typeCounts.map { Double($0) / frequency })
        row.append(Double(tally.items.count))
        row.append(Double(tally.categories.count))
        row.append(Double(sessionCount))
        row.append(Self.ratio(frequency, Double(sessionCount)))
        row.append(Self.ratio(sessionMilliseconds / Self.millisecondsPerMinute, Double(sessionCount)))
        row.append(tally.meanDwell)
        row.append(Self.ratio(Double(tally.carts), Double(tally.views)))
        row.append(Self.ratio(Double(tally.purchases), Double(tally.carts)))
        row.append(Self.ratio(Double(tally.purchases), Double(tally.views)))
        row.append(contentsOf: hours.map { Double($0) / frequency })
        row.append(contentsOf: weekdays.map { Double($0) / frequency })
        row.append(contentsOf: categoryCounts.map { Double($0) / frequency })
        return row
    }

    /// The feature table of every user in `store`, in dense-index order.
    ///
    /// Streams the store's histories (one block of users in memory at a time); only the table
    /// itself is kept.
    ///
    /// - Parameters:
    ///   - store: Where the events are.
    ///   - referenceTime: The moment the features are computed as of: only events at or before it
    ///     count (users with none are left out) and recency is measured from it; the store's
    ///     latest event when nil.
    ///   - eventTypes: The types that get count and share columns; when nil, every type stored,
    ///     the common ones in funnel order (`view`, `click`, `search`, `cart`, `purchase`,
    ///     `rating`) and any others after them alphabetically.
    ///   - sessionGap: The longest inactivity that still continues a session.
    ///   - topCategories: Add share columns for this many of the store's most frequent
    ///     categories (one more pass over the store); none by default.
    ///   - categoryUsers: Count the categories among these users' events only (a private
    ///     model's held-out users); nil counts everyone's.
    /// - Returns: One row per user with events.
    /// - Throws: ``EventDataError`` when the store cannot be read or an option is invalid.
    public static func table(
        from store: any EventStore, referenceTime: Int64? = nil, eventTypes: [EventType]? = nil,
        sessionGap: Duration = .seconds(30 * 60), topCategories: Int = 0, categoryUsers: Set<String>? = nil
    ) throws -> FeatureTable {
        // The store's summary is read only when a default needs it.
        let description = referenceTime == nil || eventTypes == nil ? try store.describe() : nil
        let storedTypes = description.map { $0.eventsByType.keys.map { EventType(rawValue: $0) } } ?? []
        let extractor = try UserFeatureExtractor(
            referenceTime: referenceTime ?? description?.lastTimestamp ?? 0,
            eventTypes: eventTypes ?? Self.conventionalOrder(storedTypes), sessionGap: sessionGap,
            categories: topCategories > 0
                ? try mostFrequentCategories(
                    in: store, count: topCategories, until: referenceTime, users: categoryUsers)
                : [])
        var userIDs: [String] = []
        var rows: [[Double]] = []
        try store.forEachUserHistory { history in
            var history = history
            if referenceTime != nil, let last = history.events.last, last.timestamp > extractor.referenceTime {
                history.events.removeAll { $0.timestamp > extractor.referenceTime }
                if history.events.isEmpty { return }
            }
            userIDs.append(history.userID)
            rows.append(extractor.features(for: history))
        }
        return FeatureTable(columns: extractor.columns, userIDs: userIDs, rows: rows)
    }

    /// The `count` most frequent categories of the events (up to `until`) of `users` (nil:
    /// everyone), most frequent first.
    static func mostFrequentCategories(
        in store: any EventStore, count: Int, until: Int64?, users: Set<String>?
    ) throws -> [String] {
        var counts: [String: Int] = [:]
        try store.forEachUserHistory { history in
            guard users?.contains(history.userID) ?? true else { return }
            for event in history.events where until.map({ event.timestamp <= $0 }) ?? true {
                if let category = event.category { counts[category, default: 0] += 1 }
            }
        }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count).map(\.key)
    }

    /// Known types in funnel order, then the rest alphabetically.
    public static func conventionalOrder(_ types: [EventType]) -> [EventType] {
        let known: [EventType] = [.view, .click, .search, .cart, .purchase, .rating]
        let present = Set(types)
        return known.filter(present.contains) + present.subtracting(known).sorted { $0.rawValue < $1.rawValue }
    }

    private static func ratio(_ numerator: Double, _ denominator: Double) -> Double {
        denominator == 0 ? 0 : numerator / denominator
    }

    private static func floorDivide(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }
}
