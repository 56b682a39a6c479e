import ArgumentParser
import EventData
import Foundation

/// `behave describe`: what the event store holds.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise the event store: users, items, events by type, sessions, dates, sparsity, rejects."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(parsing: .unconditional, help: "How many rejected rows to list.")
    var rejects: Int = 5

    @Option(
        parsing: .unconditional,
        help: "Inactivity gap, in minutes, that splits events into sessions when they carry no session id.")
    var sessionGap: Int = 30

    @Flag(help: "Print the summary as JSON.")
    var json = false

    /// The store's description plus the session count by inactivity gap.
    struct Report: Encodable {
        let description: StoreDescription
        let sessionsByGap: Int
        /// The store's erasure log (`behave forget`).
        let erasures: [Erasure]

        enum Key: String, CodingKey { case sessionsByGap, erasures }

        func encode(to encoder: any Encoder) throws {
            try description.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(sessionsByGap, forKey: .sessionsByGap)
            try container.encode(erasures, forKey: .erasures)
        }
    }

    func validate() throws {
        guard rejects >= 0 else { throw ValidationError("--rejects must be 0 or more.") }
        guard sessionGap >= 1 else { throw ValidationError("--session-gap must be at least 1 minute.") }
        try StoreOptions.requireFile(storeOptions.store)
    }

    func run() throws {
        let store = try storeOptions.openForReading()
        let description = try store.describe()
        let sessionizer = try Sessionizer(gap: .seconds(sessionGap * 60))
        var sessionsByGap = 0
        try store.forEachUserHistory { sessionsByGap += sessionizer.sessionize($0).sessions.count }
        let erasures = try store.erasures()
        if json {
            try printJSON(Report(description: description, sessionsByGap: sessionsByGap, erasures: erasures))
            return
        }
        let g = ProgressReporter.grouped
        say("Event store \(store.location)")
        say("  users \(g(description.users)), items \(g(description.items)), events \(g(description.events))")
        say(
            "  sessions: \(g(sessionsByGap)) (source session ids, and \(sessionGap)-minute gaps elsewhere); \(g(description.sessions)) distinct source session ids"
        )
        let types = description.eventsByType.sorted { $0.value > $1.value }.map { "\($0.key) \(g($0.value))" }
        if !types.isEmpty { say("  events by type: \(types.joined(separator: ", "))") }
        if let first = description.firstTimestamp, let last = description.lastTimestamp {
            say("  from \(Self.date(first)) to \(Self.date(last))")
        }
        if let sparsity = description.sparsity { say(String(format: "  sparsity %.4f", sparsity)) }
        if let q = description.interactionsPerUser {
            say(
                "  events per user: min \(Self.number(q.min)), p25 \(Self.number(q.p25)), median \(Self.number(q.median)), p75 \(Self.number(q.p75)), p90 \(Self.number(q.p90)), max \(Self.number(q.max))"
            )
        }
        say(
            "  rejected rows \(g(description.rejects))"
                + (description.rejectsByKind.isEmpty
                    ? ""
                    : " ("
                        + description.rejectsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                            separator: ", ") + ")"))
        for rejection in try store.rejects(limit: rejects) {
            say("    \(rejection.source) line \(rejection.rejection.line): \(rejection.rejection.reason)")
        }
        say("  sources: \(description.sources.count)")
        if !erasures.isEmpty {
            let erasedUsers = erasures.reduce(0) { $0 + $1.users }
            say(
                "  erasures (behave forget): \(erasures.count), \(g(erasedUsers)) \(erasedUsers == 1 ? "user" : "users") in all, "
                    + "the last at "
                    + "\(erasures.last?.at ?? "")")
        }
        for note in Self.interruptedNotes(description, store: storeOptions.store) { say(note) }
    }

    /// One line per ingest that did not complete, naming its source and the command that
    /// finishes it.
    static func interruptedNotes(_ description: StoreDescription, store: String) -> [String] {
        description.interruptedSources.map { source in
            "  interrupted ingest: \(source.name) (started \(date(source.ingestedAt))) stopped after \(ProgressReporter.grouped(source.rowsRead)) rows, or is still running; to finish it, run the same ingest again: `behave ingest \(source.name) --store \(store)` with the same options (rows already stored are skipped as duplicates)."
        }
    }

    static func date(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
