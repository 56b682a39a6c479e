import FileIO
import Foundation

/// A numeric table with one row per user: what ``UserFeatureExtractor/table(from:referenceTime:eventTypes:sessionGap:)``
/// builds and ``writeCSV(to:attributes:attributeColumns:)`` exports.
///
/// User attributes (age, occupation, ...) are strings, so they stay out of the numeric rows;
/// the CSV export can append them as extra text columns instead.
public struct FeatureTable: Sendable, Hashable {
    /// Feature names, one per value of each row.
    public var columns: [String]
    /// The users' external ids, one per row.
    public var userIDs: [String]
    /// The feature values: `rows[i][j]` is feature `columns[j]` of user `userIDs[i]`.
    public var rows: [[Double]]

    public init(columns: [String], userIDs: [String], rows: [[Double]]) {
        self.columns = columns
        self.userIDs = userIDs
        self.rows = rows
    }

    /// Writes the table as CSV: a header `user_id,<columns>[,<attributeColumns>]`, then one
    /// line per user ending in `\n`.
    ///
    /// Numbers are printed compactly: whole numbers without a decimal point (`3`, not `3.0`),
    /// others in Swift's shortest round-tripping form (`0.25`, `1e-05`). A text field (user id,
    /// column name, attribute value) is quoted, with `"` doubled, only when it contains a comma,
    /// a quote, a carriage return or a line feed. An attribute a user lacks is an empty field.
    ///
    /// - Parameters:
    ///   - path: The file to create or replace (written under a temporary name and moved into
    ///     place when complete, so a failed write leaves no partial table).
    ///   - attributes: Attribute values by user id and then attribute name (as
    ///     ``EventStore/attributes(kind:)`` returns them for `.user`).
    ///   - attributeColumns: The attribute names to append as columns, in order.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when an attribute column repeats
    ///   a column name; ``EventDataError/unwritable(path:reason:)`` when a value is not finite, a
    ///   row's length does not match the columns, or the file cannot be written.
    public func writeCSV(
        to path: String, attributes: [String: [String: String]] = [:], attributeColumns: [String] = []
    ) throws {
        var seen: Set<String> = ["user_id"]
        for name in columns + attributeColumns {
            guard seen.insert(name).inserted else {
                throw EventDataError.invalidOption(
                    name: "attributeColumns",
                    detail: "column \"\(name)\" appears twice in the feature table; rename or drop the attribute.")
            }
        }
        guard userIDs.count == rows.count else {
            throw EventDataError.unwritable(
                path: path,
                reason: "the table has \(userIDs.count) user ids for \(rows.count) rows; give one user id per row")
        }
        let file: OutputFile
        do {
            file = try OutputFile(path: path)
        } catch {
            throw EventDataError.unwritable(path: path, reason: error.reason)
        }

        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flush() throws {
            do {
                try file.write(Data(buffer))
            } catch {
                throw EventDataError.unwritable(path: path, reason: error.reason)
            }
            buffer.removeAll(keepingCapacity: true)
        }

        buffer.append(
            contentsOf: (["user_id"] + columns + attributeColumns).map(CSVText.field).joined(separator: ",").utf8)
        buffer.append(UInt8(ascii: "\n"))
        for (index, row) in rows.enumerated() {
            let userID = userIDs[index]
            guard row.count == columns.count else {
                throw EventDataError.unwritable(
                    path: path,
                    reason: "row \(index + 1) (user \(userID)) has \(row.count) values for \(columns.count) columns; "
                        + "build the table with one value per column")
            }
            buffer.append(contentsOf: CSVText.field(userID).utf8)
            for (column, value) in zip(columns, row) {
                guard value.isFinite else {
                    throw EventDataError.unwritable(
                        path: path,
                        reason: "row \(index + 1) (user \(userID)), column \(column): \(value) is not a finite number; "
                            + "fix or drop it before writing")
                }
                buffer.append(UInt8(ascii: ","))
                buffer.append(contentsOf: CSVText.number(value).utf8)
            }
            let userAttributes = attributes[userID]
            for name in attributeColumns {
                buffer.append(UInt8(ascii: ","))
                buffer.append(contentsOf: CSVText.field(userAttributes?[name] ?? "").utf8)
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        do {
            try file.commit()
        } catch {
            throw EventDataError.unwritable(path: path, reason: error.reason)
        }
    }

    /// The dayparts, their column names and hours (UTC).
    public static let dayparts: [(column: String, hours: Range<Int>)] = [
        ("daypart_night", 0..<6), ("daypart_morning", 6..<12), ("daypart_afternoon", 12..<18),
        ("daypart_evening", 18..<24),
    ]

    /// The table with its hourly and weekday profile (`hour_00`...`hour_23`, `dow_mon`...
    /// `dow_sun`) folded into four daypart shares (``dayparts``) and `weekend_share`.
    ///
    /// Unsupervised models want this: a user with three events has hour shares of 0 or 1/3,
    /// and 31 such columns, z-scored, outweigh everything else a row says. Columns that are
    /// absent are left as they are.
    public func foldingTimeProfile() -> FeatureTable {
        let hourColumns = (0..<24).map { columns.firstIndex(of: $0 < 10 ? "hour_0\($0)" : "hour_\($0)") }
        let dayColumns = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map { columns.firstIndex(of: "dow_\($0)") }
        let hours = hourColumns.compactMap { $0 }
        let days = dayColumns.compactMap { $0 }
        guard hours.count == 24, days.count == 7 else { return self }
        let dropped = Set(hours + days)
        let kept = columns.indices.filter { !dropped.contains($0) }
        let weekend = [days[5], days[6]]
        return FeatureTable(
            columns: kept.map { columns[$0] } + Self.dayparts.map(\.column) + ["weekend_share"], userIDs: userIDs,
            rows: rows.map { row in
                kept.map { row[$0] } + Self.dayparts.map { part in part.hours.reduce(0) { $0 + row[hours[$1]] } }
                    + [weekend.reduce(0) { $0 + row[$1] }]
            })
    }
}
