import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// A trained dense autoencoder or VAE over rows of numbers: codes (embeddings), reconstruction
/// errors and anomaly scores.
///
/// Rows are `featureCount` floats each, row-major, already scaled (a `TableEncoder` z-scores
/// them; the model bundles that hold one save it beside the network).
///
/// ```swift
/// let (model, history) = try Autoencoder.train(features: x, featureCount: 12, config: AutoencoderConfig(kind: .variational))
/// let codes = model.embeddings(of: x)          // rows x model.latentSize
/// let scores = model.anomalyScores(of: x)      // higher = reconstructed worse
/// ```
public struct Autoencoder {
    public let config: AutoencoderConfig
    public let network: AutoencoderNetwork

    public var featureCount: Int { network.featureCount }
    public var latentSize: Int { network.latentSize }

    /// A network of `config`'s shape with fresh weights (loading fills them in).
    public init(config: AutoencoderConfig, featureCount: Int) {
        var generator = RandomGenerator(seed: config.seed)
        self.config = config
        network = AutoencoderNetwork(
            kind: config.kind, featureCount: featureCount, hiddenSizes: config.hiddenSizes,
            latentSize: config.latentSize(forFeatures: featureCount), generator: &generator)
    }

    /// The parameter shapes of a model of `config` over `featureCount` inputs.
    public static func parameterShapes(config: AutoencoderConfig, featureCount: Int) -> ParameterShapes {
        AutoencoderNetwork.parameterShapes(
            kind: config.kind, featureCount: featureCount, hiddenSizes: config.hiddenSizes,
            latentSize: config.latentSize(forFeatures: featureCount))
    }

    /// Trains on `features`, holding out ``AutoencoderConfig/validationFraction`` of the rows
    /// (chosen by the seed) and keeping the weights with the lowest validation loss.
    ///
    /// The AE minimises the mean squared error; the VAE the negative ELBO with a unit-variance
    /// Gaussian decoder, `1/2 |x - x'|^2 + beta * KL`, where `beta` rises from 0 to 1 over the
    /// warm-up epochs. Validation always uses the full objective (beta 1, the code's mean), so
    /// epochs compare fairly.
    ///
    /// With a privacy budget (``AutoencoderConfig/privacy``) the training rows are the privacy
    /// units of DP-SGD; the held-out rows still decide the kept epoch. The VAE's samples are
    /// then drawn per row and epoch, and beta rises by epoch, so a row's loss is the same
    /// function alone as in a batch (the trainer checks its per-row split against that).
    ///
    /// - Parameters:
    ///   - features: `rows * featureCount` scaled values, row-major.
    ///   - progress: Called after every step.
    ///   - epochEnd: Called after every epoch; the validation's report is its loss.
    /// - Returns: The model, its training history and, for a private run, what it did and
    ///   guarantees.
    /// - Throws: ``UnsupervisedError`` for a bad configuration, fewer than 2 rows, divergence,
    ///   or a privacy budget out of reach.
    public static func train(
        features: [Float], featureCount: Int, config: AutoencoderConfig,
        progress: ((StepProgress) -> Void)? = nil, epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> (
        model: Autoencoder, history: TrainingHistory<Double>, privateRun: PrivateTrainingRun<Double>?
    ) {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        precondition(
            featureCount >= 1 && features.count % featureCount == 0,
            "Autoencoder.train: \(features.count) values are not rows of \(featureCount)")
        let rowCount = features.count / featureCount
        guard rowCount >= 2 else {
            throw .badData(
                path: "", detail: "\(rowCount) row\(rowCount == 1 ? "" : "s"); an autoencoder needs at least 2")
        }
        let (trainingRows, validationRows) = VariationalTraining.holdOut(
            count: rowCount, fraction: config.validationFraction, seed: config.seed)
        let validationX = rowsTensor(features, featureCount: featureCount, rows: validationRows)

        let model = Autoencoder(config: config, featureCount: featureCount)
        let network = model.network
        let optimizer = Adam(
            for: network, rule: AdamRule(weightDecay: config.weightDecay), learningRate: config.learningRate)
        let validate = { (epoch: Int) throws(TrainingDiverged) -> Validation<Double> in
            let scores = model.anomalyScores(of: validationX)
            let loss = scores.reduce(0, +) / Double(scores.count)
            try TrainingDiverged.check(outputs: [loss], epoch: epoch, learningRate: Double(config.learningRate))
            return Validation(score: -loss, report: loss)
        }
        let (history, privateRun) = try VariationalTraining.train(
            network, optimizer: optimizer, units: trainingRows.count,
            settings: VariationalTraining.Settings(
                epochs: config.epochs, batchSize: config.batchSize, patience: config.patience,
                minimumImprovement: config.minimumImprovement, klWarmupEpochs: config.klWarmupEpochs,
                seed: config.seed, privacy: config.privacy),
            losses: { batch, beta, eps in
                // Each row's loss with the KL weight `beta` and the code's noise `eps`.
                let x = rowsTensor(features, featureCount: featureCount, rows: batch.map { trainingRows[$0] })
                let code = network.encode(x)
                guard let logVariance = code.logVariance else {
                    return squaredReconstructionError(x, network.decode(code.mean)) / Float(featureCount)
                }
                let z = code.mean + (logVariance * 0.5).exp() * eps(code.mean.shape)
                let kl = gaussianKLDivergence(mean: code.mean, logVariance: logVariance)
                return squaredReconstructionError(x, network.decode(z)) * 0.5 + kl * beta
            },
            validate: validate, progress: progress, epochEnd: epochEnd)
        return (model, history, privateRun)
    }

    /// Each row's code (the VAE's posterior mean), `rows * latentSize` values, row-major.
    public func embeddings(of features: [Float]) -> [Float] {
        inBatches(features) { x in network.encode(x).mean.scalars }
    }

    /// Each row's anomaly score, higher for rows the model reconstructs worse: the AE's mean
    /// squared error per feature; the VAE's negative ELBO taken at the code's mean,
    /// `1/2 |x - decode(mean)|^2 + KL(q(z|x) || N(0, I))`.
    public func anomalyScores(of features: [Float]) -> [Double] {
        inBatches(features) { x in anomalyScores(of: x) }
    }

    /// Each row's squared error per feature, `rows * featureCount` values (which features a
    /// row's score comes from).
    public func squaredErrors(of features: [Float]) -> [Float] {
        inBatches(features) { x in
            (x - network.decode(network.encode(x).mean)).squared().scalars
        }
    }

    func anomalyScores(of x: Tensor) -> [Double] {
        Tensor.withoutGradients {
            let code = network.encode(x)
            let error = squaredReconstructionError(x, network.decode(code.mean))
            guard let logVariance = code.logVariance else {
                return (error / Float(featureCount)).scalars.map(Double.init)
            }
            return (error * 0.5 + gaussianKLDivergence(mean: code.mean, logVariance: logVariance)).scalars.map(
                Double.init)
        }
    }

    /// Applies `body` to blocks of at most 4,096 rows without recording gradients, concatenating the results.
    private func inBatches<Value>(_ features: [Float], _ body: (Tensor) -> [Value]) -> [Value] {
        precondition(
            features.count % featureCount == 0,
            "Autoencoder: \(features.count) values are not rows of \(featureCount)")
        let rowCount = features.count / featureCount
        var result: [Value] = []
        for start in stride(from: 0, to: rowCount, by: 4096) {
            let count = min(4096, rowCount - start)
            let x = Tensor(
                shape: [count, featureCount],
                scalars: Array(features[(start * featureCount)..<((start + count) * featureCount)]))
            result += Tensor.withoutGradients { body(x) }
        }
        return result
    }
}

/// The rows `rows` of a row-major matrix as a `[rows.count, featureCount]` tensor.
func rowsTensor(_ features: [Float], featureCount: Int, rows: [Int]) -> Tensor {
    var values = [Float](repeating: 0, count: rows.count * featureCount)
    values.withUnsafeMutableBufferPointer { out in
        features.withUnsafeBufferPointer { source in
            for (index, row) in rows.enumerated() {
                for column in 0..<featureCount {
                    out[index * featureCount + column] = source[row * featureCount + column]
                }
            }
        }
    }
    return Tensor(shape: [rows.count, featureCount], scalars: values)
}
