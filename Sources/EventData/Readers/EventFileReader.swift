import Foundation
import JSONScanning

/// How far a read has come, for progress bars.
public struct ReadProgress: Sendable, Hashable {
    /// Bytes read from the file so far (compressed bytes for gzip).
    public var bytesRead: Int64
    /// The file's size (compressed size for gzip), when known.
    public var totalBytes: Int64?
}

/// Reads an event log file (CSV, TSV, JSON Lines, MovieLens, RecBole, user-item text; plain
/// or gzip-compressed) row by row into events.
///
/// The file is streamed in 1 MiB chunks, so its size does not matter. Every non-blank data
/// line (or multi-line quoted record) becomes exactly one ``SourceRow``: an event, or a
/// rejection with its line and reason (kinds in ``RejectionKind``). Headers and blank lines
/// are not rows. Line numbers are 1-based physical lines. A JSON Lines or user-item line of
/// 64 MiB or more is rejected (``RejectionKind/recordTooLong``) and reading goes on; a
/// delimited record that long stops the read (it is nearly always an unclosed quote).
///
/// ```swift
/// let reader = try EventFileReader.open(path: "events.csv.gz")   // format detected
/// try reader.forEachRow { row in
///     switch row {
///     case .event(let event, _): store.add(event)
///     case .rejected(let rejection): rejects.append(rejection)
///     }
/// }
/// ```
///
/// Mapping mistakes (a column that is not in the header, no column for `user_id` or
/// `timestamp`) are found by ``open(path:format:mapping:dialect:)`` before any row is read.
public struct EventFileReader: EventSource, Sendable {
    /// The file read.
    public let path: String
    /// The format it is read as.
    public let format: LogFormat
    let plan: ReadPlan
    private let layout: ResolvedLayout

    /// The plan's layout with what `open` learnt from the file.
    private enum ResolvedLayout: Sendable {
        case delimited(Dialect)
        /// The key that feeds each field, and the constant type when none does.
        case jsonLines(JSONMapping)
        case userItem
    }

    /// The path, for summaries and reject records.
    public var name: String { path }

    /// True for user-item lists: their events' times are positions in each user's list.
    public var timesAreOrderOnly: Bool {
        if case .userItem = layout { return true }
        return false
    }

    /// Bytes read from the file at a time.
    var chunkSize = ByteWindow.defaultChunkSize
    /// The longest line (JSON Lines, user-item) or record (delimited text) read; a longer
    /// line is rejected, a longer delimited record stops the read with an error.
    var maximumRecordBytes = ByteWindow.defaultMaximumRecordBytes

    /// Rows between progress reports.
    private static let progressInterval = 16_384

    /// Prepares to read `path`.
    ///
    /// - Parameters:
    ///   - format: the format, or `nil` to detect it (``detectFormat(path:)``).
    ///   - mapping: which columns feed which fields, on top of the format's defaults.
    ///   - dialect: delimited-text layout choices, on top of the format's defaults.
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be read,
    ///   ``EventDataError/unrecognizedFormat(path:detail:)`` when its format cannot be told or
    ///   its header cannot be read, ``EventDataError/badMapping(path:detail:)`` naming the
    ///   column and the available ones when the mapping does not fit the file.
    public static func open(
        path: String, format: LogFormat? = nil, mapping: ColumnMapping = ColumnMapping(),
        dialect: DialectOptions = DialectOptions()
    ) throws -> EventFileReader {
        let format = try format ?? detectFormat(path: path)
        let plan = try Presets.plan(path: path, format: format, mapping: mapping, dialect: dialect)
        let layout: ResolvedLayout
        switch plan.layout {
        case .delimited(let dialect):
            try DelimitedReading(path: path, plan: plan, dialect: dialect).validate()
            layout = .delimited(dialect)
        case .jsonLines:
            layout = .jsonLines(try JSONMapping(path: path, mapping: plan.mapping))
        case .userItem:
            layout = .userItem
            guard plan.mapping.columns.isEmpty else {
                throw EventDataError.badMapping(
                    path: path,
                    detail: "user-item files have two unnamed fields (user, item) and no columns to map; "
                        + "drop the column mapping or choose another format")
            }
        }
        return EventFileReader(path: path, format: format, plan: plan, layout: layout)
    }

    /// Prepares to read `path` as a schema (from flags or a schema file) describes.
    ///
    /// - Throws: as ``open(path:format:mapping:dialect:)``.
    public static func open(path: String, schema: ReaderSchema) throws -> EventFileReader {
        try open(path: path, format: schema.format, mapping: schema.mapping, dialect: schema.dialect)
    }

    /// The format of `path`: from its name (`.gz` ignored: `.jsonl`/`.ndjson`, `.inter`,
    /// `u.data`, `ratings.dat`, `ratings.csv`, `.tsv`, `.csv`), else from its first
    /// non-blank line (`{` -> JSON Lines, a RecBole `name:type` header, tabs, `::`, commas,
    /// or two space-separated words -> user-item).
    ///
    /// - Throws: ``EventDataError/unrecognizedFormat(path:detail:)`` when neither tells, and
    ///   for RecBole `.user` / `.item` files (attribute tables, not events).
    public static func detectFormat(path: String) throws -> LogFormat {
        try Presets.detect(path: path)
    }

    /// Calls `body` once per row, in file order.
    ///
    /// - Throws: ``EventDataError`` when the file as a whole cannot be read (it vanished, a
    ///   gzip stream is corrupt or truncated, the header changed since `open`); errors from
    ///   `body` are rethrown as they are.
    public func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        try read(progress: { _ in }, body)
    }

    /// Calls `body` once per row, in file order, and `progress` every few thousand rows and
    /// once at the end.
    ///
    /// - Throws: as ``forEachRow(_:)``.
    public func forEachRow(progress: (ReadProgress) -> Void, _ body: (SourceRow) throws -> Void) throws {
        try read(progress: progress, body)
    }

    private func read(progress: (ReadProgress) -> Void, _ body: (SourceRow) throws -> Void) throws {
        let source = try ByteSource(path: path)
        let window = ByteWindow(source: source, chunkSize: chunkSize, maximumRecordBytes: maximumRecordBytes)
        var reporter = ProgressTicker(source: source)
        switch layout {
        case .delimited(let dialect):
            try DelimitedReading(path: path, plan: plan, dialect: dialect).read(window: window) { row in
                try body(row)
                reporter.tick(progress)
            }
        case .jsonLines(let jsonMapping):
            try readJSONLines(window: window, mapping: jsonMapping) { row in
                try body(row)
                reporter.tick(progress)
            }
        case .userItem:
            try readUserItem(window: window) { row in
                try body(row)
                reporter.tick(progress)
            }
        }
        reporter.send(progress)
    }

    /// Calls back every ``EventFileReader/progressInterval`` rows when the byte count moved.
    private struct ProgressTicker {
        let source: ByteSource
        var rows = 0
        var lastBytes: Int64 = -1

        mutating func tick(_ report: (ReadProgress) -> Void) {
            rows += 1
            if rows % EventFileReader.progressInterval == 0 { send(report) }
        }

        mutating func send(_ report: (ReadProgress) -> Void) {
            guard source.fileBytesRead != lastBytes else { return }
            lastBytes = source.fileBytesRead
            report(ReadProgress(bytesRead: source.fileBytesRead, totalBytes: source.fileSize))
        }
    }

    // MARK: - JSON Lines

    /// How many objects and arrays may be open at once in a JSON Lines record.
    static let maximumJSONDepth = 128

    /// A scanner for JSON Lines records: it records a record's members, and keeps what an
    /// object or array member holds as its text only.
    static func recordScanner() -> JSONScanner {
        JSONScanner(maximumDepth: maximumJSONDepth, recordedDepth: 1)
    }

    private func readJSONLines(window: ByteWindow, mapping: JSONMapping, _ body: (SourceRow) throws -> Void) throws {
        let lines = LineReader(window: window)
        var scanner = Self.recordScanner()
        defer { scanner.deallocate() }
        // For each distinct key: the field it feeds (ordinal), or -1 for a property.
        var keys = KeyTable<Int>()
        var assembler = EventAssembler(
            sources: mapping.keys.mapValues { "key '\($0)'" }, constantType: mapping.constantType,
            unit: plan.mapping.timestampUnit ?? .auto)
        let fieldsByKey = Dictionary(
            mapping.keys.map { ($0.value, $0.key.ordinal) }, uniquingKeysWith: { first, _ in first })
        // The field ordinal (or -1) of each member of the current line.
        var memberOrdinals: [Int] = []
        while let (line, number) = try Self.nextLine(lines, window: window, body) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let record: JSONValue
            switch Self.scanRecord(line, with: &scanner) {
            case .success(let object): record = object
            case .failure(let problem):
                try body(Self.reject(number, problem.kind, problem.reason, line))
                continue
            }
            var values = FieldValues()
            var nestedField: EventField?
            memberOrdinals.removeAll(keepingCapacity: true)
            for (key, value) in record.members {
                let keyBytes = key.bytes
                let ordinal: Int
                if let known = keys.value(for: keyBytes) {
                    ordinal = known
                } else {
                    ordinal = fieldsByKey[ByteText.string(keyBytes)] ?? -1
                    keys.insert(ordinal, for: keyBytes)
                }
                memberOrdinals.append(ordinal)
                guard ordinal >= 0 else { continue }
                switch value.kind {
                case .null: values[ordinal] = nil
                case .object, .array: nestedField = EventField.allCases[ordinal]
                case .string, .number, .boolean: values[ordinal] = value.bytes
                }
            }
            if let nestedField {
                try body(
                    Self.reject(
                        number, RejectionKind.badValue,
                        "\(nestedField.rawValue) (key '\(mapping.keys[nestedField] ?? "")') is an object or array; "
                            + "it must be a string or a number", line))
                continue
            }
            let row = assembler.assemble(line: number, values: values, raw: line) {
                var properties: [String: String] = [:]
                for ((key, value), ordinal) in zip(record.members, memberOrdinals)
                where ordinal < 0 && value.kind != .null {
                    let bytes = value.bytes
                    if !bytes.isEmpty { properties[key.string] = ByteText.string(bytes) }
                }
                return properties
            }
            try body(row)
        }
    }

    /// Why a JSON Lines line is not a record: the rejection's kind and reason.
    struct RecordProblem: Error {
        var kind: String
        var reason: String
    }

    /// Scans `line` as one JSON Lines record: a JSON object (strictly, see ``JSONScanner``)
    /// that names no key twice. Keys are compared as bytes at every depth by the scanner, and
    /// the object's own keys also as Swift strings, which become property names: `"caf\u00e9"`
    /// and `"cafe\u0301"` are one name there.
    static func scanRecord(
        _ line: UnsafeRawBufferPointer, with scanner: inout JSONScanner
    ) -> Result<JSONValue, RecordProblem> {
        let document: JSONDocument
        do throws(JSONScanError) {
            document = try scanner.scan(line)
        } catch {
            switch error.problem {
            case .invalidUTF8:
                return .failure(
                    RecordProblem(
                        kind: RejectionKind.invalidUTF8, reason: "the line is not valid UTF-8; save the file as UTF-8"))
            case .duplicateKey(let key):
                return .failure(badJSON("the key '\(key)' is repeated at character \(error.offset + 1)"))
            case .syntax(let words):
                let place = error.isAtEnd ? "at the end of the line" : "at character \(error.offset + 1)"
                return .failure(badJSON("\(words) \(place)"))
            }
        }
        let record = document.root
        guard record.kind == .object else {
            return .failure(badJSON("expected a JSON object ('{') at character \(document.rootOffset + 1)"))
        }
        if let repeated = record.keyRepeatedAsString {
            return .failure(badJSON("the key '\(repeated)' is repeated (in another Unicode form)"))
        }
        return .success(record)
    }

    private static func badJSON(_ problem: String) -> RecordProblem {
        RecordProblem(kind: RejectionKind.badJSON, reason: "not a JSON object: \(problem)")
    }

    // MARK: - user-item text

    private func readUserItem(window: ByteWindow, _ body: (SourceRow) throws -> Void) throws {
        let lines = LineReader(window: window)
        var positions: [String: Int64] = [:]
        let type = plan.mapping.constantEventType ?? ColumnMapping.defaultEventType
        while let (line, number) = try Self.nextLine(lines, window: window, body) {
            // The first two space- or tab-separated tokens, and how many there are.
            var tokens = (UnsafeRawBufferPointer(start: nil, count: 0), UnsafeRawBufferPointer(start: nil, count: 0))
            var tokenCount = 0
            var index = 0
            while index < line.count {
                while index < line.count && (line[index] == 0x20 || line[index] == 0x09) { index += 1 }
                let start = index
                while index < line.count && line[index] != 0x20 && line[index] != 0x09 { index += 1 }
                guard index > start else { continue }
                let token = UnsafeRawBufferPointer(rebasing: line[start..<index])
                if tokenCount == 0 { tokens.0 = token } else if tokenCount == 1 { tokens.1 = token }
                tokenCount += 1
            }
            if tokenCount == 0 { continue }
            guard tokenCount == 2 else {
                try body(
                    Self.reject(
                        number, RejectionKind.wrongColumnCount,
                        "expected 2 fields (user item, separated by a space or tab), found \(tokenCount)", line))
                continue
            }
            guard let user = ByteText.validatedString(tokens.0), let item = ByteText.validatedString(tokens.1) else {
                try body(
                    Self.reject(
                        number, RejectionKind.invalidUTF8, "the line is not valid UTF-8; save the file as UTF-8", line))
                continue
            }
            let position = positions[user, default: 0]
            positions[user] = position + 1
            try body(.event(Event(userID: user, timestamp: position, type: type, itemID: item), line: number))
        }
    }

    static func reject(_ line: Int, _ kind: String, _ reason: String, _ raw: UnsafeRawBufferPointer) -> SourceRow {
        .rejected(RowRejection(line: line, reason: reason, kind: kind, raw: ByteText.lossyString(raw)))
    }

    /// The rejection of a line that ``LineReader`` skipped as too long.
    /// The next line and its number; lines too long to hold are passed to `body` as rejections
    /// on the way.
    private static func nextLine(
        _ lines: LineReader, window: ByteWindow, _ body: (SourceRow) throws -> Void
    ) throws -> (UnsafeRawBufferPointer, Int)? {
        while let item = try lines.next() {
            switch item {
            case .line(let bytes, let lineNumber):
                return (bytes, lineNumber)
            case .tooLong(let lineNumber, let byteCount, let start):
                try body(rejectTooLong(line: lineNumber, byteCount: byteCount, start: start, window: window))
            }
        }
        return nil
    }

    private static func rejectTooLong(line: Int, byteCount: Int, start: [UInt8], window: ByteWindow) -> SourceRow {
        start.withUnsafeBytes { raw in
            reject(
                line, RejectionKind.recordTooLong,
                "the line is \(byteCount) bytes long; lines must be shorter than \(window.limitDescription) (a line "
                    + "is held in memory whole): split the record or keep large values out of the log", raw)
        }
    }
}

extension RejectionKind {
    /// A line longer than a reader holds in memory (64 MiB).
    public static let recordTooLong = "record_too_long"
}

/// Reading a delimited file: header handling, mapping resolution and row conversion.
struct DelimitedReading {
    let path: String
    let plan: ReadPlan
    let dialect: Dialect

    /// Reads the header (or first row) and resolves the mapping, without reading rows.
    func validate() throws {
        let window = ByteWindow(source: try ByteSource(path: path))
        let parser = DelimitedParser(window: window, delimiter: dialect.delimiter, quoting: dialect.quoting)
        while let record = try parser.next() {
            if record.isBlank { continue }
            _ = try rowMapper(first: record)
            return
        }
    }

    func read(window: ByteWindow, _ body: (SourceRow) throws -> Void) throws {
        let parser = DelimitedParser(window: window, delimiter: dialect.delimiter, quoting: dialect.quoting)
        var mapper: DelimitedRowMapper?
        while let record = try parser.next() {
            if record.isBlank { continue }
            if mapper == nil {
                mapper = try rowMapper(first: record)
                if dialect.hasHeader { continue }
            }
            if let row = mapper?.row(record) { try body(row) }
        }
    }

    /// The row mapper for a file whose first non-blank record is `first`.
    private func rowMapper(first: DelimitedRecord) throws -> DelimitedRowMapper {
        var names: [String]
        if dialect.hasHeader {
            names = try DelimitedTableReader.headerNames(first, path: path)
        } else {
            names = dialect.columnNames ?? (1...max(first.fieldCount, 1)).map { "column\($0)" }
        }
        if dialect.stripsTypeSuffixes { names = names.map(Self.strippingType) }
        return try DelimitedRowMapper(names: names, plan: plan, path: path, hasHeader: dialect.hasHeader)
    }

    /// `user_id:token` -> `user_id`.
    static func strippingType(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":"),
            Presets.recboleTypes.contains(String(name[name.index(after: colon)...]))
        else { return name }
        return String(name[..<colon])
    }
}

/// Converts delimited records to rows once the column names are known.
struct DelimitedRowMapper {
    private let names: [String]
    /// The column feeding each field, by ordinal (`-1`: none).
    private let fieldColumns: [Int]
    private let propertyColumns: [(index: Int, name: String)]
    private var assembler: EventAssembler

    init(names: [String], plan: ReadPlan, path: String, hasHeader: Bool) throws {
        self.names = names
        let mapping = plan.mapping(forColumns: names)
        let resolved = try ColumnName.resolve(mapping, columns: names, path: path, hasHeader: hasHeader)
        var fieldColumns = [Int](repeating: -1, count: EventField.allCases.count)
        for (field, index) in resolved { fieldColumns[field.ordinal] = index }
        self.fieldColumns = fieldColumns
        let used = Set(resolved.values)
        propertyColumns = names.indices.filter { !used.contains($0) }.map { ($0, names[$0]) }
        assembler = EventAssembler(
            sources: resolved.mapValues { "column '\(names[$0])'" },
            constantType: mapping.constantEventType ?? ColumnMapping.defaultEventType,
            unit: mapping.timestampUnit ?? .auto)
    }

    mutating func row(_ record: DelimitedRecord) -> SourceRow {
        if record.hasUnterminatedQuote {
            return EventFileReader.reject(
                record.line, RejectionKind.unterminatedQuote,
                "a quoted field is never closed (it runs to the end of the file); close it with \" and write a "
                    + "quote inside a quoted field as \"\"", record.raw)
        }
        guard record.fieldCount == names.count else {
            return EventFileReader.reject(
                record.line, RejectionKind.wrongColumnCount,
                "expected \(names.count) columns, found \(record.fieldCount)", record.raw)
        }
        if !record.isASCII {
            for index in 0..<record.fieldCount where !ByteText.isValidUTF8(record.field(index)) {
                return EventFileReader.reject(
                    record.line, RejectionKind.invalidUTF8,
                    "column '\(names[index])' is not valid UTF-8 (Latin-1 text?); save the file as UTF-8", record.raw)
            }
        }
        var values = FieldValues()
        for ordinal in 0..<fieldColumns.count where fieldColumns[ordinal] >= 0 {
            values[ordinal] = record.field(fieldColumns[ordinal])
        }
        let propertyColumns = propertyColumns
        return assembler.assemble(line: record.line, values: values, raw: record.raw) {
            var properties: [String: String] = [:]
            for (index, name) in propertyColumns {
                let bytes = record.field(index)
                if !bytes.isEmpty { properties[name] = ByteText.string(bytes) }
            }
            return properties
        }
    }
}

/// Which JSON key feeds which field, found from the first lines of a JSON Lines file.
struct JSONMapping: Sendable, Hashable {
    /// The key of each mapped field.
    var keys: [EventField: String]
    var constantType: EventType

    /// Lines sampled to learn the keys.
    static let sampleLines = 100

    /// Explicitly mapped fields match a key seen in the first lines exactly or by normalized
    /// name; other fields match by canonical name. Optional fields that no sampled line has
    /// keep their (mapped or canonical) name, as they may appear later; `user_id`,
    /// `timestamp` and a mapped `event_type` must appear in the sample. When no sampled line
    /// is a well-formed object, every field keeps its mapped or canonical key.
    ///
    /// - Throws: ``EventDataError/badMapping(path:detail:)`` naming the key and the keys seen.
    init(path: String, mapping: ColumnMapping) throws {
        var seen: [String] = []
        var scanner = EventFileReader.recordScanner()
        defer { scanner.deallocate() }
        for line in try Sniffer.firstLines(path: path, count: Self.sampleLines) {
            let known = line.withUnsafeBytes { bytes -> [String]? in
                guard case .success(let record) = EventFileReader.scanRecord(bytes, with: &scanner) else { return nil }
                return record.members.map { $0.key.string }
            }
            for key in known ?? [] where !seen.contains(key) { seen.append(key) }
        }
        var keys: [EventField: String] = [:]
        let available = ColumnName.describe(seen, noun: "key") + " (in the first \(Self.sampleLines) lines)"
        for field in EventField.allCases {
            let explicit = mapping.columns[field]
            if field == .eventType && explicit == nil && mapping.constantEventType != nil { continue }
            let wanted = explicit ?? field.rawValue
            if let key = seen.first(where: { $0 == wanted })
                ?? seen.first(where: { ColumnName.normalized($0) == ColumnName.normalized(wanted) })
            {
                keys[field] = key
                continue
            }
            let required = field == .userID || field == .timestamp || (field == .eventType && explicit != nil)
            if required && !seen.isEmpty {
                throw EventDataError.badMapping(
                    path: path,
                    detail: explicit == nil
                        ? "no key gives \(field.rawValue): none is named '\(field.rawValue)' and the mapping names "
                            + "none; \(available); map one, e.g. \(field.rawValue)=<key>"
                        : "key '\(wanted)', mapped to \(field.rawValue), is not in the file; \(available)")
            }
            if field != .eventType || explicit != nil || seen.isEmpty { keys[field] = wanted }
        }
        self.keys = keys
        constantType = mapping.constantEventType ?? ColumnMapping.defaultEventType
    }
}
