import FileIO
import Foundation

/// What ``EventStore/forget(users:)`` removed, recorded in the store's erasure log without the
/// ids it was asked to forget.
public struct Erasure: Sendable, Hashable, Codable {
    /// When it happened (ISO 8601).
    public var at: String
    /// Users found and erased (ids asked for that the store did not hold are not counted).
    public var users: Int
    /// Events deleted.
    public var events: Int
    /// User attribute entries deleted (ages, segment labels, anomaly flags, ...).
    public var attributes: Int
    /// Stored user vectors (embeddings) deleted, across every named set.
    public var vectors: Int
    /// Rejected rows deleted because their raw text named one of the users.
    public var rejects: Int
    /// The earliest and latest event time of the erased users (milliseconds since 1970), to
    /// tell which models learned from them; returned, never stored.
    public var firstEvent: Int64?
    public var lastEvent: Int64?

    public init(
        at: String, users: Int, events: Int, attributes: Int, vectors: Int, rejects: Int, firstEvent: Int64? = nil,
        lastEvent: Int64? = nil
    ) {
        self.at = at
        self.users = users
        self.events = events
        self.attributes = attributes
        self.vectors = vectors
        self.rejects = rejects
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
    }

    /// The placeholder a forgotten user's dictionary entry is renamed to: random, so it says
    /// nothing of the user, and the dense ids of everyone else stay as they were.
    package static func placeholder() -> String {
        var generator = SystemRandomNumberGenerator()
        return "erased-" + HexText.encode((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Whether a rejected row's raw text holds `id` as a whole field: bounded by the start or
    /// end of the text or by a delimiter, quote, bracket or space (so forgetting `u1` does not
    /// touch a row about `u10`).
    package static func rawText(_ raw: String, mentions id: String) -> Bool {
        guard !id.isEmpty else { return false }
        let boundaries = Set(",;\t|\"' :{}[]=\r\n".utf8)
        let text = Array(raw.utf8)
        let needle = Array(id.utf8)
        guard needle.count <= text.count else { return false }
        for start in 0...(text.count - needle.count) where text[start] == needle[0] {
            guard text[start..<(start + needle.count)].elementsEqual(needle) else { continue }
            let before = start == 0 || boundaries.contains(text[start - 1])
            let end = start + needle.count
            let after = end == text.count || boundaries.contains(text[end])
            if before && after { return true }
        }
        return false
    }
}
