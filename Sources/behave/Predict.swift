import ArgumentParser
import Classifiers
import Foundation
import TensorEngine

/// `behave predict`: scores a table with a trained classifier.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the rows of a CSV/TSV table with a classifier from `behave train --task classify`.",
        discussion: """
            Writes the input columns plus probability, decision (1 at or above the threshold) and \
            error. Columns are matched by name; extra columns are copied through; a missing \
            column is an error. Unseen categories count as the column's "other" value and empty \
            cells are imputed as in training. A row that cannot be scored keeps its place with \
            the reason in the error column.

            Example:
              behave predict models/intent --data new_sessions.csv --out scored.csv
            """
    )

    @Argument(help: "The model directory.")
    var modelDirectory: String

    @Option(help: "The table to score.")
    var data: String

    @Option(help: "Where to write the scored rows (CSV).")
    var out: String

    @Option(help: "Decision threshold (default: the model's, the best validation F1).")
    var threshold: Double?

    @Option(help: "Threads for matrix products.")
    var threads: Int = 1

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) {
            throw ValidationError("--threshold must be between 0 and 1 (got \(threshold)).")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        Engine.threadCount = threads
        let classifier = try TableClassifier.load(from: URL(fileURLWithPath: modelDirectory))
        let reporter = ProgressReporter(label: "predict", unit: "rows")
        let summary = try classifier.score(file: data, to: out, threshold: threshold) { reporter.update($0) }
        reporter.finish(summary.scored + summary.failed)
        print("Scored \(ProgressReporter.grouped(summary.scored)) rows of \(data) into \(out) "
            + "(\(ProgressReporter.grouped(summary.positives)) at or above \(String(format: "%.4f", summary.threshold)))"
            + (summary.failed > 0 ? "; \(summary.failed) rows could not be scored (see the error column)." : "."))
        if !summary.extraColumns.isEmpty {
            print("Copied through, not used by the model: " + summary.extraColumns.joined(separator: ", "))
        }
    }
}
