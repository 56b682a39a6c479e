import Foundation

/// Attributes keyed by id: users' age, gender, occupation, or items' category, genres, price.
///
/// Values are kept as text, as written; the columns say which attributes the file has.
public struct AttributeTable: Sendable, Hashable {
    /// The column holding the ids.
    public var idColumn: String
    /// The attribute columns, in file order (the id column excluded).
    public var columns: [String]
    /// One row per distinct id, in file order (``AttributeRow`` is what the event store ingests).
    public var rows: [AttributeRow]

    /// A table with these columns and rows.
    public init(idColumn: String, columns: [String], rows: [AttributeRow]) {
        self.idColumn = idColumn
        self.columns = columns
        self.rows = rows
    }
}

/// Reads attribute tables: RecBole `.user` / `.item` files (tab-separated, `name:type`
/// header, no quoting) or any CSV / TSV with a header and an id column; gzip is recognised.
///
/// ```swift
/// let (users, rejections) = try AttributeTableReader.read(path: "ml-100k.user")
/// // users.idColumn == "user_id", users.columns == ["age", "gender", "occupation", "zip_code"]
/// ```
public enum AttributeTableReader {
    /// Reads the whole table (attribute tables are small next to event logs).
    ///
    /// Each non-blank data line becomes a row or a rejection: wrong column count, invalid
    /// UTF-8, an unclosed quote, an empty id (`missing_field`) or an id seen before
    /// (`duplicate_id`, the first row wins).
    ///
    /// - Parameters:
    ///   - idColumn: the id column by name or 1-based position; by default `user_id` for a
    ///     `.user` file, `item_id` for an `.item` file, else the first column.
    ///   - dialect: layout choices; by default the delimiter is a tab for `.user`, `.item` and
    ///     `.tsv` files, else `,` (or `;`, `|`, tab when the header has no comma but has those).
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be read,
    ///   ``EventDataError/unrecognizedFormat(path:detail:)`` for a bad header,
    ///   ``EventDataError/badMapping(path:detail:)`` when the id column is not in the header.
    public static func read(
        path: String, idColumn: String? = nil, dialect options: DialectOptions = DialectOptions()
    ) throws -> (table: AttributeTable, rejections: [RowRejection]) {
        let name = Presets.baseName(path)
        let isRecBole = name.hasSuffix(".user") || name.hasSuffix(".item")
        let dialect: Dialect
        if isRecBole {
            dialect = try Dialect(delimiter: [0x09], hasHeader: true, quoting: false, stripsTypeSuffixes: true)
                .overridden(by: options)
        } else if name.hasSuffix(".tsv") {
            dialect = try Dialect(delimiter: [0x09], hasHeader: true, quoting: true).overridden(by: options)
        } else {
            dialect = try Presets.csvDialect(path: path, options: options)
        }
        let defaultID = isRecBole ? (name.hasSuffix(".user") ? "user_id" : "item_id") : nil
        let parser = DelimitedParser(
            window: ByteWindow(source: try ByteSource(path: path)), delimiter: dialect.delimiter,
            quoting: dialect.quoting)

        var names: [String]?
        var idIndex = 0
        var rows: [AttributeRow] = []
        var rejections: [RowRejection] = []
        var firstLineOfID: [String: Int] = [:]
        while let record = try parser.next() {
            if record.isBlank { continue }
            if names == nil {
                var header = try headerNames(record, dialect: dialect, path: path)
                if dialect.stripsTypeSuffixes { header = header.map(DelimitedReading.strippingType) }
                idIndex = try resolveID(idColumn ?? defaultID, in: header, path: path)
                names = header
                if dialect.hasHeader { continue }
            }
            guard let names else { continue }
            if let reason = problem(with: record, columns: names) {
                rejections.append(reason)
                continue
            }
            let id = ByteText.string(ByteText.trimmed(record.field(idIndex)))
            guard !id.isEmpty else {
                rejections.append(
                    RowRejection(
                        line: record.line, reason: "the id (column '\(names[idIndex])') is empty",
                        kind: RejectionKind.missingField, raw: record.rawText))
                continue
            }
            if let first = firstLineOfID[id] {
                rejections.append(
                    RowRejection(
                        line: record.line,
                        reason: "id '\(id)' already appeared on line \(first); the first row is kept",
                        kind: RejectionKind.duplicateID, raw: record.rawText))
                continue
            }
            firstLineOfID[id] = record.line
            var values: [String: String] = [:]
            for index in names.indices where index != idIndex {
                let bytes = record.field(index)
                if !bytes.isEmpty { values[names[index]] = ByteText.string(bytes) }
            }
            rows.append(AttributeRow(id: id, values: values))
        }
        let header = names ?? []
        let table = AttributeTable(
            idColumn: header.indices.contains(idIndex) ? header[idIndex] : (idColumn ?? defaultID ?? ""),
            columns: header.indices.filter { $0 != idIndex }.map { header[$0] }, rows: rows)
        return (table, rejections)
    }

    private static func headerNames(_ record: DelimitedRecord, dialect: Dialect, path: String) throws -> [String] {
        guard dialect.hasHeader else {
            return dialect.columnNames ?? (1...max(record.fieldCount, 1)).map { "column\($0)" }
        }
        guard !record.hasUnterminatedQuote else {
            throw EventDataError.unrecognizedFormat(
                path: path, detail: "line \(record.line): the header has a quote that is never closed")
        }
        return try (0..<record.fieldCount).map { index in
            guard let name = ByteText.validatedString(record.field(index)) else {
                throw EventDataError.unrecognizedFormat(
                    path: path,
                    detail: "line \(record.line): header column \(index + 1) is not valid UTF-8; save the file as UTF-8"
                )
            }
            return name.trimmingCharacters(in: .whitespaces)
        }
    }

    private static func resolveID(_ wanted: String?, in columns: [String], path: String) throws -> Int {
        guard let wanted else { return 0 }
        if let index = columns.firstIndex(of: wanted)
            ?? columns.firstIndex(where: { ColumnName.normalized($0) == ColumnName.normalized(wanted) })
        {
            return index
        }
        if let position = Int(wanted), position >= 1, position <= columns.count { return position - 1 }
        throw EventDataError.badMapping(
            path: path,
            detail: "id column '\(wanted)' is not in the file; \(ColumnName.describe(columns, noun: "column")); "
                + "name the id column (or its position from 1 to \(columns.count))")
    }

    private static func problem(with record: DelimitedRecord, columns: [String]) -> RowRejection? {
        if record.hasUnterminatedQuote {
            return RowRejection(
                line: record.line, reason: "a quoted field is never closed (it runs to the end of the file)",
                kind: RejectionKind.unterminatedQuote, raw: record.rawText)
        }
        if record.fieldCount != columns.count {
            return RowRejection(
                line: record.line, reason: "expected \(columns.count) columns, found \(record.fieldCount)",
                kind: RejectionKind.wrongColumnCount, raw: record.rawText)
        }
        if !record.isASCII {
            for index in 0..<record.fieldCount where !ByteText.isValidUTF8(record.field(index)) {
                return RowRejection(
                    line: record.line,
                    reason: "column '\(columns[index])' is not valid UTF-8 (Latin-1 text?); save the file as UTF-8",
                    kind: RejectionKind.invalidUTF8, raw: record.rawText)
            }
        }
        return nil
    }
}
