import NeuralNet
import Randomness
import Testing

@testable import TensorEngine

/// A small model with a loss per example, to split its gradients by example.
private final class Probe: Layer {
    let parts: [(name: String, layer: any Layer)]
    var sublayers: [(name: String, layer: any Layer)] { parts }
    init(_ parts: [(String, any Layer)]) { self.parts = parts.map { (name: $0.0, layer: $0.1) } }
}

/// Checks ``Tensor/perExampleGradients()`` against a loop that backpropagates each example's
/// loss on its own: every example's norm, and a weighted sum with uneven weights.
private func checkAgainstLoop(
    _ model: any Layer, examples: Int, sourceLocation: SourceLocation = #_sourceLocation,
    losses: ([Int]) -> Tensor
) throws {
    let split = try losses(Array(0..<examples)).perExampleGradients()
    let weights: [Float] = (0..<examples).map { 0.25 + Float($0) * 0.5 }
    let combined = split.weightedSum(weights)
    var expected: [String: [Float]] = [:]
    for i in 0..<examples {
        let gradients = losses([i]).sum().gradients()
        var squared = 0.0
        for (key, parameter) in model.parameters() {
            let values = gradients[parameter]?.scalars ?? [Float](repeating: 0, count: parameter.count)
            squared += values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let sum = expected[key] ?? [Float](repeating: 0, count: parameter.count)
            expected[key] = zip(sum, values).map { $0 + weights[i] * $1 }
        }
        let norm = squared.squareRoot()
        #expect(
            abs(split.norms[i] - norm) <= 1e-4 * max(norm, 1e-3), "example \(i): \(split.norms[i]) vs \(norm)",
            sourceLocation: sourceLocation)
    }
    for (key, parameter) in model.parameters() {
        let got = combined[parameter]?.scalars ?? [Float](repeating: 0, count: parameter.count)
        let want = expected[key] ?? []
        let gap = zip(got, want).map { abs($0 - $1) }.max() ?? 0
        let scale = want.map(abs).max() ?? 0
        #expect(gap <= 1e-4 * max(scale, 1e-3), "\(key): gap \(gap) at scale \(scale)", sourceLocation: sourceLocation)
    }
}

private func randomTensor(_ shape: [Int], _ generator: inout RandomGenerator) -> Tensor {
    Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in generator.nextNormal() })
}

/// The rows of `x` `[B, ...]` for the given examples, as one batch.
private func rows(_ x: Tensor, _ examples: [Int]) -> Tensor {
    Tensor.concatenate(examples.map { x.slice(axis: 0, $0..<($0 + 1)) }, axis: 0)
}

@Suite("Per-example gradients against one example at a time")
struct PerExampleGradientTests {
    @Test("An MLP on table rows: factored products, one row per example")
    func mlp() throws {
        var generator = RandomGenerator(seed: 1)
        let hidden = Linear(inputSize: 5, outputSize: 7, generator: &generator)
        let output = Linear(inputSize: 7, outputSize: 1, generator: &generator)
        let model = Probe([("hidden", hidden), ("output", output)])
        let x = randomTensor([6, 5], &generator)
        let y: [Float] = [1, 0, 0, 1, 1, 0]
        try checkAgainstLoop(model, examples: 6) { batch in
            binaryCrossEntropyWithLogits(
                logits: output(hidden(rows(x, batch)).relu()).reshaped([-1]),
                targets: Tensor(shape: [batch.count], scalars: batch.map { y[$0] }), reduction: .none)
        }
    }

    @Test("A linear layer over sequences, through Gram matrices and through formed gradients", arguments: [2, 8])
    func sequenceLinear(width: Int) throws {
        var generator = RandomGenerator(seed: 2)
        let layer = Linear(inputSize: width, outputSize: width, generator: &generator)
        let norm = LayerNorm(dimension: width)
        let model = Probe([("layer", layer), ("norm", norm)])
        let x = randomTensor([4, 3, width], &generator)
        try checkAgainstLoop(model, examples: 4) { batch in
            norm(layer(rows(x, batch))).tanh().squared().sum(axis: 2).sum(axis: 1)
        }
    }

    @Test("Embeddings: a sparse lookup with repeated ids and padding, and a table tied to the output")
    func embeddings() throws {
        var generator = RandomGenerator(seed: 3)
        let lookup = Embedding(count: 6, dimension: 3, paddingIndex: 0, generator: &generator)
        let tied = Embedding(count: 5, dimension: 3, generator: &generator)
        let model = Probe([("lookup", lookup), ("tied", tied)])
        let ids = [[1, 2, 2, 0], [3, 3, 3, 3], [0, 5, 4, 1]]
        try checkAgainstLoop(model, examples: 3) { batch in
            let picked = IndexTensor(shape: [batch.count, 4], indices: batch.flatMap { ids[$0] })
            let first = lookup(picked).sum(axis: 1)  // [B, 3]
            let second = tied(IndexTensor(shape: [batch.count], indices: batch.map { $0 + 1 }))
            return tied.asLinear(first * second).logSoftmax(axis: -1).sum(axis: 1)
        }
    }

    @Test("One table looked up twice (a sequence's items and its candidates) stays sparse, rows shared across lookups")
    func tableLookedUpTwice() throws {
        var generator = RandomGenerator(seed: 7)
        let items = Embedding(count: 8, dimension: 4, paddingIndex: 0, generator: &generator)
        let model = Probe([("items", items)])
        let inputs = [[1, 2, 2, 0], [3, 4, 5, 6], [0, 7, 1, 1]]
        // Candidates share ids with the same example's inputs (2, 3, 1), so rows add across lookups.
        let candidates = [[2, 5, 6], [3, 3, 1], [1, 0, 2]]
        let losses = { (batch: [Int]) -> Tensor in
            let h = items(IndexTensor(shape: [batch.count, 4], indices: batch.flatMap { inputs[$0] })).sum(axis: 1)
            let c = items(IndexTensor(shape: [batch.count, 3], indices: batch.flatMap { candidates[$0] }))  // [B, 3, 4]
            return c.matmul(h.reshaped([batch.count, 4, 1])).reshaped([batch.count, 3]).logSoftmax(axis: -1)
                .sum(axis: 1)
        }
        try checkAgainstLoop(model, examples: 3, losses: losses)
        let split = try losses([0, 1, 2]).perExampleGradients()
        let kinds = split.parts.map { part -> String in
            if case .lookups(let rows) = part.part { return "lookups \(rows.count)" }
            return "other"
        }
        #expect(kinds == ["lookups 2"])
    }

    @Test(
        "LSTM and GRU: weights read at every step (norms formed, or from Gram matrices over the steps)",
        arguments: [4, 16])
    func recurrent(hidden: Int) throws {
        var generator = RandomGenerator(seed: 4)
        let lstm = LSTM(inputSize: 3, hiddenSize: hidden, layerCount: 2, generator: &generator)
        let gru = GRU(inputSize: hidden, hiddenSize: 3, generator: &generator)
        let head = Linear(inputSize: 3, outputSize: 1, generator: &generator)
        let model = Probe([("lstm", lstm), ("gru", gru), ("head", head)])
        let x = randomTensor([3, 5, 3], &generator)
        let lengths = [5, 2, 4]
        try checkAgainstLoop(model, examples: 3) { batch in
            let encoded = lstm(rows(x, batch), lengths: batch.map { lengths[$0] }).output
            let final = gru(encoded, lengths: batch.map { lengths[$0] }).hidden
            return head(final.reshaped([batch.count, 3])).reshaped([-1]).squared()
        }
    }

    @Test("A 1-D convolution: a kernel reached through a reshape")
    func convolution() throws {
        var generator = RandomGenerator(seed: 5)
        let conv = Conv1D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &generator)
        let model = Probe([("conv", conv)])
        let x = randomTensor([4, 2, 6], &generator)
        try checkAgainstLoop(model, examples: 4) { batch in
            conv(rows(x, batch)).relu().max(axis: 2).sum(axis: 1)
        }
    }

    @Test("Self-attention with positions: a packed weight split in three and a sliced table")
    func attention() throws {
        var generator = RandomGenerator(seed: 6)
        let positions = PositionalEmbedding(maxLength: 6, dimension: 4, generator: &generator)
        let attention = MultiHeadAttention(dimension: 4, headCount: 2, generator: &generator)
        let model = Probe([("positions", positions), ("attention", attention)])
        let x = randomTensor([3, 5, 4], &generator)
        try checkAgainstLoop(model, examples: 3) { batch in
            attention(positions(rows(x, batch)), causal: true).squared().sum(axis: 2).sum(axis: 1)
        }
    }

    @Test("A parameter that meets the data in an unsupported way is named, not split wrongly")
    func unsupported() throws {
        let scale = Tensor(shape: [1], scalars: [2], requiresGradient: true)
        let x = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let error = #expect(throws: PerExampleGradientsUnsupported.self) {
            try (x / scale).sum(axis: 1).perExampleGradients()
        }
        #expect(error?.description.contains("divide") == true)
    }
}
