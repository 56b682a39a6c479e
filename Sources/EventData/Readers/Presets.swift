import Foundation

/// The event-log formats the readers know, each with its own defaults.
public enum LogFormat: String, CaseIterable, Sendable, Codable {
    /// Comma-separated values with a header line and RFC 4180 quotes. When the header has no
    /// comma but has `;`, `|` or tabs, that character is taken as the delimiter.
    case csv
    /// Tab-separated values with a header line (quotes recognised as in CSV).
    case tsv
    /// JSON Lines: one object per line; keys play the part of columns.
    case jsonl
    /// MovieLens ratings: `u.data` (tab-separated `user item rating timestamp`, no header),
    /// `ratings.dat` (`::`-separated, no header) or `ratings.csv` (header
    /// `userId,movieId,rating,timestamp`). Every row is a `rating` event whose value is the
    /// rating; timestamps are epoch seconds.
    case movielens
    /// RecBole atomic `.inter` files: tab-separated, a header of `name:type` tokens
    /// (`user_id:token  item_id:token  rating:float  timestamp:float`), no quoting. The event
    /// type is `rating` (value = the rating) when there is a `rating` column, else `interaction`.
    case recbole
    /// Text with one `user item` pair per line (space or tab between), already in time order
    /// for each user: an event's timestamp is its position in its user's sequence (0, 1, 2, ...
    /// milliseconds), its type `interaction`.
    case userItem = "user-item"

    /// Reads a format name as written in flags (`csv`, `user-item`, `user_item`, `ndjson`, ...).
    public init?(parsing text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "-") {
        case "csv": self = .csv
        case "tsv", "tab": self = .tsv
        case "jsonl", "json-lines", "ndjson", "jsonlines": self = .jsonl
        case "movielens", "ml": self = .movielens
        case "recbole", "inter", "atomic": self = .recbole
        case "user-item", "useritem", "pairs", "sequence": self = .userItem
        default: return nil
        }
    }

    static var namesList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The resolved layout of a delimited file.
struct Dialect: Sendable, Hashable {
    var delimiter: [UInt8]
    var hasHeader: Bool
    var quoting: Bool
    var columnNames: [String]?
    /// RecBole headers: drop the `:type` suffix of each column name.
    var stripsTypeSuffixes = false

    /// This dialect with the options' choices.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` for a delimiter that cannot work.
    func overridden(by options: DialectOptions) throws -> Dialect {
        var dialect = self
        if let delimiter = options.delimiter {
            dialect.delimiter = Array(try DialectOptions.parseDelimiter(delimiter).utf8)
        }
        if let hasHeader = options.hasHeader { dialect.hasHeader = hasHeader }
        if let quoting = options.quoting { dialect.quoting = quoting }
        if let names = options.columnNames { dialect.columnNames = names }
        return dialect
    }
}

/// How to read one file: its layout and the mapping after the format's defaults.
struct ReadPlan: Sendable, Hashable {
    enum Layout: Sendable, Hashable {
        case delimited(Dialect)
        case jsonLines
        case userItem
    }

    var format: LogFormat
    var layout: Layout
    /// The format's mapping with the caller's choices on top.
    var mapping: ColumnMapping
    /// RecBole: map `rating` to the value (and type `rating`) only when the header has it.
    var ratingWhenPresent = false

    /// The mapping to resolve against a header with these column names.
    func mapping(forColumns columns: [String]) -> ColumnMapping {
        guard ratingWhenPresent, mapping.columns[.value] == nil else { return mapping }
        var result = mapping
        if columns.contains(where: { ColumnName.normalized($0) == "rating" }) {
            result.columns[.value] = "rating"
            if result.constantEventType == nil && result.columns[.eventType] == nil {
                result.constantEventType = .rating
            }
        }
        return result
    }
}

/// Format presets and detection.
enum Presets {
    /// RecBole field types, the part after `:` in an atomic file's header.
    static let recboleTypes: Set<String> = ["token", "token_seq", "float", "float_seq"]

    /// The MovieLens rating columns, as named for header-less files.
    private static let movieLensNames = ["user_id", "item_id", "rating", "timestamp"]

    /// The file name without folders and without a final `.gz`, in lower case.
    static func baseName(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return name
    }

    /// The format of `path`, from its name, else from its first non-blank line.
    static func detect(path: String) throws -> LogFormat {
        let name = baseName(path)
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".inter") { return .recbole }
        if name.hasSuffix(".user") || name.hasSuffix(".item") {
            throw EventDataError.unrecognizedFormat(
                path: path,
                detail: "a RecBole \(name.hasSuffix(".user") ? "user" : "item") attribute table holds attributes, "
                    + "not events; read it as an attribute table (AttributeTableReader)")
        }
        if name == "u.data" || name == "ratings.dat" { return .movielens }
        let firstLine = try Sniffer.firstLine(path: path)
        if name == "ratings.csv" {
            let header = ColumnName.normalized(firstLine.map { String(decoding: $0, as: UTF8.self) } ?? "")
            return header.hasPrefix("useridmovieidrating") ? .movielens : .csv
        }
        if name.hasSuffix(".tsv") { return .tsv }
        if name.hasSuffix(".csv") { return .csv }
        guard let firstLine else {
            throw EventDataError.unrecognizedFormat(
                path: path,
                detail: "the file is empty, so its format cannot be detected; choose one (\(LogFormat.namesList))")
        }
        if let format = sniff(firstLine) { return format }
        let preview = String(decoding: firstLine.prefix(80), as: UTF8.self)
        throw EventDataError.unrecognizedFormat(
            path: path,
            detail: "the format cannot be told from the name or the first line ('\(preview)'); "
                + "choose one (\(LogFormat.namesList))")
    }

    /// A format guessed from one line of text.
    static func sniff(_ line: [UInt8]) -> LogFormat? {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("{") { return .jsonl }
        if text.contains("\t") {
            let tokens = text.split(separator: "\t", omittingEmptySubsequences: false)
            let isRecBoleHeader = tokens.allSatisfy { token in
                guard let colon = token.lastIndex(of: ":") else { return false }
                return recboleTypes.contains(String(token[token.index(after: colon)...]))
            }
            if isRecBoleHeader { return .recbole }
            return tokens.count == 2 ? .userItem : .tsv
        }
        if text.contains("::") { return .movielens }
        if text.contains(",") { return .csv }
        if text.split(whereSeparator: { $0 == " " }).count == 2 { return .userItem }
        return nil
    }

    /// The plan for reading `path` as `format`, with the caller's layout and mapping choices.
    static func plan(
        path: String, format: LogFormat, mapping: ColumnMapping, dialect options: DialectOptions
    ) throws -> ReadPlan {
        switch format {
        case .csv:
            return ReadPlan(
                format: format, layout: .delimited(try csvDialect(path: path, options: options)), mapping: mapping)
        case .tsv:
            let dialect = try Dialect(delimiter: [0x09], hasHeader: true, quoting: true).overridden(by: options)
            return ReadPlan(format: format, layout: .delimited(dialect), mapping: mapping)
        case .jsonl:
            return ReadPlan(format: format, layout: .jsonLines, mapping: mapping)
        case .movielens:
            let (dialect, columns) = try movieLensDialect(path: path)
            let defaults = ColumnMapping(
                columns: [.userID: columns[0], .itemID: columns[1], .value: columns[2], .timestamp: columns[3]],
                constantEventType: .rating, timestampUnit: .seconds)
            return ReadPlan(
                format: format, layout: .delimited(try dialect.overridden(by: options)),
                mapping: defaults.overridden(by: mapping))
        case .recbole:
            let dialect = Dialect(delimiter: [0x09], hasHeader: true, quoting: false, stripsTypeSuffixes: true)
            var plan = ReadPlan(
                format: format, layout: .delimited(try dialect.overridden(by: options)), mapping: mapping)
            plan.ratingWhenPresent = true
            return plan
        case .userItem:
            return ReadPlan(format: format, layout: .userItem, mapping: mapping)
        }
    }

    /// CSV with a header and quotes; the delimiter is `,` unless the options give one or the
    /// header has no comma but has `;`, `|` or tabs.
    static func csvDialect(path: String, options: DialectOptions) throws -> Dialect {
        var delimiter = Array(",".utf8)
        if options.delimiter == nil, let line = try Sniffer.firstLine(path: path) {
            delimiter = sniffDelimiter(line)
        }
        return try Dialect(delimiter: delimiter, hasHeader: true, quoting: true).overridden(by: options)
    }

    /// The MovieLens variant, from the file name or else the first line, and the column
    /// names that the rating columns have in it.
    private static func movieLensDialect(path: String) throws -> (Dialect, [String]) {
        let headerless = { (delimiter: String) in
            (
                Dialect(
                    delimiter: Array(delimiter.utf8), hasHeader: false, quoting: false, columnNames: movieLensNames),
                movieLensNames
            )
        }
        let csvNames = ["userId", "movieId", "rating", "timestamp"]
        switch baseName(path) {
        case "u.data": return headerless("\t")
        case "ratings.dat": return headerless("::")
        case "ratings.csv": return (Dialect(delimiter: [0x2C], hasHeader: true, quoting: true), csvNames)
        default: break
        }
        let text = try Sniffer.firstLine(path: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if text.contains("::") { return headerless("::") }
        if text.contains("\t") { return headerless("\t") }
        if text.contains(",") {
            if text.first?.isNumber ?? false {
                return (
                    Dialect(delimiter: [0x2C], hasHeader: false, quoting: true, columnNames: movieLensNames),
                    movieLensNames
                )
            }
            return (Dialect(delimiter: [0x2C], hasHeader: true, quoting: true), csvNames)
        }
        if text.isEmpty { return headerless("\t") }
        throw EventDataError.unrecognizedFormat(
            path: path,
            detail: "this does not look like MovieLens ratings (u.data: tab-separated, ratings.dat: '::'-separated, "
                + "ratings.csv: comma-separated); choose another format or give the delimiter")
    }

    /// For CSV: `,` unless the header has none but has `;`, `|` or tabs.
    private static func sniffDelimiter(_ line: [UInt8]) -> [UInt8] {
        let comma = UInt8(ascii: ",")
        guard !line.contains(comma) else { return [comma] }
        let candidates: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: "|"), 0x09]
        let counts = candidates.map { candidate in line.filter { $0 == candidate }.count }
        guard let best = counts.indices.max(by: { counts[$0] < counts[$1] }), counts[best] > 0 else { return [comma] }
        return [candidates[best]]
    }
}

/// Reads the start of a file (through gzip if needed) to guess its layout.
enum Sniffer {
    /// The first non-blank line (without the line ending and a UTF-8 BOM), or `nil` for a
    /// file with none. Reads at most 1 MiB.
    static func firstLine(path: String) throws -> [UInt8]? {
        try firstLines(path: path, count: 1).first
    }

    /// Up to `count` non-blank lines from the first 1 MiB, each without its line ending.
    static func firstLines(path: String, count: Int) throws -> [[UInt8]] {
        let window = ByteWindow(source: try ByteSource(path: path), chunkSize: 1 << 20, maximumRecordBytes: 1 << 20)
        _ = try window.fill(recordStartLine: 1)
        let bytes = UnsafeRawBufferPointer(start: window.base + window.start, count: window.count)
        var lines: [[UInt8]] = []
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            var content = Array(line)
            if content.last == 0x0D { content.removeLast() }
            if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            lines.append(content)
            if lines.count == count { break }
        }
        return lines
    }
}
