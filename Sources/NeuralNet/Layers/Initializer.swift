import Randomness
import TensorEngine

/// How a parameter tensor is filled before training.
///
/// Fans follow PyTorch: for a weight of shape `[out, in, k...]`, `fanIn = in * k...` and
/// `fanOut = out * k...`; for a 1-D tensor both are its length.
public enum Initializer: Sendable, Equatable {
    /// `U(-a, a)` with `a = gain * sqrt(6 / (fanIn + fanOut))` (Glorot and Bengio, 2010).
    case xavierUniform(gain: Float = 1)
    /// `N(0, s)` with `s = gain * sqrt(2 / (fanIn + fanOut))`.
    case xavierNormal(gain: Float = 1)
    /// `U(-a, a)` with `a = gain * sqrt(3 / fanIn)`, `gain = sqrt(2)` for ReLU (He et al., 2015).
    case kaimingUniform(gain: Float = 1.414_213_6)
    /// `N(0, s)` with `s = gain / sqrt(fanIn)`.
    case kaimingNormal(gain: Float = 1.414_213_6)
    /// `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`: PyTorch's default for Linear, Conv1d, LSTM and GRU.
    case fanInUniform
    /// `U(lower, upper)`.
    case uniform(ClosedRange<Float>)
    /// `N(mean, standardDeviation)`.
    case normal(mean: Float = 0, standardDeviation: Float)
    /// All zeros.
    case zeros
    /// All ones.
    case ones

    /// A new leaf tensor of `shape` that requires a gradient, filled by this rule.
    public func make(_ shape: [Int], generator: inout RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = Initializer.fans(shape)
        let tensor: Tensor
        switch self {
        case .xavierUniform(let gain):
            let a = gain * (6 / Float(fanIn + fanOut)).squareRoot()
            tensor = .uniform(shape, in: -a...a, generator: &generator)
        case .xavierNormal(let gain):
            tensor = .normal(
                shape, standardDeviation: gain * (2 / Float(fanIn + fanOut)).squareRoot(), generator: &generator)
        case .kaimingUniform(let gain):
            let a = gain * (3 / Float(fanIn)).squareRoot()
            tensor = .uniform(shape, in: -a...a, generator: &generator)
        case .kaimingNormal(let gain):
            tensor = .normal(shape, standardDeviation: gain / Float(fanIn).squareRoot(), generator: &generator)
        case .fanInUniform:
            let a = 1 / Float(fanIn).squareRoot()
            tensor = .uniform(shape, in: -a...a, generator: &generator)
        case .uniform(let range):
            tensor = .uniform(shape, in: range, generator: &generator)
        case .normal(let mean, let deviation):
            tensor = .normal(shape, mean: mean, standardDeviation: deviation, generator: &generator)
        case .zeros:
            tensor = .zeros(shape)
        case .ones:
            tensor = .ones(shape)
        }
        return tensor.requiringGradient()
    }

    /// PyTorch's fan-in and fan-out of a weight shape (at least 1 each).
    static func fans(_ shape: [Int]) -> (Int, Int) {
        guard shape.count >= 2 else {
            let n = Swift.max(shape.first ?? 1, 1)
            return (n, n)
        }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (Swift.max(shape[1] * receptive, 1), Swift.max(shape[0] * receptive, 1))
    }
}
