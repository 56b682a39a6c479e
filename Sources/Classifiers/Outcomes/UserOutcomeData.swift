import EventData
import Foundation
import Settings

/// What to predict about users from their events before a cut-off.
public enum OutcomeTask: String, Sendable, Codable, CaseIterable {
    /// A purchase in the window after the cut-off.
    case purchase
    /// No event at all in the window after the cut-off.
    case churn
}

/// Labelled users of an event store for a purchase or churn window: inputs end at the
/// cut-off, labels come only from the window after it (see ``WindowLabel``).
public struct UserOutcomeData: Sendable {
    public var task: OutcomeTask
    /// The prediction time, in milliseconds since 1970-01-01 UTC.
    public var cutoff: Int64
    public var windowMilliseconds: Int64
    /// One per user with an event at or before the cut-off.
    public var examples: [LabeledHistory]
    /// Every event type stored, in funnel order (the feature table's count columns).
    public var eventTypes: [EventType]
    /// External item ids by the store's dense item index.
    public var items: Vocabulary

    /// The longest label window accepted (100 years).
    public static let longestWindow = Duration.seconds(100 * 365 * 86_400)

    /// Reads and labels every user.
    ///
    /// - Parameters:
    ///   - window: The label window's length, at most ``longestWindow``.
    ///   - cutoff: The prediction time; by default the store's last event minus the window, so
    ///     every window is fully observed. A given one must fall between the first and the last
    ///     event.
    /// - Throws: ``ClassifierError/invalidParameter(_:)`` for a window out of range;
    ///   ``ClassifierError/badData(path:detail:)`` when the store is empty, the cut-off leaves no
    ///   history or no window, or the labels have one class; store errors.
    public static func load(
        from store: any EventStore, task: OutcomeTask, window: Duration, cutoff: Int64? = nil
    ) throws -> UserOutcomeData {
        guard window > .zero, window <= Self.longestWindow else {
            throw ClassifierError.invalidParameter(
                InvalidParameter(
                    "window", value: "\(window.components.seconds / 86_400) days",
                    allowed: "positive and at most 100 years"))
        }
        let description = try store.describe()
        let milliseconds = window.components.seconds * 1_000 + window.components.attoseconds / 1_000_000_000_000_000
        guard let last = description.lastTimestamp, let first = description.firstTimestamp else {
            throw ClassifierError.badData(path: store.location, detail: "the event store is empty; ingest events first")
        }
        let cut = cutoff ?? (last - milliseconds)
        let day = { (time: Int64) in
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(time) / 1_000))
        }
        if cutoff != nil, cut <= first || cut >= last {
            throw ClassifierError.badData(
                path: store.location,
                detail:
                    "the cut-off \(day(cut)) is \(cut <= first ? "at or before the first" : "at or after the last") event; "
                    + "pick one between \(day(first)) and \(day(last)) so that users have history before it and events after it"
            )
        }
        guard cut > first else {
            let span = Double(last - first) / 86_400_000
            throw ClassifierError.badData(
                path: store.location,
                detail: "the events span \(String(format: "%.1f", span)) days, no more than the "
                    + "\(String(format: "%g", Double(milliseconds) / 86_400_000))-day window, so no user has history before the cut-off; "
                    + "use a shorter window")
        }
        let label: any WindowLabel
        switch task {
        case .purchase: label = try PurchaseLabel(cutoff: cut, window: window)
        case .churn: label = try ChurnLabel(cutoff: cut, window: window)
        }
        var examples: [LabeledHistory] = []
        try store.forEachUserHistory { history in
            examples += label.examples([history])
        }
        let positives = examples.reduce(0) { $0 + $1.label }
        guard positives > 0, positives < examples.count else {
            throw ClassifierError.badData(
                path: store.location,
                detail:
                    "all \(examples.count) users have the same \(task.rawValue) label in the window; try another window or cut-off"
            )
        }
        let types = UserFeatureExtractor.conventionalOrder(
            description.eventsByType.keys.map { EventType(rawValue: $0) })
        return UserOutcomeData(
            task: task, cutoff: cut, windowMilliseconds: milliseconds, examples: examples, eventTypes: types,
            items: try store.itemIDs())
    }
}
