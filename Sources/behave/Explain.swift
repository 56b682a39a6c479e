import ArgumentParser
import Classifiers
import EventData
import Explanations
import FileIO
import Foundation
import Recommenders

/// `behave explain`: which inputs drove a model's score.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain a model's scores: how much each column or feature moved a row's or user's probability.",
        discussion: """
            Integrated gradients (Sundararajan et al. 2017) from a baseline row (every numeric column at \
            its training mean, booleans false, no category, nothing missing) to the row, summed per input column: the \
            attributions add up to the row's probability minus the baseline's, and the path points \
            double until they do within --tolerance (the gap is reported).

            --shapley gives exact Shapley values of the columns instead (every coalition of columns \
            scored, a column leaving by taking its baseline features; up to 12 columns).

            A purchase or churn model is explained for one user of the store (--store, --user, --at): \
            an MLP per feature, from the average training user; a sequence model (LSTM, GRU, CNN) per \
            past event it read (time, type, item, category), from the same events with nothing known \
            about them. A next-item model (SASRec, GRU4Rec) is explained for a user's recommendation \
            (--store and --user, or --history; --item or the top item): per past item, from the same positions with \
            nothing known, its score (the logit it ranks by); SASRec adds the attention the last \
            position paid to each item and the attention rollout over the blocks.

            Examples:
              behave explain models/intent --data sessions.csv --first 3
              behave explain models/intent --data sessions.csv --line 2 --line 40 --json
              behave explain models/purchase --store behavior.db --user u42 --at 2024-03-01
              behave explain models/sasrec --store behavior.db --user u42 --top 10
              behave explain models/sasrec --history i3,i9,i4 --item i7
            """
    )

    @Argument(help: "The model directory.")
    var modelDirectory: String

    @Option(help: "The table whose rows to explain (a table model).")
    var data: String?

    @Option(help: "The event store of the user to explain (a purchase, churn or next-item model).")
    var store: String?

    @Option(help: "With --store: the user (as stored).")
    var user: String?

    @Option(help: "With --store: the scoring time as ISO 8601 (default: the user's latest event).")
    var at: String?

    @Option(help: "With a next-item model: the item to explain (default: the top recommendation).")
    var item: String?

    @Option(help: "A next-item model's history instead of --store and --user: item ids, oldest first, like i3,i9.")
    var history: String?

    @Option(help: "A file line to explain (repeatable; line 1 is the header).")
    var line: [Int] = []

    @Option(parsing: .unconditional, help: "Without --line: how many rows from the top to explain.")
    var first = 5

    @Option(parsing: .unconditional, help: "Columns listed per row in the text output.")
    var top = 5

    @Option(
        parsing: .unconditional,
        help: "Path points tried first (more go where the sum falls short, up to 1024 in all, until it is close).")
    var steps = 16

    @Option(
        parsing: .unconditional,
        help: "Largest gap allowed between the attributions' sum and the score change, as a share.")
    var tolerance = 0.01

    @Flag(help: "Exact Shapley values of the columns instead (every coalition scored; at most 12 columns).")
    var shapley = false

    @Flag(help: "Print JSON (every column of every row) instead of text.")
    var json = false

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard [data != nil, store != nil, history != nil].filter({ $0 }).count == 1 else {
            throw ValidationError(
                "Give --data FILE for a table model, --store FILE --user ID for a purchase, churn or next-item model, "
                    + "or --history IDS for a next-item model (one of them).")
        }
        if store != nil && user == nil { throw ValidationError("--store needs --user ID: the user to explain.") }
        if store == nil && (user != nil || at != nil) { throw ValidationError("--user and --at belong to --store.") }
        if store != nil && shapley {
            throw ValidationError("--shapley explains table models; a purchase or churn model has too many features.")
        }
        guard first >= 1 else { throw ValidationError("--first must be at least 1.") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
        guard (1...1_024).contains(steps) else { throw ValidationError("--steps must be between 1 and 1024.") }
        guard tolerance.isFinite, tolerance >= 0 else { throw ValidationError("--tolerance must be 0 or more.") }
        if let bad = line.first(where: { $0 < 2 }) {
            throw ValidationError("--line \(bad): data rows start on line 2 (line 1 is the header).")
        }
    }

    func run() throws {
        threads.apply()
        let directory = URL(fileURLWithPath: modelDirectory)
        let task = ModelDirectoryTask.read(directory)
        if let history {
            guard task == "next-item" else {
                throw ValidationError(
                    "\(modelDirectory) holds a '\(task ?? "")' model; --history explains next-item models.")
            }
            return try explainRecommendation(history: history, directory: directory)
        }
        if let store, let user {
            if task == "next-item" { return try explainRecommendation(user, store: store, directory: directory) }
            guard task == nil || task == "purchase" || task == "churn" else {
                throw ValidationError(
                    "\(modelDirectory) holds a '\(task ?? "")' model; --store explains purchase, churn and next-item "
                        + "models (a table model takes --data).")
            }
            return try explainUser(user, store: store, directory: directory)
        }
        if item != nil {
            throw ValidationError("--item belongs to a next-item model (--store and --user, or --history).")
        }
        guard let data, task == nil || task == "classify" else {
            throw ValidationError(
                "\(modelDirectory) holds a '\(task ?? "")' model; --data explains table models "
                    + "(`behave train classify`); a purchase or churn model takes --store and --user.")
        }
        let classifier = try TableClassifier.load(from: directory)
        let method: TableAttribution =
            shapley
            ? .exactShapley
            : .integratedGradients(explainer)
        let explanations = try classifier.explain(
            file: data, lines: line.isEmpty ? nil : line, limit: first, method: method)
        if json { return try printJSON(explanations) }
        for explanation in explanations {
            say(
                String(
                    format: "line %d: probability %.4f (baseline %.4f)", explanation.line, explanation.probability,
                    explanation.baselineProbability))
            printAttributions(
                explanation.columns.map { ($0.column, $0.value, $0.attribution) }, others: "columns",
                steps: "\(explanation.steps) \(shapley ? "coalitions" : "path points")", gap: explanation.relativeGap)
        }
    }

    /// The integrated-gradients settings from the flags.
    private var explainer: IntegratedGradients {
        IntegratedGradients(steps: steps, maximumSteps: max(steps, 1_024), tolerance: tolerance)
    }

    /// The `--top` attributions, the sum of the rest, and how closely they add up.
    private func printAttributions(
        _ attributions: [(name: String, value: String, attribution: Double)], others: String, steps: String,
        gap: Double
    ) {
        for entry in attributions.prefix(top) {
            say(String(format: "  %+.4f  ", entry.attribution) + "\(entry.name) = \(entry.value)")
        }
        if attributions.count > top {
            let rest = attributions.dropFirst(top).reduce(0.0) { $0 + $1.attribution }
            say(String(format: "  %+.4f  ", rest) + "\(attributions.count - top) other \(others)")
        }
        say("  (\(steps); the attributions add up to the " + String(format: "change within %.2f%%)", 100 * gap))
    }

    /// Explains a next-item model's recommendation for one user of the store.
    private func explainRecommendation(_ user: String, store path: String, directory: URL) throws {
        if at != nil {
            throw ValidationError("--at applies to purchase and churn models; a next-item model reads every event.")
        }
        let package = try NextItemPackage.load(from: directory)
        let store = try StoreOptions.openForReading(path: path)
        try printRecommendation(
            try package.explain(forUser: user, in: store, item: item, explainer: explainer), for: "user \(user)")
    }

    /// Explains a next-item model's recommendation after a history given as item ids.
    private func explainRecommendation(history: String, directory: URL) throws {
        let package = try NextItemPackage.load(from: directory)
        let ids = history.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let indexes = try package.itemIndexes(of: ids)
        let target = try item.map { try package.itemIndexes(of: [$0])[0] }
        try printRecommendation(
            try package.explain(after: indexes, item: target, explainer: explainer),
            for: "after \(ids.count) item\(ids.count == 1 ? "" : "s")")
    }

    /// A recommendation's explanation as text (or JSON).
    private func printRecommendation(_ explanation: RecommendationExplanation, for subject: String) throws {
        if json { return try printJSON(explanation) }
        say(
            "\(subject): item \(explanation.item) scores "
                + String(
                    format: "%.4f (the same %d positions with nothing known %.4f)", explanation.score,
                    explanation.events.count, explanation.baselineScore))
        printAttributions(
            explanation.events.sorted { abs($0.attribution) > abs($1.attribution) }.map { event in
                let when = [event.time.map { Describe.date($0) }, event.type].compactMap { $0 }.joined(separator: " ")
                let attention = event.rollout.map { String(format: " (attention rollout %.3f)", $0) } ?? ""
                let name = when.isEmpty ? "item" : "\(when) item"
                return (name, "\(event.item)\(event.category.map { ", \($0)" } ?? "")\(attention)", event.attribution)
            }, others: "items", steps: "\(explanation.steps) path points", gap: explanation.relativeGap)
    }

    /// Explains a purchase or churn model's probability for one user of the store.
    private func explainUser(_ user: String, store path: String, directory: URL) throws {
        if item != nil {
            throw ValidationError("--item belongs to next-item models; a purchase or churn model scores users.")
        }
        let classifier = try UserOutcomeClassifier.load(from: directory)
        let store = try StoreOptions.openForReading(path: path)
        let events = try store.events(forUser: user)
        guard let last = events.last?.timestamp else {
            throw ValidationError(
                "\(path) has no events of user '\(user)' (ids are as stored; `behave describe` counts them).")
        }
        let time = try at.map { try parseISOTime($0, option: "--at") } ?? last
        let explanation = try classifier.explain(
            UserHistory(user: 0, userID: user, events: events), at: time, itemIDs: try store.itemIDs(),
            explainer: explainer)
        if json { return try printJSON(explanation) }
        if !explanation.events.isEmpty {
            say(
                "user \(user) as of \(Describe.date(time)): "
                    + String(
                        format: "probability %.4f (the same %d events with nothing known about them %.4f)",
                        explanation.probability, explanation.events.count, explanation.baselineProbability))
            printAttributions(
                explanation.events.sorted { abs($0.attribution) > abs($1.attribution) }.map { event in
                    let what = [
                        event.item.map { "item \($0)" }, event.category, event.value.map { CSVText.number($0) },
                    ]
                    .compactMap { $0 }.joined(separator: ", ")
                    return ("\(Describe.date(event.time)) \(event.type)", what.isEmpty ? "-" : what, event.attribution)
                }, others: "events", steps: "\(explanation.steps) path points", gap: explanation.relativeGap)
            return
        }
        say(
            "user \(user) as of \(Describe.date(time)): "
                + String(
                    format: "probability %.4f (the average training user %.4f)", explanation.probability,
                    explanation.baselineProbability))
        printAttributions(
            explanation.features.map { feature in
                let value =
                    feature.value == feature.value.rounded()
                    ? CSVText.number(feature.value) : String(format: "%.4g", feature.value)
                return (feature.feature, value, feature.attribution)
            }, others: "features", steps: "\(explanation.steps) path points", gap: explanation.relativeGap)
    }
}
