import EventData
import Foundation
import Monitoring

extension UserOutcomeClassifier {
    /// How many users' scores a drift check computes at most (an even spread over the users).
    public static let scoredUsersForDrift = 20_000

    /// The training profile: the feature table of every training user at the cut-off (before
    /// scaling), their events up to it, and the model's probabilities on the validation users.
    static func trainingProfile(
        data: UserOutcomeData, users: [Int], columns: [String], rawFeatures: [[Double]], knownItems: Set<String>?,
        validationScores: [Double]
    ) -> TrainingProfile {
        let inputs = users.map { data.examples[$0].input }
        let first = inputs.compactMap { $0.events.first?.timestamp }.min() ?? data.cutoff
        let table = columns.indices.map { column in
            FeatureProfile.numeric(columns[column], group: "input", users.lazy.map { rawFeatures[$0][column] })
        }
        let behaviour = BehaviourSamples.columns(
            of: inputs, items: data.items, window: first...data.cutoff,
            knownItem: knownItems.map { items in { items.contains($0) } })
        return TrainingProfile(
            unit: "users", rows: inputs.count, firstEvent: first, lastEvent: data.cutoff,
            watermark: data.cutoff + data.windowMilliseconds,
            features: table + behaviour.map(FeatureProfile.init), scores: NumericProfile(values: validationScores),
            scoreMeaning: "\(data.task.rawValue) probability")
    }

    /// The feature table (before scaling) of `histories` as of `referenceTime`, as columns
    /// named like the profile's input features.
    public func inputColumns(_ histories: [UserHistory], at referenceTime: Int64) -> [FeatureColumn] {
        let eventTypes = manifest.featureEventTypes.map { EventType(rawValue: $0) }
        guard let extractor = try? UserFeatureExtractor(referenceTime: referenceTime, eventTypes: eventTypes) else {
            preconditionFailure("load(from:) and train checked the feature columns")
        }
        let rows = histories.map { extractor.features(for: $0.known(at: referenceTime)) }
        return manifest.featureColumns.indices.map { column in
            FeatureColumn(
                name: manifest.featureColumns[column], group: "input", sample: .numbers(rows.map { $0[column] }))
        }
    }

    /// The recent data a drift check compares with the training profile: the feature table at
    /// `referenceTime` of every user with an event by then (the users `score` would write), the
    /// events in `window`, and the model's probabilities for those users (an even spread of at
    /// most ``scoredUsersForDrift``).
    ///
    /// - Parameter watermark: The training watermark, for the new-user and new-item counts.
    public func recentData(
        histories: [UserHistory], itemIDs: Vocabulary, window: ClosedRange<Int64>, at referenceTime: Int64,
        watermark: Int64?
    ) -> RecentData {
        let known = histories.map { $0.known(at: referenceTime) }.filter { !$0.events.isEmpty }
        var columns = inputColumns(known, at: referenceTime)
        let vocabulary = manifest.sequenceEncoder.map { Set($0.items) }
        columns += BehaviourSamples.columns(
            of: known, items: itemIDs, window: window, knownItem: vocabulary.map { items in { items.contains($0) } })
        let stride = max(1, (known.count + Self.scoredUsersForDrift - 1) / Self.scoredUsersForDrift)
        let sample = Swift.stride(from: 0, to: known.count, by: stride).map { known[$0] }
        return RecentData(
            rows: known.count, columns: columns, scores: predict(sample, itemIDs: itemIDs, at: referenceTime),
            facts: BehaviourSamples.facts(of: histories, window: window, watermark: watermark))
    }
}
