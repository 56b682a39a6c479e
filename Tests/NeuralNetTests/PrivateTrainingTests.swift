import NeuralNet
import PrivacyAccounting
import Randomness
import TensorEngine
import Testing

/// A layer holding one parameter vector.
private final class Vector: Layer {
    let values: Tensor
    init(_ scalars: [Float]) { values = Tensor(shape: [scalars.count], scalars: scalars, requiresGradient: true) }
    var ownParameters: [(name: String, tensor: Tensor)] { [("values", values)] }
}

private func schedule(epochs: Int) -> TrainingSchedule {
    TrainingSchedule(epochs: epochs, batchSize: 1, patience: 0, shuffleSeed: 1)
}

@Suite("DP-SGD in the shared training loop")
struct PrivateTrainingTests {
    @Test("Each unit's gradient is clipped to C before the sum, which is divided by the expected batch size")
    func clipping() throws {
        let model = Vector([0, 0])
        let data = Tensor(shape: [2, 2], scalars: [30, 40, 3, 4])  // gradient norms 50 and 5
        let privacy = PrivateTraining(
            unit: .user, clipNorm: 1, noiseMultiplier: 0, samplingRate: 1, delta: 1e-5, noiseSeed: 1)
        let run = try TrainingLoop(schedule: schedule(epochs: 1)).runPrivately(
            model, optimizer: SGD(for: model, learningRate: 1), unitCount: 2, privacy: privacy,
            losses: { units in
                (Tensor.concatenate(units.map { data.slice(axis: 0, $0..<($0 + 1)) }, axis: 0) * model.values)
                    .sum(axis: 1)
            },
            validate: { _ in Validation(score: 0, report: ()) })
        // Both clip to (0.6, 0.8); their sum over 2 expected units is (0.6, 0.8); SGD steps against it.
        let moved = model.values.scalars
        #expect(abs(moved[0] + 0.6) < 1e-5 && abs(moved[1] + 0.8) < 1e-5, "\(moved)")
        #expect(run.steps == 1 && run.clippedShare == 1)
        #expect(run.perUnitGradients == .engine)
    }

    @Test("The noise has standard deviation σC over the expected batch size, on every parameter")
    func noiseScale() throws {
        let model = Vector([Float](repeating: 0, count: 2000))
        let privacy = PrivateTraining(
            unit: .example, clipNorm: 2, noiseMultiplier: 1.5, samplingRate: 0.5, delta: 1e-5, noiseSeed: 7)
        // The loss ignores the parameters, so only the noise moves them.
        _ = try TrainingLoop(schedule: schedule(epochs: 1)).runPrivately(
            model, optimizer: SGD(for: model, learningRate: 1), unitCount: 10, privacy: privacy,
            losses: { units in Tensor(repeating: 0, shape: [units.count]) },
            validate: { _ in Validation(score: 0, report: ()) })
        // 2 steps of N(0, (1.5 · 2)²) / (0.5 · 10): each value has variance 2 · 9 / 25.
        let values = model.values.scalars.map(Double.init)
        let variance = values.reduce(0) { $0 + $1 * $1 } / Double(values.count)
        #expect(abs(variance - 18.0 / 25.0) < 0.06, "variance \(variance)")
    }

    @Test("The statement accounts the steps that ran, and a calibrated budget is kept")
    func statement() throws {
        let privacy = try PrivateTraining.calibrated(
            epsilon: 2, delta: 1e-5, unit: .user, units: 1000, expectedBatchSize: 50, epochs: 3, clipNorm: 1,
            noiseSeed: 3)
        #expect(privacy.samplingRate == 0.05)
        let model = Vector([0.5, -0.5])
        let x = (0..<1000).map { Float($0 % 7) - 3 }
        let run = try TrainingLoop(schedule: schedule(epochs: 3)).runPrivately(
            model, optimizer: Adam(for: model, learningRate: 0.05), unitCount: 1000, privacy: privacy,
            losses: { units in
                let rows = Tensor(shape: [units.count, 2], scalars: units.flatMap { [x[$0], 1] })
                return ((rows * model.values).sum(axis: 1) - 1).squared()
            },
            validate: { _ in Validation(score: 0, report: ()) })
        #expect(run.steps == 60)
        let expected = try PrivacyStatement.poissonSampling(
            unit: .user, samplingRate: 0.05, noiseMultiplier: privacy.noiseMultiplier, steps: 60, delta: 1e-5)
        #expect(run.statement == expected)
        #expect((run.statement?.epsilon ?? 99) <= 2)
    }

    @Test("A model the engine cannot split trains one unit at a time and says why")
    func fallback() throws {
        let model = Vector([1, 1])
        let data = Tensor(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        let privacy = PrivateTraining(
            unit: .example, clipNorm: 1, noiseMultiplier: 0, samplingRate: 1, delta: 1e-5, noiseSeed: 1)
        let run = try TrainingLoop(schedule: schedule(epochs: 1)).runPrivately(
            model, optimizer: SGD(for: model, learningRate: 0.1), unitCount: 4, privacy: privacy,
            losses: { units in
                (Tensor.concatenate(units.map { data.slice(axis: 0, $0..<($0 + 1)) }, axis: 0) / model.values).sum(
                    axis: 1)
            },
            validate: { _ in Validation(score: 0, report: ()) })
        guard case .oneAtATime(let reason) = run.perUnitGradients else {
            Issue.record("expected the one-at-a-time path, got \(run.perUnitGradients)")
            return
        }
        #expect(reason.contains("divide"))
        #expect(model.values.scalars != [1, 1])
    }

    @Test("Poisson samples: seeded, distinct, in range, of the expected size on average")
    func poisson() throws {
        var generator = RandomGenerator(seed: 11)
        var total = 0
        for _ in 0..<200 {
            let sample = PrivateTraining.poissonSample(count: 1000, rate: 0.03, generator: &generator)
            #expect(sample == sample.sorted() && Set(sample).count == sample.count)
            #expect(sample.allSatisfy { (0..<1000).contains($0) })
            total += sample.count
        }
        #expect(abs(Double(total) / 200 - 30) < 1.5, "mean size \(Double(total) / 200)")
        var again = RandomGenerator(seed: 11)
        var first = RandomGenerator(seed: 11)
        #expect(
            PrivateTraining.poissonSample(count: 50, rate: 0.2, generator: &again)
                == PrivateTraining.poissonSample(count: 50, rate: 0.2, generator: &first))
    }
}
