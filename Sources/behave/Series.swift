import ArgumentParser
import EventData
import Foundation
import PrivacyAccounting

extension SeriesPeriod: ExpressibleByArgument {}

/// `behave series`: regular time series of the store's activity, as CSV.
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Turn the event store into regular time series (active users, sessions, events, purchases, revenue).",
        discussion: """
            Counts, per day or hour (UTC), every period from the first event to the last (or \
            from --from, until --at): a period without events is 0, not missing. Metrics (--metrics, comma \
            separated): dau (distinct active users), sessions (starting in the period; source \
            session ids, else a 30-minute gap), events, events:TYPE, purchases, revenue (the sum \
            of purchase values). --by category gives one series per event category; --by \
            ATTRIBUTE one per value of a user attribute, such as segment:NAME from `behave \
            segment` (users without it form "(none)").

            Writes --out as CSV: date, then one column per series (`dau`, or `dau:GROUP` when \
            grouped), which `behave forecast --data` reads.

            --dp-epsilon E makes the series differentially private per user: each user adds at \
            most 1 to a period's dau, at most --dp-max-per-period to its sessions, events and \
            purchases, and at most --dp-max-revenue to its revenue, in at most --dp-max-periods \
            periods (each bound chosen privately, with a tenth of ε, when not given), and Gaussian \
            noise calibrated to the budget is added to every period. Give the span (--from and \
            --at), since the first and last events' times would tell who was active when; a \
            private series cannot be grouped. Anything made from it (a forecast, a plot) keeps \
            the guarantee. Release only the metrics you need: each one added widens the noise of \
            all.

            Examples:
              behave series --store behavior.db --out daily.csv
              behave series --store behavior.db --metrics dau,revenue --by category --out by-category.csv
              behave series --store behavior.db --metrics events:view --period hour --out hourly.csv
              behave series --store behavior.db --metrics dau,events --from 2024-01-01 --at 2025-01-01 --dp-epsilon 3 --out private.csv
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "What to count, comma separated: dau, sessions, events, events:TYPE, purchases, revenue.")
    var metrics: String = "dau,sessions,events,purchases,revenue"

    @Option(help: "The period: day or hour (UTC).")
    var period: SeriesPeriod = .day

    @Option(help: "One series per group: category, or a user attribute name (such as segment:NAME).")
    var by: String?

    @OptionGroup var window: SeriesWindowOptions

    @OptionGroup var privacy: SeriesPrivacyOptions

    @Option(help: "Where to write the series (CSV).")
    var out: String

    func validate() throws {
        _ = try parsedMetrics()
        if let by, by.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--by: name category or a user attribute, such as segment:NAME.")
        }
        _ = try window.bounds()
        _ = try privacy.privacy(window: window, grouped: by != nil)
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
        let (from, until) = try window.bounds()
        let series = try ActivitySeries.compute(
            from: store, metrics: metrics, period: period, grouping: grouping, from: from, until: until,
            privacy: try privacy.privacy(window: window, grouped: by != nil))
        try writeOutputText(series.csv(), to: out, option: "--out")
        say(
            "Wrote \(series.columns.count) series of \(ProgressReporter.grouped(series.count)) \(period.rawValue)s "
                + "(\(series.period.label(series.start)) to \(series.period.label(series.periodStart(series.count - 1)))) to \(out)."
        )
        if let statement = series.privacy { say("Privacy: \(statement)") }
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

/// `--from` and `--at`: the window of events a series counts.
struct SeriesWindowOptions: ParsableArguments {
    @Option(help: "Only events from this time (ISO 8601); the series starts with its period.")
    var from: String?

    @Option(
        help: "Only events before this time (ISO 8601; a date is its midnight, so --at 2024-04-01 ends with March 31).")
    var at: String?

    /// The window in epoch milliseconds, checked: each time readable, and `--from` before `--at`.
    func bounds() throws -> (from: Int64?, until: Int64?) {
        let start = try from.map { try parseISOTime($0, option: "--from") }
        let end = try at.map { try parseISOTime($0, option: "--at") }
        if let start, let end, start >= end {
            throw ValidationError("--from \(from ?? "") is not before --at \(at ?? ""): the window would be empty.")
        }
        return (start, end)
    }
}

/// The `--dp-*` flags of a differentially private series (`behave series`, `behave forecast --store`).
struct SeriesPrivacyOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Make the series differentially private per user within this budget ε, like 3.",
            discussion: "Needs --from and --at (the span), and no --by."))
    var dpEpsilon: Double?

    @Option(parsing: .unconditional, help: "δ of the guarantee (default 1e-5; keep it below 1 / users).")
    var dpDelta: Double?

    @Option(help: "How the noise is calibrated: pld (default, exact for one Gaussian release) or rdp.")
    var dpAccountant: String?

    @Option(
        parsing: .unconditional,
        help: "The most one user adds to a period's sessions, events or purchases (default: chosen privately).")
    var dpMaxPerPeriod: Double?

    @Option(
        parsing: .unconditional,
        help: "The most one user's revenue adds to a period, in your currency (default: chosen privately).")
    var dpMaxRevenue: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The quantile of users' values per period (or of their periods active) a bound chosen privately aims at (default \(SeriesPrivacy.defaultBoundQuantile)).",
            discussion:
                "The bounds not given are chosen with \(Int(SeriesPrivacy.boundShare * 100))% of ε by AboveThreshold; "
                + "a higher quantile clips less and adds more noise."))
    var dpBoundQuantile: Double?

    @Option(
        parsing: .unconditional,
        help: "The most periods one user counts in, chosen at random among theirs (default: chosen privately).")
    var dpMaxPeriods: Int?

    @Option(
        parsing: .unconditional,
        help:
            "Seed the noise for a reproducible experiment (default: a secret seed; never publish a series made with a known seed)."
    )
    var dpNoiseSeed: Int?

    /// The budget the flags give (nil without --dp-epsilon), checked against the window and
    /// the grouping: a private series needs its span and cannot be grouped.
    func privacy(window: SeriesWindowOptions, grouped: Bool) throws -> SeriesPrivacy? {
        guard let dpEpsilon else {
            let given = [
                ("--dp-delta", dpDelta != nil), ("--dp-accountant", dpAccountant != nil),
                ("--dp-max-per-period", dpMaxPerPeriod != nil), ("--dp-max-revenue", dpMaxRevenue != nil),
                ("--dp-bound-quantile", dpBoundQuantile != nil),
                ("--dp-max-periods", dpMaxPeriods != nil), ("--dp-noise-seed", dpNoiseSeed != nil),
            ].first(where: \.1)
            if let given {
                throw ValidationError("\(given.0) goes with a budget: add --dp-epsilon (for example 3), or drop it.")
            }
            return nil
        }
        if window.from == nil || window.at == nil {
            throw ValidationError(
                "--dp-epsilon needs the series' span as --from and --at (for example --from 2024-01-01 --at 2025-01-01): "
                    + "taken from the data, the first and last events' times would tell who was active when.")
        }
        if grouped {
            throw ValidationError(
                "--by does not go with --dp-epsilon: the groups (categories, attribute values) come from users' data. "
                    + "Make one series for the whole store, or drop --dp-epsilon.")
        }
        var privacy = SeriesPrivacy(epsilon: dpEpsilon)
        if let dpDelta { privacy.delta = dpDelta }
        if let dpAccountant {
            guard let accountant = PrivacyStatement.Accountant(rawValue: dpAccountant) else {
                throw ValidationError("--dp-accountant \(dpAccountant): use pld or rdp.")
            }
            privacy.accountant = accountant
        }
        privacy.maxPerPeriod = dpMaxPerPeriod
        privacy.maxRevenue = dpMaxRevenue
        if let dpBoundQuantile { privacy.boundQuantile = dpBoundQuantile }
        privacy.maxPeriods = dpMaxPeriods
        if let dpNoiseSeed {
            guard dpNoiseSeed >= 0 else {
                throw ValidationError("--dp-noise-seed \(dpNoiseSeed): give a seed of 0 or more.")
            }
            privacy.noiseSeed = UInt64(dpNoiseSeed)
        }
        do { try privacy.validate() } catch { throw ValidationError("--\(error.description).") }
        return privacy
    }
}
