import Datasets
import EventData
import Foundation
import NeuralNet
import PrivacyAccounting

/// What `config.json` of a sequence embedding model directory holds.
public struct SequenceEmbeddingManifest: Sendable, Codable, Equatable {
    /// Always `"embed-sequence"`.
    public var task: String
    public var config: SequenceAutoencoderConfig
    /// The token vocabularies fitted on the training users (for a private model, on the
    /// held-out validation users).
    public var vocabularies: EventSequenceEncoder
    /// Where the training histories came from (a store path).
    public var trainedOn: String
    /// The time event ages were measured from (epoch milliseconds): the `--at` time, or the
    /// store's last event.
    public var referenceTime: Int64
    public var users: Int
    public var bestEpoch: Int
    /// The validation loss (negative ELBO per user) of the kept weights.
    public var validationLoss: Double?
    public var created: String
    /// The differential privacy guarantee of the weights, when trained with a privacy budget
    /// (the vocabularies are then fitted on the held-out validation users).
    public var privacy: PrivacyStatement? = nil

    public static let task = "embed-sequence"
}

/// A trained sequence VAE of users' event histories with its vocabularies: what `behave embed
/// --model seq-vae` writes and reads back (`config.json`, `weights.safetensors`).
///
/// ```swift
/// let model = try SequenceEmbeddingModel.train(histories: histories, itemIDs: items, referenceTime: now, config: SequenceAutoencoderConfig(), trainedOn: "behavior.db")
/// let codes = model.embeddings(of: histories, itemIDs: items)
/// try model.save(to: URL(fileURLWithPath: "models/embed-seq"))
/// ```
public struct SequenceEmbeddingModel {
    public var manifest: SequenceEmbeddingManifest
    public let autoencoder: SequenceAutoencoder

    public var latentSize: Int { autoencoder.latentSize }

    /// Trains the sequence VAE on `histories` (users with at least one event), privately when
    /// the configuration has a budget.
    ///
    /// - Throws: ``UnsupervisedError`` for a bad setting, too few users or a diverged model.
    public static func train(
        histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64, config: SequenceAutoencoderConfig,
        trainedOn: String, epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> SequenceEmbeddingModel {
        let (model, history, privateRun) = try SequenceAutoencoder.train(
            histories: histories, itemIDs: itemIDs, referenceTime: referenceTime, config: config, epochEnd: epochEnd)
        let manifest = SequenceEmbeddingManifest(
            task: SequenceEmbeddingManifest.task, config: config, vocabularies: model.vocabularies,
            trainedOn: trainedOn, referenceTime: referenceTime, users: histories.count,
            bestEpoch: history.bestEpoch, validationLoss: history.best?.report,
            created: ISO8601DateFormatter().string(from: Date()), privacy: privateRun?.statement)
        return SequenceEmbeddingModel(manifest: manifest, autoencoder: model)
    }

    /// Each history's code, `histories.count * latentSize` values, row-major, with ages
    /// measured from the manifest's reference time.
    ///
    /// - Precondition: every history has an event.
    public func embeddings(of histories: [UserHistory], itemIDs: Vocabulary) -> [Float] {
        autoencoder.embeddings(of: histories, itemIDs: itemIDs, referenceTime: manifest.referenceTime)
    }

    /// Writes `config.json` and `weights.safetensors` into `directory`, creating it if needed.
    public func save(to directory: URL) throws(UnsupervisedError) {
        do {
            try Checkpoint.save(autoencoder.network, config: manifest, to: directory, metadata: ["task": manifest.task])
        } catch {
            throw .badModel(path: directory.path, detail: "cannot save the model: \(error.localizedDescription)")
        }
    }

    /// Reads a directory written by ``save(to:)``, checking the weights against the shapes the
    /// manifest implies before building anything.
    ///
    /// - Throws: ``UnsupervisedError/badModel(path:detail:)`` naming what is missing or corrupt.
    public static func load(from directory: URL) throws(UnsupervisedError) -> SequenceEmbeddingModel {
        do {
            try ModelTask.require(SequenceEmbeddingManifest.task, what: "sequence embeddings", in: directory)
            let manifest = try Checkpoint.loadConfig(SequenceEmbeddingManifest.self, from: directory)
            do {
                try manifest.config.validate()
            } catch {
                throw UnsupervisedError.badModel(path: directory.path, detail: error.localizedDescription)
            }
            let weights = try Checkpoint.readWeights(
                expecting: SequenceAutoencoder.parameterShapes(
                    config: manifest.config, vocabularies: manifest.vocabularies),
                from: directory)
            let model = SequenceAutoencoder(config: manifest.config, vocabularies: manifest.vocabularies)
            try weights.load(into: model.network)
            return SequenceEmbeddingModel(manifest: manifest, autoencoder: model)
        } catch let error as UnsupervisedError {
            throw error
        } catch {
            throw .badModel(
                path: directory.path,
                detail: "\(error.localizedDescription); is this a sequence embedding model's directory?")
        }
    }
}
