import Randomness
import TensorEngine

/// The position-wise feed-forward block of a Transformer (SASRec's "point-wise FFN"): the same
/// two-layer network applied to every position independently.
///
/// ```
/// y = outer(dropout(activation(inner(x))))      inner: D -> hidden, outer: hidden -> D
/// ```
///
/// Shapes: `x` and `y` are `[B, T, D]` (any `[..., D]` works). There is no residual connection
/// inside; the enclosing block adds `x + y` itself.
public final class PointwiseFeedForward: Layer {
    /// The non-linearity between the two projections.
    public enum Activation: Sendable, Equatable {
        /// `max(0, x)`.
        case relu
        /// The exact (erf) GELU, `x * Φ(x)`.
        case gelu
    }

    /// `D -> hidden`.
    public let inner: Linear
    /// `hidden -> D`.
    public let outer: Linear
    /// Applied to the hidden activations in training mode.
    public let dropout: Dropout
    /// The non-linearity after ``inner``.
    public let activation: Activation

    /// Creates a block with both projections initialised like PyTorch's `nn.Linear`.
    ///
    /// - Parameters:
    ///   - dimension: `D`, the model width.
    ///   - hiddenSize: The width of the hidden layer (often `D` in SASRec, `4 D` in BERT).
    ///   - activation: ReLU (default) or GELU.
    ///   - dropout: The probability of dropping a hidden activation in training mode.
    ///   - generator: Draws the initial weights and seeds the dropout stream.
    public init(
        dimension: Int, hiddenSize: Int, activation: Activation = .relu, dropout: Float = 0,
        generator: inout RandomGenerator
    ) {
        inner = Linear(inputSize: dimension, outputSize: hiddenSize, generator: &generator)
        outer = Linear(inputSize: hiddenSize, outputSize: dimension, generator: &generator)
        self.dropout = Dropout(probability: dropout, seed: generator.next())
        self.activation = activation
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("inner", inner), ("outer", outer), ("dropout", dropout)]
    }

    /// `[..., D] -> [..., D]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let hidden = inner(x)
        let activated: Tensor
        switch activation {
        case .relu: activated = hidden.relu()
        case .gelu: activated = hidden.gelu()
        }
        return outer(dropout(activated))
    }
}
