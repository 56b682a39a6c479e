import Foundation
import NeuralNet
import Settings

/// Which kind of autoencoder.
public enum AutoencoderKind: String, Sendable, Codable, CaseIterable {
    /// A plain autoencoder: the code is a point, the loss the squared reconstruction error.
    case autoencoder = "ae"
    /// A variational autoencoder (Kingma and Welling, 2014): the code is a diagonal Gaussian,
    /// the loss the negative evidence lower bound (reconstruction plus KL divergence to N(0, I)).
    case variational = "vae"
}

/// The hyper-parameters of a dense autoencoder over a table of numbers, and of its training.
///
/// The defaults are the settings measured best on the public outlier tables of
/// benchmarks/README.md ("Anomalies"); nothing is tuned to one data set.
///
/// ```swift
/// var config = AutoencoderConfig(kind: .variational)
/// config.latentSize = 4
/// try config.validate()
/// ```
public struct AutoencoderConfig: Sendable, Codable, Equatable {
    public var kind: AutoencoderKind
    /// Hidden layer widths of the encoder, input side first; the decoder mirrors them.
    public var hiddenSizes: [Int]
    /// The code's width; nil picks one from the input width (``latentSize(forFeatures:)``).
    public var latentSize: Int?
    public var learningRate: Float
    /// L2 penalty added to the gradients.
    public var weightDecay: Float
    public var batchSize: Int
    public var epochs: Int
    /// Stop after this many epochs without a lower validation loss; 0 never stops early.
    public var patience: Int
    /// The relative validation-loss gain that resets the patience.
    public var minimumImprovement: Double
    /// VAE only: the KL term's weight grows linearly from 0 to 1 over this many epochs (KL
    /// warm-up, Bowman et al. 2016), so the code is not pushed onto the prior before the
    /// decoder learns anything; 0 starts at full weight.
    public var klWarmupEpochs: Int
    /// The share of rows held out to decide when to stop.
    public var validationFraction: Double
    /// Seeds the split, initial weights, shuffling and the VAE's sampling.
    public var seed: UInt64
    /// Differentially private training (DP-SGD, one row per privacy unit) within this budget;
    /// nil trains as usual. Start from ``privateDefaults(epsilon:)`` (the command line does).
    /// The validation rows are held out, unprotected: they decide when to stop and, in a
    /// ``UserEmbeddingModel``, fit the scaling.
    public var privacy: PrivacyBudget? = nil

    /// - Parameter kind: `.autoencoder` or `.variational`; every other value is the default.
    public init(
        kind: AutoencoderKind = .autoencoder, hiddenSizes: [Int] = [64, 32], latentSize: Int? = nil,
        learningRate: Float = 0.001, weightDecay: Float = 0, batchSize: Int = 128, epochs: Int = 200,
        patience: Int = 10, minimumImprovement: Double = 0.001, klWarmupEpochs: Int = 10,
        validationFraction: Double = 0.1, seed: UInt64 = 42
    ) {
        self.kind = kind
        self.hiddenSizes = hiddenSizes
        self.latentSize = latentSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.batchSize = batchSize
        self.epochs = epochs
        self.patience = patience
        self.minimumImprovement = minimumImprovement
        self.klWarmupEpochs = klWarmupEpochs
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// The code width for `features` inputs: ``latentSize`` when set, otherwise a third of the
    /// inputs, at least 2 and at most 16 (a code as wide as the input could learn the identity,
    /// which reconstructs outliers as well as anything else).
    public func latentSize(forFeatures features: Int) -> Int {
        latentSize ?? min(16, max(2, features / 3))
    }

    /// The clipping norm of a private run when none is given: a row's loss sums its features'
    /// errors, so its gradient is large, and clipping at 1 cost the codes most of their
    /// structure even without noise (a VAE on a simulated shop; benchmarks/README.md); 5 did
    /// as well as 1 with noise at ε 3, 20 and 100 worse.
    public static let privateClipNorm = 5.0
    /// Adam's learning rate of a private run when none is given (0.01 beat 0.003 and 0.001).
    public static let privateLearningRate: Float = 0.01
    /// The most epochs a private run is calibrated for when none are given (50 did worse at
    /// the same budget).
    public static let privateEpochs = 20

    /// This configuration with the settings measured best for private training where they
    /// differ (epochs budgeted, the learning rate), and the budget.
    public func privateDefaults(epsilon: Double) -> AutoencoderConfig {
        var config = self
        config.epochs = Self.privateEpochs
        config.learningRate = Self.privateLearningRate
        config.privacy = PrivacyBudget(epsilon: epsilon, clipNorm: Self.privateClipNorm)
        return config
    }

    /// The widest layer accepted (``InvalidParameter/maximumLayerWidth``).
    public static let maximumWidth = InvalidParameter.maximumLayerWidth

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key (`hidden-layers`, `latent-size`,
    ///   `learning-rate`, `weight-decay`, `batch-size`, `epochs`, `patience`,
    ///   `minimum-improvement`, `kl-warmup`, `validation-fraction`), its value and what it accepts.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.requireLayerWidths("hidden-layers", hiddenSizes, count: 16, example: "64,32")
        if let latentSize { try InvalidParameter.require("latent-size", latentSize, in: 1...Self.maximumWidth) }
        try InvalidParameter.require(
            weightDecay >= 0 && weightDecay.isFinite, "weight-decay", weightDecay, allowed: "0 or more")
        try VariationalTraining.validate(
            learningRate: learningRate, batchSize: batchSize, epochs: epochs, patience: patience,
            minimumImprovement: minimumImprovement, klWarmupEpochs: klWarmupEpochs,
            validationFraction: validationFraction)
        try privacy?.validate()
    }
}
