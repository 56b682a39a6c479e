import Evaluation
import EventData
import Foundation
import Monitoring
import NeuralNet
import PrivacyAccounting
import Randomness
import Settings
import TensorEngine

/// What `config.json` of a classifier directory holds.
public struct ClassifierManifest: Sendable, Codable, Equatable {
    /// Always `"classify"`.
    public var task: String
    public var labelColumn: String
    public var positiveValue: String
    public var config: ClassifierConfig
    /// The columns as inferred (or overridden) on the training rows.
    public var profiles: [ColumnProfile]
    /// The fitted transform from cells to features.
    public var encoder: TableEncoder
    /// The decision threshold: the best validation F1 of the model.
    public var threshold: Double
    /// The file trained on and how its rows were used.
    public var trainedOn: String
    public var rows: [String: Int]
    public var bestEpoch: Int
    public var baselineBestEpoch: Int
    public var created: String
    /// The differential privacy guarantee (per row) of the model and baseline weights, when
    /// trained with a privacy budget.
    public var privacy: PrivacyStatement? = nil

    public static let task = "classify"
}

/// Both networks of a classifier directory, saved in one weights file.
final class ClassifierWeights: Layer {
    let model: any Layer
    let baseline: any Layer

    init(model: any Layer, baseline: any Layer) {
        self.model = model
        self.baseline = baseline
    }

    var sublayers: [(name: String, layer: any Layer)] { [("model", model), ("baseline", baseline)] }
}

/// A binary classifier for any CSV table: the fitted encoder, the model, its logistic-regression
/// baseline, the decision threshold and the evaluation reports.
///
/// A directory holds `config.json` (``ClassifierManifest``), `weights.safetensors` (both
/// networks), `metrics.json` (split -> `model` / `baseline` -> ``ClassificationReport``),
/// `split.json` (the file lines of each part, so other tools can train on the same split) and
/// `training.log`.
public struct TableClassifier {
    public static let metricsFileName = "metrics.json"
    public static let logFileName = "training.log"
    public static let splitFileName = "split.json"

    public var manifest: ClassifierManifest
    public let model: Sequential
    public let baseline: Sequential
    /// Split (`validation`, `test`) -> `model` / `baseline` -> report.
    public var metrics: SplitReports<ClassifierReports>
    /// The training log lines (epochs of both networks).
    public var log: [String]
    /// The file lines of the rows in each part (`train`, `validation`, `test`); empty after loading.
    public var splitLines: [String: [Int]]
    /// What the model learned from (written as `profile.json`); nil for a loaded model (read it
    /// with `TrainingProfile.load(from:)`).
    public var profile: TrainingProfile?

    /// Splits `table` (stratified by label), fits the encoder on the training rows, trains the
    /// model and the baseline with early stopping on validation ROC-AUC, picks the threshold with
    /// the best validation F1, and evaluates both networks on validation and test.
    ///
    /// - Parameters:
    ///   - overrides: Column kinds chosen by the user.
    ///   - epochEnd: Called after every epoch with `"model"` or `"baseline"`.
    /// - Throws: ``ClassifierError`` for a bad configuration or unusable data.
    public static func train(
        table: LabelledTable, config: ClassifierConfig, overrides: [String: ColumnKind] = [:],
        epochEnd: ((String, ClassifierEpoch) -> Void)? = nil
    ) throws -> TableClassifier {
        do {
            try config.validate()
        } catch {
            throw ClassifierError.invalidParameter(error)
        }
        let unknown = overrides.keys.filter { !table.columns.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ClassifierError.invalidParameter(
                InvalidParameter(
                    "kind", value: unknown.joined(separator: ", "),
                    allowed: "given for the table's columns: " + table.columns.joined(separator: ", ")))
        }
        let fractions = try SplitFractions(
            train: 1 - config.validationFraction - config.testFraction, validation: config.validationFraction,
            test: config.testFraction)
        let parts = StratifiedSplit(fractions: fractions, seed: config.seed).split(labels: table.labels)
        // A private run fits the column kinds, the encoder and the drift profile on held-out rows.
        let trainingCells = (config.privacy == nil ? parts.train : parts.validation).map { table.rows[$0] }
        let profiles = ColumnKindInference.profiles(columns: table.columns, rows: trainingCells, overrides: overrides)
        let encoder: TableEncoder
        do {
            encoder = try TableEncoder.fit(profiles: profiles, rows: trainingCells)
        } catch {
            throw ClassifierError.badData(
                path: table.path, detail: "\(error.localizedDescription); fix the cell or pass the column's kind")
        }
        guard encoder.width > 0 else {
            throw ClassifierError.badData(path: table.path, detail: "no usable feature column besides the label")
        }
        // The encoder leaves ignored columns out, so its columns are found by name.
        guard case .success(let positions) = encoder.positions(in: table.columns) else {
            preconditionFailure("TableClassifier: the encoder was fitted on this table's columns")
        }
        var skipped: [String] = []
        func encoded(_ rows: [Int]) -> LabelledFeatures {
            var features: [Float] = []
            var labels: [Int] = []
            for row in rows {
                do {
                    features += try encoder.encode(table.rows[row], positions: positions)
                    labels.append(table.labels[row])
                } catch {
                    skipped.append("line \(table.lines[row]): \(error.localizedDescription)")
                }
            }
            return LabelledFeatures(features: features, featureCount: encoder.width, labels: labels)
        }
        let training = encoded(parts.train)
        let validation = encoded(parts.validation)
        let test = encoded(parts.test)
        guard validation.positives > 0, validation.positives < validation.count, training.positives > 0 else {
            if let first = skipped.first {
                throw ClassifierError.badData(
                    path: table.path,
                    detail: "\(skipped.count) of \(table.rows.count) rows could not be encoded, leaving too few to "
                        + "train and validate; the first: \(first)")
            }
            let positives = table.labels.reduce(0, +)
            throw ClassifierError.badData(
                path: table.path,
                detail:
                    "too few rows of the rarer class (\(min(positives, table.labels.count - positives))) to hold some out for validation; add rows"
            )
        }

        var rng = RandomGenerator(seed: config.seed)
        let model = makeTabularNetwork(config, featureCount: encoder.width, generator: &rng)
        let baselineConfig = ClassifierConfig.logisticBaseline(for: config)
        let baseline = makeTabularNetwork(baselineConfig, featureCount: encoder.width, generator: &rng)
        // A private run's log names no row: its training rows' values are what it protects.
        var log =
            config.privacy == nil
            ? skipped.map { "skipped \($0)" }
            : skipped.isEmpty ? [] : ["skipped \(skipped.count) rows that could not be encoded"]
        let modelOutcome = try BinaryClassifierTrainer(config: config).trainRun(
            model, on: training, validation: validation, unit: .example
        ) {
            epochEnd?("model", $0)
        }
        let baselineOutcome = try BinaryClassifierTrainer(config: baselineConfig).trainRun(
            baseline, on: training, validation: validation, run: 1, unit: .example
        ) { epochEnd?("baseline", $0) }
        let privacy = try ClassifierTraining.statement(model: modelOutcome, baseline: baselineOutcome)
        log += modelOutcome.logLines("model") + baselineOutcome.logLines("baseline") + (privacy.map { ["\($0)"] } ?? [])
        let splits = SplitReports(validation: validation, test: test)
        let validationScores = probabilities(of: model, features: validation.features, featureCount: encoder.width)
        let (metrics, threshold) = modelAndBaselineReports(
            labels: SplitReports(validation: validation.labels, test: test.labels),
            model: { split in
                split == .validation
                    ? validationScores
                    : probabilities(of: model, features: splits[split]?.features ?? [], featureCount: encoder.width)
            },
            baseline: { split in
                probabilities(of: baseline, features: splits[split]?.features ?? [], featureCount: encoder.width)
            })
        let manifest = ClassifierManifest(
            task: ClassifierManifest.task, labelColumn: table.labelColumn, positiveValue: table.positiveValue,
            config: config, profiles: profiles, encoder: encoder, threshold: threshold,
            trainedOn: table.path,
            rows: [
                "train": training.count, "validation": validation.count, "test": test.count,
                "rejected": table.rejections.count + skipped.count,
            ],
            bestEpoch: modelOutcome.history.bestEpoch, baselineBestEpoch: baselineOutcome.history.bestEpoch,
            created: ISO8601DateFormatter().string(from: Date()), privacy: privacy)
        // A private run does not say which rows trained the model (that is the membership it protects).
        var splitLines = [
            "validation": parts.validation.map { table.lines[$0] }, "test": parts.test.map { table.lines[$0] },
        ]
        if config.privacy == nil { splitLines["train"] = parts.train.map { table.lines[$0] } }
        let profile = trainingProfile(
            encoder: encoder, positions: positions, trainingRows: trainingCells, validationScores: validationScores,
            positiveValue: table.positiveValue, labelColumn: table.labelColumn)
        return TableClassifier(
            manifest: manifest, model: model, baseline: baseline, metrics: metrics, log: log, splitLines: splitLines,
            profile: profile)
    }

    /// Writes the directory, creating it if needed.
    public func save(to directory: URL) throws(ClassifierError) {
        try saveClassifierDirectory(
            model: model, baseline: baseline, manifest: manifest, task: ClassifierManifest.task, metrics: metrics,
            log: log, to: directory,
            extraFiles: [(Self.splitFileName, { try classifierJSON(splitLines) })]
                + (profile.map { profile in [(TrainingProfile.fileName, { profile.encoded() })] } ?? []))
    }

    /// Reads a directory written by ``save(to:)``.
    ///
    /// - Throws: ``ClassifierError/badModel(path:detail:)`` naming the file that is missing,
    ///   unreadable or corrupted, or a directory of another task.
    public static func load(from directory: URL) throws(ClassifierError) -> TableClassifier {
        let manifest = try readClassifierManifest(
            ClassifierManifest.self, from: directory, kind: "table classifier")
        guard manifest.task == ClassifierManifest.task else {
            throw .badModel(path: directory.path, detail: "holds a '\(manifest.task)' model, not a table classifier")
        }
        do {
            try manifest.config.validate()
        } catch {
            throw .badModel(
                path: directory.appendingPathComponent(Checkpoint.configFileName).path,
                detail: error.localizedDescription)
        }
        let width = manifest.encoder.width
        let baselineConfig = ClassifierConfig.logisticBaseline(for: manifest.config)
        let weights = try checkClassifierWeights(
            model: tabularNetworkShapes(manifest.config, featureCount: width),
            baseline: tabularNetworkShapes(baselineConfig, featureCount: width), in: directory)
        var rng = RandomGenerator(seed: 0)
        let model = makeTabularNetwork(manifest.config, featureCount: width, generator: &rng)
        let baseline = makeTabularNetwork(baselineConfig, featureCount: width, generator: &rng)
        let metrics = try readClassifierWeights(weights, model: model, baseline: baseline, from: directory)
        return TableClassifier(
            manifest: manifest, model: model, baseline: baseline, metrics: metrics, log: [], splitLines: [:],
            profile: nil)
    }
}

/// JSON as classifier directories store it: pretty, sorted keys, non-finite numbers as strings.
func classifierJSON<Value: Encodable>(_ value: Value) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try encoder.encode(value)
}

/// Writes a classifier directory: the manifest and both networks' weights (``Checkpoint``),
/// `metrics.json`, `training.log`, and any extra files.
func saveClassifierDirectory<Manifest: Encodable>(
    model: any Layer, baseline: any Layer, manifest: Manifest, task: String,
    metrics: SplitReports<ClassifierReports>, log: [String], to directory: URL,
    extraFiles: [(name: String, contents: () throws -> Data)] = []
) throws(ClassifierError) {
    do {
        try Checkpoint.save(
            ClassifierWeights(model: model, baseline: baseline), config: manifest, to: directory,
            metadata: ["task": task])
        try Checkpoint.writeFiles(
            [
                (TableClassifier.metricsFileName, { try classifierJSON(metrics) }),
                (TableClassifier.logFileName, { Data((log.joined(separator: "\n") + "\n").utf8) }),
            ] + extraFiles, to: directory)
    } catch {
        throw .badModel(path: directory.path, detail: "cannot save the model: \(error.localizedDescription)")
    }
}

/// Reads a classifier directory's `config.json`.
///
/// - Parameter kind: What such directories hold ("table classifier"), for messages.
/// - Throws: ``ClassifierError/badModel(path:detail:)`` when the directory is missing or the
///   manifest does not decode.
func readClassifierManifest<Manifest: Decodable>(
    _ type: Manifest.Type, from directory: URL, kind: String
) throws(ClassifierError) -> Manifest {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
    else {
        throw .badModel(
            path: directory.path,
            detail: "no model directory here; train a \(kind) into it first")
    }
    do {
        return try Checkpoint.loadConfig(Manifest.self, from: directory)
    } catch {
        throw .badModel(
            path: directory.path, detail: "\(error.localizedDescription); is this a \(kind)'s directory?")
    }
}

/// Reads a classifier directory's weights file and checks it against the shapes its
/// `config.json` implies, before either network is built.
func checkClassifierWeights(
    model: ParameterShapes, baseline: ParameterShapes, in directory: URL
) throws(ClassifierError) -> Checkpoint.CheckedWeights {
    var shapes = ParameterShapes()
    shapes.add(model, under: "model")
    shapes.add(baseline, under: "baseline")
    do {
        return try Checkpoint.readWeights(expecting: shapes, from: directory)
    } catch {
        throw .badModel(path: directory.path, detail: error.localizedDescription)
    }
}

/// Loads both networks' checked weights and returns the directory's `metrics.json` (empty when
/// absent or unreadable: the metrics are a report, not needed to score).
func readClassifierWeights(
    _ weights: Checkpoint.CheckedWeights, model: any Layer, baseline: any Layer, from directory: URL
) throws(ClassifierError) -> SplitReports<ClassifierReports> {
    do {
        try weights.load(into: ClassifierWeights(model: model, baseline: baseline))
    } catch {
        throw .badModel(path: directory.path, detail: error.localizedDescription)
    }
    let url = directory.appendingPathComponent(TableClassifier.metricsFileName)
    return (try? JSONDecoder().decode(SplitReports<ClassifierReports>.self, from: Data(contentsOf: url)))
        ?? SplitReports()
}
