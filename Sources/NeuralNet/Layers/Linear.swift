import Randomness
import TensorEngine

/// A fully connected layer: `y = x W^T + b`.
///
/// Shapes: `x` is `[..., in]`, `weight` is `[out, in]` (PyTorch's layout), `bias` is `[out]`,
/// `y` is `[..., out]`.
public final class Linear: Layer {
    /// `[out, in]`.
    public let weight: Tensor
    /// `[out]`, or nil for a layer without bias.
    public let bias: Tensor?

    /// Creates a layer initialised like PyTorch's `nn.Linear` unless told otherwise.
    public init(
        inputSize: Int, outputSize: Int, bias: Bool = true,
        weightInitializer: Initializer = .fanInUniform, generator: inout RandomGenerator
    ) {
        weight = weightInitializer.make([outputSize, inputSize], generator: &generator)
        let bound = 1 / Float(Swift.max(inputSize, 1)).squareRoot()
        self.bias = bias ? Initializer.uniform(-bound...bound).make([outputSize], generator: &generator) : nil
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = x.matmul(weight, transposeB: true)
        guard let bias else { return y }
        return y + bias
    }
}

/// A lookup table of learned vectors: `ids [...] -> [..., dimension]`.
public final class Embedding: Layer {
    /// `[count, dimension]`.
    public let weight: Tensor
    /// The id whose vector is fixed at zero and receives no gradient, if any.
    public let paddingIndex: Int?

    /// Creates a table initialised from `N(0, 1)` like PyTorch's `nn.Embedding`, with the
    /// padding row zeroed.
    public init(
        count: Int, dimension: Int, paddingIndex: Int? = nil,
        initializer: Initializer = .normal(standardDeviation: 1), generator: inout RandomGenerator
    ) {
        precondition(paddingIndex.map { (0..<count).contains($0) } ?? true, "Embedding: padding index out of range")
        weight = initializer.make([count, dimension], generator: &generator)
        self.paddingIndex = paddingIndex
        if let paddingIndex {
            weight.withUnsafeMutableScalars { values in
                for j in 0..<dimension { values[paddingIndex * dimension + j] = 0 }
            }
        }
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// Looks up `ids`; rows for the padding index come out as zeros and pass no gradient.
    public func callAsFunction(_ ids: IndexTensor) -> Tensor {
        let rows = weight.indexSelect(axis: 0, ids)
        guard let paddingIndex, ids.indices.contains(paddingIndex) else { return rows }
        let mask = Tensor(shape: ids.shape + [1], scalars: ids.indices.map { $0 == paddingIndex ? 1 : 0 })
        return rows.maskedFill(mask, with: 0)
    }

    /// Scores against every row: `h [..., dimension] -> [..., count]` (a tied output layer).
    public func asLinear(_ h: Tensor) -> Tensor {
        h.matmul(weight, transposeB: true)
    }
}

/// Layer normalisation over the last axis with a learned scale (`weight`) and shift (`bias`).
public final class LayerNorm: Layer {
    /// `[dimension]`, initialised to ones.
    public let weight: Tensor
    /// `[dimension]`, initialised to zeros.
    public let bias: Tensor
    /// Added to the variance before the square root.
    public let epsilon: Float

    public init(dimension: Int, epsilon: Float = 1e-5) {
        weight = Tensor.ones([dimension], requiresGradient: true)
        bias = Tensor.zeros([dimension], requiresGradient: true)
        self.epsilon = epsilon
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNormalized(gamma: weight, beta: bias, epsilon: epsilon)
    }
}

/// Inverted dropout, active only in training mode (see ``Layer/setTraining(_:)``), which
/// ``TrainingLoop`` turns on for its steps: a built or loaded model is in inference mode.
public final class Dropout: Layer {
    /// The probability of zeroing an element.
    public let probability: Float
    /// Whether dropout is applied (training) or the layer is the identity (evaluation).
    public private(set) var isTraining = false
    private var generator: RandomGenerator

    /// - Parameters:
    ///   - probability: In `[0, 1)`.
    ///   - seed: Seeds this layer's own mask stream, so runs are reproducible.
    public init(probability: Float, seed: UInt64) {
        precondition((0..<1).contains(probability), "Dropout: probability \(probability) must be in [0, 1)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return x }
        return x.dropout(probability: probability, generator: &generator)
    }
}

/// Layers applied one after another, each `Tensor -> Tensor`.
public final class Sequential: Layer {
    /// A step of the chain: a layer with its forward function, or a parameter-free function.
    public enum Step {
        case layer(any Layer, (Tensor) -> Tensor)
        case function((Tensor) -> Tensor)
    }

    private let steps: [Step]

    public init(_ steps: [Step]) { self.steps = steps }

    public var sublayers: [(name: String, layer: any Layer)] {
        steps.enumerated().compactMap { index, step in
            if case .layer(let layer, _) = step { return (String(index), layer) }
            return nil
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        steps.reduce(x) { value, step in
            switch step {
            case .layer(_, let forward): return forward(value)
            case .function(let f): return f(value)
            }
        }
    }
}

extension Sequential.Step {
    /// A linear layer step.
    public static func linear(_ layer: Linear) -> Self { .layer(layer, { layer($0) }) }
    /// A layer-norm step.
    public static func layerNorm(_ layer: LayerNorm) -> Self { .layer(layer, { layer($0) }) }
    /// A dropout step.
    public static func dropout(_ layer: Dropout) -> Self { .layer(layer, { layer($0) }) }
    /// ReLU.
    public static var relu: Self { .function { $0.relu() } }
    /// Hyperbolic tangent.
    public static var tanh: Self { .function { $0.tanh() } }
    /// Sigmoid.
    public static var sigmoid: Self { .function { $0.sigmoid() } }
    /// GELU (exact form).
    public static var gelu: Self { .function { $0.gelu() } }
}
