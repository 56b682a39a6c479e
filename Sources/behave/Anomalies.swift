import Anomalies
import ArgumentParser
import Embeddings
import EventData
import FileIO
import Foundation

extension AnomalyMethod: ExpressibleByArgument {}

/// What a store's rows are.
enum AnomalyLevel: String, ExpressibleByArgument, CaseIterable {
    case user, session
}

/// `behave anomalies`: scores every row of a table by how unusual it is.
struct AnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract:
            "Score every row of a table, or every user of an event store, by how unusual it is; flag the most unusual.",
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

            Methods: iforest (isolation forest, 100 trees of 256 rows), dif (deep isolation \
            forest: 6 trees on each of 50 random neural representations, each the row and a \
            random network's 8 outputs), ae (autoencoder: mean \
            squared reconstruction error), vae (variational autoencoder: negative ELBO). Reasons \
            are each column's share of the reconstruction error (ae, vae) or of the row's \
            squared distance from the reference's mean in standard deviations (iforest, dif).

            The cut: --contamination P flags the top P of the scored rows; --false-positive-rate \
            R flags rows scoring above all but R of the reference rows. Default: 1% false \
            positives with --fit, 1% contamination without.

            An event store (--store) is scored per user (--level user, the default): the \
            behaviour features of `behave features` (from the events up to --at) plus shares of \
            the 20 most frequent categories and the busiest minute's event count, fitted on all \
            users; --model rate scores by that busiest minute alone (the rate rule). Writes \
            user, anomaly_score, flag, reasons, and stores each user's flag (1 or 0) as the user \
            attribute anomaly:NAME (--name; default MODEL-DATE). --level session scores each \
            session instead (events, minutes, busiest minute, items, categories, views, carts, \
            purchases, value, dwell, night share, gap since the previous session), writes user, \
            session, start, anomaly_score, flag, reasons, and stores each user's flagged \
            session ids as anomaly-sessions:NAME.

            Examples:
              behave anomalies --data orders.csv --out orders_scored.csv
              behave anomalies --store behavior.db --contamination 0.02 --out suspicious_users.csv
              behave anomalies --data today.csv --fit last_month.csv --model vae --false-positive-rate 0.005 --out flagged.csv
            """
    )

    @Option(help: "The CSV or TSV table to score.")
    var data: String?

    @Option(help: "A table of normal rows to fit on (default: the scored table itself).")
    var fit: String?

    @Option(help: "The event store whose users to score.")
    var store: String?

    @Option(help: "With --store: only events up to this time (ISO 8601; default: all).")
    var at: String?

    @Option(help: "With --store: score users or sessions.")
    var level: AnomalyLevel = .user

    @Option(help: "With --store: the name the flags are stored under (default: MODEL-DATE).")
    var name: String?

    @Option(help: "The detector: iforest, dif, ae, vae, or (with --store) rate.")
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

    @OptionGroup(title: "Autoencoder (ae, vae)") var autoencoder: AutoencoderOptions

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print a summary of the run as JSON.")
    var json = false

    func validate() throws {
        guard (data == nil) != (store == nil) else {
            throw ValidationError("Give --data FILE (a table) or --store FILE (an event store's users), one of them.")
        }
        if store != nil, fit != nil {
            throw ValidationError("--fit belongs to --data tables; a store's users are fitted on all of them.")
        }
        if data != nil, at != nil || name != nil || level != .user {
            throw ValidationError("--at, --name and --level belong to --store scoring.")
        }
        if data != nil, model == .rate {
            throw ValidationError("--model rate scores an event store's users by their events; use --store.")
        }
        if let at { _ = try parseISOTime(at, option: "--at") }
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
        try autoencoder.apply(to: &config.autoencoder)
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
            guard fit != nil || store != nil else {
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
        if let store {
            try scoreStore(store, config: config, threshold: threshold)
            return
        }
        guard let data else { preconditionFailure("validate() requires --data or --store") }
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

    /// What --json prints for a store.
    struct StoreSummary: Encodable {
        var method: AnomalyMethod
        var level: String
        var rows: Int
        var flagged: Int
        var cut: Double
        var storedAs: String
    }

    private func scoreStore(_ path: String, config: AnomalyConfig, threshold: AnomalyThreshold) throws {
        let events = try StoreOptions.openForReading(path: path)
        let time = try at.map { try parseISOTime($0, option: "--at") }
        let sessions = level == .session ? try SessionTable.read(from: events, at: time) : nil
        let table = try sessions?.table ?? UserAnomalies.table(from: events, at: time)
        note(
            "Scoring \(ProgressReporter.grouped(table.rows.count)) \(level.rawValue)s of \(path) on "
                + "\(table.columns.count) features with \(model.rawValue).")
        let result = try UserAnomalies.score(table, config: config, threshold: threshold)
        var text = (sessions == nil ? "user" : "user,session,start") + ",anomaly_score,flag,reasons\n"
        let formatter = ISO8601DateFormatter()
        for (row, user) in table.userIDs.enumerated() {
            let reasons = result.reasons[row].map { "\($0.column) \(Int(($0.share * 100).rounded()))%" }
                .joined(separator: "; ")
            let key =
                sessions.map { table in
                    let session = table.keys[row]
                    return [
                        user, session.session,
                        formatter.string(from: Date(timeIntervalSince1970: Double(session.start) / 1_000)),
                    ]
                } ?? [user]
            text += CSVText.line(
                key + [String(format: "%.6g", result.scores[row]), result.flags[row] ? "1" : "0", reasons])
        }
        try writeOutputText(text, to: out, option: "--out")
        let suffix = storedSetName(name, prefix: model.rawValue, at: at)
        let label = (sessions == nil ? "anomaly:" : "anomaly-sessions:") + suffix
        var values: [String: String] = [:]
        for (row, user) in table.userIDs.enumerated() {
            if let sessions {
                guard result.flags[row] else { continue }
                values[user] = [values[user], sessions.keys[row].session].compactMap { $0 }.joined(separator: " ")
            } else {
                values[user] = result.flags[row] ? "1" : "0"
            }
        }
        _ = try StoreOptions.open(path).ingestAttributes(
            values.keys.sorted().map { AttributeRow(id: $0, values: [label: values[$0] ?? ""]) }, kind: .user)
        let flagged = result.flags.filter { $0 }.count
        if json {
            try printJSON(
                StoreSummary(
                    method: model, level: level.rawValue, rows: table.rows.count, flagged: flagged, cut: result.cut,
                    storedAs: label))
            return
        }
        say(
            "Scored \(ProgressReporter.grouped(table.rows.count)) \(level.rawValue)s into \(out): "
                + "\(ProgressReporter.grouped(flagged)) flagged (score >= \(String(format: "%.4g", result.cut))); "
                + "stored as the user attribute \(label).")
    }

    private func percent(_ share: Double) -> String {
        String(format: "%g%%", share * 100)
    }
}
