import Randomness
import TensorEngine

/// A 1-D convolution over the length axis, matching PyTorch's `nn.Conv1d` (which computes a
/// cross-correlation).
///
/// ```
/// y[n, o, t] = b[o] + Σ_c Σ_k W[o, c, k] * x[n, c, t * stride - padding + k * dilation]
/// ```
///
/// Shapes: `x` is `[N, Cin, L]`, `weight` `[Cout, Cin, K]`, `bias` `[Cout]`, `y`
/// `[N, Cout, Lout]` with `Lout = (L + 2 padding - dilation (K - 1) - 1) / stride + 1`.
/// Positions outside `x` read as zero.
///
/// ```swift
/// let conv = Conv1D(inputChannels: 32, outputChannels: 64, kernelSize: 3, padding: 1, generator: &rng)
/// let features = conv(x).relu().globalMaxPooled(excluding: padding)   // [N, 64]
/// ```
public final class Conv1D: Layer {
    /// `[Cout, Cin, K]`.
    public let weight: Tensor
    /// `[Cout]`, or nil for a layer without bias.
    public let bias: Tensor?
    /// The step between successive output positions.
    public let stride: Int
    /// Zeros added at each end of the length axis.
    public let padding: Int
    /// The spacing between kernel taps.
    public let dilation: Int

    /// Creates a layer initialised like PyTorch: weight and bias from
    /// `U(-1/sqrt(fanIn), 1/sqrt(fanIn))` with `fanIn = Cin * K`.
    ///
    /// - Parameters:
    ///   - inputChannels: `Cin`.
    ///   - outputChannels: `Cout`.
    ///   - kernelSize: `K`.
    ///   - stride: At least 1.
    ///   - padding: At least 0; `dilation * (K - 1) / 2` keeps the length for odd `K` and stride 1.
    ///   - dilation: At least 1.
    ///   - bias: Whether to add a learned bias.
    ///   - generator: Draws the initial weights.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, bias: Bool = true, generator: inout RandomGenerator
    ) {
        precondition(
            inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
            "Conv1D: channels \(inputChannels) -> \(outputChannels) and kernel size \(kernelSize) must be positive")
        precondition(
            stride > 0 && padding >= 0 && dilation > 0,
            "Conv1D: stride \(stride) and dilation \(dilation) must be positive, padding \(padding) non-negative")
        weight = Initializer.fanInUniform.make([outputChannels, inputChannels, kernelSize], generator: &generator)
        let bound = 1 / Float(inputChannels * kernelSize).squareRoot()
        self.bias = bias ? Initializer.uniform(-bound...bound).make([outputChannels], generator: &generator) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    public var ownParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `Cin`.
    public var inputChannels: Int { weight.shape[1] }
    /// `Cout`.
    public var outputChannels: Int { weight.shape[0] }
    /// `K`.
    public var kernelSize: Int { weight.shape[2] }

    /// `[N, Cin, L] -> [N, Cout, Lout]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(
            x.rank == 3 && x.shape[1] == inputChannels,
            "Conv1D: input must be [N, \(inputChannels), L], got \(x.shape)")
        return x.conv1d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }

    /// `Lout` for an input of length `length`.
    public func outputLength(forInputLength length: Int) -> Int {
        Tensor.convolutionOutputLength(
            length, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }
}

// Pooling over the length axis, which turns convolution features of variable-length
// sequences into one vector per sequence.
extension Tensor {
    /// The maximum over the length axis: `[N, C, L] -> [N, C]`.
    ///
    /// - Parameter padding: `[N, L]` holding 1 at padded positions (skipped) and 0 at real
    ///   ones; nil pools over every position. Each sequence needs a real position.
    public func globalMaxPooled(excluding padding: Tensor? = nil) -> Tensor {
        precondition(rank == 3, "globalMaxPooled: input must be [N, C, L], got \(shape)")
        guard let padding else { return max(axis: 2) }
        let mask = Tensor.poolingMask(padding, for: shape, op: "globalMaxPooled")
        return maskedFill(mask, with: -Float.greatestFiniteMagnitude).max(axis: 2)
    }

    /// The mean over the length axis: `[N, C, L] -> [N, C]`.
    ///
    /// - Parameter padding: `[N, L]` holding 1 at padded positions (skipped) and 0 at real
    ///   ones; nil averages every position. Each sequence needs a real position.
    public func globalAveragePooled(excluding padding: Tensor? = nil) -> Tensor {
        precondition(rank == 3, "globalAveragePooled: input must be [N, C, L], got \(shape)")
        guard let padding else { return mean(axis: 2) }
        let keep = 1 - Tensor.poolingMask(padding, for: shape, op: "globalAveragePooled")  // [N, 1, L]
        return (self * keep).sum(axis: 2) / keep.sum(axis: 2)
    }

    /// `padding` `[N, L]` as a constant `[N, 1, L]` mask, after checking its shape and that
    /// every sequence keeps a position.
    private static func poolingMask(_ padding: Tensor, for shape: [Int], op: String) -> Tensor {
        let (batch, length) = (shape[0], shape[2])
        precondition(
            padding.shape == [batch, length],
            "\(op): padding must be [N, L] = [\(batch), \(length)], got \(padding.shape)")
        let values = padding.scalars
        for n in 0..<batch {
            precondition(
                values[(n * length)..<((n + 1) * length)].contains(0),
                "\(op): sequence \(n) is padded at every position; drop empty sequences before pooling")
        }
        return padding.detached().reshaped([batch, 1, length])
    }
}
