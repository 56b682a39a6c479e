import NeuralNet
import Randomness
import Settings
import TensorEngine

/// What the dense and the sequence autoencoders share in training: the seeded hold-out, the
/// KL warm-up and the reparametrised sample, and the checks of the training settings.
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

    /// DP-SGD of a VAE over `units` users: `losses(units, epoch)` with the KL weight rising by
    /// epoch and samples drawn per unit and epoch (``noise(rows:width:seed:epoch:)``).
    ///
    /// - Throws: ``UnsupervisedError/privacy(_:)`` when the budget cannot be met, or
    ///   ``UnsupervisedError/diverged(_:)``.
    static func runPrivately(
        _ loop: TrainingLoop, network: any Layer, optimizer: any Optimizer, units: Int, budget: PrivacyBudget,
        batchSize: Int, epochs: Int, losses: @escaping (_ units: [Int], _ epoch: Int) -> Tensor,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Double>,
        progress: ((StepProgress) -> Void)?, epochEnd: ((EpochRecord<Double>) -> Void)?
    ) throws(UnsupervisedError) -> PrivateTrainingRun<Double> {
        let privacy: PrivateTraining
        do {
            privacy = try budget.training(unit: .user, units: units, batchSize: batchSize, epochs: epochs)
        } catch {
            throw .privacy(error)
        }
        do {
            return try loop.runPrivately(
                network, optimizer: optimizer, unitCount: units, privacy: privacy, losses: losses, validate: validate,
                progress: progress, epochEnd: epochEnd)
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
