import ArgumentParser
import Classifiers
import Explanations
import Foundation

/// `behave explain`: which inputs drove a model's score.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain a table model's scores: how much each column moved each row's probability.",
        discussion: """
            Integrated gradients (Sundararajan et al. 2017) from a baseline row (every numeric column at \
            its training mean, booleans false, no category, nothing missing) to the row, summed per input column: the \
            attributions add up to the row's probability minus the baseline's, and the path points \
            double until they do within --tolerance (the gap is reported).

            --shapley gives exact Shapley values of the columns instead (every coalition of columns \
            scored, a column leaving by taking its baseline features; up to 12 columns).

            Table models (`behave train classify`) so far; purchase, churn and next-item models are not \
            explained yet.

            Examples:
              behave explain models/intent --data sessions.csv --first 3
              behave explain models/intent --data sessions.csv --line 2 --line 40 --json
            """
    )

    @Argument(help: "The model directory.")
    var modelDirectory: String

    @Option(help: "The table whose rows to explain.")
    var data: String

    @Option(help: "A file line to explain (repeatable; line 1 is the header).")
    var line: [Int] = []

    @Option(parsing: .unconditional, help: "Without --line: how many rows from the top to explain.")
    var first = 5

    @Option(parsing: .unconditional, help: "Columns listed per row in the text output.")
    var top = 5

    @Option(parsing: .unconditional, help: "Path points tried first (doubled up to 1024 until the sum is close).")
    var steps = 32

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
        guard task == nil || task == "classify" else {
            throw ValidationError(
                "\(modelDirectory) holds a '\(task ?? "")' model; `behave explain` explains table models "
                    + "(`behave train classify`) so far.")
        }
        let classifier = try TableClassifier.load(from: directory)
        let method: TableAttribution =
            shapley
            ? .exactShapley
            : .integratedGradients(
                IntegratedGradients(steps: steps, maximumSteps: max(steps, 1_024), tolerance: tolerance))
        let explanations = try classifier.explain(
            file: data, lines: line.isEmpty ? nil : line, limit: first, method: method)
        if json { return try printJSON(explanations) }
        for explanation in explanations {
            say(
                String(
                    format: "line %d: probability %.4f (baseline %.4f)", explanation.line, explanation.probability,
                    explanation.baselineProbability))
            for column in explanation.columns.prefix(top) {
                say(String(format: "  %+.4f  ", column.attribution) + "\(column.column) = \(column.value)")
            }
            let rest = explanation.columns.dropFirst(top).reduce(0.0) { $0 + $1.attribution }
            if explanation.columns.count > top {
                say(String(format: "  %+.4f  ", rest) + "\(explanation.columns.count - top) other columns")
            }
            say(
                "  (\(explanation.steps) \(shapley ? "coalitions" : "path points"); the attributions add up to the "
                    + String(format: "change within %.2f%%)", 100 * explanation.relativeGap))
        }
    }
}
