import ArgumentParser
import Evaluation
import EventData
import Foundation
import Recommenders
import Settings

extension NextItemModelKind: ExpressibleByArgument {}
extension NextItemLoss: ExpressibleByArgument {}
extension NextItemPreset: ExpressibleByArgument {}
extension RankingProtocol: ExpressibleByArgument {}

/// `behave train next-item`: a next-item recommender from the event store.
struct TrainNextItem: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next-item",
        abstract: "Train SASRec, GRU4Rec or popularity to predict each user's next item.",
        discussion: """
            Splits every user's items leave-one-out by time (last item test, second-to-last \
            validation, the rest train), trains with early stopping on validation NDCG@10, keeps \
            the best weights and evaluates them under both ranking protocols: full (the target \
            among all items) and sampled (among 100 items the user never touched). The directory \
            gets config.json, weights.safetensors, items.json, metrics.json and training.log.

            Without flags SASRec trains with the best setting measured (--preset recommended: \
            the paper's architecture with the history length fitted to the data, sampled softmax \
            over 20 negatives, early stopping once validation NDCG@10 gains less than 1% in 10 \
            validations); --preset paper gives the paper's own (length 200, BCE with one \
            negative, 200 epochs). Every key of a --config YAML file is \
            also a flag; flags win over the file, the file over the preset.

            Examples:
              behave train next-item --out models/sasrec
              behave train next-item --model gru4rec --epochs 30 --out models/gru4rec
              behave train next-item --loss ce --max-length 50 --hidden 64 --heads 2 --feed-forward-size 256
              behave train next-item --preset paper --config sasrec.yaml
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The model: sasrec, gru4rec or pop.")
    var model: NextItemModelKind = .sasrec

    @Option(help: "The setting to start from: recommended (best measured) or paper.")
    var preset: NextItemPreset = .recommended

    @Option(help: "A YAML or JSON file of settings (keys as the flags: max-length, hidden, ...).")
    var config: String?

    @Option(help: "The model directory to write (default: models/<model>).")
    var out: String?

    @OptionGroup var registryOptions: RegistryOptions

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print the final metrics as JSON.")
    var json = false

    @OptionGroup(title: "Training") var training: TrainingOptions

    @Option(help: "Loss: bce (one sampled negative), ce (full softmax) or sampled-ce.")
    var loss: NextItemLoss?
    @Option(parsing: .unconditional, help: "Negatives per position for --loss sampled-ce.")
    var negatives: Int?
    @Option(help: "The protocol whose validation NDCG@10 picks the checkpoint: full or sampled.")
    var monitor: RankingProtocol?
    @Option(parsing: .unconditional, help: "Validate every N epochs.")
    var evaluateEvery: Int?
    @Flag(
        inversion: .prefixedNo,
        help: "Cut long histories into windows so that every position trains (default: on for GRU4Rec).")
    var slidingWindows: Bool?

    @Option(
        parsing: .unconditional,
        help: "The longest history read (SASRec: the 99th percentile of the users' histories, at most 200; GRU4Rec 50)."
    )
    var maxLength: Int?
    @Option(parsing: .unconditional, help: "Item embedding and output width (SASRec 50, GRU4Rec 64).")
    var hidden: Int?
    @Option(parsing: .unconditional, help: "SASRec: self-attention blocks (2).")
    var blocks: Int?
    @Option(parsing: .unconditional, help: "SASRec: attention heads, dividing --hidden (1).")
    var heads: Int?
    @Option(parsing: .unconditional, help: "SASRec: the feed-forward width (default: --hidden).")
    var feedForwardSize: Int?
    @Option(parsing: .unconditional, help: "GRU4Rec: the GRU's state width (128).")
    var stateSize: Int?
    @Option(parsing: .unconditional, help: "GRU4Rec: stacked GRU layers (1).")
    var layers: Int?

    @OptionGroup(title: "Differential privacy") var privacy: PrivacyOptions

    /// The flags given, by configuration key.
    var settings: [String: Any] {
        let given: [String: Any?] = [
            "loss": loss?.rawValue, "negatives": negatives, "monitor": monitor?.rawValue,
            "evaluate-every": evaluateEvery, "sliding-windows": slidingWindows, "max-length": maxLength,
            "hidden": hidden, "blocks": blocks, "heads": heads, "feed-forward-size": feedForwardSize,
            "state-size": stateSize, "layers": layers,
        ]
        return training.settings.merging(given.compactMapValues { $0 }) { $1 }.merging(privacy.settings) { $1 }
    }

    /// The preset (with --dp-epsilon, its private defaults), then the --config file, then the
    /// flags; validated.
    func resolvedConfig() throws -> NextItemConfig {
        let preset = NextItemConfig.defaults(for: model, preset: self.preset)
        var config = try applyingFile(to: preset)
        // A budget from the flag or the file brings the private defaults, under the file's settings.
        if let epsilon = privacy.dpEpsilon ?? config.privacy?.epsilon, model != .pop {
            config = try applyingFile(to: preset.privateDefaults(epsilon: epsilon))
        }
        do {
            config = try config.applying(settings: settings)
            try config.validate()
        } catch {
            throw flagError(error)
        }
        config.privacy = try privacy.seeded(config.privacy)
        return config
    }

    /// `base` with the --config file's settings, when one is given.
    private func applyingFile(to base: NextItemConfig) throws -> NextItemConfig {
        guard let path = self.config else { return base }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--config \(path): cannot read the file; check the path.")
        }
        return try base.applying(yaml: text, source: path)
    }

    func validate() throws {
        _ = try resolvedConfig()
    }

    func run() throws {
        threads.apply()
        let config = try resolvedConfig()
        let destination = try registryOptions.destination(out: out, fallback: "models/\(model.rawValue)")
        let store = try storeOptions.openForReading()
        let data = try NextItemData.load(from: store)
        note(
            "Training \(model.rawValue) on \(ProgressReporter.grouped(data.users.count)) users and "
                + "\(ProgressReporter.grouped(data.itemCount)) items from \(store.location) "
                + "(\(ProgressReporter.grouped(data.validationExamples.count)) users with validation and test items).")
        let outcome = try trainReportingProgress(config: config, data: data)
        var package = NextItemPackage(trained: outcome, store: store.location)
        package.profile = try package.trainingProfile(store: store, data: outcome.data)
        let place = try destination.write { try package.save(to: $0, log: outcome.logLines) }
        if json {
            try printJSON(outcome.metrics)
            return
        }
        say(
            "\(model.rawValue): \(outcome.history.stopReason); kept epoch \(outcome.bestEpoch), reached after "
                + String(format: "%.1f s of %.1f s of training.", outcome.history.secondsToBest, outcome.trainSeconds))
        printRankingTable(outcome.metrics)
        if outcome.privateRun != nil {
            say("(metrics of the held-out users)")
            printPrivacy(package.manifest.privacy)
        }
        say("Model written to \(place)")
    }
}

/// Trains a next-item model with a progress bar and one log line per epoch on standard error.
func trainReportingProgress(config: NextItemConfig, data: NextItemData) throws -> TrainingOutcome {
    let trainer = try NextItemTrainer(config: config, data: data)
    if let partition = trainer.privateData {
        note(
            "Private run: \(ProgressReporter.grouped(partition.units.count)) protected users train; "
                + "\(ProgressReporter.grouped(trainer.data.users.count)) held-out users (not protected) give the "
                + "catalogue of \(ProgressReporter.grouped(trainer.data.itemCount)) items, validation and metrics"
                + (partition.itemsLeftOut > 0
                    ? "; \(ProgressReporter.grouped(partition.itemsLeftOut)) item events of protected users are "
                        + "left out (items no held-out user touched)." : "."))
    }
    let reporter = ProgressReporter(
        label: "train \(config.model.rawValue)",
        total: config.model == .pop ? nil : trainer.stepsPerEpoch * config.epochs,
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

/// Prints split -> protocol -> metric as a table, one row per split and protocol.
func printRankingTable(_ metrics: SplitReports<ProtocolReports>) {
    let columns = ["hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20", "mrr@10"]
    say(
        "split       protocol  "
            + columns.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined(separator: " "))
    for split in EvaluationSplit.allCases {
        guard let reports = metrics[split] else { continue }
        for rankingProtocol in RankingProtocol.allCases {
            let values = reports[rankingProtocol].values
            let cells = columns.map { String(format: "%-8.4f", values[$0] ?? 0) }
            say(
                split.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + rankingProtocol.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + cells.joined(separator: " "))
        }
    }
    say("(full = target ranked among all items; sampled = among 100 items the user never touched)")
}
