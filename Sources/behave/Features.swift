import ArgumentParser
import EventData
import Foundation

/// `behave features`: exports the per-user feature table as CSV.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export per-user behaviour features (RFM, per-type counts, sessions, funnel, time profile) as CSV.",
        discussion: """
            One row per user with events: recency, frequency and monetary value, tenure, counts and \
            shares per event type, distinct items and categories, sessions (30-minute gap), session \
            length and dwell, view -> cart -> purchase conversion rates, and hour-of-day and \
            day-of-week profiles (UTC). Stored user attributes can be appended as text columns.

            Example:
              behave features --out users.csv --attributes age,gender,occupation
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "CSV file to write.")
    var out: String = "features.csv"

    @Option(help: "The time features are computed as of, ISO 8601 (default: the latest stored event).")
    var at: String?

    @Option(parsing: .unconditional, help: "Inactivity gap that starts a new session, in minutes.")
    var sessionGap: Int = 30

    @Option(help: "Stored user attributes to append as columns, comma-separated.")
    var attributes: String?

    @Flag(help: "Print a summary as JSON.")
    var json = false

    /// What was written.
    struct Summary: Encodable {
        var file: String
        var users: Int
        var columns: [String]
    }

    func validate() throws {
        guard sessionGap >= 1 else { throw ValidationError("--session-gap must be at least 1 minute.") }
        if let at { _ = try parseISOTime(at, option: "--at") }
        try StoreOptions.requireFile(storeOptions.store)
    }

    func run() throws {
        try checkOutputFile(out, option: "--out")
        let store = try storeOptions.openForReading()
        let table = try UserFeatureExtractor.table(
            from: store, referenceTime: try at.map { try parseISOTime($0, option: "--at") },
            sessionGap: .seconds(sessionGap * 60))
        let columns = attributes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        if columns.isEmpty {
            try table.writeCSV(to: out)
        } else {
            try table.writeCSV(to: out, attributes: try store.attributes(kind: .user), attributeColumns: columns)
        }
        if json {
            try printJSON(Summary(file: out, users: table.rows.count, columns: table.columns + columns))
            return
        }
        say("Wrote \(table.rows.count) users x \(table.columns.count + columns.count) columns of features to \(out).")
    }
}
