import Randomness
import TensorEngine

/// Multi-head scaled dot-product attention, numerically matching PyTorch's
/// `nn.MultiheadAttention(embed_dim: E, num_heads: H, batch_first: True)`.
///
/// ```
/// q = query Wq^T + bq,  k = key Wk^T + bk,  v = value Wv^T + bv     (Wq, Wk, Wv stacked in inputWeight)
/// for each head h (a Dh-wide slice of q, k, v):
///     A_h = softmax(q_h k_h^T / sqrt(Dh), masked)                    [B, Tq, Tk]
///     o_h = dropout(A_h) v_h                                         [B, Tq, Dh]
/// y = [o_1 ... o_H] Wo^T + bo                                        (the `output` sublayer)
/// ```
///
/// Shapes: `B` batch, `Tq` query length, `Tk` key length, `E` = ``dimension``,
/// `H` = ``headCount``, `Dh = E / H`. All heads run as one batched matmul over `[B, H, T, Dh]`.
///
/// Parameter keys are `inputWeight` `[3E, E]` and `inputBias` `[3E]` (PyTorch's
/// `in_proj_weight` / `in_proj_bias`, rows stacked q, k, v) and `output.weight` / `output.bias`
/// (PyTorch's `out_proj.*`).
///
/// Masking: a masked score is replaced by ``maskFill`` (-1e9) before the softmax, so a masked
/// key gets zero weight (numerically: below 1e-37) whenever its row has an unmasked key. A
/// row whose keys are *all* masked (for example a left-padded query under a causal mask) gets
/// uniform weights over every key, i.e. the mean of the values, where PyTorch's `-inf` gives
/// NaN; the result is finite but meaningless, so callers should ignore outputs at padded
/// queries.
///
/// ```swift
/// let attention = MultiHeadAttention(dimension: 64, headCount: 2, dropout: 0.2, generator: &rng)
/// let y = attention(h, causal: true, keyPadding: padding)   // h [B, T, 64], padding [B, T]
/// ```
///
/// ### See Also
/// ``AttentionResult``, ``PositionalEmbedding``, ``PointwiseFeedForward``
public final class MultiHeadAttention: Layer {
    /// `[3E, E]`: the query, key and value projections stacked by rows.
    public let inputWeight: Tensor
    /// `[3E]`: the query, key and value biases.
    public let inputBias: Tensor
    /// `E -> E`: mixes the concatenated heads.
    public let output: Linear
    /// Applied to the attention weights in training mode.
    public let attentionDropout: Dropout
    /// The number of heads `H`.
    public let headCount: Int

    /// The score given to masked query-key pairs: finite, so fully masked rows stay finite.
    public static let maskFill: Float = -1e9

    /// Creates a layer initialised like PyTorch: Xavier-uniform `inputWeight`, the default
    /// `nn.Linear` weight for `output`, and zero biases.
    ///
    /// - Parameters:
    ///   - dimension: `E`, the model width of queries, keys, values and the output.
    ///   - headCount: `H`; must divide `dimension`.
    ///   - dropout: The probability of dropping an attention weight in training mode.
    ///   - generator: Draws the initial weights and seeds the dropout stream.
    public init(dimension: Int, headCount: Int, dropout: Float = 0, generator: inout RandomGenerator) {
        precondition(
            dimension > 0 && headCount > 0 && dimension % headCount == 0,
            "MultiHeadAttention: dimension \(dimension) must be a positive multiple of headCount \(headCount)")
        self.headCount = headCount
        inputWeight = Initializer.xavierUniform().make([3 * dimension, dimension], generator: &generator)
        inputBias = Tensor.zeros([3 * dimension], requiresGradient: true)
        output = Linear(inputSize: dimension, outputSize: dimension, generator: &generator)
        output.bias?.assign(Tensor.zeros([dimension]))
        attentionDropout = Dropout(probability: dropout, seed: generator.next())
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("inputWeight", inputWeight), ("inputBias", inputBias)]
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("output", output), ("dropout", attentionDropout)]
    }

    /// `E`, the model width.
    public var dimension: Int { inputWeight.shape[1] }
    /// `Dh = E / H`, the width of each head.
    public var headDimension: Int { dimension / headCount }

    /// Attention of `query` over `key` and `value`: `[B, Tq, E]`.
    ///
    /// - Parameters:
    ///   - query: `[B, Tq, E]`.
    ///   - key: `[B, Tk, E]`.
    ///   - value: `[B, Tk, E]`.
    ///   - causal: Mask key `j` for query `i` when `j > i` (no attending to the future).
    ///   - keyPadding: `[B, Tk]` holding 1 at padded keys (masked) and 0 at real ones.
    public func callAsFunction(
        query: Tensor, key: Tensor, value: Tensor, causal: Bool = false, keyPadding: Tensor? = nil
    ) -> Tensor {
        attend(query: query, key: key, value: value, causal: causal, keyPadding: keyPadding).output
    }

    /// Self-attention of `x` `[B, T, E]` over itself: `[B, T, E]`.
    ///
    /// See ``callAsFunction(query:key:value:causal:keyPadding:)`` for the masks.
    public func callAsFunction(_ x: Tensor, causal: Bool = false, keyPadding: Tensor? = nil) -> Tensor {
        attend(query: x, key: x, value: x, causal: causal, keyPadding: keyPadding).output
    }

    /// Self-attention of `x` `[B, T, E]` over itself, with the attention weights.
    public func attend(_ x: Tensor, causal: Bool = false, keyPadding: Tensor? = nil) -> AttentionResult {
        attend(query: x, key: x, value: x, causal: causal, keyPadding: keyPadding)
    }

    /// Attention of `query` over `key` and `value`, with the attention weights (for
    /// explanations: which past events a prediction looked at).
    ///
    /// Takes the arguments of ``callAsFunction(query:key:value:causal:keyPadding:)``. When
    /// `query`, `key` and `value` are the same tensor the three projections run as one matmul.
    public func attend(
        query: Tensor, key: Tensor, value: Tensor, causal: Bool = false, keyPadding: Tensor? = nil
    ) -> AttentionResult {
        let e = dimension
        precondition(
            query.rank == 3 && query.shape[2] == e,
            "MultiHeadAttention: query must be [B, Tq, \(e)], got \(query.shape)")
        precondition(
            key.rank == 3 && key.shape == value.shape && key.shape[0] == query.shape[0] && key.shape[2] == e,
            "MultiHeadAttention: key \(key.shape) and value \(value.shape) must both be [\(query.shape[0]), Tk, \(e)]")
        let (batch, queryLength, keyLength) = (query.shape[0], query.shape[1], key.shape[1])

        let q: Tensor
        let k: Tensor
        let v: Tensor
        if query.isIdentical(to: key) && key.isIdentical(to: value) {
            let projected = query.matmul(inputWeight, transposeB: true) + inputBias  // [B, T, 3E]
            let parts = projected.split(sizes: [e, e, e], axis: 2)
            (q, k, v) = (parts[0], parts[1], parts[2])
        } else {
            let weights = inputWeight.split(sizes: [e, e, e], axis: 0)
            let biases = inputBias.split(sizes: [e, e, e], axis: 0)
            q = query.matmul(weights[0], transposeB: true) + biases[0]
            k = key.matmul(weights[1], transposeB: true) + biases[1]
            v = value.matmul(weights[2], transposeB: true) + biases[2]
        }

        // Scaling q rather than the scores follows PyTorch, which keeps rounding comparable.
        let scale = 1 / Float(headDimension).squareRoot()
        var scores = splitHeads(q * scale).matmul(splitHeads(k), transposeB: true)  // [B, H, Tq, Tk]
        if let mask = Self.mask(
            batch: batch, queryLength: queryLength, keyLength: keyLength, causal: causal, keyPadding: keyPadding)
        {
            scores = scores.maskedFill(mask, with: Self.maskFill)
        }
        let weights = scores.softmax(axis: -1)
        let context = attentionDropout(weights).matmul(splitHeads(v))  // [B, H, Tq, Dh]
        let merged = context.permuted([0, 2, 1, 3]).reshaped([batch, queryLength, e])
        return AttentionResult(output: output(merged), weights: weights)
    }

    /// `[B, T, E] -> [B, H, T, Dh]`.
    private func splitHeads(_ x: Tensor) -> Tensor {
        x.reshaped([x.shape[0], x.shape[1], headCount, headDimension]).permuted([0, 2, 1, 3])
    }

    /// A constant mask, non-zero where a score is masked, broadcastable to `[B, H, Tq, Tk]`:
    /// `[Tq, Tk]` (causal), `[B, 1, 1, Tk]` (padding), `[B, 1, Tq, Tk]` (both), or nil.
    private static func mask(
        batch: Int, queryLength: Int, keyLength: Int, causal: Bool, keyPadding: Tensor?
    ) -> Tensor? {
        var mask: Tensor? = nil
        if causal {
            let future = (0..<(queryLength * keyLength)).map { i -> Float in
                i % keyLength > i / keyLength ? 1 : 0
            }
            mask = Tensor(shape: [queryLength, keyLength], scalars: future)
        }
        if let keyPadding {
            precondition(
                keyPadding.shape == [batch, keyLength],
                "MultiHeadAttention: keyPadding must be [B, Tk] = [\(batch), \(keyLength)], got \(keyPadding.shape)")
            let padding = keyPadding.detached().reshaped([batch, 1, 1, keyLength])
            mask = mask.map { $0 + padding } ?? padding
        }
        return mask
    }
}

/// The output of ``MultiHeadAttention`` together with its attention weights.
public struct AttentionResult: Sendable {
    /// `[B, Tq, E]`.
    public let output: Tensor
    /// `[B, H, Tq, Tk]`: per head, the softmax weights each query gives each key (before
    /// dropout; each row sums to 1, masked keys get 0).
    public let weights: Tensor

    /// `[B, Tq, Tk]`: the weights averaged over heads (PyTorch's `average_attn_weights`).
    public var headAveragedWeights: Tensor { weights.mean(axis: 1) }
}

/// Learned absolute position vectors (as in SASRec and BERT): row `t` is added at position `t`.
///
/// Shapes: `weight` is `[maxLength, D]`; a sequence `[B, T, D]` needs `T <= maxLength`.
public final class PositionalEmbedding: Layer {
    /// `[maxLength, D]`, initialised from `N(0, 1)` like PyTorch's `nn.Embedding`.
    public let weight: Tensor

    /// - Parameters:
    ///   - maxLength: The longest sequence the layer can encode.
    ///   - dimension: `D`, the model width.
    ///   - initializer: Fills `weight`; defaults to `N(0, 1)`.
    ///   - generator: Draws the initial weights.
    public init(
        maxLength: Int, dimension: Int, initializer: Initializer = .normal(standardDeviation: 1),
        generator: inout RandomGenerator
    ) {
        precondition(
            maxLength > 0 && dimension > 0,
            "PositionalEmbedding: maxLength \(maxLength) and dimension \(dimension) must be positive")
        weight = initializer.make([maxLength, dimension], generator: &generator)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    /// The longest sequence the layer can encode.
    public var maxLength: Int { weight.shape[0] }
    /// `D`, the model width.
    public var dimension: Int { weight.shape[1] }

    /// The vectors of positions `0..<length`: `[length, D]`.
    public func callAsFunction(length: Int) -> Tensor {
        precondition(
            length <= maxLength,
            "PositionalEmbedding: sequence length \(length) exceeds maxLength \(maxLength); "
                + "truncate sequences to their last \(maxLength) steps or build the layer with a larger maxLength")
        return weight.slice(axis: 0, 0..<length)
    }

    /// `x + positions`: adds the vector of position `t` to `x[b, t, :]` for `x` `[B, T, D]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(
            x.rank == 3 && x.shape[2] == dimension,
            "PositionalEmbedding: input must be [B, T, \(dimension)], got \(x.shape)")
        return x + self(length: x.shape[1])
    }
}
