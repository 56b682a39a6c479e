import ArgumentParser
import EventData
import Foundation

/// `behave simulate`: writes a seeded, realistic behaviour log with its ground truth.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a realistic, seeded behaviour log (CSV or JSON Lines) with ground truth.",
        discussion: """
            Users in taste segments browse a long-tailed catalogue in sessions, move through a \
            view -> cart -> purchase funnel with prices, go on shopping missions (days of \
            focused browsing and carting, then a checkout), follow item-to-item transitions, and \
            show daily and weekly seasonality; some churn. Planted for detectors to find: bots, \
            fraudulent users, taken-over accounts (regular until an intruder takes over: night \
            sessions, expensive categories, fast purchases) and click farms (groups of accounts \
            viewing and fake-ordering the same promoted items in the same short windows). The \
            ground-truth file (JSON) records segments, purchase propensities, churn dates, bot, \
            fraud and takeover flags with their sessions and times, the farms (members, promoted \
            items, windows) and the item transition table.

            Examples:
              behave simulate --users 2000 --out shop.csv
              behave simulate --events 10000000 --seed 7 --out big.csv --ground-truth truth.json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, jsonl
    }

    @Option(parsing: .unconditional, help: "Number of users to simulate (ignored when --events is given).")
    var users: Int = 1_000

    @Option(parsing: .unconditional, help: "Exact number of events to write; users are added until it is reached.")
    var events: Int?

    @Option(parsing: .unconditional, help: "Catalogue size.")
    var items: Int = 1_000

    @Option(parsing: .unconditional, help: "Length of the simulated period in days.")
    var days: Int = 30

    @Option(parsing: .unconditional, help: "Random seed: the same seed and options give byte-identical output.")
    var seed: UInt64 = 42

    @Option(parsing: .unconditional, help: "Fraction of users that are bots.")
    var botFraction: Double = 0.01

    @Option(parsing: .unconditional, help: "Fraction of users that are fraudulent.")
    var fraudFraction: Double = 0.005

    @Option(parsing: .unconditional, help: "Fraction of users that stop being active partway.")
    var churnFraction: Double = 0.2

    @Option(parsing: .unconditional, help: "Fraction of users whose account an intruder takes over partway.")
    var takeoverFraction: Double = 0.005

    @Option(parsing: .unconditional, help: "Fraction of users that are click-farm accounts (farms of 5 to 20).")
    var farmFraction: Double = 0.01

    @Flag(
        help:
            "Plant segments that behaviour tells apart: own favourite departments, spread session rates and propensities."
    )
    var distinctSegments = false

    @Option(
        parsing: .unconditional,
        help: "Yearly growth of activity, a trend for forecasts to find (0.5: half as much again a year on).")
    var growth: Double = 0

    @Option(parsing: .unconditional, help: "A campaign starting on this day (from 0) multiplies everyone's activity.")
    var campaignDay: Int?

    @Option(parsing: .unconditional, help: "With --campaign-day: how many days the campaign lasts.")
    var campaignDays: Int = 3

    @Option(parsing: .unconditional, help: "With --campaign-day: the activity multiplier on campaign days.")
    var campaignLift: Double = 2

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Catalogue drift: the share of items released during the period (0 to 0.9).",
            discussion:
                "New items arrive on random days of the second half and become the most popular while older items fade: "
                + "drifting item popularity, for `behave monitor` and `behave update` to meet."))
    var newItemShare: Double = 0

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "With --new-item-share: when the drift starts, as a share of the period (0 to 0.99).",
            discussion:
                "0 turns the popularity from the first day and releases new items in the second half; 0.9 turns it in "
                + "the last tenth and releases new items in the last twentieth, a launch."))
    var driftStart: Double = 0

    @Option(help: "Event file to write.")
    var out: String = "events.csv"

    @Option(help: "Output format (default: from the file extension, csv otherwise).")
    var format: Format?

    @Option(help: "Where to write the ground truth (default: next to --out, ending .truth.json).")
    var groundTruth: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    var config: SimulationConfig {
        var config = SimulationConfig(
            users: users, items: items, days: days, seed: seed, botFraction: botFraction,
            fraudFraction: fraudFraction, churnFraction: churnFraction, takeoverFraction: takeoverFraction,
            farmFraction: farmFraction, distinctSegments: distinctSegments, targetEvents: events, growth: growth,
            campaign: campaignDay.map {
                SimulationConfig.Campaign(startDay: $0, days: campaignDays, lift: campaignLift)
            })
        config.newItemShare = newItemShare
        config.driftStart = driftStart
        return config
    }

    var resolvedFormat: Format {
        if let format { return format }
        return out.hasSuffix(".jsonl") || out.hasSuffix(".ndjson") ? .jsonl : .csv
    }

    var resolvedGroundTruth: String {
        if let groundTruth { return groundTruth }
        let base =
            out.hasSuffix(".csv") || out.hasSuffix(".jsonl")
            ? String(out[..<(out.lastIndex(of: ".") ?? out.endIndex)]) : out
        return base + ".truth.json"
    }

    func validate() throws {
        do {
            try config.validate()
        } catch {
            throw flagError(error)
        }
    }

    func run() throws {
        try checkOutputFile(out, option: "--out")
        try checkOutputFile(resolvedGroundTruth, option: "--ground-truth")
        let simulator = try BehaviorSimulator(config: config)
        let progress = ProgressReporter(label: "simulate", total: events, unit: "events")
        let summary = try simulator.write(
            eventsTo: out, format: resolvedFormat == .csv ? .csv : .jsonl, groundTruthTo: resolvedGroundTruth,
            progress: { progress.update($0) })
        progress.finish(summary.events)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            say(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            let types = summary.eventsByType.sorted { $0.key < $1.key }.map {
                "\($0.key) \(ProgressReporter.grouped($0.value))"
            }
            say(
                "Wrote \(ProgressReporter.grouped(summary.events)) events to \(out) (\(types.joined(separator: ", ")))."
            )
            say(Self.population(summary))
            say("Ground truth: \(resolvedGroundTruth)")
        }
    }

    /// The summary's line about users, items and sessions.
    static func population(_ summary: SimulationSummary) -> String {
        let farms = "\(summary.farms) click farm\(summary.farms == 1 ? "" : "s")"
        return
            "\(summary.users) users (\(summary.bots) bots, \(summary.frauds) fraudulent, \(summary.takeovers) taken over, "
            + "\(summary.farmAccounts) in \(farms), \(summary.churners) churners), \(summary.items) items, "
            + "\(summary.sessions) sessions."
    }
}
