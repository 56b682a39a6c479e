import Testing

@testable import EventData

@Suite("Event model")
struct EventTests {
    @Test("event types are normalised to lower case without spaces")
    func normalisedTypes() {
        #expect(EventType(rawValue: " Purchase ") == .purchase)
        #expect(EventType(rawValue: "ADD_TO_WISHLIST").rawValue == "add_to_wishlist")
    }

    @Test("long raw rows are truncated in rejections")
    func truncatedRaw() {
        let rejection = RowRejection(line: 3, reason: "r", kind: "k", raw: String(repeating: "x", count: 5000))
        #expect(rejection.raw.count == 1000)
    }
}
