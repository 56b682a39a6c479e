import Datasets
import EventData
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// The hyper-parameters of a sequence VAE over users' events, and of its training.
///
/// ```swift
/// var config = SequenceAutoencoderConfig()
/// config.latentSize = 8
/// try config.validate()
/// ```
public struct SequenceAutoencoderConfig: Sendable, Codable, Equatable {
    /// The most recent events read per user.
    public var maxLength: Int
    /// Items with their own token (the most frequent); the others share one.
    public var maxItems: Int
    /// Categories with their own token (the most frequent); the others share one.
    public var maxCategories: Int
    /// The width of the encoder and decoder GRUs.
    public var hiddenSize: Int
    /// The code's width.
    public var latentSize: Int
    public var learningRate: Float
    public var batchSize: Int
    public var epochs: Int
    /// Stop after this many epochs without a lower validation loss; 0 never stops early.
    public var patience: Int
    /// The relative validation-loss gain that resets the patience.
    public var minimumImprovement: Double
    /// The KL term's weight grows linearly from 0 to 1 over this many epochs.
    public var klWarmupEpochs: Int
    /// The share of users held out to decide when to stop.
    public var validationFraction: Double
    /// Seeds the split, initial weights, shuffling and sampling.
    public var seed: UInt64
    /// Differentially private training (DP-SGD, a user per privacy unit) within this budget;
    /// nil trains as usual. Start from ``privateDefaults(epsilon:)``. The validation users are
    /// held out, unprotected: they decide when to stop and fit the vocabularies.
    public var privacy: PrivacyBudget? = nil

    /// The clipping norm of a private run when none is given (as the dense VAE's: a user's
    /// loss sums the errors of their events).
    public static let privateClipNorm = AutoencoderConfig.privateClipNorm
    /// The most epochs a private run is calibrated for when none are given (the usual 30
    /// cost budget for little).
    public static let privateEpochs = 20

    /// This configuration with the epochs budgeted for private training, and the budget.
    public func privateDefaults(epsilon: Double) -> SequenceAutoencoderConfig {
        var config = self
        config.epochs = Self.privateEpochs
        config.privacy = PrivacyBudget(epsilon: epsilon, clipNorm: Self.privateClipNorm)
        return config
    }

    public init(
        maxLength: Int = 50, maxItems: Int = 1_000, maxCategories: Int = 200, hiddenSize: Int = 64,
        latentSize: Int = 16, learningRate: Float = 0.002, batchSize: Int = 64, epochs: Int = 30, patience: Int = 5,
        minimumImprovement: Double = 0.001, klWarmupEpochs: Int = 5, validationFraction: Double = 0.1,
        seed: UInt64 = 42
    ) {
        self.maxLength = maxLength
        self.maxItems = maxItems
        self.maxCategories = maxCategories
        self.hiddenSize = hiddenSize
        self.latentSize = latentSize
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.patience = patience
        self.minimumImprovement = minimumImprovement
        self.klWarmupEpochs = klWarmupEpochs
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key (`max-events`, `max-items`,
    ///   `max-categories`, `hidden-size`, `latent-size`, `learning-rate`, `batch-size`, `epochs`,
    ///   `patience`, `minimum-improvement`, `kl-warmup`, `validation-fraction`).
    public func validate() throws(InvalidParameter) {
        let widest = InvalidParameter.maximumLayerWidth
        try InvalidParameter.require("max-events", maxLength, in: 1...10_000)
        try InvalidParameter.require("max-items", maxItems, in: 0...100_000)
        try InvalidParameter.require("max-categories", maxCategories, in: 0...100_000)
        try InvalidParameter.require("hidden-size", hiddenSize, in: 1...widest)
        try InvalidParameter.require("latent-size", latentSize, in: 1...widest)
        try VariationalTraining.validate(
            learningRate: learningRate, batchSize: batchSize, epochs: epochs, patience: patience,
            minimumImprovement: minimumImprovement, klWarmupEpochs: klWarmupEpochs,
            validationFraction: validationFraction)
        try privacy?.validate()
    }
}

/// A trained sequence VAE (``SequenceAutoencoderNetwork``) with the vocabularies it reads:
/// a code per user history.
///
/// ```swift
/// let (model, _) = try SequenceAutoencoder.train(histories: histories, itemIDs: items, referenceTime: now, config: SequenceAutoencoderConfig())
/// let codes = model.embeddings(of: histories, itemIDs: items, referenceTime: now)   // users x latentSize
/// ```
public struct SequenceAutoencoder {
    public let config: SequenceAutoencoderConfig
    public let vocabularies: EventSequenceEncoder
    public let network: SequenceAutoencoderNetwork

    public var latentSize: Int { network.latentSize }

    /// A network of `config`'s shape over `vocabularies` with fresh weights (loading fills them in).
    public init(config: SequenceAutoencoderConfig, vocabularies: EventSequenceEncoder) {
        var generator = RandomGenerator(seed: config.seed)
        self.config = config
        self.vocabularies = vocabularies
        network = SequenceAutoencoderNetwork(
            vocabularies: vocabularies, hiddenSize: config.hiddenSize, latentSize: config.latentSize,
            generator: &generator)
    }

    /// The parameter shapes of a model of `config` over `vocabularies`.
    public static func parameterShapes(config: SequenceAutoencoderConfig, vocabularies: EventSequenceEncoder)
        -> ParameterShapes
    {
        SequenceAutoencoderNetwork.parameterShapes(
            vocabularies: vocabularies, hiddenSize: config.hiddenSize, latentSize: config.latentSize)
    }

    /// Fits the vocabularies on `histories` and trains the VAE on them, holding out
    /// ``SequenceAutoencoderConfig/validationFraction`` of the users (chosen by the seed) and
    /// keeping the weights with the lowest validation loss (the negative ELBO at the code's
    /// mean, per user).
    ///
    /// The loss is the negative ELBO per user, `reconstruction + beta * KL`, with `beta`
    /// rising from 0 to 1 over the warm-up epochs.
    ///
    /// With a privacy budget (``SequenceAutoencoderConfig/privacy``) the vocabularies are
    /// fitted on the held-out users only and the others train with DP-SGD, one unit each; the
    /// samples are then drawn per user and epoch and beta rises by epoch, so a user's loss is
    /// the same function alone as in a batch.
    ///
    /// - Parameters:
    ///   - histories: Users with at least one event each.
    ///   - itemIDs: External ids by the store's dense item index.
    ///   - referenceTime: The time event ages are measured from (epoch milliseconds).
    /// - Throws: ``UnsupervisedError`` for a bad configuration, fewer than 2 users, or divergence.
    public static func train(
        histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64, config: SequenceAutoencoderConfig,
        progress: ((StepProgress) -> Void)? = nil, epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> (
        model: SequenceAutoencoder, history: TrainingHistory<Double>, privateRun: PrivateTrainingRun<Double>?
    ) {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        let users = histories.filter { !$0.events.isEmpty }
        guard users.count >= 2 else {
            throw .badData(
                path: "",
                detail: "\(users.count) user\(users.count == 1 ? "" : "s") with events; the model needs at least 2")
        }
        let split = VariationalTraining.holdOut(
            count: users.count, fraction: config.validationFraction, seed: config.seed)
        let training = split.training.map { users[$0] }
        let validation = split.validation.map { users[$0] }
        let vocabularies = EventSequenceEncoder.fit(
            config.privacy == nil ? users : validation, itemIDs: itemIDs, maxLength: config.maxLength,
            maxItems: config.maxItems, maxCategories: config.maxCategories)

        let model = SequenceAutoencoder(config: config, vocabularies: vocabularies)
        let network = model.network
        let optimizer = Adam(for: network, learningRate: config.learningRate)
        let validate = { (epoch: Int) throws(TrainingDiverged) -> Validation<Double> in
            let scores = model.negativeELBO(of: validation, itemIDs: itemIDs, referenceTime: referenceTime)
            let loss = scores.reduce(0, +) / Double(scores.count)
            try TrainingDiverged.check(outputs: [loss], epoch: epoch, learningRate: Double(config.learningRate))
            return Validation(score: -loss, report: loss)
        }
        let (history, privateRun) = try VariationalTraining.train(
            network, optimizer: optimizer, units: training.count,
            settings: VariationalTraining.Settings(
                epochs: config.epochs, batchSize: config.batchSize, patience: config.patience,
                minimumImprovement: config.minimumImprovement, klWarmupEpochs: config.klWarmupEpochs,
                seed: config.seed, privacy: config.privacy),
            losses: { batch, beta, eps in
                // Each user's negative ELBO with the KL weight `beta` and the code's noise `eps`.
                let input = vocabularies.batch(
                    batch.map { training[$0] }, itemIDs: itemIDs, referenceTime: referenceTime)
                let code = network.encode(input)
                let z = code.mean + (code.logVariance * 0.5).exp() * eps(code.mean.shape)
                let kl = gaussianKLDivergence(mean: code.mean, logVariance: code.logVariance)
                return network.reconstructionLoss(z, of: input) + kl * beta
            },
            validate: validate, progress: progress, epochEnd: epochEnd)
        return (model, history, privateRun)
    }

    /// Each history's code (the posterior mean), `histories.count * latentSize` values, row-major.
    ///
    /// - Precondition: every history has an event.
    public func embeddings(of histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64) -> [Float] {
        inBatches(histories, itemIDs: itemIDs, referenceTime: referenceTime) { network.encode($0).mean.scalars }
    }

    /// Each history's negative ELBO at the code's mean: the reconstruction loss of its events
    /// plus the KL divergence of its posterior from the prior.
    public func negativeELBO(of histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64) -> [Double] {
        inBatches(histories, itemIDs: itemIDs, referenceTime: referenceTime) { batch in
            let code = network.encode(batch)
            let kl = gaussianKLDivergence(mean: code.mean, logVariance: code.logVariance)
            return (network.reconstructionLoss(code.mean, of: batch) + kl).scalars.map(Double.init)
        }
    }

    /// Applies `body` to batches of at most 512 histories without recording gradients.
    private func inBatches<Value>(
        _ histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64, _ body: (EventSequenceBatch) -> [Value]
    ) -> [Value] {
        var result: [Value] = []
        for start in stride(from: 0, to: histories.count, by: 512) {
            let batch = vocabularies.batch(
                Array(histories[start..<min(start + 512, histories.count)]), itemIDs: itemIDs,
                referenceTime: referenceTime)
            result += Tensor.withoutGradients { body(batch) }
        }
        return result
    }
}
