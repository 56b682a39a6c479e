/// The three parts of a split.
public enum SplitPart: String, Sendable, Hashable, Codable, CaseIterable {
    case train
    case validation
    case test
}

/// Something split three ways: the train, validation and test parts of the same kind.
public struct SplitParts<Part> {
    /// What the model is fit on.
    public var train: Part
    /// What hyperparameters and early stopping are chosen on.
    public var validation: Part
    /// What the final numbers are reported on.
    public var test: Part

    public init(train: Part, validation: Part, test: Part) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// The part named by `part`.
    public subscript(part: SplitPart) -> Part {
        switch part {
        case .train: return train
        case .validation: return validation
        case .test: return test
        }
    }
}

extension SplitParts: Sendable where Part: Sendable {}
extension SplitParts: Equatable where Part: Equatable {}
extension SplitParts: Hashable where Part: Hashable {}

/// How much of the data goes to each part: three fractions in `[0, 1]` that sum to 1.
public struct SplitFractions: Sendable, Hashable, Codable {
    /// Share of the training part.
    public let train: Double
    /// Share of the validation part.
    public let validation: Double
    /// Share of the test part.
    public let test: Double

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a fraction is outside
    ///   `[0, 1]` (or not a number) or the three do not sum to 1 (within 1e-9).
    public init(train: Double, validation: Double, test: Double) throws {
        for (name, value) in [("train", train), ("validation", validation), ("test", test)]
        where !(value >= 0 && value <= 1) {
            throw EventDataError.invalidOption(
                name: "SplitFractions.\(name)", detail: "must be between 0 and 1 (got \(value)).")
        }
        let sum = train + validation + test
        guard abs(sum - 1) <= 1e-9 else {
            throw EventDataError.invalidOption(
                name: "SplitFractions",
                detail: "train, validation and test must sum to 1, such as 0.8, 0.1, 0.1 (got \(sum)).")
        }
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// Splits events by time: train before ``validationStart``, validation from it until
/// ``testStart``, test from ``testStart`` on.
///
/// Each part is a half-open interval, so an event exactly at a cut point belongs to the later
/// part: `t < validationStart` is train, `validationStart <= t < testStart` is validation and
/// `t >= testStart` is test. Every event lands in exactly one part.
///
/// The cut points can be given directly or chosen from the data, as fractions of the time range
/// (``init(fractions:of:)``) or as quantiles of the event times (``init(quantiles:of:)``).
///
/// ```swift
/// let split = try TimeSplit(quantiles: SplitFractions(train: 0.8, validation: 0.1, test: 0.1), of: times)
/// let parts = split.split(history)
/// print(parts.train.events.count, parts.validation.events.count, parts.test.events.count)
/// ```
public struct TimeSplit: Sendable, Hashable, Codable {
    /// The first millisecond (since 1970-01-01 UTC) of the validation part.
    public let validationStart: Int64
    /// The first millisecond (since 1970-01-01 UTC) of the test part.
    public let testStart: Int64

    /// - Parameters:
    ///   - validationStart: Where the validation part starts, in milliseconds since 1970-01-01 UTC.
    ///   - testStart: Where the test part starts; equal to `validationStart` for an empty
    ///     validation part.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `testStart` comes before
    ///   `validationStart`.
    public init(validationStart: Int64, testStart: Int64) throws {
        guard validationStart <= testStart else {
            throw EventDataError.invalidOption(
                name: "TimeSplit",
                detail: "testStart (\(testStart)) must not come before validationStart (\(validationStart)).")
        }
        self.validationStart = validationStart
        self.testStart = testStart
    }

    /// Cuts the time range `range` (inclusive, in milliseconds) into parts of the given shares
    /// of its duration.
    ///
    /// The range holds `n = upperBound - lowerBound + 1` milliseconds; the validation part
    /// starts `round(n * train)` milliseconds after `lowerBound` and the test part
    /// `round(n * (train + validation))` after it. A zero test fraction puts the test start just
    /// past `upperBound`, so the last event is not in the test part.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when the range is wider than
    ///   `Int64` can count.
    public init(fractions: SplitFractions, of range: ClosedRange<Int64>) throws {
        let (difference, overflow) = range.upperBound.subtractingReportingOverflow(range.lowerBound)
        guard !overflow, range.upperBound < Int64.max else {
            throw EventDataError.invalidOption(
                name: "TimeSplit.range",
                detail: "the time range \(range) is too wide; use millisecond times within ±292 million years.")
        }
        let milliseconds = Double(difference + 1)
        func offset(_ share: Double) -> Int64 { Int64((milliseconds * min(share, 1)).rounded()) }
        try self.init(
            validationStart: range.lowerBound + offset(fractions.train),
            testStart: range.lowerBound + offset(fractions.train + fractions.validation))
    }

    /// Cuts at quantiles of the event times, so that the parts hold about the given shares of
    /// the events.
    ///
    /// With the `n` times sorted, the validation part starts at the time of event
    /// `round(n * train)` (0-based) and the test part at event `round(n * (train + validation))`;
    /// a position of `n` means just past the last time. Events that share the cut time all go to
    /// the later part, so with ties the shares are only approximate.
    ///
    /// - Parameter timestamps: Event times in milliseconds, in any order.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when there are no times.
    public init(quantiles fractions: SplitFractions, of timestamps: some Collection<Int64>) throws {
        let sorted = timestamps.sorted()
        guard let last = sorted.last else {
            throw EventDataError.invalidOption(
                name: "TimeSplit.quantiles", detail: "needs at least one event time; ingest events first.")
        }
        let count = Double(sorted.count)
        func cut(_ share: Double) -> Int64 {
            let position = Int((count * min(share, 1)).rounded())
            return position < sorted.count ? sorted[position] : last &+ 1
        }
        try self.init(validationStart: cut(fractions.train), testStart: cut(fractions.train + fractions.validation))
    }

    /// The part an event at `timestamp` belongs to.
    public func part(of timestamp: Int64) -> SplitPart {
        if timestamp < validationStart { return .train }
        return timestamp < testStart ? .validation : .test
    }

    /// Splits events by their time, keeping their order within each part.
    public func split(_ events: some Sequence<Event>) -> SplitParts<[Event]> {
        var parts = SplitParts<[Event]>(train: [], validation: [], test: [])
        for event in events {
            switch part(of: event.timestamp) {
            case .train: parts.train.append(event)
            case .validation: parts.validation.append(event)
            case .test: parts.test.append(event)
            }
        }
        return parts
    }

    /// Splits one user's history by event time: three histories of the same user, each keeping
    /// the stored order (and so ties in input order). A part may have no events.
    public func split(_ history: UserHistory) -> SplitParts<UserHistory> {
        var parts = SplitParts(
            train: UserHistory(user: history.user, userID: history.userID, events: []),
            validation: UserHistory(user: history.user, userID: history.userID, events: []),
            test: UserHistory(user: history.user, userID: history.userID, events: []))
        for event in history.events {
            switch part(of: event.timestamp) {
            case .train: parts.train.events.append(event)
            case .validation: parts.validation.events.append(event)
            case .test: parts.test.events.append(event)
            }
        }
        return parts
    }

    /// Splits many histories; each part lists, in input order, the users with at least one
    /// event in it.
    public func split(_ histories: some Sequence<UserHistory>) -> SplitParts<[UserHistory]> {
        var parts = SplitParts<[UserHistory]>(train: [], validation: [], test: [])
        for history in histories {
            let split = split(history)
            if !split.train.events.isEmpty { parts.train.append(split.train) }
            if !split.validation.events.isEmpty { parts.validation.append(split.validation) }
            if !split.test.events.isEmpty { parts.test.append(split.test) }
        }
        return parts
    }
}

/// One prediction example of a leave-one-out split: the items before the target, and the
/// target.
public struct NextItemExample: Sendable, Hashable, Codable {
    /// Item dense indexes the user interacted with before the target, oldest first.
    public var history: [Int]
    /// The item to predict.
    public var target: Int

    public init(history: [Int], target: Int) {
        self.history = history
        self.target = target
    }
}

/// One user's leave-one-out split.
public struct LeaveOneOutUser: Sendable, Hashable, Codable {
    /// The user's dense index (see ``UserHistory/user``).
    public var user: Int
    /// Items to train on, oldest first: all but the last two, or all of them when the user has
    /// fewer than ``LeaveOneOutSplit/minimumItemEvents``.
    public var train: [Int]
    /// The second-to-last item after the training items, or nil for a short history.
    public var validation: NextItemExample?
    /// The last item after all the others, or nil for a short history.
    public var test: NextItemExample?

    public init(user: Int, train: [Int], validation: NextItemExample?, test: NextItemExample?) {
        self.user = user
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// The leave-one-out split for sequential recommendation: per user, the last item is the test
/// target, the second-to-last the validation target, and the rest is training data.
///
/// The items are those of the user's events that name one (optionally only of some event
/// types), in stored order: time order with ties in input order, so two items at the same
/// millisecond keep the order the source gave them. Repeated items are kept.
///
/// With items `i1 … in` and `n >= 3`: train is `i1 … i(n-2)`, validation predicts `i(n-1)` from
/// `i1 … i(n-2)`, and test predicts `in` from `i1 … i(n-1)`. Users with fewer than
/// ``minimumItemEvents`` items only train: all their items go to train and they have no
/// validation or test example, since a target with an empty history says nothing about
/// sequence models.
///
/// ```swift
/// let users = LeaveOneOutSplit(eventTypes: [.purchase]).split(histories)
/// let testCases = users.compactMap(\.test)
/// ```
public struct LeaveOneOutSplit: Sendable, Hashable {
    /// The fewest item events a user needs to get validation and test examples.
    public static let minimumItemEvents = 3

    /// The event types whose items count, or nil for every event that names an item.
    public let eventTypes: Set<EventType>?

    /// - Parameter eventTypes: The event types whose items count (e.g. `[.purchase]`), or nil
    ///   (the default) for every event that names an item.
    public init(eventTypes: Set<EventType>? = nil) {
        self.eventTypes = eventTypes
    }

    /// The user's items in stored order: events that name an item and have a chosen type.
    public func items(of history: UserHistory) -> [Int] {
        history.events.compactMap { event in
            guard let item = event.item, eventTypes?.contains(event.type) ?? true else { return nil }
            return item
        }
    }

    /// Splits one user's items.
    public func split(_ history: UserHistory) -> LeaveOneOutUser {
        let items = items(of: history)
        let count = items.count
        guard count >= Self.minimumItemEvents else {
            return LeaveOneOutUser(user: history.user, train: items, validation: nil, test: nil)
        }
        let train = Array(items[..<(count - 2)])
        return LeaveOneOutUser(
            user: history.user, train: train,
            validation: NextItemExample(history: train, target: items[count - 2]),
            test: NextItemExample(history: Array(items[..<(count - 1)]), target: items[count - 1]))
    }

    /// Splits every user's items, in input order, leaving out users without any item event.
    public func split(_ histories: some Sequence<UserHistory>) -> [LeaveOneOutUser] {
        histories.compactMap { history in
            let user = split(history)
            return user.train.isEmpty ? nil : user
        }
    }
}
