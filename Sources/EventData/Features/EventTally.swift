/// What a run of events adds up to: funnel counts, spend, dwell, and how many distinct items and
/// categories it touched. Shared by the per-user features and the per-session rows of anomaly
/// detection, so both count the same way.
///
/// ```swift
/// var tally = EventTally()
/// for event in history.events { tally.add(event) }
/// print(tally.purchases, tally.spend, tally.meanDwell)
/// ```
public struct EventTally: Sendable {
    public private(set) var views = 0
    public private(set) var carts = 0
    public private(set) var purchases = 0
    /// Sum of `value` over purchase events (events without a value add nothing).
    public private(set) var spend = 0.0
    public private(set) var items = Set<Int>()
    public private(set) var categories = Set<String>()
    private var durationSum = 0.0
    private var durationCount = 0

    public init() {}

    /// Counts one event.
    public mutating func add(_ event: StoredEvent) {
        switch event.type {
        case .view: views += 1
        case .cart: carts += 1
        case .purchase:
            purchases += 1
            spend += event.value ?? 0
        default: break
        }
        if let item = event.item { items.insert(item) }
        if let category = event.category { categories.insert(category) }
        if let duration = event.duration {
            durationSum += duration
            durationCount += 1
        }
    }

    /// Mean `duration` over the events that carry one; 0 when none does.
    public var meanDwell: Double { durationCount == 0 ? 0 : durationSum / Double(durationCount) }
}
