import Embeddings
import EventData
import Foundation

/// A per-user table read from a CSV/TSV file for segmentation: one row per id, the numeric and
/// true/false columns as features.
public struct SegmentTableFile: Sendable {
    /// The features, ids and values (true/false as 1/0; empty cells as the column's median).
    public var table: FeatureTable
    /// Columns left out, with why.
    public var skipped: [(column: String, reason: String)]
    /// Rows left out (malformed, no id, a repeated id), with why.
    public var rejected: [RowRejection]

    /// Reads `path`, taking `id` as the user id column.
    ///
    /// - Throws: ``UnsupervisedError/badData(path:detail:)`` when the id column is absent, no
    ///   column is numeric, or fewer than 3 rows are usable; file errors as ``EventDataError``.
    public static func read(path: String, id: String) throws -> SegmentTableFile {
        let reader = try DelimitedTableReader(path: path)
        guard let idColumn = reader.columns.firstIndex(of: id) else {
            let columns = reader.columns.map { "'\($0)'" }.joined(separator: ", ")
            throw UnsupervisedError.badData(
                path: path, detail: "no column '\(id)' for the ids; the columns are \(columns)")
        }
        var cells: [[String]] = []
        var ids: [String] = []
        var lines: [Int] = []
        var seen: Set<String> = []
        var rejected: [RowRejection] = []
        try reader.forEachRow { line in
            switch line {
            case .rejected(let rejection): rejected.append(rejection)
            case .row(let row):
                let user = TableValues.trimmed(row.fields[idColumn])
                let raw = row.fields.joined(separator: ",")
                if TableValues.isMissing(user) {
                    rejected.append(
                        RowRejection(line: row.line, reason: "the id '\(id)' is empty", kind: "missing_field", raw: raw)
                    )
                } else if !seen.insert(user).inserted {
                    rejected.append(
                        RowRejection(
                            line: row.line, reason: "the id '\(user)' repeats an earlier row", kind: "duplicate",
                            raw: raw))
                } else {
                    cells.append(row.fields)
                    ids.append(user)
                    lines.append(row.line)
                }
            }
        }
        let profiles = ColumnKindInference.profiles(columns: reader.columns, rows: cells)
        var used: [Int] = []
        var skipped: [(column: String, reason: String)] = []
        for (index, profile) in profiles.enumerated() where index != idColumn {
            switch profile.kind {
            case .numeric, .boolean: used.append(index)
            case .ignored: skipped.append((profile.name, profile.note ?? "ignored"))
            default:
                skipped.append(
                    (profile.name, "\(profile.kind.rawValue) values; segments use numeric and true/false columns"))
            }
        }
        guard !used.isEmpty else {
            throw UnsupervisedError.badData(
                path: path, detail: "no numeric or true/false column besides '\(id)' to segment on")
        }
        var columnValues: [[Double?]] = used.map { column in
            cells.map { row in
                let cell = row[column]
                if TableValues.isMissing(cell) { return nil }
                return profiles[column].kind == .boolean
                    ? TableValues.boolean(cell).map { $0 ? 1 : 0 } : TableValues.number(cell)
            }
        }
        // The text is no longer needed; on a million rows it is most of the memory.
        let rowCount = cells.count
        cells = []
        // Empty cells take the column's median (of the present values).
        for (position, values) in columnValues.enumerated() {
            let present = values.compactMap { $0 }.sorted()
            let median = present.isEmpty ? 0 : (present[(present.count - 1) / 2] + present[present.count / 2]) / 2
            columnValues[position] = values.map { $0 ?? median }
        }
        let rows = (0..<rowCount).map { row in columnValues.map { $0[row] ?? 0 } }
        guard rows.count >= 3 else {
            throw UnsupervisedError.badData(
                path: path, detail: "\(rows.count) usable rows; segmenting needs at least 3")
        }
        return SegmentTableFile(
            table: FeatureTable(columns: used.map { reader.columns[$0] }, userIDs: ids, rows: rows), skipped: skipped,
            rejected: rejected)
    }
}
