/// The part of a history a model may see when predicting at `cutoff`: the events at or before
/// it, in stored order.
///
/// An event exactly at the cut-off is input (it has happened when the prediction is made). The
/// result never depends on events after the cut-off, which is what keeps window labels from
/// leaking into the inputs.
///
/// - Parameters:
///   - history: The user's full history.
///   - cutoff: The prediction time, in milliseconds since 1970-01-01 UTC.
public func inputHistory(_ history: UserHistory, cutoff: Int64) -> UserHistory {
    UserHistory(user: history.user, userID: history.userID, events: history.events.filter { $0.timestamp <= cutoff })
}

/// A model input and the label to learn from it.
public struct LabeledHistory: Sendable, Hashable {
    /// The events at or before the cut-off (see ``inputHistory(_:cutoff:)``).
    public var input: UserHistory
    /// The label, computed only from the events in the window after the cut-off.
    public var label: Int

    public init(input: UserHistory, label: Int) {
        self.input = input
        self.label = label
    }
}

/// A binary label computed from what a user does in a window after a cut-off.
///
/// The window is `(cutoff, cutoff + window]`: an event exactly at the cut-off is input, not
/// label, and an event exactly at `cutoff + window` is in the window. Conforming types only
/// see the window's events (``label(windowEvents:)``), so a label cannot depend on anything
/// else. Users with no event at or before the cut-off get no label: there is nothing to
/// predict from, and they were not yet users when the prediction was made.
public protocol WindowLabel: Sendable {
    /// The prediction time, in milliseconds since 1970-01-01 UTC.
    var cutoff: Int64 { get }
    /// The window's length in milliseconds (positive).
    var windowMilliseconds: Int64 { get }
    /// The label given the user's events in the window, in stored order (possibly none).
    func label(windowEvents: [StoredEvent]) -> Int
}

extension WindowLabel {
    /// The window's last millisecond, included in the window (saturating at `Int64.max`).
    public var windowEnd: Int64 {
        let (end, overflow) = cutoff.addingReportingOverflow(windowMilliseconds)
        return overflow ? Int64.max : end
    }

    /// Whether an event at `timestamp` falls in `(cutoff, cutoff + window]`.
    public func windowContains(_ timestamp: Int64) -> Bool {
        timestamp > cutoff && timestamp <= windowEnd
    }

    /// The user's label, or nil when the user has no event at or before the cut-off (and so
    /// is left out).
    ///
    /// Events before the cut-off only decide whether the user is labelled; the label itself
    /// comes from the window's events alone.
    public func label(_ history: UserHistory) -> Int? {
        guard history.events.contains(where: { $0.timestamp <= cutoff }) else { return nil }
        return label(windowEvents: history.events.filter { windowContains($0.timestamp) })
    }

    /// Inputs and labels for every user with an event at or before the cut-off, in input
    /// order; other users are left out.
    public func examples(_ histories: some Sequence<UserHistory>) -> [LabeledHistory] {
        histories.compactMap { history in
            label(history).map { LabeledHistory(input: inputHistory(history, cutoff: cutoff), label: $0) }
        }
    }
}

/// 1 when the user purchases in `(cutoff, cutoff + window]`, 0 otherwise.
///
/// ```swift
/// let label = try PurchaseLabel(cutoff: cutoff, window: .seconds(7 * 86_400))
/// let examples = label.examples(histories)  // inputs end at the cut-off
/// ```
public struct PurchaseLabel: WindowLabel, Hashable {
    public let cutoff: Int64
    public let windowMilliseconds: Int64
    /// The event types that count as a purchase.
    public let purchaseTypes: Set<EventType>

    /// - Parameters:
    ///   - cutoff: The prediction time, in milliseconds since 1970-01-01 UTC.
    ///   - window: How far after the cut-off to look, at millisecond precision.
    ///   - purchaseTypes: The event types that count as a purchase (`purchase` by default).
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `window` is not positive.
    public init(cutoff: Int64, window: Duration, purchaseTypes: Set<EventType> = [.purchase]) throws {
        self.cutoff = cutoff
        self.windowMilliseconds = try windowLength(window, name: "PurchaseLabel.window")
        self.purchaseTypes = purchaseTypes
    }

    public func label(windowEvents: [StoredEvent]) -> Int {
        windowEvents.contains { purchaseTypes.contains($0.type) } ? 1 : 0
    }
}

/// 1 when the user has no event at all in `(cutoff, cutoff + window]` (churned), 0 otherwise.
///
/// ```swift
/// let label = try ChurnLabel(cutoff: cutoff, window: .seconds(30 * 86_400))
/// let churned = label.examples(histories).filter { $0.label == 1 }.count
/// ```
public struct ChurnLabel: WindowLabel, Hashable {
    public let cutoff: Int64
    public let windowMilliseconds: Int64

    /// - Parameters:
    ///   - cutoff: The prediction time, in milliseconds since 1970-01-01 UTC.
    ///   - window: How long without any event counts as churn, at millisecond precision.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `window` is not positive.
    public init(cutoff: Int64, window: Duration) throws {
        self.cutoff = cutoff
        self.windowMilliseconds = try windowLength(window, name: "ChurnLabel.window")
    }

    public func label(windowEvents: [StoredEvent]) -> Int {
        windowEvents.isEmpty ? 1 : 0
    }
}

/// A positive duration in whole milliseconds (sub-millisecond parts are dropped).
private func windowLength(_ window: Duration, name: String) throws -> Int64 {
    let (seconds, attoseconds) = window.components
    let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
    let total = milliseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
    guard !milliseconds.overflow, !total.overflow, total.partialValue > 0 else {
        throw EventDataError.invalidOption(
            name: name, detail: "must be a duration of at least 1 millisecond, such as 7 days (got \(window)).")
    }
    return total.partialValue
}
