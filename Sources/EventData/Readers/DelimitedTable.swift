import Foundation

/// One data row of a delimited table: where it is and its fields as text.
public struct TableRow: Sendable, Hashable {
    /// The 1-based line the row starts on.
    public var line: Int
    /// One value per column, as written (quotes removed); empty for an empty field.
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// A data line of a table: a row, or why it cannot be one.
public enum TableLine: Sendable, Hashable {
    case row(TableRow)
    case rejected(RowRejection)
}

/// Streams any CSV or TSV table with a header (plain or gzip): the column names, then every
/// data row as text or as a rejection with its line and reason.
///
/// The delimiter is sniffed from the first line unless given (`,` by default; `;`, `|` or tab
/// when the header has no comma but has one of those); RFC 4180 quotes, CRLF and a UTF-8 BOM
/// are handled. Blank lines are skipped.
///
/// ```swift
/// let table = try DelimitedTableReader(path: "sessions.csv")
/// try table.forEachRow { row in
///     switch row {
///     case .row(let row): print(row.line, row.fields)
///     case .rejected(let rejection): print(rejection.reason)
///     }
/// }
/// ```
public final class DelimitedTableReader {
    /// The file read.
    public let path: String
    /// The column names from the header, in file order.
    public let columns: [String]
    private let parser: DelimitedParser

    /// Opens `path` and reads its header.
    ///
    /// An empty (or all-blank) file has no columns and no rows.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be read,
    ///   ``EventDataError/unrecognizedFormat(path:detail:)`` when its header is broken
    ///   (unclosed quote, invalid UTF-8).
    public convenience init(path: String, dialect options: DialectOptions = DialectOptions()) throws {
        let name = Presets.baseName(path)
        let dialect: Dialect
        if name.hasSuffix(".tsv") || name.hasSuffix(".tsv.gz") {
            dialect = try Dialect(delimiter: [0x09], hasHeader: true, quoting: true).overridden(by: options)
        } else {
            dialect = try Presets.csvDialect(path: path, options: options)
        }
        try self.init(path: path, dialect: dialect)
    }

    /// - Parameter chunkSize: bytes read from the file at a time.
    init(path: String, dialect: Dialect, chunkSize: Int = ByteWindow.defaultChunkSize) throws {
        self.path = path
        parser = DelimitedParser(
            window: ByteWindow(source: try ByteSource(path: path), chunkSize: chunkSize),
            delimiter: dialect.delimiter, quoting: dialect.quoting)
        var header: DelimitedRecord?
        while let record = try parser.next() {
            if !record.isBlank {
                header = record
                break
            }
        }
        guard let header else {
            columns = []
            pendingFirstRow = nil
            return
        }
        var names: [String]
        if dialect.hasHeader {
            names = try Self.headerNames(header, path: path)
            if dialect.stripsTypeSuffixes { names = names.map(DelimitedReading.strippingType) }
        } else {
            names = dialect.columnNames ?? (1...max(header.fieldCount, 1)).map { "column\($0)" }
        }
        columns = names
        pendingFirstRow = dialect.hasHeader ? nil : header
    }

    /// A headerless file's first line, which is data.
    private var pendingFirstRow: DelimitedRecord?

    /// Calls `body` for every non-blank data row, in file order: the row, or why it cannot be
    /// one (wrong column count, an unclosed quote, invalid UTF-8).
    ///
    /// - Throws: Errors reading the file, and whatever `body` throws.
    public func forEachRow(_ body: (TableLine) throws -> Void) throws {
        if let first = pendingFirstRow {
            pendingFirstRow = nil
            try body(row(first))
        }
        while let record = try parser.next() {
            if record.isBlank { continue }
            try body(row(record))
        }
    }

    private func row(_ record: DelimitedRecord) -> TableLine {
        if record.hasUnterminatedQuote {
            return .rejected(
                RowRejection(
                    line: record.line, reason: "a quoted field is never closed (it runs to the end of the file)",
                    kind: RejectionKind.unterminatedQuote, raw: record.rawText))
        }
        if record.fieldCount != columns.count {
            return .rejected(
                RowRejection(
                    line: record.line, reason: "expected \(columns.count) columns, found \(record.fieldCount)",
                    kind: RejectionKind.wrongColumnCount, raw: record.rawText))
        }
        var fields: [String] = []
        fields.reserveCapacity(columns.count)
        for index in 0..<record.fieldCount {
            let bytes = record.field(index)
            guard record.isASCII || ByteText.isValidUTF8(bytes) else {
                return .rejected(
                    RowRejection(
                        line: record.line,
                        reason: "column '\(columns[index])' is not valid UTF-8 (Latin-1 text?); save the file as UTF-8",
                        kind: RejectionKind.invalidUTF8, raw: record.rawText))
            }
            fields.append(ByteText.string(bytes))
        }
        return .row(TableRow(line: record.line, fields: fields))
    }

    /// The column names of a header record, trimmed.
    static func headerNames(_ record: DelimitedRecord, path: String) throws -> [String] {
        guard !record.hasUnterminatedQuote else {
            throw EventDataError.unrecognizedFormat(
                path: path, detail: "line \(record.line): the header has a quote that is never closed")
        }
        var names: [String] = []
        for index in 0..<record.fieldCount {
            guard let name = ByteText.validatedString(record.field(index)) else {
                throw EventDataError.unrecognizedFormat(
                    path: path,
                    detail: "line \(record.line): header column \(index + 1) is not valid UTF-8; save the file as UTF-8"
                )
            }
            names.append(name.trimmingCharacters(in: .whitespaces))
        }
        return names
    }
}
