@testable import EventData

/// A stored event with the given fields (source 1, line 0).
func cleaningEvent(
    _ timestamp: Int64, _ type: EventType = .view, item: Int? = nil, session: String? = nil, value: Double? = nil,
    duration: Double? = nil
) -> StoredEvent {
    StoredEvent(
        timestamp: timestamp, type: type, item: item, sessionID: session, value: value, duration: duration,
        sourceID: 1, line: 0)
}

/// A history for user `user` (external id `u<user>`) with the given events.
func cleaningHistory(_ user: Int, _ events: [StoredEvent]) -> UserHistory {
    UserHistory(user: user, userID: "u\(user)", events: events)
}

/// A history with one view per item, a minute apart.
func cleaningHistory(_ user: Int, items: [Int]) -> UserHistory {
    cleaningHistory(user, items.enumerated().map { cleaningEvent(Int64($0.offset) * 60_000, item: $0.element) })
}
