import Foundation
import Randomness
import TensorEngine

/// How long and how carefully a model trains: the settings every model shares.
public struct TrainingSchedule: Sendable, Equatable, Codable {
    /// The most passes over the training examples.
    public var epochs: Int
    /// Examples per step.
    public var batchSize: Int
    /// Validation every this many epochs (and after the last one).
    public var validateEvery: Int
    /// Stop after this many validations without a sufficient improvement; 0 never stops early.
    public var patience: Int
    /// The relative gain over the reference score that counts as an improvement for
    /// ``patience`` (0.01: 1% better). The best weights are kept whatever the gain; a gain
    /// below this only does not reset the patience, so training ends when progress stalls.
    public var minimumImprovement: Double
    /// The most seconds of training steps (validation not counted), or nil for no limit.
    public var timeBudget: Double?
    /// Seeds the order of the examples in each epoch.
    public var shuffleSeed: UInt64

    public init(
        epochs: Int, batchSize: Int, validateEvery: Int = 1, patience: Int = 10, minimumImprovement: Double = 0,
        timeBudget: Double? = nil, shuffleSeed: UInt64
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.validateEvery = validateEvery
        self.patience = patience
        self.minimumImprovement = minimumImprovement
        self.timeBudget = timeBudget
        self.shuffleSeed = shuffleSeed
    }
}

/// Why training ended.
public enum StopReason: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Every epoch of the schedule ran.
    case completed(epochs: Int)
    /// `patience` validations passed without a sufficient improvement.
    case converged(patience: Int, minimumImprovement: Double)
    /// The time budget ran out during `epoch`.
    case timeBudget(seconds: Double, epoch: Int)
    /// There was nothing to train (a model without parameters, or no examples).
    case nothingToTrain

    public var description: String {
        switch self {
        case .completed(let epochs):
            return "ran \(epochs) epochs"
        case .converged(let patience, let minimumImprovement):
            let gain = minimumImprovement > 0 ? "by \(String(format: "%g", minimumImprovement * 100))% or more " : ""
            return "early stop: validation did not improve \(gain)in \(patience) validations"
        case .timeBudget(let seconds, let epoch):
            return "time budget of \(String(format: "%g", seconds)) s reached in epoch \(epoch)"
        case .nothingToTrain:
            return "nothing to train"
        }
    }
}

/// What a validation found: the score that early stopping watches (higher is better) and the
/// full report, kept in the history.
public struct Validation<Report: Sendable>: Sendable {
    public var score: Double
    public var report: Report

    public init(score: Double, report: Report) {
        self.score = score
        self.report = report
    }
}

/// One epoch of a training history.
public struct EpochRecord<Report: Sendable>: Sendable {
    /// 1-based epoch.
    public var epoch: Int
    /// The mean training loss over the epoch's steps.
    public var loss: Double
    /// Training time so far (steps only, not validation), in seconds.
    public var trainSeconds: Double
    /// The validation, when this epoch was validated.
    public var validation: Validation<Report>?
    /// Whether this epoch's weights are the best so far (and kept).
    public var isBest: Bool
}

extension EpochRecord: Equatable where Report: Equatable {}
extension Validation: Equatable where Report: Equatable {}

/// Where training is, reported after every step.
public struct StepProgress: Sendable, Equatable {
    /// 1-based epoch.
    public var epoch: Int
    /// Steps finished in this epoch, and steps per epoch.
    public var step: Int
    public var stepsPerEpoch: Int
    /// Steps finished since training began.
    public var completedSteps: Int
    /// The mean training loss of this epoch so far.
    public var loss: Double
    /// Training examples per second of training time.
    public var examplesPerSecond: Double
}

/// What a training run did.
public struct TrainingHistory<Report: Sendable>: Sendable {
    /// One record per epoch run.
    public var epochs: [EpochRecord<Report>]
    /// The epoch whose weights the model holds now (0 when no epoch was validated).
    public var bestEpoch: Int
    public var stopReason: StopReason
    /// Seconds spent in training steps.
    public var trainSeconds: Double
    /// Seconds of training steps until the kept epoch ended: the time to the final quality.
    public var secondsToBest: Double

    /// The history of a model with nothing to train (popularity counts, say).
    public static var nothingTrained: TrainingHistory {
        TrainingHistory(epochs: [], bestEpoch: 0, stopReason: .nothingToTrain, trainSeconds: 0, secondsToBest: 0)
    }

    /// The kept epoch's validation.
    public var best: Validation<Report>? {
        epochs.first { $0.epoch == bestEpoch }?.validation
    }
}

/// The one training loop every model uses: epochs over seeded batches, a step per batch,
/// validation every few epochs, early stopping when validation stalls, the best weights
/// kept and restored, a time budget, progress reports and a per-epoch history.
///
/// A model supplies only what is its own: the loss of a batch of example indexes and a
/// validation. The loop turns dropout on for the steps and off for validation and when it
/// returns, so the model it hands back is in inference mode.
///
/// ```swift
/// let loop = TrainingLoop(schedule: TrainingSchedule(epochs: 50, batchSize: 256, shuffleSeed: 7))
/// let history = try loop.run(
///     model, optimizer: Adam(for: model, learningRate: 1e-3), exampleCount: rows.count,
///     loss: { batch in binaryCrossEntropyWithLogits(logits: model(features(batch)), targets: labels(batch)) },
///     validate: { _ in
///         let auc = rocAUC(of: model)
///         return Validation(score: auc, report: auc)
///     })
/// print(history.stopReason, history.bestEpoch)
/// ```
///
/// Every step's loss is checked: a NaN or infinite loss throws ``TrainingDiverged`` at once,
/// so a diverged model is never evaluated or saved.
public struct TrainingLoop: Sendable {
    public let schedule: TrainingSchedule

    public init(schedule: TrainingSchedule) {
        precondition(
            schedule.epochs >= 1 && schedule.batchSize >= 1 && schedule.validateEvery >= 1 && schedule.patience >= 0,
            "TrainingLoop: epochs, batch size and validation interval must be positive, patience not negative")
        self.schedule = schedule
    }

    /// Trains `model` in place and leaves the best validated weights in it, in inference mode.
    ///
    /// - Parameters:
    ///   - model: The layer tree the optimizer updates (snapshotted and restored).
    ///   - optimizer: Updates the parameters from each step's gradients.
    ///   - exampleCount: Training examples `0..<exampleCount`, shuffled every epoch.
    ///   - loss: The loss of a batch of example indexes (the model is in training mode).
    ///   - validate: The validation after an epoch (the model is in inference mode); it may
    ///     throw ``TrainingDiverged`` itself, for instance on NaN outputs.
    ///   - progress: Called after every step.
    ///   - epochEnd: Called after every epoch.
    /// - Throws: ``TrainingDiverged`` when a step's loss is NaN or infinite.
    public func run<Report: Sendable>(
        _ model: any Layer, optimizer: any Optimizer, exampleCount: Int, loss: ([Int]) -> Tensor,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Report>,
        progress: ((StepProgress) -> Void)? = nil, epochEnd: ((EpochRecord<Report>) -> Void)? = nil
    ) throws(TrainingDiverged) -> TrainingHistory<Report> {
        let batchSize = schedule.batchSize
        return try runEpochs(
            model, exampleCount: exampleCount, stepsPerEpoch: (exampleCount + batchSize - 1) / batchSize,
            batches: { rng in
                let order = rng.permutation(exampleCount)
                return stride(from: 0, to: exampleCount, by: batchSize).map {
                    Array(order[$0..<min($0 + batchSize, exampleCount)])
                }
            },
            step: { batch, epoch throws(TrainingDiverged) in
                let batchLoss = loss(batch)
                let value = Double(batchLoss.scalar)
                try TrainingDiverged.check(loss: value, epoch: epoch, learningRate: Double(optimizer.learningRate))
                optimizer.step(batchLoss.gradients())
                return value
            },
            validate: validate, progress: progress, epochEnd: epochEnd)
    }

    /// The epochs, validation, early stopping, best weights, time budget and reports that
    /// every way of training shares; `batches` draws an epoch's batches and `step` trains on
    /// one, returning its loss (nil for an empty batch, which has none).
    func runEpochs<Report: Sendable>(
        _ model: any Layer, exampleCount: Int, stepsPerEpoch: Int,
        batches: (inout RandomGenerator) -> [[Int]],
        step: (_ batch: [Int], _ epoch: Int) throws(TrainingDiverged) -> Double?,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Report>,
        progress: ((StepProgress) -> Void)?, epochEnd: ((EpochRecord<Report>) -> Void)?
    ) throws(TrainingDiverged) -> TrainingHistory<Report> {
        defer { model.setTraining(false) }
        guard exampleCount > 0, !model.parameters().isEmpty else {
            return TrainingHistory(
                epochs: [], bestEpoch: 0, stopReason: .nothingToTrain, trainSeconds: 0, secondsToBest: 0)
        }
        var rng = RandomGenerator(seed: schedule.shuffleSeed)
        var history: [EpochRecord<Report>] = []
        var best: (epoch: Int, score: Double, seconds: Double, weights: [String: Tensor])?
        var reference = -Double.infinity
        var stale = 0
        var trainSeconds = 0.0
        var completed = 0
        var examples = 0
        var stopReason = StopReason.completed(epochs: schedule.epochs)
        epochs: for epoch in 1...schedule.epochs {
            model.setTraining(true)
            var lossSum = 0.0
            var losses = 0
            var steps = 0
            var outOfTime = false
            for batch in batches(&rng) {
                let start = Date()
                if let value = try step(batch, epoch) {
                    lossSum += value
                    losses += 1
                }
                steps += 1
                completed += 1
                examples += batch.count
                trainSeconds += Date().timeIntervalSince(start)
                progress?(
                    StepProgress(
                        epoch: epoch, step: steps, stepsPerEpoch: stepsPerEpoch, completedSteps: completed,
                        loss: lossSum / Double(max(losses, 1)),
                        examplesPerSecond: Double(examples) / max(trainSeconds, 1e-9)))
                if let budget = schedule.timeBudget, trainSeconds >= budget {
                    outOfTime = true
                    break
                }
            }
            var record = EpochRecord<Report>(
                epoch: epoch, loss: lossSum / Double(max(losses, 1)), trainSeconds: trainSeconds, validation: nil,
                isBest: false)
            if epoch % schedule.validateEvery == 0 || epoch == schedule.epochs || outOfTime {
                model.setTraining(false)
                let validation = try validate(epoch)
                record.validation = validation
                if validation.score > (best?.score ?? -.infinity) {
                    best = (epoch, validation.score, trainSeconds, Self.snapshot(model))
                    record.isBest = true
                }
                if validation.score > Self.threshold(over: reference, relative: schedule.minimumImprovement) {
                    reference = validation.score
                    stale = 0
                } else {
                    stale += 1
                }
            }
            history.append(record)
            epochEnd?(record)
            if outOfTime {
                stopReason = .timeBudget(seconds: schedule.timeBudget ?? 0, epoch: epoch)
                break epochs
            }
            if schedule.patience > 0, stale >= schedule.patience {
                stopReason = .converged(patience: schedule.patience, minimumImprovement: schedule.minimumImprovement)
                break epochs
            }
        }
        if let best {
            // The snapshot was taken from this very model, so its keys and shapes match.
            try? model.load(best.weights)
        }
        return TrainingHistory(
            epochs: history, bestEpoch: best?.epoch ?? 0, stopReason: stopReason, trainSeconds: trainSeconds,
            secondsToBest: best?.seconds ?? 0)
    }

    /// The score a validation must beat to count as an improvement over `reference`.
    static func threshold(over reference: Double, relative: Double) -> Double {
        guard reference.isFinite else { return -.infinity }
        return reference + abs(reference) * relative
    }

    /// A copy of every parameter's values.
    static func snapshot(_ model: any Layer) -> [String: Tensor] {
        var copy: [String: Tensor] = [:]
        for (key, tensor) in model.parameters() { copy[key] = Tensor(shape: tensor.shape, scalars: tensor.scalars) }
        return copy
    }
}
