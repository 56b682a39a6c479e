import EventData
import Foundation

/// The sessions of an event store as rows for anomaly detection: one row per session (source
/// session ids kept, otherwise a 30-minute inactivity gap) with what happened in it.
///
/// | column | meaning |
/// |---|---|
/// | `events` | events in the session |
/// | `minutes` | last event - first event, in minutes |
/// | `peak_events_per_minute` | most events within any 60 seconds |
/// | `distinct_items`, `distinct_categories` | how widely it looked |
/// | `views`, `carts`, `purchases` | events of each type |
/// | `value` | sum of purchase values |
/// | `mean_dwell_seconds` | mean `duration` of the events that carry one (0 when none does) |
/// | `night_share` | share of its events between 00:00 and 06:00 UTC |
/// | `hours_since_previous` | gap since the end of the user's previous session (0 for the first, or when they overlap) |
/// | `user_sessions` | the user's sessions in the data (context: a first session is not odd) |
public struct SessionTable: Sendable {
    public static let columns = [
        "events", "minutes", "peak_events_per_minute", "distinct_items", "distinct_categories", "views", "carts",
        "purchases", "value", "mean_dwell_seconds", "night_share", "hours_since_previous", "user_sessions",
    ]

    /// One key per row: the user's id, the session's id (the source's, or `s<number>`) and its start.
    public var keys: [(user: String, session: String, start: Int64)]
    /// The rows, in ``columns`` order.
    public var table: FeatureTable

    /// Every session with events up to `at` (all when nil).
    public static func read(from store: any EventStore, at: Int64? = nil) throws -> SessionTable {
        let sessionizer = try Sessionizer()
        var keys: [(user: String, session: String, start: Int64)] = []
        var rows: [[Double]] = []
        try store.forEachUserHistory { full in
            var history = full
            if let at { history.events.removeAll { $0.timestamp > at } }
            guard !history.events.isEmpty else { return }
            let split = sessionizer.sessionize(history)
            var members = [[StoredEvent]](repeating: [], count: split.sessions.count)
            for (index, event) in history.events.enumerated() { members[split.sessionOfEvent[index]].append(event) }
            var previousEnd: Int64?
            for (session, events) in zip(split.sessions, members) {
                keys.append((history.userID, session.sourceID ?? "s\(session.number)", session.start))
                rows.append(row(events, session: session, previousEnd: previousEnd, sessions: split.sessions.count))
                previousEnd = session.end
            }
        }
        return SessionTable(keys: keys, table: FeatureTable(columns: columns, userIDs: keys.map(\.user), rows: rows))
    }

    private static func row(_ events: [StoredEvent], session: Session, previousEnd: Int64?, sessions: Int) -> [Double] {
        var tally = EventTally()
        var night = 0.0
        for event in events {
            tally.add(event)
            let millisecondOfDay = ((event.timestamp % 86_400_000) + 86_400_000) % 86_400_000
            if millisecondOfDay < 6 * 3_600_000 { night += 1 }
        }
        let count = Double(events.count)
        return [
            count, Double(session.end - session.start) / 60_000, Double(BotFilter.peakEventsPerMinute(events)),
            Double(tally.items.count), Double(tally.categories.count), Double(tally.views), Double(tally.carts),
            Double(tally.purchases), tally.spend, tally.meanDwell, count > 0 ? night / count : 0,
            previousEnd.map { Double(max(0, session.start - $0)) / 3_600_000 } ?? 0, Double(sessions),
        ]
    }
}
