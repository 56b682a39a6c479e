import Foundation

/// An ``Event`` field that a source column (or JSON key) can feed.
public enum EventField: String, CaseIterable, Sendable, Codable {
    /// ``Event/userID`` (required).
    case userID = "user_id"
    /// ``Event/timestamp`` (required).
    case timestamp
    /// ``Event/type`` (else a constant type).
    case eventType = "event_type"
    /// ``Event/itemID``.
    case itemID = "item_id"
    /// ``Event/sessionID``.
    case sessionID = "session_id"
    /// ``Event/value`` (a number).
    case value
    /// ``Event/duration`` (a number of seconds).
    case duration
    /// ``Event/category``.
    case category

    /// Reads a field name as written in flags or schema files (`user_id`, `user-id`, `userId`).
    public init?(parsing text: String) {
        let key = ColumnName.normalized(text)
        guard let field = Self.allCases.first(where: { ColumnName.normalized($0.rawValue) == key }) else { return nil }
        self = field
    }

    /// Position in ``EventField/allCases``, for per-field arrays.
    var ordinal: Int {
        switch self {
        case .userID: return 0
        case .timestamp: return 1
        case .eventType: return 2
        case .itemID: return 3
        case .sessionID: return 4
        case .value: return 5
        case .duration: return 6
        case .category: return 7
        }
    }

    /// The field names, for messages.
    static var namesList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Which source column feeds which ``Event`` field.
///
/// Fields that are not named here are looked up by their canonical name (`user_id`,
/// `timestamp`, `event_type`, `item_id`, `session_id`, `value`, `duration`, `category`),
/// ignoring letter case and punctuation, so `userId` and `User ID` match `user_id`. Columns
/// that feed no field become the event's `properties` (empty values are left out).
///
/// `user_id` and `timestamp` must come from a column. The event type comes from a column,
/// else from ``constantEventType``, else it is `interaction`.
///
/// A column is named as in the header. In a file without a header it can be named by its
/// 1-based position (`3` or `column3`), or by a name given in ``DialectOptions/columnNames``.
///
/// ```swift
/// let mapping = ColumnMapping(
///     columns: [.userID: "customer", .timestamp: "ts", .eventType: "action", .value: "price"],
///     timestampUnit: .milliseconds)
/// ```
public struct ColumnMapping: Sendable, Hashable {
    /// Column names (or positions) by field; fields left out use their canonical names.
    public var columns: [EventField: String]
    /// The event type of every row when no column gives it (e.g. `rating` for MovieLens).
    public var constantEventType: EventType?
    /// How the timestamp column is written; `nil` means the format's default (`auto` for
    /// CSV, TSV and JSON Lines).
    public var timestampUnit: TimestampUnit?

    /// A mapping; with no arguments, every field by its canonical name and the format's defaults.
    public init(
        columns: [EventField: String] = [:], constantEventType: EventType? = nil, timestampUnit: TimestampUnit? = nil
    ) {
        self.columns = columns
        self.constantEventType = constantEventType
        self.timestampUnit = timestampUnit
    }

    /// This mapping with every choice that `other` makes taking precedence.
    public func overridden(by other: ColumnMapping) -> ColumnMapping {
        ColumnMapping(
            columns: columns.merging(other.columns) { _, new in new },
            constantEventType: other.constantEventType ?? constantEventType,
            timestampUnit: other.timestampUnit ?? timestampUnit)
    }

    /// The event type used when neither a column nor ``constantEventType`` gives one.
    public static let defaultEventType: EventType = "interaction"
}

/// How a delimited file is laid out; `nil` members keep the format's defaults.
public struct DialectOptions: Sendable, Hashable {
    /// The field separator: one or more characters (`,`, `\t`, `;`, `|`, `::`).
    public var delimiter: String?
    /// Whether the first line names the columns.
    public var hasHeader: Bool?
    /// Whether RFC 4180 quotes are recognised (`"a, b"`, `""` for a quote).
    public var quoting: Bool?
    /// Column names for a file without a header (they also name the properties).
    public var columnNames: [String]?

    /// Layout choices; with no arguments, the format's defaults.
    public init(delimiter: String? = nil, hasHeader: Bool? = nil, quoting: Bool? = nil, columnNames: [String]? = nil) {
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.quoting = quoting
        self.columnNames = columnNames
    }

    /// Reads a delimiter as written in a flag or schema: the character(s) themselves, a
    /// backslash escape (`\t`), or a name (`comma`, `tab`, `semicolon`, `pipe`, `space`).
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` for an empty delimiter or one
    ///   holding a line break or a quote.
    public static func parseDelimiter(_ text: String, option: String = "delimiter") throws -> String {
        let delimiter: String
        switch text.lowercased() {
        case "comma": delimiter = ","
        case "tab", "\\t": delimiter = "\t"
        case "semicolon": delimiter = ";"
        case "pipe": delimiter = "|"
        case "space": delimiter = " "
        case "colons", "double-colon": delimiter = "::"
        default: delimiter = text
        }
        guard !delimiter.isEmpty, !delimiter.contains(where: { "\n\r\"".contains($0) }) else {
            throw EventDataError.invalidOption(
                name: option,
                detail: "'\(text)' cannot separate fields; use one or more characters other than line breaks "
                    + "and quotes (e.g. ',', 'tab', ';', '|', '::')")
        }
        return delimiter
    }
}

/// Column-name matching shared by the readers.
enum ColumnName {
    /// Lower case with everything but letters and digits removed: `User ID` -> `userid`.
    static func normalized(_ name: String) -> String {
        String(
            String.UnicodeScalarView(
                name.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }))
    }

    /// Which column each field reads, given the file's column names.
    ///
    /// Explicitly mapped fields match a column by exact name, then by normalized name, then
    /// by 1-based position (`3` or `column3`). Other fields match a not-yet-used column by
    /// normalized canonical name.
    ///
    /// - Throws: ``EventDataError/badMapping(path:detail:)`` when a mapped column is absent or
    ///   `user_id` / `timestamp` has no column.
    static func resolve(
        _ mapping: ColumnMapping, columns: [String], path: String, hasHeader: Bool
    ) throws -> [EventField: Int] {
        var result: [EventField: Int] = [:]
        var used = Set<Int>()
        let normalizedColumns = columns.map(normalized)
        let available = describe(columns, noun: "column")
        for field in EventField.allCases {
            guard let name = mapping.columns[field] else { continue }
            var index = columns.firstIndex(of: name) ?? normalizedColumns.firstIndex(of: normalized(name))
            if index == nil, let position = position(of: name), position <= columns.count {
                index = position - 1
            }
            guard let index else {
                throw EventDataError.badMapping(
                    path: path,
                    detail: "column '\(name)', mapped to \(field.rawValue), is not in the file; \(available); "
                        + "map \(field.rawValue) to one of them (or to a position from 1 to \(columns.count))")
            }
            result[field] = index
            used.insert(index)
        }
        for field in EventField.allCases where mapping.columns[field] == nil {
            if field == .eventType && mapping.constantEventType != nil { continue }
            let wanted = normalized(field.rawValue)
            if let index = normalizedColumns.indices.first(where: {
                !used.contains($0) && normalizedColumns[$0] == wanted
            }) {
                result[field] = index
                used.insert(index)
            }
        }
        for field in [EventField.userID, .timestamp] where result[field] == nil {
            let example =
                hasHeader
                ? "map one, e.g. \(field.rawValue)=<column>"
                : "the file has no header, so map one by position, e.g. \(field.rawValue)=1, or name the columns"
            throw EventDataError.badMapping(
                path: path,
                detail: "no column gives \(field.rawValue): none is named '\(field.rawValue)' and the mapping names "
                    + "none; \(available); \(example)")
        }
        return result
    }

    /// "available columns: a, b, c" (at most 30 names).
    static func describe(_ columns: [String], noun: String) -> String {
        guard !columns.isEmpty else { return "the file has no \(noun)s" }
        let shown = columns.prefix(30).map { "'\($0)'" }.joined(separator: ", ")
        return "available \(noun)s: \(shown)" + (columns.count > 30 ? " and \(columns.count - 30) more" : "")
    }

    /// The 1-based position in `3` or `column3`.
    private static func position(of name: String) -> Int? {
        let lowered = name.lowercased()
        let digits = lowered.hasPrefix("column") ? String(lowered.dropFirst(6)) : lowered
        guard let value = Int(digits), value >= 1 else { return nil }
        return value
    }
}
