import ArgumentParser
import EventData
import Foundation
import Recommenders
import TensorEngine

/// `behave train`: trains a model on the event store and writes a model directory.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a next-item recommender (SASRec, GRU4Rec or popularity) on the event store.",
        discussion: """
            Splits every user's items leave-one-out by time (last item test, second-to-last \
            validation, the rest train), trains with early stopping on validation NDCG@10, keeps \
            the best weights, and evaluates them under both ranking protocols: full (target among \
            all items) and sampled (among 100 items the user never touched). The model directory \
            gets config.json, weights.safetensors, items.json, metrics.json and training.log.

            Examples:
              behave train --model sasrec --out models/sasrec
              behave train --model gru4rec --epochs 30 --out models/gru4rec
              behave train --model sasrec --loss ce --max-length 50 --hidden 64 --time-budget 300
              behave train --model sasrec --config sasrec.yaml
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    /// What a model learns to predict.
    enum Task: String, ExpressibleByArgument, CaseIterable {
        /// The next item a user interacts with.
        case nextItem = "next-item"
    }

    @Option(help: "What to learn.")
    var task: Task = .nextItem

    @Option(help: "The model: sasrec, gru4rec or pop.")
    var model: NextItemModelKind = .sasrec

    @Option(help: "The model directory to write (default: models/<model>).")
    var out: String?

    @Option(help: "Threads for matrix products.")
    var threads: Int = 2

    @OptionGroup var hyperparameters: NextItemOptions

    @Flag(help: "Print the final metrics as JSON.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        _ = try hyperparameters.resolve(model: model)
    }

    func run() throws {
        Engine.threadCount = threads
        let config = try hyperparameters.resolve(model: model)
        let store = try storeOptions.openExisting()
        let data = try NextItemData.load(from: store)
        let directory = URL(fileURLWithPath: out ?? "models/\(model.rawValue)")
        let evaluated = data.validationExamples.count
        FileHandle.standardError.write(Data("""
            Training \(model.rawValue) on \(ProgressReporter.grouped(data.users.count)) users and \
            \(ProgressReporter.grouped(data.itemCount)) items from \(store.location) \
            (\(ProgressReporter.grouped(evaluated)) users with validation and test items).

            """.utf8))
        let outcome = try Self.train(config: config, data: data)
        let package = NextItemPackage(trained: outcome, config: config, data: data, store: store.location)
        try package.save(to: directory, log: outcome.logLines)
        if json {
            try printJSON(outcome.metrics)
            return
        }
        print("\(model.rawValue): \(outcome.stopReason); kept epoch \(outcome.bestEpoch), "
            + String(format: "%.1f s of training.", outcome.trainSeconds))
        printRankingTable(outcome.metrics)
        print("Model written to \(directory.path)")
    }

    /// Trains with a progress bar and one log line per epoch on standard error.
    static func train(config: NextItemConfig, data: NextItemData) throws -> TrainingOutcome {
        let trainer = try NextItemTrainer(config: config, data: data)
        let steps = (trainer.trainingRows().count + config.batchSize - 1) / config.batchSize
        let reporter = ProgressReporter(
            label: "train \(config.model.rawValue)", total: config.model == .pop ? nil : steps * config.epochs,
            unit: "steps")
        return trainer.train(
            progress: { progress in
                reporter.update(
                    progress.completedSteps,
                    detail: "epoch \(progress.epoch), loss \(String(format: "%.4f", progress.loss)), "
                        + "\(Int(progress.sequencesPerSecond)) seq/s")
            },
            epochEnd: { record in reporter.log(record.logLine) })
    }
}
