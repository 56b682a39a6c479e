import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// Forward and backward parity of a layer with a PyTorch golden file (Fixtures/README.md):
/// outputs, `grad.input.*` and `grad.param.*` of `loss = Σ_o sum(o * upstream.o)`.
struct TorchParity {
    let fixture: Fixture
    /// PyTorch `state_dict` names mapped to the layer's dotted keys; unlisted names are kept.
    let names: [String: String]

    init(_ fixtureName: String, names: [String: String] = [:]) throws {
        fixture = try Fixture(fixtureName)
        self.names = names
    }

    /// The fixture's tensor `key`.
    func callAsFunction(_ key: String) throws -> Tensor { try fixture(key) }

    /// Copies the fixture's `param.*` tensors into `layer` under the mapped keys.
    func load(into layer: any Layer) throws {
        var values: [String: Tensor] = [:]
        for (key, tensor) in fixture.tensors where key.hasPrefix("param.") {
            let torchName = String(key.dropFirst("param.".count))
            values[names[torchName] ?? torchName] = tensor
        }
        try layer.load(values)
    }

    /// Checks `outputs` against `output.*`, then backpropagates the fixture's loss and checks
    /// the gradients of `inputs` and of every parameter of `layer` that has a `grad.param.*`.
    func expectMatches(
        layer: any Layer, inputs: [String: Tensor], outputs: [String: Tensor],
        relative: Float = 1e-4, absolute: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var loss = Tensor(0)
        for (name, output) in outputs {
            expectClose(
                output, try fixture("output.\(name)"), relative: relative, absolute: absolute,
                "\(fixture.name) output.\(name)", sourceLocation: sourceLocation)
            loss = loss + (output * (try fixture("upstream.\(name)"))).sum()
        }
        let gradients = loss.gradients()
        for (name, input) in inputs {
            let gradient = try #require(gradients[input], "no gradient reached input \(name)")
            expectClose(
                gradient, try fixture("grad.input.\(name)"), relative: relative, absolute: absolute,
                "\(fixture.name) grad.input.\(name)", sourceLocation: sourceLocation)
        }
        let parameters = Dictionary(uniqueKeysWithValues: layer.parameters().map { ($0.key, $0.tensor) })
        let expected = fixture.tensors.keys.filter { $0.hasPrefix("grad.param.") }
        #expect(expected.count == parameters.count, "\(fixture.name): one grad.param per parameter")
        for key in expected.sorted() {
            let torchName = String(key.dropFirst("grad.param.".count))
            let ourKey = names[torchName] ?? torchName
            let parameter = try #require(parameters[ourKey], "\(fixture.name): no parameter \(ourKey)")
            let gradient = try #require(gradients[parameter], "no gradient reached parameter \(ourKey)")
            expectClose(
                gradient, try fixture(key), relative: relative, absolute: absolute,
                "\(fixture.name) \(key)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("PyTorch parity of Linear, LayerNorm and Conv1D")
struct LayerParityTests {
    @Test func linearMatchesPyTorch() throws {
        // Given nn.Linear(5, 4) and x [3, 5]
        let parity = try TorchParity("linear")
        var rng = RandomGenerator(seed: 1)
        let layer = Linear(inputSize: 5, outputSize: 4, generator: &rng)
        try parity.load(into: layer)
        let x = try parity("input.x").requiringGradient()
        // When / Then
        try parity.expectMatches(layer: layer, inputs: ["x": x], outputs: ["y": layer(x)])
    }

    @Test func layerNormMatchesPyTorch() throws {
        // Given nn.LayerNorm(6) with random affine parameters and x [3, 4, 6]
        let parity = try TorchParity("layernorm")
        let layer = LayerNorm(dimension: 6)
        try parity.load(into: layer)
        let x = try parity("input.x").requiringGradient()
        // When / Then
        try parity.expectMatches(layer: layer, inputs: ["x": x], outputs: ["y": layer(x)])
    }

    @Test func conv1DMatchesPyTorch() throws {
        // Given nn.Conv1d(3, 4, kernel_size=3, padding=1) and x [2, 3, 7]
        let parity = try TorchParity("conv1d")
        var rng = RandomGenerator(seed: 1)
        let layer = Conv1D(inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: 1, generator: &rng)
        try parity.load(into: layer)
        let x = try parity("input.x").requiringGradient()
        // When
        let y = layer(x)
        // Then
        #expect(y.shape == [2, 4, 7])
        try parity.expectMatches(layer: layer, inputs: ["x": x], outputs: ["y": y])
    }
}
