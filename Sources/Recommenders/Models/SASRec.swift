import Datasets
import EventData
import NeuralNet
import Randomness
import TensorEngine

/// SASRec, self-attentive sequential recommendation (Kang & McAuley, ICDM 2018), built like
/// pmixer/SASRec.pytorch so results compare with the paper's.
///
/// ```
/// x = dropout(E[item] * sqrt(d) + P[position]) * keep
/// per block:  q = LN(x);  x = LN(q + CausalAttention(q, x, x));  x = (x + FFN(x)) * keep
/// output = LN(x);  score(item) = output · E[item]
/// ```
///
/// `keep` zeroes padded positions; histories are left-padded so the most recent item sits in
/// the last column. Every matrix starts from Xavier-normal values (as pmixer initialises them).
public final class SASRec: SequenceRecommender {
    public let itemEmbedding: Embedding
    let positions: PositionalEmbedding
    let embeddingDropout: Dropout
    let attentionNorms: [LayerNorm]
    let attentions: [MultiHeadAttention]
    let feedForwardNorms: [LayerNorm]
    let feedForwards: [PointwiseFeedForward]
    let feedForwardDropouts: [Dropout]
    let lastNorm: LayerNorm

    public var maxLength: Int { positions.maxLength }
    public var padding: SequencePadding { .left }
    /// The model width `d`.
    public var dimension: Int { itemEmbedding.dimension }

    /// - Parameters:
    ///   - itemCount: Items `0..<itemCount`.
    ///   - dimension: `d`, the width of embeddings and blocks.
    ///   - maxLength: The longest history read.
    ///   - blocks: Self-attention blocks.
    ///   - heads: Attention heads (dividing `dimension`).
    ///   - innerSize: The feed-forward layer's width (`d` in the paper).
    ///   - dropout: Dropout on embeddings, attention weights and feed-forward layers.
    public init(
        itemCount: Int, dimension: Int, maxLength: Int, blocks: Int = 2, heads: Int = 1, innerSize: Int? = nil,
        dropout: Float = 0.2, generator rng: inout RandomGenerator
    ) {
        itemEmbedding = Embedding(count: itemCount + 1, dimension: dimension, paddingIndex: 0, generator: &rng)
        positions = PositionalEmbedding(maxLength: maxLength, dimension: dimension, generator: &rng)
        embeddingDropout = Dropout(probability: dropout, seed: rng.next())
        attentionNorms = (0..<blocks).map { _ in LayerNorm(dimension: dimension, epsilon: 1e-8) }
        attentions = (0..<blocks).map { _ in
            MultiHeadAttention(dimension: dimension, headCount: heads, dropout: dropout, generator: &rng)
        }
        feedForwardNorms = (0..<blocks).map { _ in LayerNorm(dimension: dimension, epsilon: 1e-8) }
        feedForwards = (0..<blocks).map { _ in
            PointwiseFeedForward(
                dimension: dimension, hiddenSize: innerSize ?? dimension, dropout: dropout, generator: &rng)
        }
        feedForwardDropouts = (0..<blocks).map { _ in Dropout(probability: dropout, seed: rng.next()) }
        lastNorm = LayerNorm(dimension: dimension, epsilon: 1e-8)
        for (_, parameter) in parameters() where parameter.rank >= 2 {
            parameter.assign(Initializer.xavierNormal().make(parameter.shape, generator: &rng))
        }
        itemEmbedding.weight.withUnsafeMutableScalars { values in
            for j in 0..<dimension { values[j] = 0 }
        }
    }

    /// The parameter shapes ``init(itemCount:dimension:maxLength:blocks:heads:innerSize:dropout:generator:)``
    /// makes, without building.
    public static func parameterShapes(
        itemCount: Int, dimension: Int, maxLength: Int, blocks: Int, innerSize: Int? = nil
    ) -> ParameterShapes {
        var shapes = ParameterShapes()
        shapes.add(.embedding(count: itemCount + 1, dimension: dimension), under: "itemEmbedding")
        shapes.add(.positionalEmbedding(maxLength: maxLength, dimension: dimension), under: "positions")
        for i in 0..<max(blocks, 0) {
            shapes.add(.layerNorm(dimension: dimension), under: "blocks.\(i).attentionNorm")
            shapes.add(.multiHeadAttention(dimension: dimension), under: "blocks.\(i).attention")
            shapes.add(.layerNorm(dimension: dimension), under: "blocks.\(i).feedForwardNorm")
            shapes.add(
                .pointwiseFeedForward(dimension: dimension, hiddenSize: innerSize ?? dimension),
                under: "blocks.\(i).feedForward")
        }
        shapes.add(.layerNorm(dimension: dimension), under: "lastNorm")
        return shapes
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        var layers: [(name: String, layer: any Layer)] = [
            ("itemEmbedding", itemEmbedding), ("positions", positions), ("embeddingDropout", embeddingDropout),
        ]
        for i in attentions.indices {
            layers += [
                ("blocks.\(i).attentionNorm", attentionNorms[i]), ("blocks.\(i).attention", attentions[i]),
                ("blocks.\(i).feedForwardNorm", feedForwardNorms[i]), ("blocks.\(i).feedForward", feedForwards[i]),
                ("blocks.\(i).feedForwardDropout", feedForwardDropouts[i]),
            ]
        }
        return layers + [("lastNorm", lastNorm)]
    }

    public func features(_ tokens: IndexTensor, lengths: [Int]) -> Tensor {
        attend(tokens).output
    }

    /// The output after the last position only, `[B, d]`: every block but the last runs over all
    /// positions (they are the last block's keys and values), the last block only for the final
    /// query, which sees every position anyway. Equal to the last column of
    /// ``features(_:lengths:)`` at a fraction of the last block's cost (the serving path).
    public func lastFeatures(_ batch: SequenceBatch) -> Tensor {
        lastFeatures(embeddedItems: itemEmbedding(batch.tokens), batch: batch)
    }

    public func lastFeatures(embeddedItems: Tensor, batch: SequenceBatch) -> Tensor {
        let tokens = batch.tokens
        let (rows, length) = (tokens.shape[0], tokens.shape[1])
        let keep = Tensor(shape: tokens.shape + [1], scalars: tokens.indices.map { $0 == 0 ? 0 : 1 })
        var x = embeddingDropout(positions(embeddedItems * Float(dimension).squareRoot())) * keep
        let last = attentions.count - 1
        for i in 0..<last {
            let q = attentionNorms[i](x)
            x = feedForwardNorms[i](q + attentions[i](query: q, key: x, value: x, causal: true))
            x = (x + feedForwardDropouts[i](feedForwards[i](x))) * keep
        }
        let keepLast = keep.slice(axis: 1, (length - 1)..<length)
        let q = attentionNorms[last](x.slice(axis: 1, (length - 1)..<length))  // [B, 1, d]
        var y = feedForwardNorms[last](q + attentions[last](query: q, key: x, value: x))
        y = (y + feedForwardDropouts[last](feedForwards[last](y))) * keepLast
        return lastNorm(y).reshaped([rows, dimension])
    }

    /// The outputs `[B, T, d]` and each block's attention weights `[B, heads, T, T]` (which
    /// past items each position looked at), for explanations.
    public func attend(_ tokens: IndexTensor) -> (output: Tensor, weights: [Tensor]) {
        let keep = Tensor(shape: tokens.shape + [1], scalars: tokens.indices.map { $0 == 0 ? 0 : 1 })
        var x = positions(itemEmbedding(tokens) * Float(dimension).squareRoot())
        x = embeddingDropout(x) * keep
        var weights: [Tensor] = []
        for i in attentions.indices {
            let q = attentionNorms[i](x)
            let attention = attentions[i].attend(query: q, key: x, value: x, causal: true)
            weights.append(attention.weights)
            x = feedForwardNorms[i](q + attention.output)
            x = (x + feedForwardDropouts[i](feedForwards[i](x))) * keep
        }
        return (lastNorm(x), weights)
    }
}
