import ArgumentParser
import EventData
import Foundation
import Recommenders
import TensorEngine

/// `behave train`: trains a model and writes a model directory.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a next-item recommender on the event store, or a classifier on a table.",
        discussion: """
            --task next-item (default): splits every user's items leave-one-out by time (last \
            item test, second-to-last validation, the rest train), trains SASRec, GRU4Rec or \
            popularity with early stopping on validation NDCG@10, keeps the best weights, and \
            evaluates them under both ranking protocols: full (target among all items) and \
            sampled (among 100 items the user never touched). The directory gets config.json, \
            weights.safetensors, items.json, metrics.json and training.log.

            --task purchase / churn: labels each user of the event store by whether they \
            purchase (or show no activity) in the --window after a cut-off (default: the last \
            event minus the window); inputs are only events up to the cut-off. --model mlp reads \
            the per-user feature table, lstm / gru / cnn the user's last 50 events (type, item, \
            category, time gap, value). A logistic regression on the feature table is the baseline.

            --task classify: learns a binary --label column of any CSV/TSV --data table. Column \
            kinds are inferred (numeric, boolean, categorical, month, weekday; override with \
            --kind name=kind), missing cells imputed, numbers z-scored, categories one-hot, all \
            fitted on the training rows of a stratified 70/15/15 split. An MLP and a \
            logistic-regression baseline train with early stopping on validation ROC-AUC; both \
            are evaluated on validation and test. Score new rows with `behave predict`.

            Examples:
              behave train --model sasrec --out models/sasrec
              behave train --model gru4rec --epochs 30 --out models/gru4rec
              behave train --model sasrec --loss ce --max-length 50 --hidden 64 --time-budget 300
              behave train --model sasrec --config sasrec.yaml
              behave train --task classify --data sessions.csv --label Revenue --out models/intent
              behave train --task classify --data churn.csv --label churned --positive yes --kind plan=categorical
              behave train --task purchase --window 7d --model gru --out models/purchase-gru
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    /// What a model learns to predict.
    enum Task: String, ExpressibleByArgument, CaseIterable {
        /// The next item a user interacts with.
        case nextItem = "next-item"
        /// A binary column of a table.
        case classify
        /// Whether a user purchases in the window after the cut-off (event store).
        case purchase
        /// Whether a user is inactive in the window after the cut-off (event store).
        case churn
    }

    /// Every model family, whichever task it belongs to.
    enum Model: String, ExpressibleByArgument, CaseIterable {
        case sasrec, gru4rec, pop, mlp, logistic, lstm, gru, cnn
    }

    @Option(help: "What to learn.")
    var task: Task = .nextItem

    @Option(
        help:
            "The model (next-item: sasrec (default), gru4rec, pop; classify: mlp (default), logistic; purchase, churn: mlp (default), lstm, gru, cnn)."
    )
    var model: Model?

    @Option(help: "The model directory to write (default: models/<model>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Threads for matrix products.")
    var threads: Int = 2

    @OptionGroup var hyperparameters: HyperparameterOptions

    @OptionGroup(title: "Classification (--task classify, purchase, churn)") var classify: ClassifyOptions

    @Flag(help: "Print the final metrics as JSON.")
    var json = false

    /// The next-item model family chosen (sasrec by default).
    func nextItemModel() throws -> NextItemModelKind {
        guard let model else { return .sasrec }
        guard let kind = NextItemModelKind(rawValue: model.rawValue) else {
            throw ValidationError(
                "--model \(model.rawValue) does not fit --task next-item; next-item models are sasrec, gru4rec and pop."
            )
        }
        return kind
    }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        switch task {
        case .nextItem:
            if classify.data != nil || classify.label != nil {
                throw ValidationError(
                    "--data and --label belong to --task classify; next-item models read the event store (--store).")
            }
            if let flag = classify.givenFlags.first {
                throw ValidationError("\(flag) applies to --task classify, purchase or churn; remove it.")
            }
            _ = try hyperparameters.resolve(model: try nextItemModel())
        case .classify, .purchase, .churn:
            if let flag = hyperparameters.nextItemOnlyFlags.first {
                throw ValidationError("\(flag) applies to --task next-item only; remove it.")
            }
            if task == .classify { _ = try classifierConfig() } else { _ = try outcomeSettings() }
        }
    }

    func run() throws {
        Engine.threadCount = threads
        switch task {
        case .nextItem: try runNextItem()
        case .classify: try runClassify()
        case .purchase, .churn: try runOutcome()
        }
    }

    private func runNextItem() throws {
        let model = try nextItemModel()
        let config = try hyperparameters.resolve(model: model)
        let directory = URL(fileURLWithPath: out ?? "models/\(model.rawValue)")
        try checkOutputDirectory(directory.path, option: "--out")
        let store = try storeOptions.openForReading()
        let data = try NextItemData.load(from: store)
        let evaluated = data.validationExamples.count
        note(
            """
            Training \(model.rawValue) on \(ProgressReporter.grouped(data.users.count)) users and \
            \(ProgressReporter.grouped(data.itemCount)) items from \(store.location) \
            (\(ProgressReporter.grouped(evaluated)) users with validation and test items).

            """)
        let outcome = try Self.train(config: config, data: data)
        let package = NextItemPackage(trained: outcome, config: config, data: data, store: store.location)
        try package.save(to: directory, log: outcome.logLines)
        if json {
            try printJSON(outcome.metrics)
            return
        }
        say(
            "\(model.rawValue): \(outcome.history.stopReason); kept epoch \(outcome.bestEpoch), "
                + String(
                    format: "reached after %.1f s of %.1f s of training.", outcome.history.secondsToBest,
                    outcome.trainSeconds))
        printRankingTable(outcome.metrics)
        say("Model written to \(directory.path)")
    }

    /// Trains with a progress bar and one log line per epoch on standard error.
    static func train(config: NextItemConfig, data: NextItemData) throws -> TrainingOutcome {
        let trainer = try NextItemTrainer(config: config, data: data)
        let steps = (trainer.trainingRows().count + config.batchSize - 1) / config.batchSize
        let reporter = ProgressReporter(
            label: "train \(config.model.rawValue)", total: config.model == .pop ? nil : steps * config.epochs,
            unit: "steps")
        return try trainer.train(
            progress: { progress in
                reporter.update(
                    progress.completedSteps,
                    detail: "epoch \(progress.epoch), loss \(String(format: "%.4f", progress.loss)), "
                        + "\(Int(progress.examplesPerSecond)) seq/s")
            },
            epochEnd: { record in reporter.log(record.logLine) })
    }
}
