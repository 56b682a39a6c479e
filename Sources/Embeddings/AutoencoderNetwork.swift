import NeuralNet
import Randomness
import TensorEngine

/// A dense autoencoder: an MLP encoder to a code, and a mirrored MLP decoder back to the input.
///
/// ```
/// encoder:  x [N, F] -> Linear -> ReLU -> ... -> h [N, H]
/// code:     AE:  z = Linear(h) [N, L]
///           VAE: (mean, logVariance) = split(Linear(h) [N, 2L]); z = mean + exp(logVariance / 2) * eps
/// decoder:  z -> Linear -> ReLU -> ... -> Linear -> x' [N, F]
/// ```
///
/// Parameters: `encoder.<step>.weight|bias`, `code.weight|bias`, `decoder.<step>.weight|bias`
/// (steps numbered as in ``Sequential``, ReLUs included).
public final class AutoencoderNetwork: Layer {
    public let kind: AutoencoderKind
    public let featureCount: Int
    public let latentSize: Int
    let encoder: Sequential
    let code: Linear
    let decoder: Sequential

    /// The code of a batch: the mean and, for a VAE, the log variance of each row's Gaussian.
    public struct Code {
        /// `[N, L]`: the AE's code, or the VAE's posterior mean (what embeddings report).
        public let mean: Tensor
        /// `[N, L]` for a VAE, nil for an AE.
        public let logVariance: Tensor?
    }

    /// - Parameters:
    ///   - hiddenSizes: Encoder widths, input side first; the decoder uses them in reverse.
    ///   - generator: Draws the initial weights.
    public init(
        kind: AutoencoderKind, featureCount: Int, hiddenSizes: [Int], latentSize: Int,
        generator: inout RandomGenerator
    ) {
        precondition(
            featureCount >= 1 && latentSize >= 1,
            "AutoencoderNetwork: \(featureCount) features and code width \(latentSize) must be positive")
        self.kind = kind
        self.featureCount = featureCount
        self.latentSize = latentSize
        var encoderSteps: [Sequential.Step] = []
        var width = featureCount
        for hidden in hiddenSizes {
            encoderSteps += [.linear(Linear(inputSize: width, outputSize: hidden, generator: &generator)), .relu]
            width = hidden
        }
        encoder = Sequential(encoderSteps)
        code = Linear(
            inputSize: width, outputSize: kind == .variational ? 2 * latentSize : latentSize, generator: &generator)
        var decoderSteps: [Sequential.Step] = []
        width = latentSize
        for hidden in hiddenSizes.reversed() {
            decoderSteps += [.linear(Linear(inputSize: width, outputSize: hidden, generator: &generator)), .relu]
            width = hidden
        }
        decoderSteps.append(.linear(Linear(inputSize: width, outputSize: featureCount, generator: &generator)))
        decoder = Sequential(decoderSteps)
    }

    /// The parameter shapes of a network built with the same arguments, without building it.
    public static func parameterShapes(
        kind: AutoencoderKind, featureCount: Int, hiddenSizes: [Int], latentSize: Int
    ) -> ParameterShapes {
        var shapes = ParameterShapes()
        var width = featureCount
        for (index, hidden) in hiddenSizes.enumerated() {
            shapes.add(.linear(inputSize: width, outputSize: hidden), under: "encoder.\(2 * index)")
            width = hidden
        }
        shapes.add(
            .linear(inputSize: width, outputSize: kind == .variational ? 2 * latentSize : latentSize), under: "code")
        width = latentSize
        for (index, hidden) in hiddenSizes.reversed().enumerated() {
            shapes.add(.linear(inputSize: width, outputSize: hidden), under: "decoder.\(2 * index)")
            width = hidden
        }
        shapes.add(.linear(inputSize: width, outputSize: featureCount), under: "decoder.\(2 * hiddenSizes.count)")
        return shapes
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [("encoder", encoder), ("code", code), ("decoder", decoder)]
    }

    /// The code of rows `x [N, F]`.
    public func encode(_ x: Tensor) -> Code {
        let output = code(encoder(x))
        guard kind == .variational else { return Code(mean: output, logVariance: nil) }
        let halves = output.split(sizes: [latentSize, latentSize], axis: 1)
        return Code(mean: halves[0], logVariance: halves[1])
    }

    /// The reconstruction `[N, F]` of codes `z [N, L]`.
    public func decode(_ z: Tensor) -> Tensor { decoder(z) }
}

/// Per row, the squared distance between `x` and its reconstruction: `sum_f (x - x')^2`, `[N]`.
public func squaredReconstructionError(_ x: Tensor, _ reconstruction: Tensor) -> Tensor {
    (x - reconstruction).squared().sum(axis: 1)
}

/// Per row, the KL divergence of the diagonal Gaussian `N(mean, exp(logVariance))` from the
/// standard normal prior, in closed form (Kingma and Welling 2014, appendix B), `[N]`:
///
/// ```
/// KL = 1/2 * sum_l (exp(logVariance_l) + mean_l^2 - 1 - logVariance_l)
/// ```
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor) -> Tensor {
    ((logVariance.exp() + mean.squared() - logVariance - 1) * 0.5).sum(axis: 1)
}
