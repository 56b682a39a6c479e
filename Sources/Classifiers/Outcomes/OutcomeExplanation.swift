import EventData
import Explanations
import Foundation
import NeuralNet
import TensorEngine

/// One input feature's share of a user's score.
public struct FeatureAttribution: Sendable, Codable, Equatable {
    /// The feature's name (`purchase_count`, `days_since_last_event`, ...).
    public var feature: String
    /// The user's value, before scaling.
    public var value: Double
    /// How far it moved the probability from the baseline's.
    public var attribution: Double
}

/// Why a purchase or churn MLP scored one user as it did.
public struct UserExplanation: Sendable, Codable, Equatable {
    public var user: String
    /// The scoring time, in milliseconds since 1970-01-01 UTC: only events at or before it count.
    public var referenceTime: Int64
    public var probability: Double
    /// The probability of the average training user (every scaled feature 0).
    public var baselineProbability: Double
    /// Every feature, the largest attribution (by size) first.
    public var features: [FeatureAttribution]
    /// Integrated-gradient path points and the completeness gap (absolute and relative).
    public var steps: Int
    public var completenessGap: Double
    public var relativeGap: Double
}

extension UserOutcomeClassifier {
    /// Explains the MLP's probability for one user as of `referenceTime` by integrated
    /// gradients, per feature, against the average training user (the zero vector of the
    /// standardised features).
    ///
    /// - Throws: ``ClassifierError/badModel(path:detail:)`` for a sequence model (LSTM, GRU,
    ///   CNN), whose explanations per event are not built yet.
    public func explain(
        _ history: UserHistory, at referenceTime: Int64, explainer: IntegratedGradients = IntegratedGradients()
    ) throws -> UserExplanation {
        guard let network = model as? Sequential, manifest.sequenceEncoder == nil else {
            throw ClassifierError.badModel(
                path: manifest.task,
                detail: "a \(manifest.model.rawValue) model reads event sequences; explanations cover MLP models so far"
            )
        }
        network.setTraining(false)
        let known = history.known(at: referenceTime)
        let raw = rawFeatureRows([known], at: referenceTime)[0]
        let features = scaledFeatures([raw])
        let result = explainer.explain(
            { network($0).sigmoid() }, input: features, baseline: [Float](repeating: 0, count: features.count))
        var attributions = manifest.featureColumns.indices.map { index in
            FeatureAttribution(
                feature: manifest.featureColumns[index], value: raw[index],
                attribution: Double(result.attributions[index]))
        }
        attributions.sort { abs($0.attribution) > abs($1.attribution) }
        return UserExplanation(
            user: history.userID, referenceTime: referenceTime, probability: result.score,
            baselineProbability: result.baselineScore, features: attributions, steps: result.steps,
            completenessGap: result.completenessGap, relativeGap: result.relativeGap)
    }
}
