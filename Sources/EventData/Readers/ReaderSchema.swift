import Foundation
import Yams

/// Everything a reader needs to know about a log file that it cannot guess: the format, the
/// layout of delimited text and the column mapping. Built from flags or a YAML / JSON file.
///
/// A schema file (YAML, or JSON with the same keys):
/// ```yaml
/// format: csv               # csv | tsv | jsonl | movielens | recbole | user-item
/// delimiter: ","            # or tab, semicolon, pipe, "::"
/// header: true
/// quoting: true             # RFC 4180 quotes
/// names: [customer, ts, action, sku, price]   # column names when there is no header
/// columns: { user_id: customer, timestamp: ts, event_type: action, item_id: sku, value: price }
/// constant_event_type: view # the event type when no column gives one
/// timestamp_unit: auto      # auto | seconds | milliseconds | iso8601
/// ```
/// Every key is optional. Unknown keys are errors, so that a misspelt key is not ignored.
public struct ReaderSchema: Sendable, Hashable {
    /// The format, or `nil` to detect it from the file.
    public var format: LogFormat?
    /// Delimited-text layout overrides.
    public var dialect: DialectOptions
    /// The column mapping.
    public var mapping: ColumnMapping

    /// A schema; with no arguments, detect the format and use its defaults.
    public init(
        format: LogFormat? = nil, dialect: DialectOptions = DialectOptions(), mapping: ColumnMapping = ColumnMapping()
    ) {
        self.format = format
        self.dialect = dialect
        self.mapping = mapping
    }

    /// The keys a schema file or flag set may hold, besides the field names in flags.
    static let settingKeys = [
        "format", "delimiter", "header", "quoting", "names", "columns", "constant_event_type", "timestamp_unit",
    ]

    /// Builds a schema from `key=value` flags: the schema file's keys (except `columns`), plus
    /// one key per mapped field (`user_id=customer`); `names` is a comma-separated list.
    ///
    /// ```swift
    /// let schema = try ReaderSchema(flags: ["format": "csv", "delimiter": ";", "user_id": "customer"])
    /// ```
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` naming the flag for an unknown
    ///   key or a value that cannot work.
    public init(flags: [String: String]) throws {
        self.init()
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            let name = key.lowercased().replacingOccurrences(of: "-", with: "_")
            if let field = EventField(parsing: name) {
                guard !value.isEmpty else {
                    throw EventDataError.invalidOption(
                        name: key, detail: "give the column that feeds \(field.rawValue)")
                }
                mapping.columns[field] = value
                continue
            }
            switch name {
            case "format": format = try Self.format(value, option: key)
            case "delimiter": dialect.delimiter = try DialectOptions.parseDelimiter(value, option: key)
            case "header": dialect.hasHeader = try Self.bool(value, option: key)
            case "quoting": dialect.quoting = try Self.bool(value, option: key)
            case "names":
                dialect.columnNames = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case "constant_event_type": mapping.constantEventType = try Self.eventType(value, option: key)
            case "timestamp_unit": mapping.timestampUnit = try Self.unit(value, option: key)
            default:
                throw EventDataError.invalidOption(
                    name: key,
                    detail: "unknown setting; use a field name (\(EventField.namesList)) or one of "
                        + Self.settingKeys.filter { $0 != "columns" }.joined(separator: ", "))
            }
        }
    }

    /// Reads a schema file: JSON when the name ends in `.json` or the text starts with `{`,
    /// YAML otherwise.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be read,
    ///   ``EventDataError/badMapping(path:detail:)`` naming the key when its content is wrong.
    public static func load(path: String) throws -> ReaderSchema {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EventDataError.unreadable(path: path, reason: "the schema file cannot be read; check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EventDataError.badMapping(path: path, detail: "the schema file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses schema text (YAML or JSON); `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> ReaderSchema {
        let isJSON =
            path.lowercased().hasSuffix(".json") || text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{")
        let file: SchemaFile
        do {
            if isJSON {
                file = try JSONDecoder().decode(SchemaFile.self, from: Data(text.utf8))
            } else {
                file = try YAMLDecoder().decode(SchemaFile.self, from: text)
            }
        } catch {
            // Yams wraps errors thrown while decoding (ours included) in `dataCorrupted`.
            var underlying: any Error = error
            if case DecodingError.dataCorrupted(let context) = error, let wrapped = context.underlyingError {
                underlying = wrapped
            }
            if let own = underlying as? EventDataError {
                throw EventDataError.badMapping(path: path, detail: own.errorDescription ?? "\(own)")
            }
            if let decoding = underlying as? DecodingError {
                throw EventDataError.badMapping(path: path, detail: describe(decoding))
            }
            let kind = isJSON ? "JSON" : "YAML"
            throw EventDataError.badMapping(path: path, detail: "the schema is not valid \(kind): \(underlying)")
        }
        return file.schema
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            let place = key.isEmpty ? "the schema" : "'\(key)'"
            return "\(place): \(context.debugDescription)"
        @unknown default:
            return "the schema cannot be read: \(error)"
        }
    }

    static func format(_ text: String, option: String) throws -> LogFormat {
        guard let format = LogFormat(parsing: text) else {
            throw EventDataError.invalidOption(
                name: option, detail: "unknown format '\(text)'; use one of \(LogFormat.namesList)")
        }
        return format
    }

    static func bool(_ text: String, option: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw EventDataError.invalidOption(name: option, detail: "'\(text)' is not true or false")
        }
    }

    static func unit(_ text: String, option: String) throws -> TimestampUnit {
        guard let unit = TimestampUnit(parsing: text) else {
            throw EventDataError.invalidOption(
                name: option,
                detail: "unknown timestamp unit '\(text)'; use one of "
                    + TimestampUnit.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return unit
    }

    static func eventType(_ text: String, option: String) throws -> EventType {
        let type = EventType(rawValue: text)
        guard !type.rawValue.isEmpty else {
            throw EventDataError.invalidOption(name: option, detail: "give an event type word, e.g. view or rating")
        }
        return type
    }
}

/// The decoded shape of a schema file.
private struct SchemaFile: Decodable {
    var schema = ReaderSchema()

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            func text() throws -> String { try container.decode(Scalar.self, forKey: key).text }
            switch key.stringValue {
            case "format":
                schema.format = try ReaderSchema.format(text(), option: "format")
            case "delimiter":
                schema.dialect.delimiter = try DialectOptions.parseDelimiter(text(), option: "delimiter")
            case "header":
                schema.dialect.hasHeader = try ReaderSchema.bool(text(), option: "header")
            case "quoting":
                schema.dialect.quoting = try ReaderSchema.bool(text(), option: "quoting")
            case "names":
                schema.dialect.columnNames = try container.decode([Scalar].self, forKey: key).map(\.text)
            case "columns":
                let columns = try container.decode([String: Scalar].self, forKey: key)
                for (name, column) in columns {
                    guard let field = EventField(parsing: name) else {
                        throw EventDataError.invalidOption(
                            name: "columns.\(name)", detail: "not an event field; use one of \(EventField.namesList)")
                    }
                    schema.mapping.columns[field] = column.text
                }
            case "constant_event_type":
                schema.mapping.constantEventType = try ReaderSchema.eventType(text(), option: "constant_event_type")
            case "timestamp_unit":
                schema.mapping.timestampUnit = try ReaderSchema.unit(text(), option: "timestamp_unit")
            default:
                let hint = EventField(parsing: key.stringValue) != nil ? " (put column mappings under 'columns')" : ""
                throw EventDataError.invalidOption(
                    name: key.stringValue,
                    detail: "unknown key\(hint); use \(ReaderSchema.settingKeys.joined(separator: ", "))")
            }
        }
    }

    /// A YAML / JSON scalar of any type, kept as text (`header: true`, `user_id: 1`).
    private struct Scalar: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(String.self) {
                text = value
            } else if let value = try? container.decode(Int.self) {
                text = String(value)
            } else if let value = try? container.decode(Bool.self) {
                text = String(value)
            } else if let value = try? container.decode(Double.self) {
                text = String(value)
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    DecodingError.Context(
                        codingPath: decoder.codingPath, debugDescription: "expected a single value (text or number)"))
            }
        }
    }
}
