import Foundation

/// One thing a user did: the unit every reader produces and the event store keeps.
///
/// Identifiers arrive as strings (whatever the source system uses); the store maps them to
/// dense integers. Only `userID`, `timestamp` and `type` are required.
public struct Event: Sendable, Hashable, Codable {
    /// The user's identifier in the source system.
    public var userID: String
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    /// What happened (`view`, `click`, `cart`, `purchase`, ... or any other word).
    public var type: EventType
    /// The item involved, if any.
    public var itemID: String?
    /// The session the source system assigned, if any (otherwise sessionization assigns one).
    public var sessionID: String?
    /// A price, amount or rating.
    public var value: Double?
    /// How long it lasted, in seconds (dwell time).
    public var duration: Double?
    /// The item's or page's category.
    public var category: String?
    /// Anything else the source carried, by column name.
    public var properties: [String: String]

    public init(
        userID: String, timestamp: Int64, type: EventType, itemID: String? = nil, sessionID: String? = nil,
        value: Double? = nil, duration: Double? = nil, category: String? = nil, properties: [String: String] = [:]
    ) {
        self.userID = userID
        self.timestamp = timestamp
        self.type = type
        self.itemID = itemID
        self.sessionID = sessionID
        self.value = value
        self.duration = duration
        self.category = category
        self.properties = properties
    }
}

/// The kind of an event: the common ones by name, anything else as its own word.
public struct EventType: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    /// Normalises to lower case without surrounding spaces, so `Purchase ` and `purchase`
    /// are one type.
    public init(rawValue: String) {
        self.rawValue = rawValue.trimmingCharacters(in: .whitespaces).lowercased()
    }

    public init(stringLiteral value: String) { self.init(rawValue: value) }

    public var description: String { rawValue }

    public static let view: EventType = "view"
    public static let click: EventType = "click"
    public static let search: EventType = "search"
    public static let cart: EventType = "cart"
    public static let purchase: EventType = "purchase"
    public static let rating: EventType = "rating"
}
