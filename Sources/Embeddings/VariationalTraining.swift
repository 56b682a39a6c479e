import NeuralNet
import Randomness
import Settings
import TensorEngine

/// What the dense and the sequence autoencoders share in training: the seeded hold-out, the
/// run itself (schedule, KL warm-up and reparametrised samples, or DP-SGD with a budget), and
/// the checks of the training settings.
enum VariationalTraining {
    /// A seeded split of `count` examples: `fraction` of them (at least 1, leaving at least 1)
    /// for validation, the rest for training.
    static func holdOut(count: Int, fraction: Double, seed: UInt64) -> (training: [Int], validation: [Int]) {
        var splitter = RandomGenerator(seed: seed ^ 0x5eed_5917)
        let order = splitter.permutation(count)
        let validationCount = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        return (Array(order[validationCount...]), Array(order[..<validationCount]))
    }

    /// The KL term's weight, rising linearly from 0 to 1 over `epochs` epochs of
    /// `stepsPerEpoch` steps (1 from the start when `epochs` is 0), and the noise of the
    /// reparametrised samples.
    struct Warmup {
        let steps: Int
        var taken = 0
        var noise: RandomGenerator

        init(epochs: Int, examples: Int, batchSize: Int, seed: UInt64) {
            steps = epochs * ((examples + batchSize - 1) / batchSize)
            noise = RandomGenerator(seed: seed ^ 0x0015_e000)
        }

        /// The weight of the next step's KL term.
        mutating func nextBeta() -> Float {
            taken += 1
            return steps == 0 ? 1 : min(1, Float(taken) / Float(steps))
        }

        /// Standard normal noise `eps` of `shape`, for `z = mean + exp(logVariance / 2) * eps`.
        mutating func noise(shape: [Int]) -> Tensor {
            Tensor.normal(shape, generator: &noise)
        }
    }

    /// The KL weight of a private run in epoch `epoch` (from 1): rising by epoch, not by step,
    /// so every loss of one epoch is the same function.
    static func beta(epoch: Int, warmupEpochs: Int) -> Float {
        warmupEpochs == 0 ? 1 : min(1, Float(epoch) / Float(warmupEpochs))
    }

    /// Standard normal noise `[rows.count, width]` for a private run: row `r`'s from a
    /// generator of its own seeded by the unit and the epoch, so a unit's sample is the same
    /// whether it is drawn alone or in a batch.
    static func noise(rows: [Int], width: Int, seed: UInt64, epoch: Int) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(rows.count * width)
        for row in rows {
            var generator = RandomGenerator(seed: PrivateTraining.unitSeed(seed ^ 0x0015_e000, unit: row, epoch: epoch))
            for _ in 0..<width { values.append(generator.nextNormal()) }
        }
        return Tensor(shape: [rows.count, width], scalars: values)
    }

    /// The schedule and sampling settings both autoencoders' configurations share.
    struct Settings {
        var epochs: Int
        var batchSize: Int
        var patience: Int
        var minimumImprovement: Double
        var klWarmupEpochs: Int
        var seed: UInt64
        var privacy: PrivacyBudget?
    }

    /// Trains `network` on `units` training units: `losses(units, beta, eps)` gives each
    /// unit's loss `[n]` with the KL weight `beta` and standard normal noise `eps(shape)` for
    /// the code's samples (an autoencoder without a code variance ignores both).
    ///
    /// Without a budget the KL weight warms up by step and the noise comes from one generator
    /// (``Warmup``). With one (``Settings/privacy``) it is DP-SGD, one unit per privacy unit:
    /// the KL weight rises by epoch (``beta(epoch:warmupEpochs:)``) and each unit's noise is
    /// its own per epoch (``noise(rows:width:seed:epoch:)``), so a unit's loss is the same
    /// function alone as in a batch, which the per-unit split is checked against.
    ///
    /// - Throws: ``UnsupervisedError/privacy(_:)`` when the budget cannot be met, or
    ///   ``UnsupervisedError/diverged(_:)``.
    static func train(
        _ network: any Layer, optimizer: any Optimizer, units: Int, settings: Settings,
        losses: @escaping (_ units: [Int], _ beta: Float, _ eps: ([Int]) -> Tensor) -> Tensor,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Double>,
        progress: ((StepProgress) -> Void)?, epochEnd: ((EpochRecord<Double>) -> Void)?
    ) throws(UnsupervisedError) -> (history: TrainingHistory<Double>, privateRun: PrivateTrainingRun<Double>?) {
        let loop = TrainingLoop(
            schedule: TrainingSchedule(
                epochs: settings.epochs, batchSize: settings.batchSize, patience: settings.patience,
                minimumImprovement: settings.minimumImprovement, shuffleSeed: settings.seed))
        guard let budget = settings.privacy else {
            var warmup = Warmup(
                epochs: settings.klWarmupEpochs, examples: units, batchSize: settings.batchSize, seed: settings.seed)
            do {
                let history = try loop.run(
                    network, optimizer: optimizer, exampleCount: units,
                    loss: { batch in losses(batch, warmup.nextBeta(), { warmup.noise(shape: $0) }).mean() },
                    validate: validate, progress: progress, epochEnd: epochEnd)
                return (history, nil)
            } catch {
                throw .diverged(error)
            }
        }
        let privacy: PrivateTraining
        do {
            privacy = try budget.training(
                unit: .user, units: units, batchSize: settings.batchSize, epochs: settings.epochs)
        } catch {
            throw .privacy(error)
        }
        do {
            let run = try loop.runPrivately(
                network, optimizer: optimizer, unitCount: units, privacy: privacy,
                losses: { batch, epoch in
                    losses(batch, beta(epoch: epoch, warmupEpochs: settings.klWarmupEpochs)) { shape in
                        noise(rows: batch, width: shape[1], seed: settings.seed, epoch: epoch)
                    }
                },
                validate: validate, progress: progress, epochEnd: epochEnd)
            return (run.history, run)
        } catch {
            switch error {
            case .diverged(let diverged): throw .diverged(diverged)
            case .accounting(let accounting): throw .privacy(accounting)
            }
        }
    }

    /// Checks the training settings both autoencoders have.
    ///
    /// - Throws: ``InvalidParameter`` naming `learning-rate`, `batch-size`, `epochs`,
    ///   `patience`, `minimum-improvement`, `kl-warmup` or `validation-fraction`.
    static func validate(
        learningRate: Float, batchSize: Int, epochs: Int, patience: Int, minimumImprovement: Double,
        klWarmupEpochs: Int, validationFraction: Double
    ) throws(InvalidParameter) {
        try InvalidParameter.require(
            learningRate > 0 && learningRate.isFinite, "learning-rate", learningRate, allowed: "a positive number")
        try InvalidParameter.require("batch-size", batchSize, in: 1...InvalidParameter.maximumLayerWidth)
        try InvalidParameter.require("epochs", epochs, in: 1...1_000_000)
        try InvalidParameter.require("patience", patience, in: 0...1_000_000)
        try InvalidParameter.require(
            minimumImprovement >= 0 && minimumImprovement.isFinite, "minimum-improvement", minimumImprovement,
            allowed: "0 or more")
        try InvalidParameter.require("kl-warmup", klWarmupEpochs, in: 0...1_000_000)
        try InvalidParameter.require(
            validationFraction > 0 && validationFraction < 1, "validation-fraction", validationFraction,
            allowed: "between 0 and 1, exclusive")
    }
}
