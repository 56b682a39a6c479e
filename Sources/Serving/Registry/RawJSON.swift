import Foundation

/// Any JSON document, passed through to JSON output as it was read (a bundle's metrics card).
public indirect enum RawJSON: Codable, Sendable, Equatable {
    case object([String: RawJSON])
    case array([RawJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// The document in `data`, or nil when it is not JSON.
    public init?(data: Data) {
        guard let value = try? JSONDecoder().decode(RawJSON.self, from: data) else { return nil }
        self = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([RawJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: RawJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let object): try container.encode(object)
        case .array(let array): try container.encode(array)
        case .string(let string): try container.encode(string)
        case .number(let number): try container.encode(number)
        case .bool(let bool): try container.encode(bool)
        case .null: try container.encodeNil()
        }
    }
}
