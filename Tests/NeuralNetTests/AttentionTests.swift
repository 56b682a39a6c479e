import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// Compares the gradients of `sum(f() * weights)` (random fixed weights) with central
/// differences for every element of every tensor in `leaves`.
///
/// Unlike `checkGradients`, each element is perturbed in place, so a layer's own parameters
/// can be checked through the layer itself. `f` must be deterministic (no dropout).
func checkGradientsInPlace(
    _ leaves: [Tensor], step h: Float = 1e-2, relative: Float = 2e-2, absolute: Float = 2e-3,
    seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation, _ f: () -> Tensor
) {
    let probe = Tensor.withoutGradients { f() }
    var rng = RandomGenerator(seed: seed)
    let weights = Tensor.uniform(probe.shape, in: -1...1, generator: &rng)
    let gradients = (f() * weights).sum().gradients()
    let analytic = leaves.map { gradients[$0]?.scalars }
    for (position, leaf) in leaves.enumerated() {
        guard let analytic = analytic[position] else {
            Issue.record("leaf \(position): no gradient reached it", sourceLocation: sourceLocation)
            continue
        }
        var numeric = [Float](repeating: 0, count: leaf.count)
        for i in 0..<leaf.count {
            let original = leaf.withUnsafeScalars { $0[i] }
            func objective(at delta: Float) -> Double {
                leaf.withUnsafeMutableScalars { $0[i] = original + delta }
                return Double(Tensor.withoutGradients { (f() * weights).sum() }.scalar)
            }
            numeric[i] = Float((objective(at: h) - objective(at: -h)) / (2 * Double(h)))
            leaf.withUnsafeMutableScalars { $0[i] = original }
        }
        expectClose(
            analytic, numeric, relative: relative, absolute: absolute,
            "gradient of leaf \(position) (shape \(leaf.shape))", sourceLocation: sourceLocation)
    }
}

/// A tiny attention layer with non-zero biases, so every parameter matters.
private func tinyAttention(dimension: Int = 4, headCount: Int = 2, dropout: Float = 0, seed: UInt64 = 3)
    -> MultiHeadAttention
{
    var rng = RandomGenerator(seed: seed)
    let attention = MultiHeadAttention(dimension: dimension, headCount: headCount, dropout: dropout, generator: &rng)
    attention.inputBias.assign(.uniform([3 * dimension], in: -0.5...0.5, generator: &rng))
    attention.output.bias?.assign(.uniform([dimension], in: -0.5...0.5, generator: &rng))
    return attention
}

@Suite("MultiHeadAttention")
struct MultiHeadAttentionTests {
    @Test func matchesPyTorchWithCausalAndPaddingMasks() throws {
        // Given nn.MultiheadAttention(8, 2 heads, batch_first) with random biases, x [2, 5, 8],
        // a causal mask and the last two keys of sequence 1 padded
        let parity = try TorchParity(
            "attention",
            names: [
                "in_proj_weight": "inputWeight", "in_proj_bias": "inputBias",
                "out_proj.weight": "output.weight", "out_proj.bias": "output.bias",
            ])
        var rng = RandomGenerator(seed: 1)
        let attention = MultiHeadAttention(dimension: 8, headCount: 2, generator: &rng)
        try parity.load(into: attention)
        let x = try parity("input.x").requiringGradient()
        // When
        let y = attention(x, causal: true, keyPadding: try parity("input.key_padding"))
        // Then
        try parity.expectMatches(layer: attention, inputs: ["x": x], outputs: ["y": y])
    }

    @Test func initialisesLikePyTorchUnderStableKeys() {
        // Given E = 8: xavier bound sqrt(6 / (8 + 24)), out_proj bound 1 / sqrt(8)
        var rng = RandomGenerator(seed: 11)
        let attention = MultiHeadAttention(dimension: 8, headCount: 2, generator: &rng)
        // Then
        #expect(attention.parameters().map(\.key) == ["inputWeight", "inputBias", "output.weight", "output.bias"])
        #expect(attention.inputWeight.shape == [24, 8])
        #expect(attention.headDimension == 4)
        let xavier = (6 / Float(32)).squareRoot()
        #expect(attention.inputWeight.scalars.allSatisfy { abs($0) <= xavier })
        #expect(attention.inputWeight.scalars.contains { abs($0) > 0.5 * xavier })
        #expect(attention.output.weight.scalars.allSatisfy { abs($0) <= 1 / Float(8).squareRoot() })
        #expect(attention.inputBias.scalars.allSatisfy { $0 == 0 })
        #expect(attention.output.bias?.scalars.allSatisfy { $0 == 0 } == true)
    }

    @Test func selfAttentionGradientsMatchFiniteDifferencesWithMasks() {
        // Given B = 2, T = 3, E = 4, two heads, causal, the last key of sequence 1 padded
        let attention = tinyAttention()
        let x = randomInput([2, 3, 4], seed: 21)
        let padding = Tensor(shape: [2, 3], scalars: [0, 0, 0, 0, 0, 1])
        // Then
        checkGradientsInPlace([x] + attention.parameters().map(\.tensor)) {
            attention(x, causal: true, keyPadding: padding)
        }
    }

    @Test func crossAttentionGradientsMatchFiniteDifferences() {
        // Given queries [2, 2, 4] over keys and values [2, 3, 4], causal, one padded key
        let attention = tinyAttention()
        let query = randomInput([2, 2, 4], seed: 22)
        let key = randomInput([2, 3, 4], seed: 23)
        let value = randomInput([2, 3, 4], seed: 24)
        let padding = Tensor(shape: [2, 3], scalars: [0, 1, 0, 0, 0, 0])
        // Then
        checkGradientsInPlace([query, key, value] + attention.parameters().map(\.tensor)) {
            attention(query: query, key: key, value: value, causal: true, keyPadding: padding)
        }
    }

    @Test func separateProjectionsAgreeWithThePackedSelfAttentionPath() {
        // Given one input, passed once as the same tensor and once as three equal copies
        let attention = tinyAttention(dimension: 8, headCount: 4)
        let x = randomInput([2, 5, 8], seed: 25)
        let copy = { Tensor(shape: x.shape, scalars: x.scalars) }
        // When
        let packed = attention(x, causal: true)
        let separate = attention(query: copy(), key: copy(), value: copy(), causal: true)
        // Then
        expectClose(separate, packed, relative: 1e-5, absolute: 1e-6)
    }

    @Test func causalMaskKeepsEarlierOutputsIndependentOfLaterInputs() {
        // Given x [1, 5, 4] and x' that differs only at the last position
        let attention = tinyAttention()
        let x = randomInput([1, 5, 4], seed: 26)
        var changed = x.scalars
        for j in 16..<20 { changed[j] += 3 }
        let xChanged = Tensor(shape: x.shape, scalars: changed)
        // When
        let y = attention(x, causal: true)
        let yChanged = attention(xChanged, causal: true)
        // Then positions 0...3 are unchanged and position 4 is not
        expectClose(yChanged.slice(axis: 1, 0..<4), y.slice(axis: 1, 0..<4), relative: 0, absolute: 1e-6)
        #expect(yChanged.slice(axis: 1, 4..<5).scalars != y.slice(axis: 1, 4..<5).scalars)
    }

    @Test func paddedAndFutureKeysGetZeroWeightAndRowsSumToOne() {
        // Given T = 4, causal, the last key of sequence 0 and the last two of sequence 1 padded
        let attention = tinyAttention()
        let x = randomInput([2, 4, 4], seed: 27)
        let padding = Tensor(shape: [2, 4], scalars: [0, 0, 0, 1, 0, 0, 1, 1])
        // When
        let weights = attention.attend(x, causal: true, keyPadding: padding).weights
        // Then
        #expect(weights.shape == [2, 2, 4, 4])
        let w = weights.scalars
        for b in 0..<2 {
            for h in 0..<2 {
                for i in 0..<4 {
                    let row = ((b * 2 + h) * 4 + i) * 4
                    // Below 1e-37 rather than 0: the engine's exp clamps its argument at -87.3.
                    for j in 0..<4 where j > i || padding.scalars[b * 4 + j] != 0 {
                        #expect(w[row + j] < 1e-37, "b \(b) head \(h) query \(i) key \(j)")
                    }
                    #expect(abs(w[row..<(row + 4)].reduce(0, +) - 1) < 1e-6)
                }
            }
        }
    }

    @Test func fullyMaskedRowsGetUniformWeightsInsteadOfNaN() {
        // Given sequence 1 with every key padded
        let attention = tinyAttention()
        let x = randomInput([2, 3, 4], seed: 28)
        let padding = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 1, 1])
        // When
        let result = attention.attend(x, keyPadding: padding)
        // Then
        #expect(result.output.scalars.allSatisfy { $0.isFinite })
        let masked = result.weights.slice(axis: 0, 1..<2).scalars
        #expect(masked.allSatisfy { abs($0 - 1 / Float(3)) < 1e-6 })
    }

    @Test func headAveragedWeightsAreTheMeanOverHeads() {
        // Given queries [1, 2, 4] over keys [1, 3, 4]
        let attention = tinyAttention()
        let query = randomInput([1, 2, 4], seed: 29)
        let key = randomInput([1, 3, 4], seed: 30)
        // When
        let result = attention.attend(query: query, key: key, value: key)
        // Then
        #expect(result.output.shape == [1, 2, 4])
        #expect(result.weights.shape == [1, 2, 2, 3])
        let heads = result.weights.scalars
        let expected = (0..<6).map { (heads[$0] + heads[6 + $0]) / 2 }
        expectClose(result.headAveragedWeights, Tensor(shape: [1, 2, 3], scalars: expected))
    }

    @Test func dropoutActsOnlyInTraining() {
        // Given two layers with the same weights, one with attention dropout 0.5
        let plain = tinyAttention(dropout: 0)
        let dropped = tinyAttention(dropout: 0.5)
        let x = randomInput([2, 5, 4], seed: 31)
        // When / Then: training mode drops weights; evaluation mode is exact
        dropped.setTraining(true)
        #expect(dropped(x).scalars != plain(x).scalars)
        dropped.setTraining(false)
        #expect(dropped.attentionDropout.isTraining == false)
        #expect(dropped(x).scalars == plain(x).scalars)
    }
}

@Suite("PositionalEmbedding")
struct PositionalEmbeddingTests {
    @Test func returnsTheFirstRowsAndAddsThemPerPosition() {
        // Given maxLength 6, D = 3
        var rng = RandomGenerator(seed: 41)
        let positions = PositionalEmbedding(maxLength: 6, dimension: 3, generator: &rng)
        let x = randomInput([2, 4, 3], seed: 42)
        // When
        let rows = positions(length: 4)
        let y = positions(x)
        // Then
        #expect(positions.parameters().map(\.key) == ["weight"])
        expectClose(rows, Tensor(shape: [4, 3], scalars: Array(positions.weight.scalars[0..<12])))
        let expected = x.scalars.enumerated().map { $0.element + rows.scalars[$0.offset % 12] }
        expectClose(y, Tensor(shape: [2, 4, 3], scalars: expected))
        #expect(positions(length: 6).shape == [6, 3])
    }

    @Test func gradientsReachTheUsedRowsOnly() {
        // Given T = 3 < maxLength = 5
        var rng = RandomGenerator(seed: 43)
        let positions = PositionalEmbedding(maxLength: 5, dimension: 2, generator: &rng)
        let x = randomInput([2, 3, 2], seed: 44)
        // Then: finite differences, and rows 3...4 get exactly zero
        checkGradientsInPlace([x, positions.weight]) { positions(x) }
        let gradient = (positions(x) * 2).sum().gradients()[positions.weight]
        #expect(gradient?.scalars == [4, 4, 4, 4, 4, 4, 0, 0, 0, 0])
    }

    @Test func rejectsSequencesLongerThanMaxLength() async {
        await #expect(processExitsWith: .failure) {
            var rng = RandomGenerator(seed: 45)
            _ = PositionalEmbedding(maxLength: 4, dimension: 2, generator: &rng)(length: 5)
        }
    }
}

@Suite("PointwiseFeedForward")
struct PointwiseFeedForwardTests {
    @Test func appliesInnerActivationOuterPerPosition() {
        // Given D = 4, hidden 6, ReLU
        var rng = RandomGenerator(seed: 51)
        let ffn = PointwiseFeedForward(dimension: 4, hiddenSize: 6, generator: &rng)
        let x = randomInput([2, 3, 4], seed: 52)
        // When
        let y = ffn(x)
        // Then: y = outer(relu(inner(x))), shape kept
        #expect(ffn.parameters().map(\.key) == ["inner.weight", "inner.bias", "outer.weight", "outer.bias"])
        #expect(y.shape == [2, 3, 4])
        expectClose(y, ffn.outer(ffn.inner(x).relu()))
    }

    @Test func geluGradientsMatchFiniteDifferences() {
        // Given D = 3, hidden 5, GELU (smooth, so no kinks for finite differences)
        var rng = RandomGenerator(seed: 53)
        let ffn = PointwiseFeedForward(dimension: 3, hiddenSize: 5, activation: .gelu, generator: &rng)
        let x = randomInput([2, 2, 3], seed: 54)
        // Then
        expectClose(ffn(x), ffn.outer(ffn.inner(x).gelu()))
        checkGradientsInPlace([x] + ffn.parameters().map(\.tensor)) { ffn(x) }
    }

    @Test func dropoutActsOnlyInTraining() {
        // Given hidden dropout 0.5
        var rng = RandomGenerator(seed: 55)
        let ffn = PointwiseFeedForward(dimension: 4, hiddenSize: 8, dropout: 0.5, generator: &rng)
        let x = randomInput([2, 3, 4], seed: 56)
        let exact = ffn.outer(ffn.inner(x).relu())
        // When / Then
        #expect(ffn(x).scalars == exact.scalars, "a new layer is in inference mode")
        ffn.setTraining(true)
        #expect(ffn(x).scalars != exact.scalars)
        ffn.setTraining(false)
        #expect(ffn(x).scalars == exact.scalars)
    }
}

@Suite("Conv1D and length pooling")
struct Conv1DTests {
    @Test func initialisesLikePyTorch() {
        // Given Cin = 4, K = 3: bound 1 / sqrt(12)
        var rng = RandomGenerator(seed: 61)
        let conv = Conv1D(inputChannels: 4, outputChannels: 5, kernelSize: 3, generator: &rng)
        let bound = 1 / Float(12).squareRoot()
        // Then
        #expect(conv.parameters().map(\.key) == ["weight", "bias"])
        #expect(conv.weight.shape == [5, 4, 3])
        #expect(conv.weight.scalars.allSatisfy { abs($0) <= bound })
        #expect(conv.bias?.scalars.allSatisfy { abs($0) <= bound } == true)
        #expect(conv.bias?.scalars.contains { $0 != 0 } == true)
    }

    @Test func gradientsMatchFiniteDifferencesWithStridePaddingAndDilation() {
        // Given x [2, 2, 7], kernel 3, stride 2, padding 1, dilation 2: Lout = (7 + 2 - 4 - 1) / 2 + 1 = 3
        var rng = RandomGenerator(seed: 62)
        let conv = Conv1D(
            inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, dilation: 2,
            generator: &rng)
        let x = randomInput([2, 2, 7], seed: 63)
        // Then
        #expect(conv(x).shape == [2, 3, 3])
        #expect(conv.outputLength(forInputLength: 7) == 3)
        checkGradientsInPlace([x] + conv.parameters().map(\.tensor)) { conv(x) }
    }

    @Test func worksWithoutBias() {
        var rng = RandomGenerator(seed: 64)
        let conv = Conv1D(inputChannels: 1, outputChannels: 1, kernelSize: 2, bias: false, generator: &rng)
        conv.weight.assign(Tensor(shape: [1, 1, 2], scalars: [1, -1]))
        // y[t] = x[t] - x[t + 1]
        let y = conv(Tensor(shape: [1, 1, 4], scalars: [1, 4, 9, 16]))
        #expect(conv.parameters().map(\.key) == ["weight"])
        #expect(y.scalars == [-3, -5, -7])
    }

    @Test func poolingSkipsPaddedPositions() {
        // Given x [2, 2, 3] and sequence 1 padded at its last position
        let x = Tensor(shape: [2, 2, 3], scalars: [1, 5, 2, -1, -3, -2, 4, 0, 9, 2, 6, 8])
        let padding = Tensor(shape: [2, 3], scalars: [0, 0, 0, 0, 0, 1])
        // Then
        #expect(x.globalMaxPooled().scalars == [5, -1, 9, 8])
        #expect(x.globalMaxPooled(excluding: padding).scalars == [5, -1, 4, 6])
        expectClose(x.globalAveragePooled(), Tensor(shape: [2, 2], scalars: [8 / 3, -2, 13 / 3, 16 / 3]))
        expectClose(x.globalAveragePooled(excluding: padding), Tensor(shape: [2, 2], scalars: [8 / 3, -2, 2, 4]))
    }

    @Test func poolingGradientsMatchFiniteDifferences() {
        // Given well-separated values (max needs a gap larger than the step), one padded position
        let x = Tensor(
            shape: [2, 2, 3], scalars: [0.1, 0.9, -0.5, 0.3, -0.7, 0.6, 0.8, -0.2, 0.4, -0.9, 0.5, 0.7],
            requiresGradient: true)
        let padding = Tensor(shape: [2, 3], scalars: [0, 1, 0, 0, 0, 0])
        // Then
        checkGradients([x]) { $0[0].globalMaxPooled(excluding: padding) }
        checkGradients([x]) { $0[0].globalAveragePooled(excluding: padding) }
    }
}
