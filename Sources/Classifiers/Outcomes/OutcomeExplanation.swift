import Datasets
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

/// One past event's share of a user's score, in the user's terms.
public struct EventAttribution: Sendable, Codable, Equatable {
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    public var time: Int64
    public var type: String
    /// The item's external id, if the event had one.
    public var item: String?
    public var category: String?
    public var value: Double?
    /// How far it moved the probability from the baseline's (the same events with nothing
    /// known about any of them).
    public var attribution: Double
}

/// Why a purchase or churn model scored one user as it did: per feature for an MLP, per past
/// event for a sequence model.
public struct UserExplanation: Sendable, Codable, Equatable {
    public var user: String
    /// The scoring time, in milliseconds since 1970-01-01 UTC: only events at or before it count.
    public var referenceTime: Int64
    public var probability: Double
    /// The probability of the average training user (every scaled feature 0).
    public var baselineProbability: Double
    /// Every feature, the largest attribution (by size) first (an MLP; empty for a sequence model).
    public var features: [FeatureAttribution]
    /// The events the sequence model read, oldest first (empty for an MLP).
    public var events: [EventAttribution] = []
    /// Integrated-gradient path points and the completeness gap (absolute and relative).
    public var steps: Int
    public var completenessGap: Double
    public var relativeGap: Double
}

extension UserOutcomeClassifier {
    /// Explains the probability for one user as of `referenceTime` by integrated gradients.
    ///
    /// An MLP is explained per feature, against the average training user (the zero vector
    /// of the standardised features). A sequence model (LSTM, GRU, CNN) is explained per past
    /// event it read (the last 50): the attribution of an event is the sum over what the
    /// encoder reads of it (its type, item and category embeddings and its numbers), against
    /// the same number of events with nothing known about them (all zero, as padding).
    ///
    /// - Parameter itemIDs: The store's external item ids by dense index; a sequence model
    ///   needs them to read the events' items.
    /// - Throws: ``ClassifierError/badModel(path:detail:)`` for a sequence model without
    ///   `itemIDs`, or a user without events before `referenceTime`.
    public func explain(
        _ history: UserHistory, at referenceTime: Int64, itemIDs: Vocabulary? = nil,
        explainer: IntegratedGradients = IntegratedGradients()
    ) throws -> UserExplanation {
        let known = history.known(at: referenceTime)
        if let encoder = manifest.sequenceEncoder, let classifier = model as? EventSequenceClassifier {
            guard let itemIDs else {
                throw ClassifierError.badModel(
                    path: manifest.task,
                    detail: "a \(manifest.model.rawValue) model reads the events' items: pass the store's item ids")
            }
            guard !known.events.isEmpty else {
                throw ClassifierError.badData(
                    path: history.userID, detail: "no events at or before the scoring time to explain")
            }
            return explainSequence(
                known, classifier: classifier, encoder: encoder, itemIDs: itemIDs,
                at: referenceTime, explainer: explainer)
        }
        guard let network = model as? Sequential else {
            preconditionFailure("an outcome model is an MLP or a sequence classifier")
        }
        network.setTraining(false)
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

    /// Integrated gradients over the embedded events, summed per event.
    private func explainSequence(
        _ known: UserHistory, classifier: EventSequenceClassifier, encoder: EventSequenceEncoder,
        itemIDs: Vocabulary, at referenceTime: Int64, explainer: IntegratedGradients
    ) -> UserExplanation {
        classifier.setTraining(false)
        let batch = encoder.batch([known], itemIDs: itemIDs, referenceTime: referenceTime)
        let input = Tensor.withoutGradients { classifier.embedded(batch) }
        let (length, width) = (input.shape[1], input.shape[2])
        let lengths = batch.lengths
        let result = explainer.explain(
            { rows in
                let count = rows.shape[0]
                let x = rows.reshaped([count, length, width])
                return classifier.logits(embedded: x, lengths: [Int](repeating: lengths[0], count: count)).sigmoid()
            },
            input: input.scalars, baseline: [Float](repeating: 0, count: input.count))
        let read = known.events.suffix(length)
        let events = read.enumerated().map { position, event in
            let slot = result.attributions[(position * width)..<((position + 1) * width)]
            return EventAttribution(
                time: event.timestamp, type: event.type.rawValue, item: event.item.map { itemIDs[$0] },
                category: event.category, value: event.value,
                attribution: slot.reduce(0.0) { $0 + Double($1) })
        }
        return UserExplanation(
            user: known.userID, referenceTime: referenceTime, probability: result.score,
            baselineProbability: result.baselineScore, features: [], events: events, steps: result.steps,
            completenessGap: result.completenessGap, relativeGap: result.relativeGap)
    }
}
