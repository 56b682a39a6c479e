import Foundation
import Monitoring

/// The behaviour figures drift checks compare for models that read events: per event its type,
/// item, the log of the seconds since the user's previous event and, given a catalogue,
/// whether the model knows the item; per user the length of their history.
///
/// Only events inside the window count, but gaps reach back before it, so a short recent window
/// and a long training one measure gaps alike.
public enum BehaviourSamples {
    /// The feature names, in the order ``columns(of:items:window:knownItem:)`` returns them.
    public static let eventType = "event_type"
    public static let item = "item"
    public static let logGap = "log_gap_seconds"
    public static let knownItem = "known_item"
    public static let historyLength = "history_length"

    /// The samples of `histories`' events with timestamps in `window`, and of the users with
    /// at least one such event (their history length counts every event up to the window's end).
    ///
    /// - Parameters:
    ///   - items: External item ids by the store's dense item index.
    ///   - knownItem: Whether the model knows an item (by external id); nil leaves out
    ///     ``knownItem``.
    public static func columns(
        of histories: some Sequence<UserHistory>, items: Vocabulary, window: ClosedRange<Int64>,
        knownItem: ((String) -> Bool)? = nil
    ) -> [FeatureColumn] {
        var types: [String?] = []
        var itemIDs: [String?] = []
        var gaps: [Double] = []
        var known: [String?] = []
        var lengths: [Double] = []
        for history in histories {
            var inWindow = false
            var length = 0
            for (position, event) in history.events.enumerated() where event.timestamp <= window.upperBound {
                length += 1
                guard event.timestamp >= window.lowerBound else { continue }
                inWindow = true
                types.append(event.type.rawValue)
                let id = event.item.map { items[$0] }
                itemIDs.append(id)
                gaps.append(
                    position == 0
                        ? .nan : log1p(Double(max(event.timestamp - history.events[position - 1].timestamp, 0)) / 1_000)
                )
                if let knownItem { known.append(id.map { knownItem($0) ? "known" : "unknown" }) }
            }
            if inWindow { lengths.append(Double(length)) }
        }
        var columns = [
            FeatureColumn(name: eventType, group: "events", sample: .categories(types)),
            FeatureColumn(name: item, group: "events", sample: .categories(itemIDs)),
            FeatureColumn(name: logGap, group: "events", sample: .numbers(gaps)),
        ]
        if knownItem != nil {
            columns.append(FeatureColumn(name: Self.knownItem, group: "events", sample: .categories(known)))
        }
        columns.append(FeatureColumn(name: historyLength, group: "users", sample: .numbers(lengths)))
        return columns
    }

    /// Counts about the events of `histories` in `window`: `users` (with an event in it),
    /// `events`, `new users` (whose first event comes after `watermark`) and `new items` (items
    /// of events in the window first seen after `watermark`).
    public static func facts(
        of histories: some Sequence<UserHistory>, window: ClosedRange<Int64>, watermark: Int64?
    ) -> [String: Int] {
        var (users, events, newUsers) = (0, 0, 0)
        var firstSeen: [Int: Int64] = [:]
        var inWindow = Set<Int>()
        for history in histories {
            var active = false
            for event in history.events {
                if let item = event.item { firstSeen[item] = min(firstSeen[item] ?? .max, event.timestamp) }
                guard window.contains(event.timestamp) else { continue }
                active = true
                events += 1
                if let item = event.item { inWindow.insert(item) }
            }
            if active {
                users += 1
                if let watermark, let first = history.events.first, first.timestamp > watermark { newUsers += 1 }
            }
        }
        var facts = ["users": users, "events": events]
        if let watermark {
            facts["new users"] = newUsers
            facts["new items"] = inWindow.filter { (firstSeen[$0] ?? .min) > watermark }.count
        }
        return facts
    }
}
