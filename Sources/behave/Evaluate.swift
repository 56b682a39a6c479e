import ArgumentParser
import EventData
import Foundation
import Recommenders
import TensorEngine

/// `behave evaluate`: ranking metrics of a trained model on its event store.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a trained next-item model: HR, NDCG and MRR at 5, 10, 20 under both protocols.",
        discussion: """
            Re-reads the event store the model was trained on (or --store), splits it \
            leave-one-out as training did, and ranks each user's validation and test item: \
            among all items (full) and among 100 items the user never touched (sampled).

            Example:
              behave evaluate models/sasrec
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
        let package = try NextItemPackage.load(from: URL(fileURLWithPath: modelDirectory))
        let eventStore = try modelStore(option: store, recorded: package.manifest.store, modelDirectory: modelDirectory)
        let metrics = try package.evaluate(on: eventStore)
        if json {
            try printJSON(metrics)
            return
        }
        say("\(package.manifest.config.model.rawValue) from \(modelDirectory) on \(eventStore.location):")
        printRankingTable(metrics)
    }
}
