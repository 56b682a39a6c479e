import Foundation

/// How a table column is read into features.
public enum ColumnKind: String, Sendable, Codable, CaseIterable {
    /// Numbers: imputed with the training median, z-scored.
    case numeric
    /// true/false, yes/no, t/f, y/n (any case): 0 or 1.
    case boolean
    /// Text labels: one-hot over the most frequent training values plus an "other" slot.
    case categorical
    /// Month names or abbreviations (`Jan`, `June`, `Sept`): a point on the yearly circle.
    case month
    /// Weekday names or abbreviations (`Mon`, `Tuesday`): a point on the weekly circle.
    case weekday
    /// Not used (ids, empty columns, or by request).
    case ignored
}

/// Parsing of table cells, shared by inference and encoding.
public enum TableValues {
    private static let missingWords: Set<String> = ["", "na", "n/a", "nan", "null", "none", "?", "-"]
    private static let trueWords: Set<String> = ["true", "yes", "t", "y"]
    private static let falseWords: Set<String> = ["false", "no", "f", "n"]
    private static let months: [String: Int] = {
        let names = [
            "january", "february", "march", "april", "may", "june", "july", "august", "september",
            "october", "november", "december",
        ]
        var table: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            table[name] = index
            table[String(name.prefix(3))] = index
        }
        table["sept"] = 8
        return table
    }()
    private static let weekdays: [String: Int] = {
        let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        var table: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            table[name] = index
            table[String(name.prefix(3))] = index
        }
        table["tues"] = 1
        table["thur"] = 3
        table["thurs"] = 3
        return table
    }()

    /// Whether a cell counts as missing: empty, `NA`, `N/A`, `NaN`, `null`, `None`, `?` or `-`.
    public static func isMissing(_ cell: String) -> Bool {
        // Every missing word is at most 4 characters and starts with n, ?, - (or a space before
        // them); other cells skip the normalisation, which matters when scoring millions of rows.
        let utf8 = cell.utf8
        guard let first = utf8.first else { return true }
        if utf8.count > 8 { return false }
        switch first {
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "?"), UInt8(ascii: "-"), UInt8(ascii: " "), 9:
            return missingWords.contains(normalized(cell))
        default:
            return false
        }
    }

    /// The number in a cell (surrounding spaces allowed), or nil.
    public static func number(_ cell: String) -> Double? {
        guard let value = Double(cell) ?? Double(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            return nil
        }
        return value
    }

    /// The truth value of a cell, or nil.
    public static func boolean(_ cell: String) -> Bool? {
        let word = normalized(cell)
        if trueWords.contains(word) { return true }
        if falseWords.contains(word) { return false }
        return nil
    }

    /// The month of a cell, 0 (January) to 11, or nil.
    public static func month(_ cell: String) -> Int? { months[normalized(cell)] }

    /// The weekday of a cell, 0 (Monday) to 6, or nil.
    public static func weekday(_ cell: String) -> Int? { weekdays[normalized(cell)] }

    /// The cell without surrounding spaces and tabs.
    public static func trimmed(_ cell: String) -> String {
        let utf8 = cell.utf8
        guard let first = utf8.first, let last = utf8.last else { return cell }
        let blank: (UInt8) -> Bool = { $0 == 32 || $0 == 9 }
        guard blank(first) || blank(last) else { return cell }
        return cell.trimmingCharacters(in: .whitespaces)
    }

    /// Trimmed and lowercased; ASCII cells (nearly all) without Foundation's Unicode machinery.
    static func normalized(_ cell: String) -> String {
        let text = trimmed(cell)
        var bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 128 }) else { return text.lowercased() }
        for index in bytes.indices where bytes[index] >= 65 && bytes[index] <= 90 { bytes[index] += 32 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What inference found in one column.
public struct ColumnProfile: Sendable, Codable, Equatable {
    public var name: String
    public var kind: ColumnKind
    /// Cells counted as missing.
    public var missing: Int
    /// Distinct non-missing values.
    public var distinct: Int
    /// Why the kind was chosen when it may surprise (an id-like column, integer codes).
    public var note: String?

    public init(name: String, kind: ColumnKind, missing: Int, distinct: Int, note: String? = nil) {
        self.name = name
        self.kind = kind
        self.missing = missing
        self.distinct = distinct
        self.note = note
    }
}

/// Infers each column's kind from its cells.
///
/// In order: a column whose every cell is missing is ignored; one whose non-missing cells are
/// all truth words is boolean; all numbers, numeric; all month names, month; all weekday
/// names, weekday; otherwise categorical. Identifiers are ignored, with a note saying so:
/// non-negative integers with a different value in every row (a customer number is not a
/// quantity; a real quantity over many rows repeats some value), and
/// text with a different value in at least ``identifierShare`` of the rows (one-hot slots for
/// ids are noise). Either needs more than 20 rows. Integer columns with few distinct values
/// stay numeric with a note, since they may be codes (pass them as categorical to one-hot
/// them). A kind given by the user always wins.
public enum ColumnKindInference {
    /// The share of distinct values from which a text column counts as an identifier.
    public static let identifierShare = 0.95

    /// - Parameters:
    ///   - columns: The column names.
    ///   - rows: The cells, one array per row with one cell per column.
    ///   - overrides: Kinds chosen by the user, by column name; they win.
    public static func profiles(columns: [String], rows: [[String]], overrides: [String: ColumnKind] = [:])
        -> [ColumnProfile]
    {
        columns.indices.map { index in
            var missing = 0
            var distinct = Set<String>()
            var allBoolean = true
            var allNumeric = true
            var allInteger = true
            var anyNegative = false
            var allMonth = true
            var allWeekday = true
            for row in rows {
                let cell = row[index]
                if TableValues.isMissing(cell) {
                    missing += 1
                    continue
                }
                distinct.insert(cell)
                if allBoolean, TableValues.boolean(cell) == nil { allBoolean = false }
                if allNumeric {
                    if let number = TableValues.number(cell) {
                        if number.rounded() != number { allInteger = false }
                        if number < 0 { anyNegative = true }
                    } else {
                        allNumeric = false
                    }
                }
                if allMonth, TableValues.month(cell) == nil { allMonth = false }
                if allWeekday, TableValues.weekday(cell) == nil { allWeekday = false }
            }
            let present = rows.count - missing
            var profile = ColumnProfile(
                name: columns[index], kind: .categorical, missing: missing, distinct: distinct.count)
            if let kind = overrides[columns[index]] {
                profile.kind = kind
            } else if present == 0 {
                profile.kind = .ignored
                profile.note = "every cell is missing"
            } else if allBoolean {
                profile.kind = .boolean
            } else if allNumeric {
                profile.kind = .numeric
                if allInteger && !anyNegative && distinct.count == present && present > 20 {
                    profile.kind = .ignored
                    profile.note = identifierNote(distinct: distinct.count, of: present, override: "numeric")
                } else if allInteger && distinct.count > 2 && distinct.count <= 20 {
                    profile.note = "integers with \(distinct.count) values; if they are codes, pass it as categorical"
                }
            } else if allMonth {
                profile.kind = .month
            } else if allWeekday {
                profile.kind = .weekday
            } else if present > 20 && Double(distinct.count) >= identifierShare * Double(present) {
                profile.kind = .ignored
                profile.note = identifierNote(distinct: distinct.count, of: present, override: "categorical")
            }
            return profile
        }
    }

    /// The note of an ignored identifier column: `identifier: 5,634 distinct of 5,634; ...`.
    private static func identifierNote(distinct: Int, of present: Int, override kind: String) -> String {
        "identifier: \(Grouping.grouped(distinct)) distinct of \(Grouping.grouped(present)); give it the kind \(kind) to use it"
    }
}
