import ArgumentParser
import EventData
import Foundation

/// `behave ingest`: reads event logs (and attribute tables) into the event store.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read event logs into the event store, accounting for every row.",
        discussion: """
            Formats: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")); detected from the \
            file name or its first line unless --format is given; .gz files are decompressed. \
            Every row is stored, found to be a duplicate of a stored event, or rejected with its \
            line and reason (kept in the store: see `behave describe`). Re-ingesting a file adds nothing.

            Column mapping, by flags or a schema file (YAML or JSON, same keys):
              behave ingest shop.csv --set user_id=customer --set timestamp=ts --set event_type=action
              behave ingest log.txt --set delimiter=";" --set header=false --set names=user,ts,item \\
                  --set user_id=user --set timestamp=ts --set item_id=item --set constant_event_type=view
              behave ingest clicks.jsonl.gz --schema clicks.yaml
              behave ingest ml-100k.inter --user-attributes ml-100k.user --item-attributes ml-100k.item
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

    @Flag(help: "Print a machine-readable summary (JSON) instead of text.")
    var json = false

    func validate() throws {
        guard !files.isEmpty || userAttributes != nil || itemAttributes != nil else {
            throw ValidationError("Give at least one event log file (or --user-attributes / --item-attributes).")
        }
        if schema != nil && !settings.isEmpty {
            throw ValidationError("Use --schema or --set, not both: put the settings into the schema file.")
        }
        _ = try readerSchema()
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
        var report = Report(store: store.location, ingests: [])
        for file in files {
            let reader = try EventFileReader.open(path: file, schema: schema)
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            let progress = ProgressReporter(label: "ingest \(file)", total: size, unit: "bytes")
            var rows = 0
            let source = ReportingSource(reader: reader) { progress.update(Int($0.bytesRead), detail: "\(ProgressReporter.grouped(rows)) rows") }
            let summary = try store.ingest(source) { rows = $0.rowsRead }
            progress.finish(size ?? 0, detail: "\(ProgressReporter.grouped(summary.rowsRead)) rows")
            report.ingests.append(summary)
            if !json { printSummary(summary) }
        }
        if let path = userAttributes {
            report.userAttributes = try ingestAttributes(path, kind: .user, into: store)
        }
        if let path = itemAttributes {
            report.itemAttributes = try ingestAttributes(path, kind: .item, into: store)
        }
        if json { try printJSON(report) }
    }

    private func ingestAttributes(_ path: String, kind: EntityKind, into store: SQLiteEventStore) throws -> AttributeReport {
        let (table, rejections) = try AttributeTableReader.read(path: path)
        _ = try store.ingestAttributes(table.rows, kind: kind)
        if !json {
            print("\(path): \(table.rows.count) \(kind.rawValue) attribute rows (\(table.columns.joined(separator: ", "))), \(rejections.count) rejected.")
            for rejection in rejections.prefix(5) { print("  line \(rejection.line): \(rejection.reason)") }
        }
        return AttributeReport(file: path, rows: table.rows.count, rejected: rejections.count, rejections: Array(rejections.prefix(20)))
    }

    private func printSummary(_ summary: IngestSummary) {
        let g = ProgressReporter.grouped
        print("\(summary.source): read \(g(summary.rowsRead)) rows: stored \(g(summary.stored)), duplicates \(g(summary.duplicates)), rejected \(g(summary.rejected)) (\(g(summary.newUsers)) new users, \(g(summary.newItems)) new items, \(String(format: "%.1f", summary.seconds))s).")
        if summary.rejected > 0 {
            let kinds = summary.rejectsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            print("  rejected by kind: \(kinds.joined(separator: ", ")); all rejected rows are kept (behave describe lists them).")
            for example in summary.rejectExamples.prefix(5) { print("  line \(example.line): \(example.reason)") }
        }
    }
}

/// An event file read with byte-level progress, so the bar can show an ETA.
private struct ReportingSource: EventSource {
    let reader: EventFileReader
    let report: (ReadProgress) -> Void

    var name: String { reader.name }

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        try reader.forEachRow(progress: report, body)
    }
}
