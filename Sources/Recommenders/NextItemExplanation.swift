import Datasets
import EventData
import Explanations
import Foundation
import NeuralNet
import TensorEngine

/// One past item's share of a recommendation, in the user's terms.
public struct ItemEventAttribution: Sendable, Codable, Equatable {
    /// The item's external id.
    public var item: String
    /// When the user interacted with it, how, and the item's category (from the event store;
    /// nil for a history given as item ids).
    public var time: Int64?
    public var type: String?
    public var category: String?
    /// How far it moved the recommended item's score from the baseline's.
    public var attribution: Double
    /// SASRec: the attention the last position paid to this item, per block, then per head.
    public var attention: [[Double]]?
    /// SASRec: attention rollout over the blocks (the residual counted as half of each block).
    public var rollout: Double?
}

/// Why a next-item model recommends an item after a history.
public struct RecommendationExplanation: Sendable, Codable, Equatable {
    /// The explained item's external id.
    public var item: String
    /// Its score after the history (the logit recommendations rank by, as `recommend` reports it).
    public var score: Double
    /// Its score after the same number of items with nothing known about any of them.
    public var baselineScore: Double
    /// The items the model read, oldest first.
    public var events: [ItemEventAttribution]
    /// Integrated-gradient path points and the completeness gap (absolute and relative).
    public var steps: Int
    public var completenessGap: Double
    public var relativeGap: Double
}

extension NextItemPackage {
    /// Explains `item`'s score after `history` (model item indexes, oldest first) per past
    /// item: integrated gradients over the items' embeddings, summed per item, against the
    /// same positions with nothing known (all-zero embeddings, as padding), so the
    /// attributions add up to the score's change. The score is the logit recommendations rank
    /// by; it is smoother along the path than the softmax probability, so far fewer path
    /// points reach the 1% completeness. For SASRec also the last position's
    /// attention to each item per block and head, and the attention rollout.
    ///
    /// - Parameter item: The item to explain (a model item index); nil explains the top
    ///   recommendation among items not in the history.
    /// - Throws: ``RecommenderError/badModel(path:detail:)`` for the popularity model, which
    ///   reads no history; ``RecommenderError/emptyHistory(detail:)`` for an empty history.
    public func explain(
        after history: [Int], item: Int? = nil, explainer: IntegratedGradients = IntegratedGradients()
    ) throws(RecommenderError) -> RecommendationExplanation {
        guard case .sequence(let network) = model else {
            throw .badModel(
                path: manifest.config.model.rawValue, detail: "the popularity model reads no history to explain")
        }
        guard !history.isEmpty else { throw .emptyHistory(detail: "explanations need at least one item") }
        let target: Int
        if let item {
            target = item
        } else {
            let top = model.recommend(after: history, count: 1, excluding: Set(history))
            guard let best = top.first?.item else { throw .emptyHistory(detail: "no item is left to recommend") }
            target = best
        }
        network.setTraining(false)
        guard let batcher = try? SequenceBatcher(maxLength: network.maxLength, padding: network.padding),
            let batch = try? batcher.batch([history])
        else {
            preconditionFailure("explain(after:): a history of model item indexes batches")
        }
        let input = Tensor.withoutGradients { network.itemEmbedding(batch.tokens) }
        let (length, width) = (input.shape[1], input.shape[2])
        let result = explainer.explain(
            { rows in
                let count = rows.shape[0]
                guard let repeated = try? batcher.batch([[Int]](repeating: history, count: count)) else {
                    preconditionFailure("explain(after:): the history batched once already")
                }
                let features = network.lastFeatures(
                    embeddedItems: rows.reshaped([count, length, width]), batch: repeated)
                // The item's score (its logit, what recommendations rank by): the row of its token.
                let token = SequenceBatcher.token(forItem: target)
                let row = network.itemEmbedding.weight.slice(axis: 0, token..<(token + 1)).detached()
                return features.matmul(row, transposeB: true).reshaped([count])
            },
            input: input.scalars, baseline: [Float](repeating: 0, count: input.count))
        // The positions of the items read, oldest first.
        let read = batch.lengths[0]
        let positions = network.padding == .left ? Array((length - read)..<length) : Array(0..<read)
        let attention = (network as? SASRec).map { attentionToLast($0, batch: batch) }
        let events = positions.enumerated().map { offset, position in
            let slot = result.attributions[(position * width)..<((position + 1) * width)]
            return ItemEventAttribution(
                item: items[history[history.count - read + offset]], time: nil, type: nil, category: nil,
                attribution: slot.reduce(0.0) { $0 + Double($1) },
                attention: attention.map { blocks in blocks.weights.map { heads in heads.map { $0[position] } } },
                rollout: attention.map { $0.rollout[position] })
        }
        return RecommendationExplanation(
            item: items[target], score: result.score, baselineScore: result.baselineScore,
            events: events, steps: result.steps, completenessGap: result.completenessGap,
            relativeGap: result.relativeGap)
    }

    /// Explains the recommendation for a user of `store` after all their item events the model
    /// knows, naming each event by its time, type and category.
    ///
    /// - Parameter item: An external item id to explain; nil explains the top recommendation.
    /// - Throws: ``RecommenderError/unknownItems(ids:)`` for an item the model lacks; what
    ///   ``itemEvents(ofUser:in:)`` and ``explain(after:item:explainer:)`` throw.
    public func explain(
        forUser userID: String, in store: any EventStore, item: String? = nil,
        explainer: IntegratedGradients = IntegratedGradients()
    ) throws -> RecommendationExplanation {
        try explain(try itemEvents(ofUser: userID, in: store), item: item, explainer: explainer)
    }

    /// Explains the recommendation after a user's item events (as ``itemEvents(ofUser:in:)``
    /// read them), naming each event by its time, type and category.
    public func explain(
        _ found: UserItemEvents, item: String? = nil, explainer: IntegratedGradients = IntegratedGradients()
    ) throws(RecommenderError) -> RecommendationExplanation {
        let target = try item.map { id throws(RecommenderError) in try itemIndexes(of: [id])[0] }
        var explanation = try explain(after: found.items, item: target, explainer: explainer)
        for (offset, event) in found.events.suffix(explanation.events.count).enumerated() {
            explanation.events[offset].time = event.timestamp
            explanation.events[offset].type = event.type.rawValue
            explanation.events[offset].category = event.category
        }
        return explanation
    }

    /// The last position's attention per block and head over every position, and the rollout
    /// `e_lastᵀ Â_L ⋯ Â_1` with `Â = ½ (heads' mean) + ½ I`, rows renormalised (Abnar and
    /// Zuidema 2020): how much of the last position's output flows from each input position.
    private func attentionToLast(_ sasrec: SASRec, batch: SequenceBatch) -> (weights: [[[Double]]], rollout: [Double]) {
        let blocks = Tensor.withoutGradients { sasrec.attend(batch.tokens).weights }  // each [1, H, T, T]
        let length = batch.tokens.shape[1]
        var weights: [[[Double]]] = []
        var mixed: [[Double]] = []
        for block in blocks {
            let heads = block.shape[1]
            let values = block.scalars
            weights.append(
                (0..<heads).map { head in
                    let row = (head * length + (length - 1)) * length
                    return (0..<length).map { Double(values[row + $0]) }
                })
            var matrix = [Double](repeating: 0, count: length * length)
            for head in 0..<heads {
                for index in 0..<(length * length) { matrix[index] += Double(values[head * length * length + index]) }
            }
            for i in 0..<length {
                var sum = 0.0
                for j in 0..<length {
                    matrix[i * length + j] = 0.5 * matrix[i * length + j] / Double(heads) + (i == j ? 0.5 : 0)
                    sum += matrix[i * length + j]
                }
                for j in 0..<length { matrix[i * length + j] /= max(sum, 1e-12) }
            }
            mixed.append(matrix)
        }
        var rollout = [Double](repeating: 0, count: length)
        rollout[length - 1] = 1
        for matrix in mixed.reversed() {
            var next = [Double](repeating: 0, count: length)
            for i in 0..<length where rollout[i] != 0 {
                for j in 0..<length { next[j] += rollout[i] * matrix[i * length + j] }
            }
            rollout = next
        }
        return (weights, rollout)
    }
}
