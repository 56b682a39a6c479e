import ArgumentParser
import Classifiers
import Evaluation
import EventData
import Foundation
import PrivacyAccounting
import Recommenders
import TensorEngine

/// `behave evaluate`: ranking metrics of a trained model on its event store.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained model: ranking metrics of a next-item model, the reports of a classifier.",
        discussion: """
            A next-item model: re-reads the event store the model was trained on (or --store), \
            splits it leave-one-out as training did, and ranks each user's validation and test \
            item: among all items (full) and among 100 items the user never touched (sampled).

            A classifier (train classify, purchase or churn), or a next-item model trained with \
            --dp-epsilon (whose own users' items were all trained on): prints the validation and \
            test reports kept with it (for a private model, of the held-out users), and its \
            privacy statement (ε, δ, unit, accounting) when it was trained with --dp-epsilon.

            Examples:
              behave evaluate models/sasrec
              behave evaluate models/purchase-mlp
            """
    )

    @Argument(help: "The model directory written by `behave train`.")
    var modelDirectory: String

    @Option(help: "Event store to evaluate on (default: the one the model was trained on).")
    var store: String?

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print the metrics as JSON (split -> protocol -> metric).")
    var json = false

    func run() throws {
        threads.apply()
        let directory = URL(fileURLWithPath: modelDirectory)
        switch ModelDirectoryTask.read(directory) {
        case "classify":
            let classifier = try TableClassifier.load(from: directory)
            try report(
                classifier.metrics, threshold: classifier.manifest.threshold, privacy: classifier.manifest.privacy)
            return
        case "purchase", "churn":
            let classifier = try UserOutcomeClassifier.load(from: directory)
            try report(
                classifier.metrics, threshold: classifier.manifest.threshold, privacy: classifier.manifest.privacy)
            return
        default:
            break
        }
        let package = try NextItemPackage.load(from: URL(fileURLWithPath: modelDirectory))
        if let privacy = package.manifest.privacy {
            if json {
                try printJSON(StoredEvaluation(metrics: package.metrics, privacy: privacy))
                return
            }
            say("\(modelDirectory), as evaluated on its held-out users when it was trained:")
            printRankingTable(package.metrics)
            printPrivacy(privacy)
            return
        }
        let eventStore = try modelStore(option: store, recorded: package.manifest.store, modelDirectory: modelDirectory)
        let metrics = try package.evaluate(on: eventStore)
        if json {
            try printJSON(metrics)
            return
        }
        say("\(package.manifest.config.model.rawValue) from \(modelDirectory) on \(eventStore.location):")
        printRankingTable(metrics)
    }

    /// A classifier's stored reports and privacy statement.
    private func report(_ metrics: SplitReports<ClassifierReports>, threshold: Double, privacy: PrivacyStatement?)
        throws
    {
        if json {
            try printJSON(StoredEvaluation(metrics: metrics, privacy: privacy))
            return
        }
        say("\(modelDirectory), as evaluated when it was trained:")
        printClassificationTable(metrics, threshold: threshold)
        printPrivacy(privacy)
    }
}

/// `behave evaluate --json` of the reports kept with a model (a classifier, a private
/// next-item model) and its privacy statement (null without one).
private struct StoredEvaluation<Reports: Codable & Sendable>: Encodable {
    var metrics: SplitReports<Reports>
    var privacy: PrivacyStatement?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(privacy, forKey: .privacy)
    }

    enum CodingKeys: String, CodingKey { case metrics, privacy }
}
