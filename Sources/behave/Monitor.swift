import ArgumentParser
import Classifiers
import EventData
import FileIO
import Foundation
import Monitoring
import Recommenders
import Serving

/// `behave monitor`: recent data against the training profile a model keeps in its bundle.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Compare recent data, and the model's scores on it, with what the model was trained on.",
        discussion: """
            Every model bundle keeps a profile of its training data (profile.json): a distribution \
            per input feature, per-event and per-user figures for event models, and the model's \
            scores on validation. This command profiles recent data the same way and reports, per \
            feature, a drift statistic against its threshold: numbers by the Wasserstein distance \
            over the training standard deviation (0.05), categories by the Jensen-Shannon distance \
            (0.1), scores by the population stability index (0.1). Each threshold is raised to \
            what sampling noise reaches in 1 of 1,000 no-change comparisons of that size. The \
            data has drifted when half the features have, or the scores have.

            Event models (--store): the events after the model's training data by default \
            (--since, --until to choose), their type, item, gap and known-item mix, history \
            lengths, and for purchase and churn models the feature table of every user the model \
            would score at --until. Table models (--data): the rows of a CSV/TSV file.

            Examples:
              behave monitor models/purchase-mlp --store behavior.db --html drift.html
              behave monitor shop-recs --registry registry --since 2026-11-01 --json
              behave monitor models/intent --data new_sessions.csv --fail-on-drift
            """
    )

    @Argument(help: "The model directory, or with --registry a model name (its live version).")
    var model: String

    @Option(help: "A model registry folder: MODEL names a model there.")
    var registry: String?

    @Option(
        help: "The event store (event models; default: the store a next-item model was trained on, else behavior.db).")
    var store: String?

    @Option(help: "With --store: the first event time to compare, ISO 8601 (default: just after the training data).")
    var since: String?

    @Option(help: "With --store: the last event time to compare, ISO 8601 (default: the latest stored event).")
    var until: String?

    @Option(help: "A CSV/TSV table to compare (models from `behave train classify`).")
    var data: String?

    @Option(help: "Also write the report as an HTML page with a plot per drifted feature.")
    var html: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Exit with status 3 when the data has drifted (for scheduled checks).")
    var failOnDrift = false

    @Option(parsing: .unconditional, help: "Threshold for numbers: Wasserstein distance over the training deviation.")
    var wasserstein: Double?

    @Option(parsing: .unconditional, help: "Threshold for categories: Jensen-Shannon distance.")
    var jensenShannon: Double?

    @Option(parsing: .unconditional, help: "Threshold for the scores: population stability index.")
    var psi: Double?

    @Option(parsing: .unconditional, help: "The share of drifted features from which the data has drifted.")
    var driftShare: Double?

    @Flag(help: "Keep the thresholds fixed instead of raising them to the sampling noise of small samples.")
    var noNoiseGuard = false

    @OptionGroup var threads: ThreadOptions

    func settings() throws -> DriftSettings {
        var settings = DriftSettings()
        settings.wasserstein = wasserstein ?? settings.wasserstein
        settings.jensenShannon = jensenShannon ?? settings.jensenShannon
        settings.populationStability = psi ?? settings.populationStability
        settings.datasetShare = driftShare ?? settings.datasetShare
        settings.noiseGuard = !noNoiseGuard
        do {
            try settings.validate()
        } catch {
            throw ValidationError("--\(error.parameter) is \(error.value); it must be \(error.allowed).")
        }
        return settings
    }

    func validate() throws {
        _ = try settings()
        if data != nil, store != nil || since != nil || until != nil {
            throw ValidationError("--data compares a table; --store, --since and --until belong to event models.")
        }
        if let since { _ = try parseISOTime(since, option: "--since") }
        if let until { _ = try parseISOTime(until, option: "--until") }
        if let html { try checkOutputFile(html, option: "--html") }
    }

    func run() throws {
        threads.apply()
        let (report, profile, window) = try makeReport()
        if let html {
            let file = try OutputFile(path: html)
            try file.write(Data(report.htmlPage(title: model).utf8))
            try file.commit()
        }
        if json {
            try printJSON(report)
        } else {
            printReport(report, profile: profile, window: window)
        }
        if failOnDrift, report.drifted { throw ExitCode(3) }
    }

    /// The report, the profile it compared with, and the window of events compared (event
    /// models).
    func makeReport() throws -> (report: DriftReport, profile: TrainingProfile, window: ClosedRange<Int64>?) {
        let directory = try modelDirectory()
        let profile: TrainingProfile
        do {
            profile = try TrainingProfile.load(from: directory)
        } catch {
            throw ValidationError(error.localizedDescription)
        }
        let task = ModelDirectoryTask.read(directory)
        let recent: RecentData
        var window: ClosedRange<Int64>?
        switch task {
        case "classify":
            guard let data else {
                throw ValidationError("\(model) is a table classifier: pass the rows to compare with --data FILE.")
            }
            recent = try TableClassifier.load(from: directory).recentData(file: data)
        case "purchase", "churn", "next-item":
            guard data == nil else {
                throw ValidationError("\(model) reads events: compare an event store with --store, not --data.")
            }
            let classifier = task == "next-item" ? nil : try UserOutcomeClassifier.load(from: directory)
            let package = task == "next-item" ? try NextItemPackage.load(from: directory) : nil
            let opened =
                try package.map { try modelStore(option: store, recorded: $0.manifest.store, modelDirectory: model) }
                ?? StoreOptions.openForReading(path: store ?? "behavior.db")
            let range = try recentWindow(store: opened, profile: profile)
            window = range
            var histories: [UserHistory] = []
            try opened.forEachUserHistory { histories.append($0) }
            let items = try opened.itemIDs()
            if let classifier {
                recent = classifier.recentData(
                    histories: histories, itemIDs: items, window: range, at: range.upperBound,
                    watermark: profile.watermark)
            } else if let package {
                recent = package.recentData(
                    histories: histories, itemIDs: items, window: range, watermark: profile.watermark)
            } else {
                preconditionFailure("monitor: an event model is a classifier or a package")
            }
        default:
            throw ValidationError(
                "\(model) holds a \(task ?? "model of unknown kind"); monitor works on `behave train` models "
                    + "(classify, purchase, churn, next-item).")
        }
        guard recent.rows > 0, recent.facts["events"] != 0 else {
            throw ValidationError(
                data.map { "\($0) has no rows to compare." }
                    ?? "No events in the window compared; pick another --since / --until.")
        }
        return (profile.compare(with: recent, settings: try settings()), profile, window)
    }

    /// The model's folder: MODEL itself, or its live version in --registry.
    func modelDirectory() throws -> URL {
        guard let registry else { return URL(fileURLWithPath: model) }
        let models = ModelRegistry(root: URL(fileURLWithPath: registry))
        guard let live = try models.liveVersion(of: model) else {
            throw ValidationError(
                "\(registry) has no live version of \(model); `behave models list --registry \(registry)` shows what it has."
            )
        }
        return live.directory
    }

    /// The events to compare: --since (default just after the watermark) to --until (default the
    /// newest stored event).
    func recentWindow(store: any EventStore, profile: TrainingProfile) throws -> ClosedRange<Int64> {
        let description = try store.describe()
        guard let last = description.lastTimestamp else {
            throw ValidationError("\(store.location) holds no events; ingest the recent events first.")
        }
        let end = try until.map { try parseISOTime($0, option: "--until") } ?? last
        let start = try since.map { try parseISOTime($0, option: "--since") } ?? ((profile.watermark ?? last) + 1)
        guard start <= end else {
            let formatter = ISO8601DateFormatter()
            let time = { (ms: Int64) in formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1_000)) }
            throw ValidationError(
                since == nil
                    ? "\(store.location) has no events after the model's training data (up to \(time(start - 1))); "
                        + "ingest newer events, or pass --since to compare an earlier stretch."
                    : "--since \(time(start)) is after --until \(time(end)); pick a start before the end.")
        }
        return start...end
    }

    private func printReport(_ report: DriftReport, profile: TrainingProfile, window: ClosedRange<Int64>?) {
        let formatter = ISO8601DateFormatter()
        let time = { (ms: Int64) in formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1_000)) }
        var trained = "Trained on \(ProgressReporter.grouped(profile.rows)) \(profile.unit)"
        if let first = profile.firstEvent, let last = profile.lastEvent {
            trained += " with events from \(time(first)) to \(time(last))"
        }
        say(trained + ".")
        var recent = "Recent: \(ProgressReporter.grouped(report.recentRows)) \(profile.unit)"
        if let window { recent += ", events from \(time(window.lowerBound)) to \(time(window.upperBound))" }
        let facts = report.facts.sorted { $0.key < $1.key }.map { "\($0.key) \(ProgressReporter.grouped($0.value))" }
        say(recent + (facts.isEmpty ? "" : " (" + facts.joined(separator: ", ") + ")") + ".")
        let rows = ((report.scores.map { [$0] } ?? []) + report.features).map { drift in
            [
                drift.name, drift.group, drift.statistic, String(format: "%.4f", drift.value),
                String(format: "%.4f", drift.threshold), drift.drifted ? "DRIFTED" : "ok",
            ]
        }
        say(textTable(header: ["feature", "group", "statistic", "value", "threshold", ""], rows: rows))
        say(
            "\(report.driftedFeatures) of \(report.features.count) features drifted "
                + String(format: "(%.1f%%)", report.driftedShare * 100)
                + (report.scores.map { $0.drifted ? "; the scores drifted" : "; the scores did not" } ?? "")
                + ". Verdict: \(report.verdict)." + (html.map { " Plots: \($0)." } ?? ""))
    }
}
