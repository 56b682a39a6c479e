import ArgumentParser
import Classifiers
import Embeddings
import Evaluation
import EventData
import Foundation
import NeuralNet
import PrivacyAccounting
import Recommenders
import Settings

extension ColumnKind: ExpressibleByArgument {}
extension ClassifierModelKind: ExpressibleByArgument {}
extension OutcomeModelKind: ExpressibleByArgument {}

/// What every binary classifier's training run shares: the output, threads, JSON and the
/// model and training flags.
struct ClassifierRunOptions: ParsableArguments {
    @Option(help: "The model directory to write (default: models/<task>, or models/<task>-<model>).")
    var out: String?

    @OptionGroup var registry: RegistryOptions

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print the final metrics as JSON.")
    var json = false

    @OptionGroup(title: "Model") var classifier: ClassifierOptions

    @OptionGroup(title: "Training") var training: TrainingOptions

    @OptionGroup(title: "Differential privacy") var privacy: PrivacyOptions

    /// `base` with the flags applied; validated. With `--dp-epsilon` the private defaults
    /// replace the settings no flag gives.
    func config(_ base: ClassifierConfig, sequenceModel: Bool = false) throws -> ClassifierConfig {
        var base = base
        if let epsilon = privacy.dpEpsilon {
            var tuned = base.privateDefaults(epsilon: epsilon)
            if sequenceModel {
                // Measured for the feature-table MLP only: a sequence model keeps its rate.
                tuned.learningRate = base.learningRate
            }
            base = tuned
        }
        var config = try classifier.config(base, training: training, extra: privacy.settings)
        config.privacy = try privacy.seeded(config.privacy)
        return config
    }
}

/// The flags of differentially private training (DP-SGD).
struct PrivacyOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Train with DP-SGD within this privacy budget ε (a classifier and its baseline together), like 3.",
            discussion: "Each user is one privacy unit (each row for train classify). Unless given, a private "
                + "classifier run budgets \(ClassifierPrivacy.defaultEpochs) epochs, and an MLP has hidden layers "
                + "\(ClassifierPrivacy.defaultHiddenSizes.map(String.init).joined(separator: ",")) and learning rate "
                + "\(ClassifierPrivacy.defaultLearningRate). A private next-item run budgets "
                + "\(NextItemConfig.privateEpochs) epochs, trains one row of recent items per user, and holds out "
                + "\(Int(NextItemConfig.privateHeldOutFraction * 100))% of the users (not protected) for its "
                + "catalogue, validation and metrics. A private embedding budgets "
                + "\(AutoencoderConfig.privateEpochs) epochs at learning rate \(AutoencoderConfig.privateLearningRate)."
        ))
    var dpEpsilon: Double?
    @Option(parsing: .unconditional, help: "δ of the guarantee (default 1e-5; keep it below 1 / users).")
    var dpDelta: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The largest gradient norm one unit may contribute (default \(ClassifierPrivacy.defaultClipNorm) "
                + "for classifiers, \(NextItemConfig.privateClipNorm) for next-item models, "
                + "\(AutoencoderConfig.privateClipNorm) for embeddings)."))
    var dpClipNorm: Double?
    @Option(
        help: ArgumentHelp(
            "How ε is accounted and the noise calibrated: rdp (default) or pld.",
            discussion: "PLD composes the privacy loss distribution itself and states about 10% smaller ε "
                + "for the same noise, so it calibrates less noise for the same budget; calibrating takes "
                + "seconds instead of milliseconds."))
    var dpAccountant: String?
    @Option(
        parsing: .unconditional,
        help:
            "Seed the noise for a reproducible experiment (default: a secret seed; never share a model trained with a known seed)."
    )
    var dpNoiseSeed: Int?

    /// `budget` with the noise seed of `--dp-noise-seed`, when given.
    func seeded(_ budget: PrivacyBudget?) throws -> PrivacyBudget? {
        guard let seed = dpNoiseSeed else { return budget }
        guard var budget, seed >= 0 else {
            throw ValidationError("--dp-noise-seed \(seed): give a seed of 0 or more, and only with --dp-epsilon.")
        }
        budget.noiseSeed = UInt64(seed)
        return budget
    }

    /// The given flags by configuration key.
    var settings: [String: Any] {
        let given: [String: Any?] = [
            "dp-epsilon": dpEpsilon, "dp-delta": dpDelta, "dp-clip-norm": dpClipNorm, "dp-accountant": dpAccountant,
        ]
        return given.compactMapValues { $0 }
    }
}

/// The model flags every binary classifier shares.
struct ClassifierOptions: ParsableArguments {
    @Option(help: "MLP hidden layer widths, input side first (default 128,64).")
    var hiddenLayers: String?

    @Flag(inversion: .prefixedNo, help: "Weigh positives by negatives/positives in the loss (default: on).")
    var balanceClasses: Bool?

    /// `base` with these flags, the training flags and `extra` settings applied; validated.
    func config(_ base: ClassifierConfig, training: TrainingOptions, extra: [String: Any] = [:]) throws
        -> ClassifierConfig
    {
        var settings = training.settings.merging(extra) { first, _ in first }
        settings["hidden-layers"] = hiddenLayers
        settings["balance-classes"] = balanceClasses
        do {
            let config = try base.applying(settings: settings)
            try config.validate()
            return config
        } catch {
            throw flagError(error)
        }
    }
}

/// `behave train classify`: a binary column of any CSV/TSV table.
struct TrainClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train a binary classifier on a column of any CSV/TSV table.",
        discussion: """
            Column kinds are inferred on the training rows (numeric, boolean, categorical, month, \
            weekday; identifiers such as customer ids are ignored) and can be overridden with \
            --kind name=kind; missing cells are imputed, numbers z-scored (log-scaled first when \
            right-skewed), categories one-hot, all fitted on the training rows of a stratified \
            70/15/15 split. An MLP and a logistic-regression baseline train with early stopping on \
            validation ROC-AUC; both are evaluated on validation and test. Score new rows with \
            `behave predict`.

            Examples:
              behave train classify --data sessions.csv --label Revenue --out models/intent
              behave train classify --data churn.csv --label churned --positive yes --kind plan=categorical
            """
    )

    @Option(help: "The CSV or TSV table to learn from.")
    var data: String

    @Option(help: "The column to predict (two values, or one value against the rest with --positive).")
    var label: String

    @Option(help: "The label value that counts as positive (default: true/yes for truth words, 1 for 0/1).")
    var positive: String?

    @Option(
        name: .customLong("kind"),
        help: "A column's kind, name=numeric|boolean|categorical|month|weekday|ignored (repeatable).")
    var kinds: [String] = []

    @Option(help: "The model: mlp or logistic.")
    var model: ClassifierModelKind = .mlp

    @OptionGroup var common: ClassifierRunOptions

    /// The `--kind` overrides by column name.
    func overrides() throws -> [String: ColumnKind] { try columnKindOverrides(kinds) }

    func resolvedConfig() throws -> ClassifierConfig {
        try common.config(model == .logistic ? .logisticBaseline(for: .mlp) : .mlp)
    }

    func validate() throws {
        _ = try resolvedConfig()
        _ = try overrides()
    }

    func run() throws {
        common.threads.apply()
        let config = try resolvedConfig()
        let destination = try common.registry.destination(out: common.out, fallback: "models/classify")
        let table = try LabelledTable.read(path: data, label: label, positive: positive)
        let positives = table.labels.reduce(0, +)
        note(
            "Read \(ProgressReporter.grouped(table.rows.count)) rows of \(data) (\(ProgressReporter.grouped(positives)) "
                + "with \(label) = \(table.positiveValue)), \(table.rejections.count) rejected.")
        for rejection in table.rejections.prefix(5) {
            note("  line \(rejection.line): \(rejection.reason)")
        }
        let reporter = ProgressReporter(label: "train", total: nil, unit: "epochs")
        let trained = try TableClassifier.train(table: table, config: config, overrides: try overrides()) {
            name, epoch in reporter.log("\(name) " + epoch.logLine)
        }
        let place = try destination.write { try trained.save(to: $0) }
        if common.json {
            try printJSON(trained.metrics)
            return
        }
        say("Columns (inferred on the training rows; override with --kind name=kind):")
        for profile in trained.manifest.profiles {
            let note = profile.note.map { "  (\($0))" } ?? ""
            say(
                "  \(profile.name.padding(toLength: 24, withPad: " ", startingAt: 0)) "
                    + "\(profile.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) "
                    + "missing \(profile.missing), distinct \(profile.distinct)\(note)")
        }
        let rows = trained.manifest.rows
        say(
            "Rows: train \(rows["train"] ?? 0), validation \(rows["validation"] ?? 0), test \(rows["test"] ?? 0), "
                + "rejected \(rows["rejected"] ?? 0); \(trained.manifest.encoder.width) features.")
        printClassificationTable(trained.metrics, threshold: trained.manifest.threshold)
        printPrivacy(trained.manifest.privacy)
        say("Model written to \(place)")
    }
}

/// The flags of purchase and churn prediction from the event store.
struct OutcomeOptions: ParsableArguments {
    @OptionGroup var storeOptions: StoreOptions

    @Option(parsing: .unconditional, help: "The label window after the cut-off, like 7d, 12h or 30m.")
    var window: String = "7d"

    @Option(help: "The cut-off as ISO 8601 (default: the last event minus the window).")
    var at: String?

    @Option(help: "The model: mlp (the feature table), lstm, gru or cnn (the last 50 events).")
    var model: OutcomeModelKind = .mlp

    @OptionGroup var common: ClassifierRunOptions

    /// The `--window` length.
    func windowDuration() throws -> Duration {
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

    func resolvedConfig() throws -> ClassifierConfig {
        var base = ClassifierConfig.mlp
        if model != .mlp { base.batchSize = 128 }
        return try common.config(base, sequenceModel: model != .mlp)
    }

    func validate() throws {
        _ = try windowDuration()
        _ = try resolvedConfig()
        if let at { _ = try parseISOTime(at, option: "--at") }
    }

    /// Trains and reports `task`.
    func run(_ task: OutcomeTask) throws {
        common.threads.apply()
        let config = try resolvedConfig()
        let destination = try common.registry.destination(
            out: common.out, fallback: "models/\(task.rawValue)-\(model.rawValue)")
        let store = try storeOptions.openForReading()
        let cutoff = try at.map { try parseISOTime($0, option: "--at") }
        let data = try UserOutcomeData.load(from: store, task: task, window: try windowDuration(), cutoff: cutoff)
        let positives = data.examples.reduce(0) { $0 + $1.label }
        let cut = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(data.cutoff) / 1_000))
        note(
            "\(ProgressReporter.grouped(data.examples.count)) users with events before \(cut); "
                + "\(ProgressReporter.grouped(positives)) \(task.rawValue) in the next \(window).")
        let reporter = ProgressReporter(label: "train", total: nil, unit: "epochs")
        let trained = try UserOutcomeClassifier.train(data: data, model: model, config: config) { name, epoch in
            reporter.log("\(name) " + epoch.logLine)
        }
        let place = try destination.write { try trained.save(to: $0) }
        if common.json {
            try printJSON(trained.metrics)
            return
        }
        say("\(task.rawValue) within \(window) after \(cut), model \(model.rawValue):")
        printClassificationTable(trained.metrics, threshold: trained.manifest.threshold)
        printPrivacy(trained.manifest.privacy)
        say(
            "Model written to \(place)"
                + (destination.directory.map {
                    "; score users with `behave predict \($0.path) --store \(storeOptions.store) --out scores.csv`"
                } ?? "") + ".")
    }
}

/// `behave train purchase`.
struct TrainPurchase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purchase",
        abstract: "Train a model of whether each user purchases in the window after a cut-off.",
        discussion: """
            Labels come from the window after the cut-off, inputs only from events up to it. \
            --model mlp reads the per-user feature table; lstm, gru and cnn read each user's last \
            50 events (type, item, category, time gap, value, age). A logistic regression on the \
            feature table is the baseline.

            Example:
              behave train purchase --window 7d --model gru --out models/purchase-gru
            """
    )

    @OptionGroup var options: OutcomeOptions

    func run() throws { try options.run(.purchase) }
}

/// `behave train churn`.
struct TrainChurn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Train a model of whether each user shows no activity in the window after a cut-off.",
        discussion: """
            As `behave train purchase`, with the label "no event at all in the window".

            Example:
              behave train churn --window 14d --model mlp
            """
    )

    @OptionGroup var options: OutcomeOptions

    func run() throws { try options.run(.churn) }
}

/// Prints split x network rows of the main classification metrics.
/// The privacy line of a classifier: its guarantee, or that it has none.
func privacyLine(_ statement: PrivacyStatement?) -> String {
    "Privacy: "
        + (statement.map { "\($0)." }
            ?? "trained without a privacy budget, so no differential privacy guarantee (add --dp-epsilon).")
}

/// Prints ``privacyLine(_:)``.
func printPrivacy(_ statement: PrivacyStatement?) {
    say(privacyLine(statement))
}

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
                        report.prAUC ?? .nan, report.logLoss, report.brierScore, report.atHalf.accuracy,
                        report.atHalf.f1) + chosen)
        }
    }
    say(
        String(
            format:
                "(baseline = logistic regression on the same features; chosen threshold %.4f = best validation F1 of the model)",
            threshold))
}
