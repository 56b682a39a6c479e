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
        let reader = try DelimitedTableReader(path: path, dialect: dialect)
        let names = reader.columns
        if names.isEmpty { return (AttributeTable(idColumn: idColumn ?? defaultID ?? "", columns: [], rows: []), []) }
        let idIndex = try resolveID(idColumn ?? defaultID, in: names, path: path)
        var rows: [AttributeRow] = []
        var rejections: [RowRejection] = []
        var firstLineOfID: [String: Int] = [:]
        try reader.forEachRow { result in
            let row: TableRow
            switch result {
            case .rejected(let rejection):
                rejections.append(rejection)
                return
            case .row(let parsed): row = parsed
            }
            let id = row.fields[idIndex].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else {
                rejections.append(
                    RowRejection(
                        line: row.line, reason: "the id (column '\(names[idIndex])') is empty",
                        kind: RejectionKind.missingField, raw: row.fields.joined(separator: ",")))
                return
            }
            if let first = firstLineOfID[id] {
                rejections.append(
                    RowRejection(
                        line: row.line,
                        reason: "id '\(id)' already appeared on line \(first); the first row is kept",
                        kind: RejectionKind.duplicateID, raw: row.fields.joined(separator: ",")))
                return
            }
            firstLineOfID[id] = row.line
            var values: [String: String] = [:]
            for index in names.indices where index != idIndex && !row.fields[index].isEmpty {
                values[names[index]] = row.fields[index]
            }
            rows.append(AttributeRow(id: id, values: values))
        }
        let table = AttributeTable(
            idColumn: names[idIndex], columns: names.indices.filter { $0 != idIndex }.map { names[$0] }, rows: rows)
        return (table, rejections)
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
}
