import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// Assigns seeded random values to every parameter, so that tests do not rely on the
/// special initial values of scales (ones) and shifts (zeros).
private func randomize(_ layer: any Layer, seed: UInt64) {
    var rng = RandomGenerator(seed: seed)
    for (_, tensor) in layer.parameters() {
        tensor.assign(.uniform(tensor.shape, in: -1...1, generator: &rng))
    }
}

/// The mean and standard deviation of `values` (in Double) and their largest magnitude.
private func statistics(_ values: [Float]) -> (mean: Double, standardDeviation: Double, largestMagnitude: Float) {
    let n = Double(values.count)
    let mean = values.reduce(0) { $0 + Double($1) } / n
    let variance = values.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot(), values.map(abs).max() ?? 0)
}

// MARK: - Linear

@Suite("Linear")
struct LinearTests {
    @Test func computesXTimesWeightTransposedPlusBias() {
        // Given W = [[1, 2, 3], [-1, 0, 1]], b = [0.5, -0.5]
        var rng = RandomGenerator(seed: 1)
        let linear = Linear(inputSize: 3, outputSize: 2, generator: &rng)
        linear.weight.assign(Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 1]))
        linear.bias?.assign(Tensor(shape: [2], scalars: [0.5, -0.5]))
        let x = Tensor(shape: [2, 3], scalars: [1, 1, 1, 2, 0, -1])
        // When
        let y = linear(x)
        // Then y[n, o] = Σ_i x[n, i] W[o, i] + b[o]: [6 + 0.5, 0 - 0.5], [-1 + 0.5, -3 - 0.5]
        #expect(y.shape == [2, 2])
        #expect(y.scalars == [6.5, -0.5, -0.5, -3.5])
    }

    @Test func gradientsOfTheSumAreTheHandWorkedFormulas() throws {
        // Given L = Σ y with y = x W^T + b, x [N = 2, 3], W [2, 3]
        var rng = RandomGenerator(seed: 2)
        let linear = Linear(inputSize: 3, outputSize: 2, generator: &rng)
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 5, -6], requiresGradient: true)
        // When
        let gradients = linear(x).sum().gradients()
        // Then dL/dW[o, i] = Σ_n x[n, i], dL/db[o] = N, dL/dx[n, i] = Σ_o W[o, i]
        let w = linear.weight.scalars
        let bias = try #require(linear.bias)
        #expect(try #require(gradients[linear.weight]).scalars == [-3, 7, -3, -3, 7, -3])
        #expect(try #require(gradients[bias]).scalars == [2, 2])
        let columnSums = (0..<3).map { w[$0] + w[3 + $0] }
        #expect(try #require(gradients[x]).scalars == columnSums + columnSums)
    }

    @Test func gradientsMatchFiniteDifferencesForInputWeightAndBias() throws {
        // Given a rank-3 input [2, 2, 3], so the layer acts on the last axis of each batch
        var rng = RandomGenerator(seed: 3)
        let linear = Linear(inputSize: 3, outputSize: 4, generator: &rng)
        let x = randomInput([2, 2, 3], seed: 4)
        // Then
        #expect(linear(x).shape == [2, 2, 4])
        checkGradientsInPlace([x, linear.weight, try #require(linear.bias)]) { linear(x) }
    }

    @Test func withoutBiasHasOnlyAWeight() {
        // Given
        var rng = RandomGenerator(seed: 5)
        let linear = Linear(inputSize: 3, outputSize: 2, bias: false, generator: &rng)
        let x = randomInput([4, 3], seed: 6)
        // Then
        #expect(linear.bias == nil)
        #expect(linear.parameters().map(\.key) == ["weight"])
        #expect(linear(x).scalars == x.matmul(linear.weight, transposeB: true).scalars)
        checkGradientsInPlace([x, linear.weight]) { linear(x) }
    }

    @Test func initialisesLikePyTorchWithinOneOverSquareRootOfFanIn() throws {
        // Given in = 16: weight and bias from U(-1/4, 1/4)
        var rng = RandomGenerator(seed: 7)
        let linear = Linear(inputSize: 16, outputSize: 32, generator: &rng)
        let bias = try #require(linear.bias)
        // Then
        #expect(linear.weight.shape == [32, 16])
        #expect(bias.shape == [32])
        #expect(linear.inputSize == 16 && linear.outputSize == 32)
        #expect(linear.weight.requiresGradient && bias.requiresGradient)
        #expect(linear.weight.scalars.allSatisfy { abs($0) <= 0.25 })
        #expect(bias.scalars.allSatisfy { abs($0) <= 0.25 })
        #expect(linear.weight.scalars.contains { abs($0) > 0.2 })
        #expect(linear.parameterCount == 32 * 16 + 32)
    }
}

// MARK: - Embedding

@Suite("Embedding")
struct EmbeddingTests {
    @Test func looksUpRowsAndReturnsZerosForThePaddingIndexWhateverItsRowHolds() {
        // Given a table whose padding row 0 was overwritten with non-zero values
        var rng = RandomGenerator(seed: 11)
        let embedding = Embedding(count: 5, dimension: 2, paddingIndex: 0, generator: &rng)
        embedding.weight.assign(Tensor(shape: [5, 2], scalars: [9, 9, 1, 2, 3, 4, 5, 6, 7, 8]))
        let ids = IndexTensor(shape: [2, 3], indices: [1, 0, 3, 4, 4, 0])
        // When
        let y = embedding(ids)
        // Then
        #expect(y.shape == [2, 3, 2])
        #expect(y.scalars == [1, 2, 0, 0, 5, 6, 7, 8, 7, 8, 0, 0])
    }

    @Test func paddingRowStartsAtZeroAndOthersAreStandardNormal() {
        // Given
        var rng = RandomGenerator(seed: 12)
        let embedding = Embedding(count: 1000, dimension: 8, paddingIndex: 3, generator: &rng)
        // Then
        let w = embedding.weight.scalars
        #expect(w[24..<32].allSatisfy { $0 == 0 })
        let others = statistics(Array(w[0..<24] + w[32...]))
        #expect(abs(others.mean) < 0.05)
        #expect(abs(others.standardDeviation - 1) < 0.03)
        #expect(embedding.count == 1000 && embedding.dimension == 8)
    }

    @Test func gradientCountsOccurrencesAndSkipsThePaddingRow() throws {
        // Given L = Σ y: each row's gradient is its number of (non-padding) occurrences
        var rng = RandomGenerator(seed: 13)
        let embedding = Embedding(count: 5, dimension: 2, paddingIndex: 0, generator: &rng)
        let ids = IndexTensor(shape: [2, 3], indices: [1, 0, 3, 1, 2, 0])
        // When
        let gradient = try #require(embedding(ids).sum().gradients()[embedding.weight])
        // Then rows 0 (padding, used twice), 1 (twice), 2, 3 (once) and 4 (unused)
        #expect(gradient.scalars == [0, 0, 2, 2, 1, 1, 1, 1, 0, 0])
    }

    @Test func weightGradientMatchesFiniteDifferences() {
        // Given repeated ids and the padding id 2
        var rng = RandomGenerator(seed: 14)
        let embedding = Embedding(count: 4, dimension: 3, paddingIndex: 2, generator: &rng)
        let ids = IndexTensor(shape: [2, 3], indices: [0, 2, 3, 3, 1, 2])
        // Then
        checkGradientsInPlace([embedding.weight]) { embedding(ids) }
    }

    @Test func tiedOutputLayerScoresEveryRow() {
        // Given h [2, 3] against a table [4, 3]
        var rng = RandomGenerator(seed: 15)
        let embedding = Embedding(count: 4, dimension: 3, generator: &rng)
        let h = randomInput([2, 3], seed: 16)
        // Then
        #expect(embedding.asLinear(h).shape == [2, 4])
        #expect(embedding.asLinear(h).scalars == h.matmul(embedding.weight, transposeB: true).scalars)
        checkGradientsInPlace([h, embedding.weight]) { embedding.asLinear(h) }
    }
}

// MARK: - LayerNorm

@Suite("LayerNorm layer")
struct LayerNormLayerTests {
    @Test func normalisesEachRowToZeroMeanAndUnitVariance() {
        // Given x = [1, 2, 3, 4] with weight 1 and bias 0: mean 2.5, biased variance 1.25
        let norm = LayerNorm(dimension: 4)
        let x = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4])
        // When
        let y = norm(x)
        // Then y = (x - 2.5) / sqrt(1.25 + 1e-5)
        let scale = 1 / (1.25 + 1e-5 as Float).squareRoot()
        expectClose(
            y, Tensor(shape: [1, 4], scalars: [-1.5 * scale, -0.5 * scale, 0.5 * scale, 1.5 * scale]),
            relative: 1e-6, absolute: 1e-6)
        #expect(norm.parameters().map(\.key) == ["weight", "bias"])
        #expect(norm.weight.scalars == [1, 1, 1, 1] && norm.bias.scalars == [0, 0, 0, 0])
    }

    @Test func scalesAndShiftsTheNormalisedValues() {
        // Given weight γ and bias β: y = γ x̂ + β
        let norm = LayerNorm(dimension: 4)
        randomize(norm, seed: 21)
        let x = randomInput([3, 4], seed: 22)
        // When
        let y = norm(x)
        // Then
        let plain = LayerNorm(dimension: 4)(x)
        let expected = plain * norm.weight + norm.bias
        expectClose(y, expected, relative: 1e-5, absolute: 1e-6)
    }

    @Test func gradientsMatchFiniteDifferencesForInputWeightAndBias() {
        // Given x [2, 3, 5] and random γ, β
        let norm = LayerNorm(dimension: 5)
        randomize(norm, seed: 23)
        let x = randomInput([2, 3, 5], seed: 24)
        // Then
        checkGradientsInPlace([x, norm.weight, norm.bias]) { norm(x) }
    }
}

// MARK: - Sequential

@Suite("Sequential")
struct SequentialTests {
    /// Linear(3, 4), GELU, LayerNorm(4), tanh, Linear(4, 2).
    private static func makeChain(seed: UInt64) -> (Sequential, Linear, LayerNorm, Linear) {
        var rng = RandomGenerator(seed: seed)
        let first = Linear(inputSize: 3, outputSize: 4, generator: &rng)
        let norm = LayerNorm(dimension: 4)
        let last = Linear(inputSize: 4, outputSize: 2, generator: &rng)
        let chain = Sequential([.linear(first), .gelu, .layerNorm(norm), .tanh, .linear(last)])
        randomize(chain, seed: seed + 1)
        return (chain, first, norm, last)
    }

    @Test func keysParametersByStepPositionLikePyTorch() {
        // Given parameter-free steps at positions 1 and 3, which keep their indices
        let (chain, first, norm, last) = Self.makeChain(seed: 31)
        // Then
        #expect(chain.sublayers.map(\.name) == ["0", "2", "4"])
        #expect(chain.parameters().map(\.key) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        let tensors = chain.parameters().map(\.tensor)
        let expected = [first.weight, first.bias, norm.weight, norm.bias, last.weight, last.bias].compactMap { $0 }
        #expect(zip(tensors, expected).allSatisfy { $0.isIdentical(to: $1) })
        #expect(chain.parameterCount == 16 + 8 + 10)
    }

    @Test func nestedChainsGetDottedKeys() {
        // Given Sequential(Sequential(Linear), Linear)
        var rng = RandomGenerator(seed: 32)
        let inner = Sequential([.linear(Linear(inputSize: 2, outputSize: 3, generator: &rng)), .relu])
        let outer = Sequential([
            .layer(inner, { inner($0) }), .linear(Linear(inputSize: 3, outputSize: 1, generator: &rng)),
        ])
        // Then
        #expect(outer.parameters().map(\.key) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"])
    }

    @Test func appliesTheStepsInOrder() {
        // Given
        let (chain, first, norm, last) = Self.makeChain(seed: 33)
        let x = randomInput([5, 3], seed: 34)
        // Then
        #expect(chain(x).scalars == last(norm(first(x).gelu()).tanh()).scalars)
    }

    @Test func gradientsMatchFiniteDifferencesForTheInputAndEveryParameter() {
        // Given
        let (chain, _, _, _) = Self.makeChain(seed: 35)
        let x = randomInput([3, 3], seed: 36)
        // Then
        checkGradientsInPlace([x] + chain.parameters().map(\.tensor)) { chain(x) }
    }
}

// MARK: - Dropout

@Suite("Dropout layer")
struct DropoutLayerTests {
    @Test func isTheIdentityInEvaluationMode() {
        // Given
        let dropout = Dropout(probability: 0.5, seed: 41)
        let x = randomInput([4, 25], seed: 42)
        // When
        dropout.setTraining(false)
        // Then
        #expect(dropout.isTraining == false)
        #expect(dropout(x).scalars == x.scalars)
    }

    @Test func trainingZeroesAboutPAndScalesTheRestByOneOverOneMinusP() {
        // Given p = 0.3 over 10,000 elements away from zero
        let p: Float = 0.3
        let dropout = Dropout(probability: p, seed: 43)
        dropout.setTraining(true)
        let x = randomInputAwayFromZero([100, 100], seed: 44)
        // When
        let y = dropout(x)
        // Then every element is 0 or x / (1 - p), and about 1 - p are kept (σ = 0.0046)
        let keep = 1 / (1 - p)
        let keptCount = y.scalars.filter { $0 != 0 }.count
        #expect(zip(y.scalars, x.scalars).allSatisfy { output, input in output == 0 || output == input * keep })
        #expect(abs(Float(keptCount) / 10_000 - (1 - p)) < 0.02)
    }

    @Test func gradientIsTheSameMaskScaled() throws {
        // Given p = 0.5: dy/dx = mask / (1 - p)
        let dropout = Dropout(probability: 0.5, seed: 45)
        dropout.setTraining(true)
        let x = randomInputAwayFromZero([8, 8], seed: 46)
        // When
        let y = dropout(x)
        let gradient = try #require(y.sum().gradients()[x])
        // Then
        #expect(gradient.scalars == y.scalars.map { $0 == 0 ? 0 : 2 })
    }

    @Test func seedMakesMasksReproducibleAndEachCallDrawsANewMask() {
        // Given two layers with the same seed
        let a = Dropout(probability: 0.5, seed: 47)
        let b = Dropout(probability: 0.5, seed: 47)
        a.setTraining(true)
        b.setTraining(true)
        let x = randomInputAwayFromZero([10, 10], seed: 48)
        // When
        let first = a(x).scalars
        // Then
        #expect(b(x).scalars == first)
        #expect(a(x).scalars != first)
    }

    @Test func zeroProbabilityIsTheIdentityInTraining() {
        let dropout = Dropout(probability: 0, seed: 49)
        dropout.setTraining(true)
        let x = randomInput([3, 3], seed: 50)
        #expect(dropout(x).scalars == x.scalars)
    }

    @Test func aNewLayerIsInInferenceMode() {
        let dropout = Dropout(probability: 0.5, seed: 49)
        let x = randomInput([3, 3], seed: 50)
        #expect(!dropout.isTraining)
        #expect(dropout(x).scalars == x.scalars)
    }

    @Test func setTrainingReachesDropoutInsideNestedSequentials() {
        // Given Sequential(Linear, Dropout, Sequential(Dropout))
        var rng = RandomGenerator(seed: 51)
        let outerDropout = Dropout(probability: 0.5, seed: 52)
        let innerDropout = Dropout(probability: 0.5, seed: 53)
        let inner = Sequential([.dropout(innerDropout)])
        let chain = Sequential([
            .linear(Linear(inputSize: 4, outputSize: 4, generator: &rng)), .dropout(outerDropout),
            .layer(inner, { inner($0) }),
        ])
        let x = randomInputAwayFromZero([6, 4], seed: 54)
        // When / Then
        chain.setTraining(false)
        #expect(!outerDropout.isTraining && !innerDropout.isTraining)
        #expect(chain(x).scalars == chain(x).scalars)
        chain.setTraining(true)
        #expect(outerDropout.isTraining && innerDropout.isTraining)
        #expect(chain(x).scalars != chain(x).scalars)
    }
}

// MARK: - Initializers

@Suite("Initializers")
struct InitializerTests {
    /// Rules drawing from `U(-bound, bound)`; `[out, in, k]` shapes check that the fans
    /// include the receptive field `k` (fanIn = in k, fanOut = out k), and a 1-D shape that
    /// both fans are its length.
    static let uniformCases: [(Initializer, [Int], Double)] = [
        (.xavierUniform(), [64, 32, 5], (6.0 / (160 + 320)).squareRoot()),
        (.xavierUniform(gain: 2), [64, 32, 5], 2 * (6.0 / (160 + 320)).squareRoot()),
        (.xavierUniform(), [3000], (6.0 / 6000).squareRoot()),
        (.kaimingUniform(), [64, 32, 5], 2.0.squareRoot() * (3.0 / 160).squareRoot()),
        (.fanInUniform, [256, 50], 1 / 50.0.squareRoot()),
        (.fanInUniform, [4000], 1 / 4000.0.squareRoot()),
        (.uniform(-0.3...0.3), [5000], 0.3),
    ]

    /// Rules drawing from `N(mean, s)`.
    static let normalCases: [(Initializer, [Int], Double, Double)] = [
        (.xavierNormal(), [200, 100], 0, (2.0 / 300).squareRoot()),
        (.kaimingNormal(), [100, 400], 0, 2.0.squareRoot() / 20),
        (.kaimingNormal(gain: 1), [50, 20, 8], 0, 1 / 160.0.squareRoot()),
        (.normal(mean: 3, standardDeviation: 0.5), [20000], 3, 0.5),
    ]

    @Test(arguments: uniformCases)
    func uniformRulesStayWithinTheirBoundAndFillIt(initializer: Initializer, shape: [Int], bound: Double) {
        // When
        var rng = RandomGenerator(seed: 61)
        let tensor = initializer.make(shape, generator: &rng)
        // Then: |v| ≤ a, the largest is near a, and std ≈ a / sqrt(3)
        let stats = statistics(tensor.scalars)
        let n = Double(tensor.count)
        #expect(tensor.shape == shape)
        #expect(tensor.requiresGradient)
        #expect(Double(stats.largestMagnitude) <= bound * (1 + 1e-6))
        #expect(Double(stats.largestMagnitude) > 0.98 * bound)
        #expect(abs(stats.standardDeviation / (bound / 3.0.squareRoot()) - 1) < 0.03)
        #expect(abs(stats.mean) < 4 * bound / (3 * n).squareRoot())
    }

    @Test(arguments: normalCases)
    func normalRulesHaveTheirMeanAndStandardDeviation(
        initializer: Initializer, shape: [Int], mean: Double, standardDeviation: Double
    ) {
        // When
        var rng = RandomGenerator(seed: 62)
        let tensor = initializer.make(shape, generator: &rng)
        // Then (n ≥ 8000: the empirical std is within 3% with overwhelming probability)
        let stats = statistics(tensor.scalars)
        let n = Double(tensor.count)
        #expect(tensor.shape == shape)
        #expect(abs(stats.standardDeviation / standardDeviation - 1) < 0.03)
        #expect(abs(stats.mean - mean) < 4 * standardDeviation / n.squareRoot())
    }

    @Test func zerosAndOnesAreExactAndTrainable() {
        var rng = RandomGenerator(seed: 63)
        let zeros = Initializer.zeros.make([3, 4], generator: &rng)
        let ones = Initializer.ones.make([5], generator: &rng)
        #expect(zeros.shape == [3, 4] && zeros.scalars.allSatisfy { $0 == 0 })
        #expect(ones.shape == [5] && ones.scalars.allSatisfy { $0 == 1 })
        #expect(zeros.requiresGradient && ones.requiresGradient)
    }

    @Test func sameSeedGivesTheSameValues() {
        var first = RandomGenerator(seed: 64)
        var second = RandomGenerator(seed: 64)
        let a = Initializer.xavierNormal().make([8, 8], generator: &first)
        let b = Initializer.xavierNormal().make([8, 8], generator: &second)
        #expect(a.scalars == b.scalars)
        #expect(Initializer.xavierNormal().make([8, 8], generator: &first).scalars != a.scalars)
    }
}

// MARK: - Layer.load

@Suite("Layer.load")
struct LayerLoadTests {
    private static func makeLinear() -> Linear {
        var rng = RandomGenerator(seed: 71)
        return Linear(inputSize: 3, outputSize: 2, generator: &rng)
    }

    private static let weight = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    private static let bias = Tensor(shape: [2], scalars: [-1, -2])

    @Test func copiesEveryValueInPlace() throws {
        // Given
        let linear = Self.makeLinear()
        let weightBefore = linear.weight
        // When
        try linear.load(["weight": Self.weight, "bias": Self.bias])
        // Then the same leaves now hold the values (so optimizer state keyed by them survives)
        #expect(linear.weight.isIdentical(to: weightBefore))
        #expect(linear.weight.scalars == Self.weight.scalars)
        #expect(linear.bias?.scalars == Self.bias.scalars)
        #expect(linear.weight.requiresGradient)
    }

    @Test(arguments: [
        (["weight": weight], LayerError.missingParameter(key: "bias"), "'bias' is missing"),
        (
            ["weight": Tensor.zeros([3, 2]), "bias": bias],
            LayerError.shapeMismatch(key: "weight", expected: [2, 3], found: [3, 2]),
            "'weight': expected shape [2, 3], got [3, 2]"
        ),
        (
            ["weight": weight, "bias": bias, "scale": Tensor.ones([2])],
            LayerError.unexpectedParameter(key: "scale"), "'scale' matches no parameter"
        ),
    ])
    func misfittingValuesThrowNamingTheKeyAndLoadNothing(
        values: [String: Tensor], expected: LayerError, fragment: String
    ) {
        // Given
        let linear = Self.makeLinear()
        let before = linear.parameters().map(\.tensor.scalars)
        // When
        let error = #expect(throws: LayerError.self) { try linear.load(values) }
        // Then
        #expect(error == expected)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
        #expect(linear.parameters().map(\.tensor.scalars) == before)
    }

    @Test func nestedLayersReportTheDottedKey() {
        // Given Sequential(Linear(3, 2), ReLU, Linear(2, 1)) and values for a Linear(2, 2) at 2
        var rng = RandomGenerator(seed: 72)
        let chain = Sequential([
            .linear(Linear(inputSize: 3, outputSize: 2, generator: &rng)), .relu,
            .linear(Linear(inputSize: 2, outputSize: 1, generator: &rng)),
        ])
        let values = [
            "0.weight": Self.weight, "0.bias": Self.bias,
            "2.weight": Tensor.zeros([2, 2]), "2.bias": Tensor.zeros([1]),
        ]
        // Then
        #expect(throws: LayerError.shapeMismatch(key: "2.weight", expected: [1, 2], found: [2, 2])) {
            try chain.load(values)
        }
    }
}
