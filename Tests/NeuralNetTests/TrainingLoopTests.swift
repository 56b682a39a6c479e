import Foundation
import NeuralNet
import Randomness
import TensorEngine
import Testing

/// The shared training loop: early stopping, the kept weights, time budget, stop reasons,
/// divergence and training mode.
@Suite("Training loop")
struct TrainingLoopTests {
    /// A one-weight model (with a dropout layer to watch the mode) whose loss pulls the weight
    /// towards 5.
    final class Probe: Layer {
        let weight = Tensor(shape: [1], scalars: [0], requiresGradient: true)
        let dropout = Dropout(probability: 0.5, seed: 1)
        var ownParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
        var sublayers: [(name: String, layer: any Layer)] { [("dropout", dropout)] }
        func loss() -> Tensor { ((weight - 5) * (weight - 5)).sum() }
        var value: Float { weight.scalars[0] }
    }

    private func run(
        _ probe: Probe, schedule: TrainingSchedule, scores: [Double], delay: Double = 0,
        weights: inout [Int: Float]
    ) throws -> TrainingHistory<Double> {
        var seen: [Int: Float] = [:]
        let history = try TrainingLoop(schedule: schedule).run(
            probe, optimizer: SGD(for: probe, learningRate: 0.05), exampleCount: 4,
            loss: { _ in
                #expect(probe.dropout.isTraining)
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                return probe.loss()
            },
            validate: { epoch in
                #expect(!probe.dropout.isTraining)
                seen[epoch] = probe.value
                let score = scores[min(epoch, scores.count) - 1]
                return Validation(score: score, report: score)
            })
        weights = seen
        return history
    }

    @Test func earlyStoppingRestoresTheBestWeightsInInferenceMode() throws {
        let probe = Probe()
        var weights: [Int: Float] = [:]
        let history = try run(
            probe, schedule: TrainingSchedule(epochs: 20, batchSize: 2, patience: 2, shuffleSeed: 1),
            scores: [0.1, 0.3, 0.5, 0.4, 0.45, 0.9], weights: &weights)
        #expect(history.stopReason == .converged(patience: 2, minimumImprovement: 0))
        #expect(history.epochs.count == 5)
        #expect(history.bestEpoch == 3 && history.best?.score == 0.5)
        #expect(probe.value == weights[3])
        #expect(weights[5] != weights[3])
        #expect(!probe.dropout.isTraining)
        #expect(history.epochs.map(\.isBest) == [true, true, true, false, false])
        #expect(history.secondsToBest <= history.trainSeconds)
    }

    @Test func aSmallGainKeepsTheWeightsButDoesNotResetThePatience() throws {
        let probe = Probe()
        var weights: [Int: Float] = [:]
        // Each validation gains 0.2% over the last: the best weights follow, but three
        // validations gain 0.6% together, under the 1% threshold, so training has converged.
        let scores = (0..<20).map { 0.5 * pow(1.002, Double($0)) }
        let history = try run(
            probe,
            schedule: TrainingSchedule(epochs: 20, batchSize: 4, patience: 3, minimumImprovement: 0.01, shuffleSeed: 1),
            scores: scores, weights: &weights)
        #expect(history.stopReason == .converged(patience: 3, minimumImprovement: 0.01))
        #expect(history.epochs.count == 4 && history.bestEpoch == 4)
        #expect(
            history.stopReason.description == "early stop: validation did not improve by 1% or more in 3 validations")
    }

    @Test func validationEveryFewEpochsAndAfterTheLast() throws {
        let probe = Probe()
        var weights: [Int: Float] = [:]
        let history = try run(
            probe, schedule: TrainingSchedule(epochs: 7, batchSize: 4, validateEvery: 3, shuffleSeed: 1),
            scores: Array(repeating: 0.2, count: 7), weights: &weights)
        #expect(history.stopReason == .completed(epochs: 7))
        #expect(history.epochs.filter { $0.validation != nil }.map(\.epoch) == [3, 6, 7])
        #expect(history.bestEpoch == 3)
        #expect(abs(probe.value - 5) > abs((weights[7] ?? 0) - 5), "the first of equal scores is kept")
    }

    @Test func aTimeBudgetEndsTrainingAndValidatesTheLastEpoch() throws {
        let probe = Probe()
        var weights: [Int: Float] = [:]
        let history = try run(
            probe, schedule: TrainingSchedule(epochs: 1_000, batchSize: 1, timeBudget: 0.03, shuffleSeed: 1),
            scores: [0.5], delay: 0.02, weights: &weights)
        #expect(history.stopReason == .timeBudget(seconds: 0.03, epoch: 1))
        #expect(history.epochs.count == 1 && history.epochs[0].validation != nil)
        #expect(history.trainSeconds >= 0.03)
    }

    @Test func aNaNLossStopsTrainingWithDivergence() {
        let probe = Probe()
        let error = #expect(throws: TrainingDiverged.self) {
            _ = try TrainingLoop(schedule: TrainingSchedule(epochs: 3, batchSize: 4, shuffleSeed: 1)).run(
                probe, optimizer: SGD(for: probe, learningRate: 0.05), exampleCount: 4,
                loss: { _ in probe.loss() * Tensor(shape: [], scalars: [.nan]) },
                validate: { _ in Validation(score: 0, report: 0) })
        }
        #expect(error?.quantity == .loss && error?.epoch == 1 && error?.learningRate == Double(Float(0.05)))
        #expect(probe.value == 0, "no step was taken with a NaN gradient")
    }

    @Test func nothingToTrainIsAStopReasonNotAnError() throws {
        let history = try TrainingLoop(schedule: TrainingSchedule(epochs: 3, batchSize: 4, shuffleSeed: 1)).run(
            Dropout(probability: 0, seed: 1), optimizer: SGD(for: Probe(), learningRate: 0.1), exampleCount: 10,
            loss: { _ in Tensor(shape: [], scalars: [0]) }, validate: { _ in Validation(score: 0, report: 0) })
        #expect(history.stopReason == .nothingToTrain && history.epochs.isEmpty)
    }
}
