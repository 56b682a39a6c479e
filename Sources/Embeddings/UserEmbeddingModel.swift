import EventData
import FileIO
import Foundation
import NeuralNet
import PrivacyAccounting

/// What `config.json` of an embedding model directory holds.
public struct EmbeddingManifest: Sendable, Codable, Equatable {
    /// Always `"embed"`.
    public var task: String
    public var config: AutoencoderConfig
    /// The feature columns, in input order, and their fitted scaling.
    public var encoder: TableEncoder
    /// Where the training rows came from (a store path or a file).
    public var trainedOn: String
    /// The time the features were computed as of (epoch milliseconds), for store data.
    public var asOf: Int64?
    public var rows: Int
    public var bestEpoch: Int
    /// The validation loss of the kept weights.
    public var validationLoss: Double?
    public var created: String
    /// The differential privacy guarantee of the weights, when trained with a privacy budget
    /// (the scaling is then fitted on the held-out validation rows).
    public var privacy: PrivacyStatement? = nil

    public static let task = "embed"
}

/// A trained autoencoder of per-user features with the scaling it was trained with: what
/// `behave embed` writes and reads back.
///
/// A directory holds `config.json` (``EmbeddingManifest``), `weights.safetensors` and, as
/// written by `behave embed`, `embeddings.csv` (`user` then `e0`, `e1`, ...).
///
/// ```swift
/// let model = try UserEmbeddingModel.train(table: features, config: AutoencoderConfig(kind: .variational), trainedOn: "behavior.db")
/// let codes = model.embeddings(of: features.rows)    // one row of model.latentSize per user
/// try model.save(to: URL(fileURLWithPath: "models/embed"))
/// ```
public struct UserEmbeddingModel {
    public var manifest: EmbeddingManifest
    public let autoencoder: Autoencoder

    public var latentSize: Int { autoencoder.latentSize }

    /// Fits the scaling on every row of `table` and trains the autoencoder on them. With a
    /// privacy budget (``AutoencoderConfig/privacy``) the scaling is fitted on the held-out
    /// validation rows only, and the weights on the others with DP-SGD, a row (a user) per unit.
    ///
    /// - Throws: ``UnsupervisedError`` for a bad setting, too few rows, a value that cannot be
    ///   scaled, or a diverged model.
    public static func train(
        table: FeatureTable, config: AutoencoderConfig, trainedOn: String, asOf: Int64? = nil,
        epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> UserEmbeddingModel {
        let encoder: TableEncoder
        do {
            var fitRows = table.rows
            if config.privacy != nil, table.rows.count >= 2 {
                fitRows = heldOutRows(count: table.rows.count, config: config).map { table.rows[$0] }
            }
            encoder = try TableEncoder.fitNumeric(names: table.columns, rows: fitRows)
        } catch {
            throw .badData(path: trainedOn, detail: error.localizedDescription)
        }
        let features = encoder.encode(numberRows: table.rows)
        let (model, history, privateRun) = try Autoencoder.train(
            features: features, featureCount: table.columns.count, config: config, epochEnd: epochEnd)
        let manifest = EmbeddingManifest(
            task: EmbeddingManifest.task, config: config, encoder: encoder, trainedOn: trainedOn, asOf: asOf,
            rows: table.rows.count, bestEpoch: history.bestEpoch, validationLoss: history.best?.report,
            created: ISO8601DateFormatter().string(from: Date()), privacy: privateRun?.statement)
        return UserEmbeddingModel(manifest: manifest, autoencoder: model)
    }

    /// The rows of a table of `count` rows that training with `config` holds out for
    /// validation (and, for a private run, for fitting the scaling and choosing the feature
    /// columns), by index.
    public static func heldOutRows(count: Int, config: AutoencoderConfig) -> [Int] {
        VariationalTraining.holdOut(count: count, fraction: config.validationFraction, seed: config.seed).validation
    }

    /// Each row's code, `rows.count * latentSize` values, row-major.
    ///
    /// - Precondition: every row has one value per column of the manifest's encoder.
    public func embeddings(of rows: [[Double]]) -> [Float] {
        autoencoder.embeddings(of: manifest.encoder.encode(numberRows: rows))
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
    public static func load(from directory: URL) throws(UnsupervisedError) -> UserEmbeddingModel {
        do {
            try ModelTask.require(EmbeddingManifest.task, what: "user embeddings", in: directory)
            let manifest = try Checkpoint.loadConfig(EmbeddingManifest.self, from: directory)
            do {
                try manifest.config.validate()
            } catch {
                throw UnsupervisedError.badModel(path: directory.path, detail: error.localizedDescription)
            }
            let width = manifest.encoder.columns.count
            let weights = try Checkpoint.readWeights(
                expecting: Autoencoder.parameterShapes(config: manifest.config, featureCount: width), from: directory)
            let model = Autoencoder(config: manifest.config, featureCount: width)
            try weights.load(into: model.network)
            return UserEmbeddingModel(manifest: manifest, autoencoder: model)
        } catch let error as UnsupervisedError {
            throw error
        } catch {
            throw .badModel(
                path: directory.path, detail: "\(error.localizedDescription); is this an embedding model's directory?")
        }
    }

    /// `embeddings` (row-major, one row per user) by user id, as the event store keeps vectors.
    public static func vectors(users: [String], embeddings: [Float]) -> [String: [Float]] {
        let width = users.isEmpty ? 0 : embeddings.count / users.count
        var vectors: [String: [Float]] = [:]
        vectors.reserveCapacity(users.count)
        for (row, user) in users.enumerated() { vectors[user] = Array(embeddings[(row * width)..<((row + 1) * width)]) }
        return vectors
    }

    /// Writes `user,e0,e1,...` for `users` and their codes to `path` (CSV, replaced atomically).
    public static func writeCSV(users: [String], embeddings: [Float], to path: String) throws(UnsupervisedError) {
        let width = users.isEmpty ? 0 : embeddings.count / users.count
        var text = CSVText.line(["user"] + (0..<width).map { "e\($0)" })
        for (row, user) in users.enumerated() {
            text += CSVText.line([user] + embeddings[(row * width)..<((row + 1) * width)].map { "\($0)" })
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .badData(path: path, detail: "cannot write it: \(FileError.describe(error))")
        }
    }
}
