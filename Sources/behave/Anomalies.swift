import Anomalies
import ArgumentParser
import Embeddings
import EventData
import Foundation

extension AnomalyMethod: ExpressibleByArgument {}

/// `behave anomalies`: scores every row of a table by how unusual it is.
struct AnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Score every row of a CSV/TSV table by how unusual it is, and flag the most unusual.",
        discussion: """
            Fits a detector on --fit (rows taken as normal; labels are never needed) or, without \
            it, on the scored table itself, then writes the input columns plus anomaly_score \
            (higher = more anomalous), flag (1 for flagged rows), reasons (for flagged rows, the \
            columns that contribute most, with their share) and error (why a row could not be \
            scored; it keeps its place).

            Columns are read as in `behave train classify`: kinds inferred (identifier-like \
            columns ignored; override with --kind name=kind, e.g. --kind label=ignored to keep a \
            label out), missing cells imputed, numbers z-scored (log-scaled when right-skewed), \
            categories one-hot, all fitted on the reference rows.

            Methods: iforest (isolation forest, 100 trees of 256 rows), ae (autoencoder: mean \
            squared reconstruction error), vae (variational autoencoder: negative ELBO). Reasons \
            are each column's share of the reconstruction error (ae, vae) or of the row's \
            squared distance from the reference's mean in standard deviations (iforest).

            The cut: --contamination P flags the top P of the scored rows; --false-positive-rate \
            R flags rows scoring above all but R of the reference rows. Default: 1% false \
            positives with --fit, 1% contamination without.

            Examples:
              behave anomalies --data orders.csv --out orders_scored.csv
              behave anomalies --data today.csv --fit last_month.csv --model vae --false-positive-rate 0.005 --out flagged.csv
            """
    )

    @Option(help: "The CSV or TSV table to score.")
    var data: String

    @Option(help: "A table of normal rows to fit on (default: the scored table itself).")
    var fit: String?

    @Option(help: "The detector: iforest, ae or vae.")
    var model: AnomalyMethod = .isolationForest

    @Option(help: "Where to write the scored rows (CSV).")
    var out: String

    @Option(parsing: .unconditional, help: "Flag this share of the scored rows (e.g. 0.01).")
    var contamination: Double?

    @Option(parsing: .unconditional, help: "Flag rows above all but this share of the --fit rows (e.g. 0.01).")
    var falsePositiveRate: Double?

    @Option(
        name: .customLong("kind"),
        help: "A column's kind, name=numeric|boolean|categorical|month|weekday|ignored (repeatable).")
    var kinds: [String] = []

    @Option(parsing: .unconditional, help: "Seeds the forest or the autoencoder.")
    var seed: Int = 42

    @Option(parsing: .unconditional, help: "iforest: the number of trees.")
    var trees: Int?

    @Option(parsing: .unconditional, help: "iforest: rows per tree.")
    var sampleSize: Int?

    @Option(help: "ae, vae: encoder widths, input side first (default 64,32).")
    var hiddenLayers: String?

    @Option(parsing: .unconditional, help: "ae, vae: the code's width (default: a third of the inputs, 2 to 16).")
    var latentSize: Int?

    @Option(parsing: .unconditional, help: "ae, vae: the most passes over the rows.")
    var epochs: Int?

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print a summary of the run as JSON.")
    var json = false

    func validate() throws {
        _ = try config()
        _ = try threshold()
        _ = try columnKindOverrides(kinds)
    }

    /// The detector's settings from the flags, validated.
    func config() throws -> AnomalyConfig {
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed)).") }
        var config = AnomalyConfig(method: model, seed: UInt64(seed))
        config.threads = threads.threads
        if let trees { config.forest.trees = trees }
        if let sampleSize { config.forest.sampleSize = sampleSize }
        if let hiddenLayers {
            let parts = hiddenLayers.split(separator: ",", omittingEmptySubsequences: false)
            let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard widths.count == parts.count else {
                throw ValidationError("--hidden-layers \(hiddenLayers): write widths separated by commas, like 64,32.")
            }
            config.autoencoder.hiddenSizes = widths
        }
        if let latentSize { config.autoencoder.latentSize = latentSize }
        if let epochs { config.autoencoder.epochs = epochs }
        do {
            try config.validate()
        } catch {
            throw flagError(error)
        }
        return config
    }

    /// The cut from the flags, validated.
    func threshold() throws -> AnomalyThreshold {
        let threshold = try chosenThreshold()
        do {
            try threshold.validate()
        } catch {
            throw flagError(error)
        }
        return threshold
    }

    private func chosenThreshold() throws -> AnomalyThreshold {
        switch (contamination, falsePositiveRate) {
        case (.some, .some):
            throw ValidationError("Give --contamination or --false-positive-rate, not both.")
        case (.some(let share), nil):
            return .contamination(share)
        case (nil, .some(let share)):
            guard fit != nil else {
                throw ValidationError(
                    "--false-positive-rate needs --fit (rows taken as normal); without it use --contamination.")
            }
            return .falsePositiveRate(share)
        case (nil, nil):
            return fit == nil ? .contamination(0.01) : .falsePositiveRate(0.01)
        }
    }

    func run() throws {
        threads.apply()
        let config = try config()
        let threshold = try threshold()
        try checkOutputFile(out, option: "--out")
        let reference = try ReferenceTable.read(path: fit ?? data, overrides: try columnKindOverrides(kinds))
        note(
            "Fitting \(model.rawValue) on \(ProgressReporter.grouped(reference.rows)) rows of \(reference.path) "
                + "(\(reference.encoder.columns.count) columns, \(reference.encoder.width) features)"
                + (reference.rejected.isEmpty ? "." : "; \(reference.rejected.count) rows left out."))
        for rejection in reference.rejected.prefix(5) {
            note("  line \(rejection.line): \(rejection.reason)")
        }
        let ignored = reference.profiles.filter { $0.kind == .ignored }
        if !ignored.isEmpty {
            note("Not used: " + ignored.map { $0.name + ($0.note.map { " (\($0))" } ?? "") }.joined(separator: ", "))
        }
        let reporter = ProgressReporter(label: "fit", total: nil, unit: "epochs")
        let detector = try AnomalyDetector.fit(features: reference.features, encoder: reference.encoder, config: config)
        {
            reporter.log(
                "epoch \($0.epoch)  loss \(String(format: "%.4f", $0.loss))  val loss "
                    + String(format: "%.4f", $0.validation?.report ?? .nan) + ($0.isBest ? "  (best)" : ""))
        }
        let scoring = ProgressReporter(label: "score", unit: "rows")
        let summary = try detector.score(file: data, to: out, threshold: threshold) { scoring.update($0) }
        scoring.finish(summary.scored + summary.failed)
        if json {
            try printJSON(summary)
            return
        }
        let rule: String
        switch threshold {
        case .contamination(let share): rule = "the top \(percent(share)) of the scored rows"
        case .falsePositiveRate(let share): rule = "above all but \(percent(share)) of the --fit rows"
        }
        say(
            "Scored \(ProgressReporter.grouped(summary.scored)) rows of \(data) into \(out): "
                + "\(ProgressReporter.grouped(summary.flagged)) flagged (score >= \(String(format: "%.4g", summary.cut)), "
                + "\(rule))"
                + (summary.failed > 0 ? "; \(summary.failed) rows could not be scored (see the error column)." : "."))
    }

    private func percent(_ share: Double) -> String {
        String(format: "%g%%", share * 100)
    }
}
