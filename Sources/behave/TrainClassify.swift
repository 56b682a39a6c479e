import ArgumentParser
import Classifiers
import EventData
import Evaluation
import Foundation

extension ColumnKind: ExpressibleByArgument {}

/// The flags of `behave train --task classify`.
struct ClassifyOptions: ParsableArguments {
    @Option(help: "The CSV or TSV table to learn from.")
    var data: String?

    @Option(help: "The column to predict (two values, or one value against the rest with --positive).")
    var label: String?

    @Option(help: "The label value that counts as positive (default: true/yes for truth words, 1 for 0/1).")
    var positive: String?

    @Option(name: .customLong("kind"), help: "A column's kind, name=numeric|boolean|categorical|month|weekday|ignored (repeatable).")
    var kinds: [String] = []

    @Option(help: "MLP hidden layer widths, input side first (default 128,64).")
    var layers: String?

    @Option(help: "Weigh positives by negatives/positives in the loss: true (default) or false.")
    var balanceClasses: Bool?

    /// The `--kind` overrides by column name.
    func overrides() throws -> [String: ColumnKind] {
        var result: [String: ColumnKind] = [:]
        for setting in kinds {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--kind \(setting): write name=kind, e.g. --kind Month=month.")
            }
            guard let kind = ColumnKind(rawValue: parts[1]) else {
                throw ValidationError(
                    "--kind \(setting): '\(parts[1])' is not a kind; use "
                        + ColumnKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
            }
            result[parts[0]] = kind
        }
        return result
    }
}

extension Train {
    /// The classifier configuration from the defaults and the flags.
    func classifierConfig() throws -> ClassifierConfig {
        guard classify.data != nil, classify.label != nil else {
            throw ValidationError("--task classify needs --data FILE and --label COLUMN.")
        }
        var config = ClassifierConfig.mlp
        switch model {
        case nil, .mlp?: config.model = .mlp
        case .logistic?: config = .logisticBaseline(for: config)
        case let other?:
            throw ValidationError("--model \(other.rawValue) is a next-item model; classifiers are mlp and logistic.")
        }
        if let layers = classify.layers {
            let widths = layers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--layers \(layers): give positive widths separated by commas, e.g. 128,64.")
            }
            config.hiddenSizes = widths.compactMap { $0 }
        }
        if let dropout = hyperparameters.dropout { config.dropout = dropout }
        if let learningRate = hyperparameters.learningRate { config.learningRate = learningRate }
        if let weightDecay = hyperparameters.weightDecay { config.weightDecay = weightDecay }
        if let batchSize = hyperparameters.batchSize { config.batchSize = batchSize }
        if let epochs = hyperparameters.epochs { config.epochs = epochs }
        if let patience = hyperparameters.patience { config.patience = patience }
        if let seed = hyperparameters.seed { config.seed = seed }
        if let balance = classify.balanceClasses { config.balanceClasses = balance }
        try config.validate()
        _ = try classify.overrides()
        return config
    }

    func runClassify() throws {
        let config = try classifierConfig()
        guard let data = classify.data, let label = classify.label else { return }
        let table = try LabelledTable.read(path: data, label: label, positive: classify.positive)
        let positives = table.labels.reduce(0, +)
        FileHandle.standardError.write(Data("""
            Read \(ProgressReporter.grouped(table.rows.count)) rows of \(data) (\(ProgressReporter.grouped(positives)) \
            with \(label) = \(table.positiveValue)), \(table.rejections.count) rejected.

            """.utf8))
        for rejection in table.rejections.prefix(5) {
            FileHandle.standardError.write(Data("  line \(rejection.line): \(rejection.reason)\n".utf8))
        }
        let reporter = ProgressReporter(label: "train", total: nil, unit: "epochs")
        let classifier = try TableClassifier.train(table: table, config: config, overrides: try classify.overrides()) {
            name, epoch in reporter.log("\(name) " + epoch.logLine)
        }
        let directory = URL(fileURLWithPath: out ?? "models/classifier")
        try classifier.save(to: directory)
        if json {
            try printJSON(classifier.metrics)
            return
        }
        print("Columns (inferred on the training rows; override with --kind name=kind):")
        for profile in classifier.manifest.profiles {
            let note = profile.note.map { "  (\($0))" } ?? ""
            print("  \(profile.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(profile.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) missing \(profile.missing), distinct \(profile.distinct)\(note)")
        }
        let rows = classifier.manifest.rows
        print("Rows: train \(rows["train"] ?? 0), validation \(rows["validation"] ?? 0), test \(rows["test"] ?? 0), rejected \(rows["rejected"] ?? 0); \(classifier.manifest.encoder.width) features.")
        printClassificationTable(classifier.metrics, threshold: classifier.manifest.threshold)
        print("Model written to \(directory.path)")
    }
}

/// Prints split x network rows of the main classification metrics.
func printClassificationTable(_ metrics: [String: [String: ClassificationReport]], threshold: Double) {
    print("split       network   roc-auc  pr-auc   log-loss brier    acc@0.5  f1@0.5   f1@chosen")
    for split in ["validation", "test"] {
        for network in ["model", "baseline"] {
            guard let report = metrics[split]?[network] else { continue }
            let chosen = report.atChosenThreshold.map { String(format: "%.4f", $0.f1) } ?? "-"
            print(split.padding(toLength: 12, withPad: " ", startingAt: 0)
                + network.padding(toLength: 10, withPad: " ", startingAt: 0)
                + String(format: "%-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f ", report.rocAUC ?? .nan, report.prAUC ?? .nan,
                    report.logLoss, report.brierScore, report.atHalf.accuracy, report.atHalf.f1) + chosen)
        }
    }
    print(String(format: "(baseline = logistic regression on the same features; chosen threshold %.4f = best validation F1 of the model)", threshold))
}
