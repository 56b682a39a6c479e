import EventData
import Foundation
import Monitoring

extension NextItemPackage {
    /// How many histories' top scores a profile or a drift check computes at most (an even
    /// spread).
    public static let scoredHistoriesForDrift = 2_000

    /// The training profile: every event of `store` as the training read it (type, item, gap,
    /// history length), and the model's best score after each validation history (an even
    /// spread of at most ``scoredHistoriesForDrift``). A private model's profile reads only the
    /// held-out users of `data` (its ``TrainingOutcome/data``): nothing of a protected user.
    ///
    /// - Throws: Store errors.
    public func trainingProfile(store: any EventStore, data: NextItemData) throws -> TrainingProfile {
        let heldOut = manifest.privacy == nil ? nil : Set(data.users.map(\.user))
        var histories: [UserHistory] = []
        try store.forEachUserHistory { history in
            if heldOut?.contains(history.user) ?? true { histories.append(history) }
        }
        let first: Int64
        let last: Int64
        if heldOut == nil {
            let description = try store.describe()
            (first, last) = (description.firstTimestamp ?? 0, description.lastTimestamp ?? 0)
        } else {
            first = histories.compactMap { $0.events.first?.timestamp }.min() ?? 0
            last = histories.compactMap { $0.events.last?.timestamp }.max() ?? 0
        }
        let columns = BehaviourSamples.columns(
            of: histories, items: try store.itemIDs(), window: first...last, knownItem: { items.index(of: $0) != nil })
        return TrainingProfile(
            unit: "users", rows: histories.count, firstEvent: first, lastEvent: last, watermark: last,
            features: columns.map(FeatureProfile.init),
            scores: NumericProfile(values: topScores(after: data.validationExamples.map(\.history))),
            scoreMeaning: "the best item's score after a history")
    }

    /// The recent data a drift check compares with the training profile: the events of
    /// `histories` in `window`, and the model's best score after the known items of (an even
    /// spread of at most ``scoredHistoriesForDrift``) users with an event in it.
    ///
    /// - Parameters:
    ///   - itemIDs: External item ids by the store's dense item index.
    ///   - watermark: The training watermark, for the new-user and new-item counts.
    public func recentData(
        histories: [UserHistory], itemIDs: Vocabulary, window: ClosedRange<Int64>, watermark: Int64?
    ) -> RecentData {
        let columns = BehaviourSamples.columns(
            of: histories, items: itemIDs, window: window, knownItem: { items.index(of: $0) != nil })
        let active = histories.filter { history in history.events.contains { window.contains($0.timestamp) } }
        let known = active.map { history in
            history.events.filter { $0.timestamp <= window.upperBound }.compactMap { event in
                event.item.flatMap { items.index(of: itemIDs[$0]) }
            }
        }.filter { !$0.isEmpty }
        return RecentData(
            rows: active.count, columns: columns, scores: topScores(after: known),
            facts: BehaviourSamples.facts(of: histories, window: window, watermark: watermark))
    }

    /// The best score after each of an even spread of at most ``scoredHistoriesForDrift``
    /// histories (model item indexes).
    func topScores(after histories: [[Int]]) -> [Double] {
        let stride = max(1, (histories.count + Self.scoredHistoriesForDrift - 1) / Self.scoredHistoriesForDrift)
        let sample = Swift.stride(from: 0, to: histories.count, by: stride).map { histories[$0] }
        var best: [Double] = []
        for start in Swift.stride(from: 0, to: sample.count, by: 256) {
            let batch = Array(sample[start..<min(start + 256, sample.count)])
            best += model.scores(after: batch).map { Double($0.max() ?? .nan) }
        }
        return best
    }
}
