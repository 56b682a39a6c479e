import ArgumentParser
import Classifiers
import Evaluation
import EventData
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

    @Option(
        name: .customLong("kind"),
        help: "A column's kind, name=numeric|boolean|categorical|month|weekday|ignored (repeatable).")
    var kinds: [String] = []

    @Option(help: "MLP hidden layer widths, input side first (default 128,64).")
    var layers: String?

    @Option(help: "Weigh positives by negatives/positives in the loss: true (default) or false.")
    var balanceClasses: Bool?

    @Option(parsing: .unconditional, help: "--task purchase / churn: the label window, like 7d (default), 12h or 30m.")
    var window: String?

    @Option(help: "--task purchase / churn: the cut-off as ISO 8601 (default: the last event minus the window).")
    var cutoff: String?

    /// The `--window` text, 7d by default.
    var windowText: String { window ?? "7d" }

    /// The classification-only flags that were given (for the next-item task, which would ignore them).
    var givenFlags: [String] {
        let given: [(String, Bool)] = [
            ("--positive", positive != nil), ("--kind", !kinds.isEmpty), ("--layers", layers != nil),
            ("--balance-classes", balanceClasses != nil), ("--window", window != nil), ("--cutoff", cutoff != nil),
        ]
        return given.filter(\.1).map(\.0)
    }

    /// The `--window` length.
    func windowDuration() throws -> Duration {
        let window = windowText
        let units: [Character: Int64] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        guard let unit = window.last, let seconds = units[unit], let count = Int64(window.dropLast()), count > 0 else {
            throw ValidationError("--window \(window): write a positive number and a unit d, h, m or s, like 7d.")
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: seconds)
        guard !overflow, Duration.seconds(total) <= UserOutcomeData.longestWindow else {
            throw ValidationError(
                "--window \(window): at most 100 years (36500d); label windows are usually days or weeks.")
        }
        return .seconds(total)
    }

    /// The `--cutoff` in milliseconds since 1970, or nil.
    func cutoffMilliseconds() throws -> Int64? {
        guard let cutoff else { return nil }
        return try parseISOTime(cutoff, option: "--cutoff")
    }

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
    /// The model, configuration, window and cut-off of `--task purchase / churn`.
    func outcomeSettings() throws -> (OutcomeModelKind, ClassifierConfig, Duration, Int64?) {
        if classify.data != nil || classify.label != nil {
            throw ValidationError(
                "--data and --label belong to --task classify; --task \(task.rawValue) reads the event store (--store)."
            )
        }
        let kind: OutcomeModelKind
        switch model {
        case nil: kind = .mlp
        case let chosen?:
            guard let outcome = OutcomeModelKind(rawValue: chosen.rawValue) else {
                throw ValidationError(
                    "--model \(chosen.rawValue) does not fit --task \(task.rawValue); use mlp, lstm, gru or cnn.")
            }
            kind = outcome
        }
        var config = try hyperparameterOverrides(ClassifierConfig.mlp)
        if kind != .mlp && hyperparameters.batchSize == nil { config.batchSize = 128 }
        return (kind, config, try classify.windowDuration(), try classify.cutoffMilliseconds())
    }

    func runOutcome() throws {
        let (kind, config, window, cutoff) = try outcomeSettings()
        let outcomeTask: OutcomeTask = task == .purchase ? .purchase : .churn
        let directory = URL(fileURLWithPath: out ?? "models/\(outcomeTask.rawValue)-\(kind.rawValue)")
        try checkOutputDirectory(directory.path, option: "--out")
        let store = try storeOptions.openForReading()
        let data = try UserOutcomeData.load(from: store, task: outcomeTask, window: window, cutoff: cutoff)
        let positives = data.examples.reduce(0) { $0 + $1.label }
        let cut = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(data.cutoff) / 1_000))
        note(
            """
            \(ProgressReporter.grouped(data.examples.count)) users with events before \(cut); \
            \(ProgressReporter.grouped(positives)) \(outcomeTask == .purchase ? "purchase" : "churn") in the next \(classify.windowText).

            """)
        let reporter = ProgressReporter(label: "train", total: nil, unit: "epochs")
        let classifier = try UserOutcomeClassifier.train(data: data, model: kind, config: config) { name, epoch in
            reporter.log("\(name) " + epoch.logLine)
        }
        try classifier.save(to: directory)
        if json {
            try printJSON(classifier.metrics)
            return
        }
        say("\(outcomeTask.rawValue) within \(classify.windowText) after \(cut), model \(kind.rawValue):")
        printClassificationTable(classifier.metrics, threshold: classifier.manifest.threshold)
        say(
            "Model written to \(directory.path); score users with `behave predict \(directory.path) --store \(storeOptions.store) --out scores.csv`."
        )
    }

    /// `config` with the shared hyper-parameter flags applied.
    func hyperparameterOverrides(_ base: ClassifierConfig) throws -> ClassifierConfig {
        var config = base
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
        return config
    }

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
            throw ValidationError(
                "--model \(other.rawValue) does not fit --task classify; classifiers are mlp and logistic.")
        }
        config = try hyperparameterOverrides(config)
        _ = try classify.overrides()
        return config
    }

    func runClassify() throws {
        let config = try classifierConfig()
        guard let data = classify.data, let label = classify.label else { return }
        let directory = URL(fileURLWithPath: out ?? "models/classifier")
        try checkOutputDirectory(directory.path, option: "--out")
        let table = try LabelledTable.read(path: data, label: label, positive: classify.positive)
        let positives = table.labels.reduce(0, +)
        note(
            """
            Read \(ProgressReporter.grouped(table.rows.count)) rows of \(data) (\(ProgressReporter.grouped(positives)) \
            with \(label) = \(table.positiveValue)), \(table.rejections.count) rejected.

            """)
        for rejection in table.rejections.prefix(5) {
            note("  line \(rejection.line): \(rejection.reason)")
        }
        let reporter = ProgressReporter(label: "train", total: nil, unit: "epochs")
        let classifier = try TableClassifier.train(table: table, config: config, overrides: try classify.overrides()) {
            name, epoch in reporter.log("\(name) " + epoch.logLine)
        }
        try classifier.save(to: directory)
        if json {
            try printJSON(classifier.metrics)
            return
        }
        say("Columns (inferred on the training rows; override with --kind name=kind):")
        for profile in classifier.manifest.profiles {
            let note = profile.note.map { "  (\($0))" } ?? ""
            say(
                "  \(profile.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(profile.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) missing \(profile.missing), distinct \(profile.distinct)\(note)"
            )
        }
        let rows = classifier.manifest.rows
        say(
            "Rows: train \(rows["train"] ?? 0), validation \(rows["validation"] ?? 0), test \(rows["test"] ?? 0), rejected \(rows["rejected"] ?? 0); \(classifier.manifest.encoder.width) features."
        )
        printClassificationTable(classifier.metrics, threshold: classifier.manifest.threshold)
        say("Model written to \(directory.path)")
    }
}

/// Prints split x network rows of the main classification metrics.
func printClassificationTable(_ metrics: SplitReports<ClassifierReports>, threshold: Double) {
    say("split       network   roc-auc  pr-auc   log-loss brier    acc@0.5  f1@0.5   f1@chosen")
    for split in EvaluationSplit.allCases {
        guard let reports = metrics[split] else { continue }
        for (network, report) in [("model", reports.model), ("baseline", reports.baseline)] {
            let chosen = report.atChosenThreshold.map { String(format: "%.4f", $0.f1) } ?? "-"
            say(
                split.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + network.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(
                        format: "%-8.4f %-8.4f %-8.4f %-8.4f %-8.4f %-8.4f ", report.rocAUC ?? .nan,
                        report.prAUC ?? .nan,
                        report.logLoss, report.brierScore, report.atHalf.accuracy, report.atHalf.f1) + chosen)
        }
    }
    say(
        String(
            format:
                "(baseline = logistic regression on the same features; chosen threshold %.4f = best validation F1 of the model)",
            threshold))
}

/// Milliseconds since 1970 of an ISO 8601 date or time given to `option`.
func parseISOTime(_ text: String, option: String) throws -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    guard let date = formatter.date(from: text) ?? day.date(from: text) else {
        throw ValidationError("\(option) \(text): write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z.")
    }
    return Int64((date.timeIntervalSince1970 * 1_000).rounded())
}
