import NeuralNet
import Randomness
import TensorEngine

/// A next-item model of any kind, built from a ``NextItemConfig``.
public enum NextItemModel {
    /// SASRec or GRU4Rec.
    case sequence(any SequenceRecommender)
    /// The most-popular baseline.
    case popularity(PopularityModel)

    /// A freshly initialised model of `config.model` for `itemCount` items; the popularity
    /// model is counted from `trainingSequences`.
    public static func make(
        _ config: NextItemConfig, itemCount: Int, trainingSequences: [[Int]] = []
    ) -> NextItemModel {
        var rng = RandomGenerator(seed: config.seed)
        switch config.architecture {
        case .sasrec(let sasrec):
            return .sequence(
                SASRec(
                    itemCount: itemCount, dimension: sasrec.hidden, maxLength: config.maxLength,
                    blocks: sasrec.blocks, heads: sasrec.heads, innerSize: sasrec.feedForwardSize,
                    dropout: sasrec.dropout, generator: &rng))
        case .gru4rec(let gru4rec):
            return .sequence(
                GRU4Rec(
                    itemCount: itemCount, dimension: gru4rec.hidden, hiddenSize: gru4rec.stateSize,
                    layers: gru4rec.layers, maxLength: gru4rec.maxLength, dropout: gru4rec.dropout,
                    generator: &rng))
        case .popularity:
            return .popularity(PopularityModel(sequences: trainingSequences, itemCount: itemCount))
        }
    }

    /// The parameter shapes ``make(_:itemCount:trainingSequences:)`` gives, without building:
    /// what a model directory's weights must hold before a model is built from its
    /// `config.json`.
    public static func parameterShapes(_ config: NextItemConfig, itemCount: Int) -> ParameterShapes {
        switch config.architecture {
        case .sasrec(let sasrec):
            return SASRec.parameterShapes(
                itemCount: itemCount, dimension: sasrec.hidden, maxLength: config.maxLength, blocks: sasrec.blocks,
                innerSize: sasrec.feedForwardSize)
        case .gru4rec(let gru4rec):
            return GRU4Rec.parameterShapes(
                itemCount: itemCount, dimension: gru4rec.hidden, hiddenSize: gru4rec.stateSize, layers: gru4rec.layers)
        case .popularity:
            return ParameterShapes(["counts": [itemCount]])
        }
    }

    /// The layer tree holding the weights.
    public var layer: any Layer {
        switch self {
        case .sequence(let model): return model
        case .popularity(let model): return model
        }
    }

    /// The number of items scored.
    public var itemCount: Int {
        switch self {
        case .sequence(let model): return model.itemCount
        case .popularity(let model): return model.itemCount
        }
    }

    /// Scores of items `0..<itemCount` after each history (dense ids, oldest first).
    public func scores(after histories: [[Int]]) -> [[Float]] {
        switch self {
        case .sequence(let model): return model.scores(after: histories)
        case .popularity(let model): return model.scores(after: histories)
        }
    }

    /// The `count` best items after `history`, best first, skipping `excluding`; ties go to
    /// the smaller item id.
    public func recommend(after history: [Int], count: Int, excluding: Set<Int> = []) -> [(item: Int, score: Float)] {
        guard let scores = scores(after: [history]).first else { return [] }
        return Self.top(count, of: scores, excluding: excluding)
    }

    /// The positions of the `count` largest `scores` outside `excluding`, best first.
    public static func top(_ count: Int, of scores: [Float], excluding: Set<Int> = []) -> [(item: Int, score: Float)] {
        guard count > 0 else { return [] }
        var best: [(item: Int, score: Float)] = []
        best.reserveCapacity(count + 1)
        for (item, score) in scores.enumerated() where !excluding.contains(item) {
            guard best.count < count || score > best[best.count - 1].score else { continue }
            let at = best.firstIndex { $0.score < score } ?? best.count
            best.insert((item, score), at: at)
            if best.count > count { best.removeLast() }
        }
        return best
    }
}
