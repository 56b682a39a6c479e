import Foundation
import Hummingbird
import JSONScanning
import NIOCore

/// A request body that reads itself from the root object of a JSON text.
protocol RequestBody {
    /// The fields the body may have (others are refused by name).
    static var fields: [String] { get }
    /// Reads the body from `object` (fields already checked against ``fields``).
    init(json object: JSONValue) throws(APIError)
}

/// Reads a request body of at most `limit` bytes and parses it as `T` (413 beyond the limit).
func decodeBody<T: RequestBody>(_ type: T.Type, from request: Request, limit: Int) async throws(APIError) -> T {
    let buffer = try await collectBody(of: request, limit: limit)
    return try buffer.withUnsafeReadableBytes { bytes throws(APIError) in try parseBody(T.self, from: bytes) }
}

/// A request's body, at most `limit` bytes (413 beyond).
func collectBody(of request: Request, limit: Int) async throws(APIError) -> ByteBuffer {
    do {
        return try await request.body.collect(upTo: limit)
    } catch is NIOTooManyBytesError {
        throw APIError(
            .contentTooLarge, code: "body_too_large",
            "the body is larger than \(limit) bytes; send fewer rows, events or history per request")
    } catch {
        throw .badRequest("the body could not be read: \(error)")
    }
}

/// Parses `bytes` as `T`: a JSON object (depth at most 8) with only `T`'s fields, each key
/// once; errors name the field at fault (`rows[3].price`).
func parseBody<T: RequestBody>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws(APIError) -> T {
    let fields = T.fields.joined(separator: ", ")
    guard !bytes.isEmpty else { throw .badRequest("the body is empty; send a JSON object with \(fields)") }
    var scanner = JSONScanner(maximumDepth: 8)
    defer { scanner.deallocate() }
    let document: JSONDocument
    do {
        document = try scanner.scan(bytes)
    } catch {
        throw .badRequest("the body is not valid JSON: \(error.description)")
    }
    let root = document.root
    guard root.kind == .object else {
        throw .badRequest("the body is \(root.kind), not a JSON object; send one with \(fields)")
    }
    if let repeated = root.keyRepeatedAsString {
        throw .badRequest("field \(repeated) is given twice", field: repeated)
    }
    for (key, _) in root.members where !T.fields.contains(key.string) {
        throw .badRequest("unknown field \(key.string); this endpoint takes \(fields)", field: key.string)
    }
    return try T(json: root)
}

extension JSONValue {
    /// A string member's value.
    func string(at field: String) throws(APIError) -> String {
        guard kind == .string else { throw .badRequest("\(field) should be a string, not \(kind)", field: field) }
        return string
    }

    /// An integer member's value (digits with an optional minus sign).
    func integer(at field: String) throws(APIError) -> Int {
        guard kind == .number, let value = Int(string) else {
            throw .badRequest(
                "\(field) should be an integer, not \(kind == .number ? string : kind.description)", field: field)
        }
        return value
    }

    /// A boolean member's value.
    func bool(at field: String) throws(APIError) -> Bool {
        guard let value = boolean else {
            throw .badRequest("\(field) should be true or false, not \(kind)", field: field)
        }
        return value
    }

    /// An array member's elements.
    func array(at field: String) throws(APIError) -> JSONElements {
        guard kind == .array else { throw .badRequest("\(field) should be an array, not \(kind)", field: field) }
        return elements
    }
}

extension RecommendRequest: RequestBody {
    static let fields = ["user", "history", "k", "exclude_seen"]

    init(json object: JSONValue) throws(APIError) {
        self.init()
        for (key, value) in object.members where value.kind != .null {
            switch key.string {
            case "user": user = try value.string(at: "user")
            case "k": k = try value.integer(at: "k")
            case "exclude_seen": excludeSeen = try value.bool(at: "exclude_seen")
            default:
                var items: [String] = []
                items.reserveCapacity(value.count)
                for (index, element) in try value.array(at: "history").enumerated() {
                    items.append(try element.string(at: "history[\(index)]"))
                }
                history = items
            }
        }
    }
}

extension ScoreRequest: RequestBody {
    static let fields = ["rows", "users", "at"]

    init(json object: JSONValue) throws(APIError) {
        self.init()
        for (key, value) in object.members where value.kind != .null {
            switch key.string {
            case "rows": rows = try Self.rows(value)
            case "users":
                var ids: [String] = []
                for (index, element) in try value.array(at: "users").enumerated() {
                    ids.append(try element.string(at: "users[\(index)]"))
                }
                users = ids
            default: at = try Self.time(value)
            }
        }
    }

    private static func rows(_ value: JSONValue) throws(APIError) -> [[String: Cell]] {
        var parsed: [[String: Cell]] = []
        parsed.reserveCapacity(value.count)
        for (index, row) in try value.array(at: "rows").enumerated() {
            guard row.kind == .object else {
                throw .badRequest("rows[\(index)] should be an object, not \(row.kind)", field: "rows[\(index)]")
            }
            var cells: [String: Cell] = [:]
            cells.reserveCapacity(row.count)
            for (key, value) in row.members {
                let column = key.string
                switch value.kind {
                case .string, .number: cells[column] = Cell(value.string)
                case .boolean: cells[column] = Cell(value.boolean == true ? "true" : "false")
                case .null: cells[column] = Cell("")
                case .object, .array:
                    throw .badRequest(
                        "rows[\(index)].\(column) should be a string, number, boolean or null, not \(value.kind)",
                        field: "rows[\(index)].\(column)")
                }
            }
            parsed.append(cells)
        }
        return parsed
    }

    /// `at`: an ISO 8601 time (`2026-12-04T10:00:00Z`) or milliseconds since 1970.
    private static func time(_ value: JSONValue) throws(APIError) -> Int64 {
        if value.kind == .number, let milliseconds = Int64(value.string) { return milliseconds }
        if value.kind == .string {
            let formatter = ISO8601DateFormatter()
            let text = value.string
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1_000).rounded()) }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1_000).rounded()) }
        }
        throw .badRequest(
            "at should be an ISO 8601 time like 2026-12-04T10:00:00Z or milliseconds since 1970", field: "at")
    }
}
