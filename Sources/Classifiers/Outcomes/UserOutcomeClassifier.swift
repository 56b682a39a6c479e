import Datasets
import Evaluation
import EventData
import Foundation
import Monitoring
import NeuralNet
import PrivacyAccounting
import Randomness
import TensorEngine

/// The model input of a user-outcome classifier.
public enum OutcomeModelKind: String, Sendable, Codable, CaseIterable {
    /// An MLP on the per-user feature table (recency, frequency, counts, sessions, ...).
    case mlp
    /// An LSTM over the user's last events.
    case lstm
    /// A GRU over the user's last events.
    case gru
    /// A 1-D convolution with global max pooling over the user's last events.
    case cnn
}

/// What `config.json` of a purchase or churn model directory holds.
public struct OutcomeManifest: Sendable, Codable, Equatable {
    /// `purchase` or `churn`.
    public var task: String
    public var model: OutcomeModelKind
    public var config: ClassifierConfig
    public var cutoff: Int64
    public var windowMilliseconds: Int64
    /// The feature table's columns, which of them are scaled as `log(1 + x)`, and their
    /// training means and deviations after that (MLP and baseline).
    public var featureColumns: [String]
    /// The event types with count and share columns, in column order.
    public var featureEventTypes: [String]
    public var featureLogTransform: [Bool]
    public var featureMeans: [Double]
    public var featureDeviations: [Double]
    /// The vocabularies of the sequence models.
    public var sequenceEncoder: EventSequenceEncoder?
    /// The best validation F1 threshold of the model.
    public var threshold: Double
    public var users: [String: Int]
    public var bestEpoch: Int
    public var created: String
    /// The differential privacy guarantee of the model and baseline weights, when trained
    /// with a privacy budget.
    public var privacy: PrivacyStatement? = nil
}

/// A purchase or churn classifier trained on an event store, with a logistic-regression
/// baseline on the feature table and the evaluation reports of both.
public struct UserOutcomeClassifier {
    public var manifest: OutcomeManifest
    public let model: any Layer
    public let baseline: Sequential
    /// Split (`validation`, `test`) -> `model` / `baseline` -> report.
    public var metrics: SplitReports<ClassifierReports>
    public var log: [String]
    /// What the model learned from (written as `profile.json`); nil for a loaded model (read it
    /// with `TrainingProfile.load(from:)`).
    public var profile: TrainingProfile?

    /// Splits users (stratified by label), fits features or vocabularies on the training users
    /// only, trains the model and the baseline with early stopping on validation ROC-AUC, and
    /// evaluates both.
    ///
    /// - Parameter epochEnd: Called after every epoch with `"model"` or `"baseline"`.
    public static func train(
        data: UserOutcomeData, model kind: OutcomeModelKind, config: ClassifierConfig,
        epochEnd: ((String, ClassifierEpoch) -> Void)? = nil
    ) throws -> UserOutcomeClassifier {
        try config.validate()
        let labels = data.examples.map(\.label)
        let fractions = try SplitFractions(
            train: 1 - config.validationFraction - config.testFraction, validation: config.validationFraction,
            test: config.testFraction)
        let parts = StratifiedSplit(fractions: fractions, seed: config.seed).split(labels: labels)
        let byPart = [parts.train, parts.validation, parts.test]
        guard byPart.allSatisfy({ rows in rows.contains { labels[$0] == 1 } && rows.contains { labels[$0] == 0 } })
        else {
            throw ClassifierError.badData(
                path: "event store", detail: "too few users of the rarer class to split into train, validation and test"
            )
        }

        // The feature table (the MLP's input and the baseline's), scaled as fit on the training users.
        let extractor = try UserFeatureExtractor(referenceTime: data.cutoff, eventTypes: data.eventTypes)
        let raw = data.examples.map { extractor.features(for: $0.input) }
        // A private run fits everything it keeps besides the weights on held-out users.
        let fitUsers = config.privacy == nil ? parts.train : parts.validation
        let scaling = try OutcomeFeatureScaling(fittedOn: fitUsers.map { raw[$0] })
        let scaled = try scaling.apply(raw)
        func table(_ rows: [Int]) -> LabelledFeatures {
            LabelledFeatures(
                features: rows.flatMap { scaled[$0].map(Float.init) }, featureCount: extractor.columns.count,
                labels: rows.map { labels[$0] })
        }
        let (trainTable, validationTable, testTable) = (table(parts.train), table(parts.validation), table(parts.test))

        var rng = RandomGenerator(seed: config.seed)
        let baselineConfig = ClassifierConfig.logisticBaseline(for: config)
        let baseline = makeTabularNetwork(baselineConfig, featureCount: extractor.columns.count, generator: &rng)
        let network: any Layer
        let probabilitiesOf: ([Int]) -> [Double]
        var sequenceEncoder: EventSequenceEncoder?
        let outcome: ClassifierTraining
        switch kind {
        case .mlp:
            let mlp = makeTabularNetwork(config, featureCount: extractor.columns.count, generator: &rng)
            network = mlp
            outcome = try BinaryClassifierTrainer(config: config).trainRun(
                mlp, on: trainTable, validation: validationTable
            ) {
                epochEnd?("model", $0)
            }
            probabilitiesOf = { rows in
                let features = table(rows)
                return probabilities(of: mlp, features: features.features, featureCount: features.featureCount)
            }
        case .lstm, .gru, .cnn:
            let encoder = EventSequenceEncoder.fit(fitUsers.map { data.examples[$0].input }, itemIDs: data.items)
            sequenceEncoder = encoder
            guard let sequenceKind = kind.sequenceKind else { preconditionFailure("\(kind) is a sequence model") }
            let classifier = EventSequenceClassifier(kind: sequenceKind, encoder: encoder, generator: &rng)
            network = classifier
            let histories = { (rows: [Int]) in rows.map { data.examples[$0].input } }
            let score = { (rows: [Int]) -> [Double] in
                classifier.probabilities(
                    of: histories(rows), encoder: encoder, itemIDs: data.items, referenceTime: data.cutoff)
            }
            outcome = try BinaryClassifierTrainer(config: config).trainRun(
                classifier, trainingLabels: trainTable.labels, validationLabels: validationTable.labels,
                logits: { rows in
                    classifier(
                        encoder.batch(
                            histories(rows.map { parts.train[$0] }), itemIDs: data.items, referenceTime: data.cutoff))
                },
                validationProbabilities: { score(parts.validation) },
                epochEnd: { epochEnd?("model", $0) })
            probabilitiesOf = score
        }
        let baselineOutcome = try BinaryClassifierTrainer(config: baselineConfig).trainRun(
            baseline, on: trainTable, validation: validationTable, run: 1
        ) { epochEnd?("baseline", $0) }
        let privacy = try ClassifierTraining.statement(model: outcome, baseline: baselineOutcome)
        let log = outcome.logLines("model") + baselineOutcome.logLines("baseline") + (privacy.map { ["\($0)"] } ?? [])
        let validationScores = probabilitiesOf(parts.validation)
        let profile = Self.trainingProfile(
            data: data, users: config.privacy == nil ? Array(data.examples.indices) : parts.validation,
            columns: extractor.columns, rawFeatures: raw, knownItems: sequenceEncoder.map { Set($0.items) },
            validationScores: validationScores)
        let rows = SplitReports(validation: parts.validation, test: parts.test)
        let tables = SplitReports(validation: validationTable, test: testTable)
        let (metrics, threshold) = modelAndBaselineReports(
            labels: SplitReports(validation: validationTable.labels, test: testTable.labels),
            model: { split in split == .validation ? validationScores : probabilitiesOf(rows[split] ?? []) },
            baseline: { split in
                let table = tables[split]
                return probabilities(
                    of: baseline, features: table?.features ?? [], featureCount: extractor.columns.count)
            })
        let manifest = OutcomeManifest(
            task: data.task.rawValue, model: kind, config: config, cutoff: data.cutoff,
            windowMilliseconds: data.windowMilliseconds, featureColumns: extractor.columns,
            featureEventTypes: data.eventTypes.map(\.rawValue), featureLogTransform: scaling.logTransform,
            featureMeans: scaling.scaler.means, featureDeviations: scaling.scaler.standardDeviations,
            sequenceEncoder: sequenceEncoder, threshold: threshold,
            users: [
                "train": parts.train.count, "validation": parts.validation.count, "test": parts.test.count,
                // A private run counts the held-out positives only (the training users' would be exact).
                "positive": (config.privacy == nil ? Array(labels.indices) : parts.validation + parts.test)
                    .reduce(0) { $0 + labels[$1] },
            ],
            bestEpoch: outcome.history.bestEpoch, created: ISO8601DateFormatter().string(from: Date()),
            privacy: privacy)
        return UserOutcomeClassifier(
            manifest: manifest, model: network, baseline: baseline, metrics: metrics, log: log, profile: profile)
    }

    /// Writes `config.json`, `weights.safetensors` (model and baseline), `metrics.json`,
    /// `training.log` and, for a trained model, `profile.json` into `directory`.
    public func save(to directory: URL) throws(ClassifierError) {
        try saveClassifierDirectory(
            model: model, baseline: baseline, manifest: manifest, task: manifest.task, metrics: metrics, log: log,
            to: directory,
            extraFiles: profile.map { profile in [(TrainingProfile.fileName, { profile.encoded() })] } ?? [])
    }
}

/// How the MLP and the baseline read the feature table: right-skewed non-negative columns as
/// `log(1 + x)` (the table encoder's rule, ``TableEncoder/prefersLogTransform(_:)``), then
/// z-scored; both fitted on training users and stored in the manifest.
struct OutcomeFeatureScaling {
    var logTransform: [Bool]
    var scaler: StandardScaler.Fitted

    /// Fits the transform on the training users' raw feature rows.
    init(fittedOn rows: [[Double]]) throws {
        let width = rows.first?.count ?? 0
        let logTransform = (0..<width).map { column in TableEncoder.prefersLogTransform(rows.map { $0[column] }) }
        self.logTransform = logTransform
        scaler = try StandardScaler().fit(rows.map { Self.logScaled($0, logTransform) })
    }

    /// The transform a manifest stores; nil when its lists do not agree.
    init?(_ manifest: OutcomeManifest) {
        guard manifest.featureLogTransform.count == manifest.featureColumns.count,
            manifest.featureMeans.count == manifest.featureColumns.count,
            let scaler = try? StandardScaler.Fitted(
                validatingMeans: manifest.featureMeans, standardDeviations: manifest.featureDeviations)
        else { return nil }
        logTransform = manifest.featureLogTransform
        self.scaler = scaler
    }

    /// Raw feature rows, scaled.
    func apply(_ rows: [[Double]]) throws -> [[Double]] {
        try scaler.transform(rows.map { Self.logScaled($0, logTransform) })
    }

    private static func logScaled(_ row: [Double], _ logTransform: [Bool]) -> [Double] {
        zip(row, logTransform).map { value, log in log ? log1p(max(value, 0)) : value }
    }
}
