import ArgumentParser
import Classifiers
import Foundation
import NeuralNet
import TensorEngine

/// `behave predict`: scores a table, or an event store's users, with a trained classifier.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Score a CSV/TSV table (`train classify` models) or an event store's users (`behave train purchase|churn` models).",
        discussion: """
            A table model (--data): writes the input columns plus probability, decision (1 at or \
            above the threshold) and error. Columns are matched by name; extra columns are \
            copied through; a missing column is an error. Unseen categories count as the \
            column's "other" value and empty cells are imputed as in training. A row that cannot \
            be scored keeps its place with the reason in the error column.

            A purchase or churn model (--store): scores every user with an event at or before \
            --at (default: the latest stored event), using only those events, and writes \
            user_id, events, last_event, probability, decision and error. The probability is for the \
            model's window after --at (as trained, e.g. a purchase within 7 days). Items the \
            model never saw share its unknown token.

            The output appears only when scoring has finished (it is written under a temporary \
            name first), so a failed run leaves no partial file.

            Examples:
              behave predict models/intent --data new_sessions.csv --out scored.csv
              behave predict models/purchase-lstm --store behavior.db --out purchase_scores.csv
            """
    )

    @Argument(help: "The model directory.")
    var modelDirectory: String

    @Option(help: "The table to score (models from `behave train classify`).")
    var data: String?

    @Option(help: "The event store whose users to score (models from `behave train purchase|churn`).")
    var store: String?

    @Option(help: "With --store: the scoring time as ISO 8601 (default: the latest stored event).")
    var at: String?

    @Option(help: "Where to write the scores (CSV).")
    var out: String

    @Option(parsing: .unconditional, help: "Decision threshold (default: the model's, the best validation F1).")
    var threshold: Double?

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print a summary of the run as JSON.")
    var json = false

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) {
            throw ValidationError("--threshold must be between 0 and 1 (got \(threshold)).")
        }
        guard (data == nil) != (store == nil) else {
            throw ValidationError(
                "Give --data FILE for a table model or --store FILE for a purchase/churn model (one of them).")
        }
        if at != nil && store == nil { throw ValidationError("--at belongs to --store scoring.") }
    }

    func run() throws {
        threads.apply()
        let directory = URL(fileURLWithPath: modelDirectory)
        let task = ModelDirectoryTask.read(directory)
        if task == "next-item" {
            throw ValidationError(
                "\(modelDirectory) holds a next-item recommender, which ranks items rather than scoring rows: "
                    + "use `behave recommend \(modelDirectory) --user ID` (or --history id,id,...).")
        }
        try checkOutputFile(out, option: "--out")
        if let data {
            guard task == nil || task == "classify" else {
                throw ValidationError(
                    "\(modelDirectory) holds a '\(task ?? "")' model, which scores an event store: use --store instead of --data."
                )
            }
            try scoreTable(try TableClassifier.load(from: directory), data: data)
        } else if let store {
            guard task == nil || task == "purchase" || task == "churn" else {
                throw ValidationError(
                    "\(modelDirectory) holds a '\(task ?? "")' model, which scores a table: use --data instead of --store."
                )
            }
            let classifier = try UserOutcomeClassifier.load(from: directory)
            let events = try StoreOptions.openForReading(path: store)
            let time = try at.map { try parseISOTime($0, option: "--at") }
            let reporter = ProgressReporter(label: "predict", unit: "users")
            let summary = try classifier.score(store: events, at: time, to: out, threshold: threshold) {
                reporter.update($0)
            }
            reporter.finish(summary.users + summary.failed)
            if json {
                try printJSON(summary)
                return
            }
            let when = ISO8601DateFormatter().string(
                from: Date(timeIntervalSince1970: Double(summary.referenceTime) / 1_000))
            say(
                "Scored \(ProgressReporter.grouped(summary.users)) users of \(store) as of \(when) into \(out) "
                    + "(\(ProgressReporter.grouped(summary.positives)) at or above \(String(format: "%.4f", summary.threshold)))"
                    + (summary.failed > 0
                        ? "; \(summary.failed) users could not be scored (see the error column)." : "."))
        }
    }

    private func scoreTable(_ classifier: TableClassifier, data: String) throws {
        let reporter = ProgressReporter(label: "predict", unit: "rows")
        let summary = try classifier.score(file: data, to: out, threshold: threshold) { reporter.update($0) }
        reporter.finish(summary.scored + summary.failed)
        if json {
            try printJSON(summary)
            return
        }
        say(
            "Scored \(ProgressReporter.grouped(summary.scored)) rows of \(data) into \(out) "
                + "(\(ProgressReporter.grouped(summary.positives)) at or above \(String(format: "%.4f", summary.threshold)))"
                + (summary.failed > 0 ? "; \(summary.failed) rows could not be scored (see the error column)." : "."))
        if !summary.extraColumns.isEmpty {
            say("Copied through, not used by the model: " + summary.extraColumns.joined(separator: ", "))
        }
    }
}

/// The `task` a model directory's config.json names, or nil when it names none (the loaders
/// then report what is wrong with the directory).
enum ModelDirectoryTask {
    private struct Header: Decodable { var task: String }

    static func read(_ directory: URL) -> String? {
        let url = directory.appendingPathComponent(Checkpoint.configFileName)
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: data).task
    }
}
