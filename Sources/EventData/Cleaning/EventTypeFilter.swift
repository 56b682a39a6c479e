/// Keeps only events of the allowed types (for example dropping `search` or misspelt types).
///
/// The report's measures count the dropped events per type as `dropped.<type>`.
public struct EventTypeFilter: HistoryFilter {
    public let name = "event-types"
    /// The types kept.
    public let allowed: Set<EventType>

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `allowed` is empty, which
    ///   would drop every event.
    public init(allowed: Set<EventType>) throws {
        guard !allowed.isEmpty else {
            throw EventDataError.invalidOption(
                name: "EventTypeFilter.allowed", detail: "must name at least one event type (such as view).")
        }
        self.allowed = allowed
    }

    public func apply(to histories: [UserHistory]) -> FilterResult {
        var dropped: [EventType: Int] = [:]
        var kept: [UserHistory] = []
        for var history in histories {
            history.events.removeAll { event in
                if allowed.contains(event.type) { return false }
                dropped[event.type, default: 0] += 1
                return true
            }
            if !history.events.isEmpty { kept.append(history) }
        }
        let droppedTypes = dropped.sorted { $0.key.rawValue < $1.key.rawValue }
        let listing = droppedTypes.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return FilterResult(
            histories: kept,
            report: FilterReport(
                name: name, before: histories, after: kept,
                detail: droppedTypes.isEmpty ? "no events of other types" : "dropped \(listing)",
                measures: Dictionary(uniqueKeysWithValues: droppedTypes.map { ("dropped.\($0.key)", Double($0.value)) })
            ))
    }
}
