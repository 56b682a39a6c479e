/// Caps event values above a percentile of all values, so a few huge amounts do not dominate
/// monetary features.
///
/// The cap is the nearest-rank percentile of the finite values of the considered events: with
/// the `n` values sorted ascending, the value at rank `⌈percentile / 100 · n⌉` (1-based). It is
/// always an observed value. Every value above it (including +∞) is set to it; events and
/// users are never removed. The report's measures hold `cap` (absent when no event has a
/// finite value) and `capped`.
public struct OutlierCap: HistoryFilter {
    public let name = "outlier-cap"
    /// The percentile, in (0, 100], whose value becomes the cap.
    public let percentile: Double
    /// The event types whose values are considered and capped, or nil for all. Useful when one
    /// log mixes scales (ratings 1–5 and prices).
    public let eventTypes: Set<EventType>?

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `percentile` is not in
    ///   (0, 100].
    public init(percentile: Double, eventTypes: Set<EventType>? = nil) throws {
        guard percentile > 0, percentile <= 100 else {
            throw EventDataError.invalidOption(
                name: "OutlierCap.percentile",
                detail: "must be above 0 and at most 100, such as 99 (got \(percentile)).")
        }
        self.percentile = percentile
        self.eventTypes = eventTypes
    }

    /// The nearest-rank `percentile` of `values` (finite ones only), or nil if there are none.
    public static func nearestRank(_ percentile: Double, of values: [Double]) -> Double? {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        let rank = Int((percentile * Double(sorted.count) / 100).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    public func apply(to histories: [UserHistory]) -> FilterResult {
        let values = histories.flatMap { $0.events.filter(considers).compactMap(\.value) }
        guard let cap = Self.nearestRank(percentile, of: values) else {
            return FilterResult(
                histories: histories,
                report: FilterReport(
                    name: name, before: histories, after: histories, detail: "no values to cap",
                    measures: ["capped": 0]))
        }
        var capped = 0
        let kept = histories.map { history in
            var history = history
            for index in history.events.indices {
                guard considers(history.events[index]), let value = history.events[index].value, value > cap
                else { continue }
                history.events[index].value = cap
                capped += 1
            }
            return history
        }
        return FilterResult(
            histories: kept,
            report: FilterReport(
                name: name, before: histories, after: kept, eventsChanged: capped,
                detail: "capped \(capped) values above \(cap), the \(percentile) percentile",
                measures: ["cap": cap, "capped": Double(capped)]))
    }

    private func considers(_ event: StoredEvent) -> Bool {
        eventTypes.map { $0.contains(event.type) } ?? true
    }
}
