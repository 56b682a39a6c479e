import ArgumentParser
import EventData
import Foundation
import Pseudonyms

/// `behave ingest`: reads event logs (and attribute tables) into the event store.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read event logs into the event store, accounting for every row.",
        discussion: """
            Formats: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")); detected from the \
            file name or its first line unless --format is given; .gz files are decompressed. \
            Every row is stored, found to be a duplicate of a stored event, or rejected with its \
            line and reason (kept in the store: see `behave describe`). Re-ingesting a file adds nothing, \
            neither events nor rejected rows; an interrupted ingest is finished by running it again.

            Rows are rejected, and kept with the reason, when a user, item or session id or the event type \
            holds a control character (bad_id), when the time is outside --time-range (implausible_time, \
            default 1990-01-01..2100-01-01: earlier or later times are almost always placeholders or unit \
            mistakes), or when a value is negative or infinite or a duration negative (implausible_value; \
            --allow-negative-values keeps negative values such as refunds).

            Rows identical in user, time, type, item, value and session are one event: later copies count \
            as duplicates. A log without event ids and with coarse times can hold real repeats (two \
            identical orders on one day); --keep-duplicate-rows stores every copy within a file, and \
            re-ingesting the file still adds nothing.

            Column mapping, by flags or a schema file (YAML or JSON, same keys):
              behave ingest shop.csv --set user_id=customer --set timestamp=ts --set event_type=action
              behave ingest log.txt --set delimiter=";" --set header=false --set names=user,ts,item \\
                  --set user_id=user --set timestamp=ts --set item_id=item --set constant_event_type=view
              behave ingest clicks.jsonl.gz --schema clicks.yaml
              behave ingest ml-100k.inter --user-attributes ml-100k.user --item-attributes ml-100k.item

            Pseudonymised ids (keyed HMAC-SHA256; the clear ids are never stored, nor the raw text of \
            rejected rows):
              behave pseudonyms create --key-file shop.key
              behave ingest shop.csv --pseudonymize shop.key --pseudonymize-column email
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "Event log files to ingest.")
    var files: [String] = []

    @Option(help: "The files' format (default: detected).")
    var format: String?

    @Option(help: "A YAML or JSON schema file with the format, layout and column mapping.")
    var schema: String?

    @Option(name: .customLong("set"), help: "A schema setting or column mapping as key=value (repeatable).")
    var settings: [String] = []

    @Option(help: "A user attribute table (RecBole .user, CSV or TSV with an id column).")
    var userAttributes: String?

    @Option(help: "An item attribute table (RecBole .item, CSV or TSV with an id column).")
    var itemAttributes: String?

    @Option(
        help: ArgumentHelp(
            "Plausible event times as FROM..TO (dates or ISO-8601 times, TO excluded); rows outside are rejected. An empty end has no bound; `..` checks nothing.",
            valueName: "from..to"))
    var timeRange = "1990-01-01..2100-01-01"

    @Option(
        help: "Read only events at or after this time (ISO 8601); earlier rows are skipped and counted, not stored.")
    var since: String?

    @Option(help: "Read only events before this time (ISO 8601); later rows are skipped and counted, not stored.")
    var until: String?

    @Flag(help: "Store negative values (refunds, returns) instead of rejecting them.")
    var allowNegativeValues = false

    @Flag(
        help:
            "Store every copy of identical rows within a file (real repeats in logs without event ids) instead of merging them."
    )
    var keepDuplicateRows = false

    @Option(
        help: ArgumentHelp(
            "A pseudonym key file (`behave pseudonyms create`): user ids, in the logs and --user-attributes, are stored as keyed pseudonyms.",
            valueName: "key-file"))
    var pseudonymize: String?

    @Option(
        help: ArgumentHelp(
            "With --pseudonymize: another column to pseudonymise, `session` or an extra column's name, in the logs and --user-attributes (repeatable).",
            valueName: "column"))
    var pseudonymizeColumn: [String] = []

    @Flag(help: "Print a machine-readable summary (JSON) instead of text.")
    var json = false

    func validate() throws {
        guard !files.isEmpty || userAttributes != nil || itemAttributes != nil else {
            throw ValidationError("Give at least one event log file (or --user-attributes / --item-attributes).")
        }
        if schema != nil && !settings.isEmpty {
            throw ValidationError("Use --schema or --set, not both: put the settings into the schema file.")
        }
        if pseudonymize == nil && !pseudonymizeColumn.isEmpty {
            throw ValidationError("--pseudonymize-column needs --pseudonymize KEYFILE.")
        }
        _ = try readerSchema()
        _ = try ingestOptions()
        _ = try window()
    }

    /// The events read: `--since` (included) to `--until` (excluded).
    func window() throws -> Range<Int64> {
        let start = try since.map { try parseISOTime($0, option: "--since") } ?? .min
        let end = try until.map { try parseISOTime($0, option: "--until") } ?? .max
        guard start < end else { throw ValidationError("--since must come before --until.") }
        return start..<end
    }

    /// The plausibility checks and row identity from the flags.
    func ingestOptions() throws -> IngestOptions {
        let range: (earliest: Int64?, latest: Int64?)
        do {
            range = try PlausibilityChecks.parseTimeRange(timeRange, option: "--time-range")
        } catch let error as EventDataError {
            throw ValidationError(error.localizedDescription)
        }
        return IngestOptions(
            plausibility: PlausibilityChecks(
                earliest: range.earliest, latest: range.latest, allowNegativeValues: allowNegativeValues),
            keepDuplicateRows: keepDuplicateRows)
    }

    /// The schema from `--schema`, `--set` and `--format`.
    func readerSchema() throws -> ReaderSchema {
        var flags: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set \(setting): write key=value, for example --set user_id=customer.")
            }
            flags[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        var schema: ReaderSchema
        do {
            schema = try self.schema.map { try ReaderSchema.load(path: $0) } ?? ReaderSchema(flags: flags)
        } catch let error as EventDataError {
            throw ValidationError(error.localizedDescription)
        }
        if let format {
            guard let parsed = LogFormat(parsing: format) else {
                let known = LogFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("--format \(format): unknown format; use one of \(known).")
            }
            schema.format = parsed
        }
        return schema
    }

    struct Report: Encodable {
        var store: String
        var ingests: [IngestSummary]
        var userAttributes: AttributeReport?
        var itemAttributes: AttributeReport?
        /// Per file, rows outside `--since` / `--until` (read, not stored).
        var skipped: [String: Int]?
    }

    struct AttributeReport: Encodable {
        var file: String
        var rows: Int
        var rejected: Int
        var rejections: [RowRejection]
    }

    func run() throws {
        let store = try storeOptions.open()
        let schema = try readerSchema()
        let options = try ingestOptions()
        var report = Report(store: store.location, ingests: [])
        let window = try window()
        let bounded = since != nil || until != nil
        let pseudonymizer = try pseudonymize.map { try PseudonymKeyFile(url: URL(fileURLWithPath: $0)).load() }
        // A user stored under an older key's pseudonym keeps it after a rotation.
        let storedUsers = pseudonymizer.map { $0.keyIDs.count > 1 } == true ? Set(try store.userIDs().externalIDs) : []
        for file in files {
            let reader = try EventFileReader.open(path: file, schema: schema)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            let progress = ProgressReporter(label: "ingest \(file)", total: size, unit: "bytes")
            var rows = 0
            let skipped = SkipCounter()
            let reporting = ReportingSource(reader: reader) {
                progress.update(Int($0.bytesRead), detail: "\(ProgressReporter.grouped(rows)) rows")
            }
            let ranged = TimeRangeSource(reporting, range: window) { skipped.count += 1 }
            let source: any EventSource =
                pseudonymizer.map {
                    PseudonymizingSource(
                        ranged, pseudonymizer: $0, columns: pseudonymizeColumn, storedUsers: storedUsers)
                } ?? ranged
            let summary = try store.ingest(source, options: options) { rows = $0.rowsRead }
            progress.finish(size ?? 0, detail: "\(ProgressReporter.grouped(summary.rowsRead)) rows")
            report.ingests.append(summary)
            if bounded { report.skipped = (report.skipped ?? [:]).merging([file: skipped.count]) { $1 } }
            if !json {
                printSummary(summary)
                if bounded {
                    say(
                        "  \(ProgressReporter.grouped(skipped.count)) rows outside --since/--until skipped "
                            + "(not stored; ingest the file again without them to add those rows).")
                }
            }
        }
        if let path = userAttributes {
            let columns = pseudonymizeColumn
            let pseudonymizing = pseudonymizer.map { pseudonymizer in
                { (row: inout AttributeRow) in
                    row.id = pseudonymizer.pseudonym(of: row.id, reusing: storedUsers)
                    for column in columns {
                        if let value = row.values[column] { row.values[column] = pseudonymizer.pseudonym(of: value) }
                    }
                }
            }
            report.userAttributes = try ingestAttributes(
                path, kind: .user, into: store, pseudonymizing: pseudonymizing)
        }
        if let path = itemAttributes {
            report.itemAttributes = try ingestAttributes(path, kind: .item, into: store, pseudonymizing: nil)
        }
        if json { try printJSON(report) }
    }

    /// Reads an attribute table into the store, each row through `pseudonymizing` when given
    /// (its id, and the values of --pseudonymize-column); rejected rows then keep no raw text.
    private func ingestAttributes(
        _ path: String, kind: EntityKind, into store: OpenedStore,
        pseudonymizing: ((inout AttributeRow) -> Void)?
    ) throws -> AttributeReport {
        var (table, rejections) = try AttributeTableReader.read(path: path)
        if let pseudonymizing {
            for index in table.rows.indices { pseudonymizing(&table.rows[index]) }
            for index in rejections.indices { rejections[index].raw = PseudonymizingSource.withheld }
        }
        _ = try store.ingestAttributes(table.rows, kind: kind)
        if !json {
            say(
                "\(path): \(table.rows.count) \(kind.rawValue) attribute rows (\(table.columns.joined(separator: ", "))), \(rejections.count) rejected."
            )
            for rejection in rejections.prefix(5) { say("  line \(rejection.line): \(rejection.reason)") }
        }
        return AttributeReport(
            file: path, rows: table.rows.count, rejected: rejections.count, rejections: Array(rejections.prefix(20)))
    }

    private func printSummary(_ summary: IngestSummary) {
        for line in Self.summaryLines(summary) { say(line) }
    }

    /// The text report of one ingest, line by line.
    static func summaryLines(_ summary: IngestSummary) -> [String] {
        let g = ProgressReporter.grouped
        var lines = [
            "\(summary.source): read \(g(summary.rowsRead)) rows: stored \(g(summary.stored)), duplicates \(g(summary.duplicates)), rejected \(g(summary.rejected)) (\(g(summary.newUsers)) new users, \(g(summary.newItems)) new items, \(String(format: "%.1f", summary.seconds))s)."
        ]
        if summary.duplicates > 0 {
            var parts: [String] = []
            let earlier = summary.duplicates - summary.repeatedRows
            if earlier > 0 { parts.append("\(g(earlier)) already stored by an earlier ingest") }
            if summary.repeatedRows > 0 {
                let rows = summary.repeatedRows == 1 ? "row" : "rows"
                parts.append(
                    "\(g(summary.repeatedRows)) \(rows) identical to an earlier row of this file, merged as exact duplicates (--keep-duplicate-rows stores every copy)"
                )
            }
            lines.append("  duplicates: \(parts.joined(separator: "; ")).")
        }
        if summary.rejected > 0 {
            let kinds = summary.rejectsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append(
                "  rejected by kind: \(kinds.joined(separator: ", ")); all rejected rows are kept (behave describe lists them)."
            )
            if summary.knownRejects > 0 {
                lines.append(
                    "  \(g(summary.knownRejects)) of the rejected rows were already kept from an earlier ingest of \(summary.source) and are not kept twice."
                )
            }
            for example in summary.rejectExamples.prefix(5) {
                lines.append("  line \(example.line): \(example.reason)")
            }
            if summary.rejectsByKind[RejectionKind.implausibleTime] != nil {
                lines.append("  times outside the plausible range: fix them, or widen it with --time-range FROM..TO.")
            }
            if summary.rejectsByKind[RejectionKind.implausibleValue] != nil {
                lines.append("  implausible values: fix them; --allow-negative-values keeps refunds and returns.")
            }
        }
        return lines
    }
}

/// An event file read with byte-level progress, so the bar can show an ETA.
private struct ReportingSource: EventSource {
    let reader: EventFileReader
    let report: (ReadProgress) -> Void

    var name: String { reader.name }
    var timesAreOrderOnly: Bool { reader.timesAreOrderOnly }

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        try reader.forEachRow(progress: report, body)
    }
}

/// Rows an ingest skipped for `--since` / `--until`.
private final class SkipCounter {
    var count = 0
}
