import EventData
import Foundation
import Randomness
import TensorEngine

/// Events given in memory.
struct MemorySource: EventSource {
    var name = "memory"
    var events: [Event]

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        for (index, event) in events.enumerated() { try body(.event(event, line: index + 1)) }
    }
}

/// A tiny shop with one strong sequential pattern: after item `i` a user views item
/// `(i + 1) % itemCount` (with probability 0.9, else a random item). Popularity is nearly
/// flat, so only a sequence model can predict the next item.
func cyclicShop(users: Int = 160, items: Int = 24, length: ClosedRange<Int> = 8...14, seed: UInt64 = 7) -> [Event] {
    var rng = RandomGenerator(seed: seed)
    var events: [Event] = []
    for user in 0..<users {
        var item = rng.nextInt(below: items)
        let count = length.lowerBound + rng.nextInt(below: length.count)
        for step in 0..<count {
            events.append(Event(userID: "u\(user)", timestamp: Int64(1_000 * step), type: .view, itemID: "i\(item)"))
            item = rng.nextInt(below: 10) < 9 ? (item + 1) % items : rng.nextInt(below: items)
        }
    }
    return events
}

/// An in-memory store holding `events`.
func store(with events: [Event]) throws -> SQLiteEventStore {
    let store = try SQLiteEventStore.inMemory()
    _ = try store.ingest(MemorySource(events: events))
    return store
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("recommenders-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
