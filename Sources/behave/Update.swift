import ArgumentParser
import Classifiers
import Foundation
import Monitoring
import Recommenders
import Serving

/// `behave update`: a warm-started candidate from the events after the live model's
/// watermark, registered as the next version and promoted only when it passes the gate.
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Update a registry's live model with the events after its training data, behind a gate.",
        discussion: """
            The live version warm-starts a candidate: its items keep their indexes and new items \
            are appended (ids are never reused, new items start with fresh embeddings); it trains \
            on the users with item events after the live model's watermark plus a replayed share \
            (--replay) of the others, with the same training loop and early stopping, at ten times \
            the live learning rate, for --epochs (default: a tenth of the live model's training \
            work, its epochs times its users, over the users the update trains on; a time budget \
            is cut to a tenth). Both models are then scored (NDCG@10, full ranking) on the same holdouts: the \
            last item of users active after the watermark (recent) and of the others (older). The \
            candidate is registered as the next version with update.json (the decision, both sets \
            of metrics, the reason) and promoted only when it beats the live model on the recent \
            holdout by --margin and loses at most --tolerance on the older one. --dry-run shows the \
            decision and registers nothing. `behave models rollback NAME` undoes a promotion; a \
            running server picks up either.

            A purchase or churn model (mlp) moves its cut-off to the newest event minus its label \
            window and warm-starts from the live weights and feature scaling, training on the users \
            labelled there plus a replayed share of its original training users; the holdouts are \
            the new cut-off's test users (recent) and the original test users (older), by ROC-AUC.

            Example:
              behave update shop-recs --registry registry --store behavior.db
            """
    )

    @Argument(help: "The model's name in --registry.")
    var name: String

    @Option(help: "The model registry folder.")
    var registry: String

    @Option(help: "The event store (default: the one the live version was trained on).")
    var store: String?

    @Option(
        parsing: .unconditional,
        help:
            "Training epochs (default: a tenth of the live model's training work for a recommender, a fifth of its epochs for a purchase or churn model; at least 2)."
    )
    var epochs: Int?

    @Option(parsing: .unconditional, help: "The share of users without new events replayed against forgetting.")
    var replay: Double = UpdateSettings().replayShare

    @Option(
        parsing: .unconditional,
        help: "How much better (a share of the live NDCG@10) the candidate must be on the recent holdout.")
    var margin: Double = UpdateSettings().margin

    @Option(parsing: .unconditional, help: "How much worse (a share) it may be on the older holdout.")
    var tolerance: Double = UpdateSettings().tolerance

    @Option(parsing: .unconditional, help: "Seed of the replay sample, new embeddings and training.")
    var seed: UInt64 = 1

    @Flag(help: "Show the decision without registering or promoting anything.")
    var dryRun = false

    @Flag(help: "Print the decision as JSON.")
    var json = false

    @OptionGroup var threads: ThreadOptions

    /// The file written beside the new version.
    static let decisionFileName = "update.json"

    func settings() throws -> UpdateSettings {
        var settings = UpdateSettings()
        settings.margin = margin
        settings.tolerance = tolerance
        settings.replayShare = replay
        settings.epochs = epochs
        settings.seed = seed
        do {
            try settings.validate()
        } catch {
            throw ValidationError("--\(error.parameter) is \(error.value); it must be \(error.allowed).")
        }
        return settings
    }

    func validate() throws {
        _ = try settings()
        guard ModelRegistry.isValidName(name) else {
            throw ValidationError("\(name): a model name is 1 to 64 letters, digits, '-', '_' or '.'.")
        }
    }

    func run() throws {
        threads.apply()
        let models = ModelRegistry(root: URL(fileURLWithPath: registry))
        guard let live = try models.liveVersion(of: name) else {
            throw ValidationError(
                "\(registry) has no live version of \(name); `behave models list --registry \(registry)` shows what it has."
            )
        }
        guard ["next-item", "purchase", "churn"].contains(live.task ?? "") else {
            throw ValidationError(
                "\(name) version \(live.version) is a \(live.task ?? "model of unknown kind"); behave update handles "
                    + "next-item, purchase and churn models. Retrain it with `behave train ... --registry "
                    + "\(registry) --name \(name)` and promote the new version when it is better.")
        }
        let profile: TrainingProfile
        do {
            profile = try TrainingProfile.load(from: live.directory)
        } catch {
            throw ValidationError(error.localizedDescription)
        }
        guard let watermark = profile.watermark else {
            throw ValidationError("\(live.directory.path)/profile.json has no watermark; retrain the model.")
        }
        let reporter = ProgressReporter(label: "update \(name)", total: nil, unit: "steps")
        let result: (decision: UpdateDecision, save: (URL) throws -> Void)
        switch live.task {
        case "next-item":
            let package = try NextItemPackage.load(from: live.directory)
            let opened = try modelStore(option: store, recorded: package.manifest.store, modelDirectory: name)
            let update = try NextItemUpdate(live: package, watermark: watermark, settings: settings()).run(
                store: opened,
                progress: { progress in reporter.update(progress.completedSteps, detail: "epoch \(progress.epoch)") },
                epochEnd: { reporter.log($0.logLine) })
            result = (update.decision, { try update.candidate.save(to: $0, log: update.outcome.logLines) })
        case "purchase", "churn":
            let classifier = try UserOutcomeClassifier.load(from: live.directory)
            guard classifier.manifest.model == .mlp else {
                throw ValidationError(
                    "\(name) version \(live.version) is a \(classifier.manifest.model.rawValue) model; behave update "
                        + "warm-starts mlp purchase and churn models. Retrain it with `behave train "
                        + "\(classifier.manifest.task) --model \(classifier.manifest.model.rawValue) --registry "
                        + "\(registry) --name \(name)`.")
            }
            let opened = try StoreOptions.openForReading(path: store ?? "behavior.db")
            let update = try classifier.updated(
                store: opened, watermark: watermark, settings: settings(),
                epochEnd: { reporter.log("model " + $0.logLine) })
            result = (update.decision, { try update.candidate.save(to: $0) })
        default:
            preconditionFailure("update: the task was checked above")
        }
        var decision = result.decision
        var registered: String?
        if !dryRun {
            let staging = try models.stagingDirectory(for: name)
            do {
                try result.save(staging)
                try writeDecision(decision, version: live.version, to: staging)
                registered = try models.register(staged: staging, as: name)
            } catch {
                try? FileManager.default.removeItem(at: staging)
                throw error
            }
            if let registered, decision.promote {
                _ = try models.promote(name, version: registered)
            }
        } else {
            decision.reason = "dry run: " + decision.reason
        }
        if json {
            try printJSON(
                UpdateReport(model: name, liveVersion: live.version, newVersion: registered, decision: decision))
            return
        }
        say(
            "\(name) version \(live.version): \(ProgressReporter.grouped(decision.trainedExamples)) users trained on "
                + "(\(ProgressReporter.grouped(decision.replayedExamples)) replayed), "
                + "\(ProgressReporter.grouped(decision.newItems)) new items, \(ProgressReporter.grouped(decision.newUsers)) new users, "
                + String(format: "%.1f s of training.", decision.trainSeconds))
        say(
            textTable(
                header: [
                    decision.metric, "recent (\(decision.recentExamples) users)",
                    "older (\(decision.oldExamples) users)",
                ],
                rows: [
                    ["live", String(format: "%.4f", decision.live.recent), String(format: "%.4f", decision.live.old)],
                    [
                        "candidate", String(format: "%.4f", decision.candidate.recent),
                        String(format: "%.4f", decision.candidate.old),
                    ],
                ]))
        let outcome: String
        switch (registered, decision.promote) {
        case (nil, _): outcome = "Nothing registered (dry run)."
        case (let version?, true): outcome = "Registered and promoted version \(version)."
        case (let version?, false):
            outcome = "Registered version \(version); version \(live.version) stays live."
        }
        say((decision.promote ? "Promote: " : "Keep the live model: ") + decision.reason + ". " + outcome)
    }

    private func writeDecision(_ decision: UpdateDecision, version: String, to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(
            UpdateReport(model: name, liveVersion: version, newVersion: nil, decision: decision))
        try data.write(to: directory.appendingPathComponent(Self.decisionFileName))
    }
}

/// What `behave update --json` prints and `update.json` holds.
struct UpdateReport: Encodable {
    var model: String
    /// The version that was live when the update ran (the one the candidate started from).
    var liveVersion: String
    /// The version the candidate was registered as (nil in a dry run and in the file itself).
    var newVersion: String?
    var decision: UpdateDecision
}
