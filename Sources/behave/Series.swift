import ArgumentParser
import EventData
import Foundation

extension SeriesPeriod: ExpressibleByArgument {}

/// `behave series`: regular time series of the store's activity, as CSV.
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Turn the event store into regular time series (active users, sessions, events, purchases, revenue).",
        discussion: """
            Counts, per day or hour (UTC), every period from the first event to the last (or to \
            --at): a period without events is 0, not missing. Metrics (--metrics, comma \
            separated): dau (distinct active users), sessions (starting in the period; source \
            session ids, else a 30-minute gap), events, events:TYPE, purchases, revenue (the sum \
            of purchase values). --by category gives one series per event category; --by \
            ATTRIBUTE one per value of a user attribute, such as segment:NAME from `behave \
            segment` (users without it form "(none)").

            Writes --out as CSV: date, then one column per series (`dau`, or `dau:GROUP` when \
            grouped), which `behave forecast --data` reads.

            Examples:
              behave series --store behavior.db --out daily.csv
              behave series --store behavior.db --metrics dau,revenue --by category --out by-category.csv
              behave series --store behavior.db --metrics events:view --period hour --out hourly.csv
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "What to count, comma separated: dau, sessions, events, events:TYPE, purchases, revenue.")
    var metrics: String = "dau,sessions,events,purchases,revenue"

    @Option(help: "The period: day or hour (UTC).")
    var period: SeriesPeriod = .day

    @Option(help: "One series per group: category, or a user attribute name (such as segment:NAME).")
    var by: String?

    @Option(help: "Only events up to this time (ISO 8601; default: all).")
    var at: String?

    @Option(help: "Where to write the series (CSV).")
    var out: String

    func validate() throws {
        _ = try parsedMetrics()
        if let by, by.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--by: name category or a user attribute, such as segment:NAME.")
        }
        if let at { _ = try parseISOTime(at, option: "--at") }
    }

    func parsedMetrics() throws -> [ActivityMetric] {
        let names = metrics.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var parsed: [ActivityMetric] = []
        for name in names {
            guard let metric = ActivityMetric(parsing: name) else {
                throw ValidationError(
                    "--metrics \(metrics): '\(name)' is not a metric; use "
                        + ActivityMetric.names.joined(separator: ", ") + ".")
            }
            if !parsed.contains(metric) { parsed.append(metric) }
        }
        return parsed
    }

    func run() throws {
        let metrics = try parsedMetrics()
        try checkOutputFile(out, option: "--out")
        let store = try storeOptions.openForReading()
        let grouping = try SeriesGrouping.parsing(by: by, in: store, path: storeOptions.store)
        let series = try ActivitySeries.compute(
            from: store, metrics: metrics, period: period, grouping: grouping,
            until: try at.map { try parseISOTime($0, option: "--at") })
        try writeOutputText(series.csv(), to: out, option: "--out")
        say(
            "Wrote \(series.columns.count) series of \(ProgressReporter.grouped(series.count)) \(period.rawValue)s "
                + "(\(series.period.label(series.start)) to \(series.period.label(series.periodStart(series.count - 1)))) to \(out)."
        )
    }
}

extension SeriesGrouping {
    /// The grouping `--by` names (nil: none, `category`, or a user attribute), checked against
    /// the store: an attribute no user has is an error that says what to use instead.
    static func parsing(by: String?, in store: any EventStore, path: String) throws -> SeriesGrouping {
        let grouping: SeriesGrouping =
            switch by {
            case nil: .none
            case "category": .category
            case let name?: .userAttribute(name)
            }
        if case .userAttribute(let name) = grouping,
            !(try store.attributes(kind: .user).values.contains { $0[name] != nil })
        {
            throw ValidationError(
                "--by \(name): no user in \(path) has that attribute; use category, or an attribute "
                    + "that `behave describe` lists (segments are stored as segment:NAME by `behave segment`).")
        }
        return grouping
    }
}
