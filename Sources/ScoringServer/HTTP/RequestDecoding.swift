import Foundation
import Hummingbird
import NIOCore

/// Reads a request body of at most `limit` bytes and decodes it as `T`, with errors that name
/// the field: a body that is not a JSON object, a field `T` does not have, a missing or
/// mistyped field (`rows[3].price`).
func decodeBody<T: Decodable>(
    _ type: T.Type, from request: Request, limit: Int, fields: [String]
) async throws(APIError) -> T {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: limit)
    } catch is NIOTooManyBytesError {
        throw APIError(
            .contentTooLarge, code: "body_too_large",
            "the body is larger than \(limit) bytes; send fewer rows or a shorter history per request")
    } catch {
        throw .badRequest("the body could not be read: \(error)")
    }
    return try decodeJSON(type, from: Data(buffer.readableBytesView), fields: fields)
}

/// Decodes `data` as `T` (see ``decodeBody(_:from:limit:fields:)``).
func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data, fields: [String]) throws(APIError) -> T {
    guard !data.isEmpty else {
        throw .badRequest("the body is empty; send a JSON object with \(fields.joined(separator: ", "))")
    }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
        throw .badRequest("the body is not a JSON object; send one with \(fields.joined(separator: ", "))")
    }
    if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
        throw .badRequest(
            "unknown field \(unknown); this endpoint takes \(fields.joined(separator: ", "))", field: unknown)
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let DecodingError.keyNotFound(key, context) {
        throw .badRequest("\(path(context.codingPath + [key])) is required", field: path(context.codingPath + [key]))
    } catch let DecodingError.typeMismatch(expected, context) {
        throw .badRequest(
            "\(path(context.codingPath)) should be \(describe(expected))", field: path(context.codingPath))
    } catch let DecodingError.valueNotFound(expected, context) {
        throw .badRequest(
            "\(path(context.codingPath)) should be \(describe(expected)), not null", field: path(context.codingPath))
    } catch let DecodingError.dataCorrupted(context) {
        throw .badRequest("\(path(context.codingPath)): \(context.debugDescription)", field: path(context.codingPath))
    } catch {
        throw .badRequest("the body could not be decoded: \(error)")
    }
}

/// `rows[3].price` from a coding path.
private func path(_ keys: [any CodingKey]) -> String {
    var text = ""
    for key in keys {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += (text.isEmpty ? "" : ".") + key.stringValue
        }
    }
    return text.isEmpty ? "body" : text
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type, is String?.Type: return "a string"
    case is Int.Type, is Int?.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    case is Bool.Type, is Bool?.Type: return "true or false"
    case is [String].Type: return "an array of strings"
    default:
        let name = String(describing: type)
        return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "a \(name)"
    }
}
