import ArgumentParser
import EventData
import Foundation
import Recommenders
import TensorEngine

/// `behave recommend`: the top items for a known user or an ad-hoc history.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend the next items for a user of the event store or for a given history.",
        discussion: """
            A known user's history comes from the event store the model was trained on (or \
            --store): all of their item events in time order. --history takes item ids instead.

            Examples:
              behave recommend models/sasrec --user 196 -k 10
              behave recommend models/sasrec --history 242,302,377 --exclude-seen
            """
    )

    @Argument(help: "The model directory written by `behave train`.")
    var modelDirectory: String

    @Option(help: "A user id of the event store.")
    var user: String?

    @Option(help: "Item ids, oldest first, separated by commas.")
    var history: String?

    @Option(name: .customShort("k"), parsing: .unconditional, help: "How many items to recommend.")
    var count: Int = 10

    @Flag(help: "Leave out items already in the history.")
    var excludeSeen = false

    @Option(help: "Event store for --user (default: the one the model was trained on).")
    var store: String?

    @Flag(help: "Print the recommendations as JSON.")
    var json = false

    func validate() throws {
        guard count >= 1 else { throw ValidationError("-k must be at least 1 (got \(count)).") }
        if user != nil && history != nil {
            throw ValidationError("Give --user or --history, not both.")
        }
    }

    struct Recommendation: Encodable {
        var rank: Int
        var item: String
        var score: Float
    }

    func run() throws {
        let package = try NextItemPackage.load(from: URL(fileURLWithPath: modelDirectory))
        let top: [(id: String, score: Float)]
        let historyLength: Int
        if let history {
            let ids = history.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            guard !ids.isEmpty else {
                throw ValidationError("--history is empty; give item ids separated by commas, e.g. --history 242,302.")
            }
            let indexes = try package.itemIndexes(of: ids)
            top = try package.recommend(after: indexes, count: count, excludeSeen: excludeSeen)
            historyLength = indexes.count
        } else if let user {
            let eventStore = try modelStore(
                option: store, recorded: package.manifest.store, modelDirectory: modelDirectory)
            let found = try package.recommend(forUser: user, in: eventStore, count: count, excludeSeen: excludeSeen)
            if found.unknownItemEvents > 0 {
                note(
                    "note: \(found.unknownItemEvents) of the user's \(found.unknownItemEvents + found.history.count) item "
                        + "events name items the model was not trained on; they are left out.")
            }
            top = found.items
            historyLength = found.history.count
        } else if case .popularity = package.model {
            top = try package.recommend(after: [], count: count, excludeSeen: false)
            historyLength = 0
        } else {
            throw ValidationError("Give --user ID (a user of the event store) or --history id,id,...")
        }
        let rows = top.enumerated().map {
            Recommendation(rank: $0.offset + 1, item: $0.element.id, score: $0.element.score)
        }
        if json {
            try printJSON(rows)
            return
        }
        let subject = user.map { "user \($0)" } ?? "the given history"
        say(
            "Top \(rows.count) for \(subject) (\(historyLength) items of history, "
                + "\(package.manifest.config.model.rawValue)):")
        for row in rows {
            say(String(format: "%3d  ", row.rank) + row.item + String(format: "  %.4f", row.score))
        }
    }
}
