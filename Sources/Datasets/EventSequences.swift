import EventData
import Foundation
import TensorEngine

/// Right-padded event sequences as model input: per event its type, item and category tokens
/// (0 = padding, 1 = unknown) and three numbers: the log time gap since the previous event, the
/// log value, and the log age at the prediction time (how long ago the event happened).
public struct EventSequenceBatch: Sendable {
    /// `[B, T]` each.
    public var types: IndexTensor
    public var items: IndexTensor
    public var categories: IndexTensor
    /// `[B, T, 3]`: `log(1 + gap seconds) / 10`, `log(1 + max(value, 0)) / 5`,
    /// `log(1 + age seconds) / 10`; 0 at padding.
    public var numbers: Tensor
    /// Real events per row (at least 1).
    public var lengths: [Int]
}

/// Turns users' events into ``EventSequenceBatch``es with vocabularies fitted on training users:
/// every event type, the most frequent items and categories (others share the unknown token).
public struct EventSequenceEncoder: Sendable, Codable, Equatable {
    /// The most recent events kept per user.
    public var maxLength: Int
    public var eventTypes: [String]
    /// External item ids with their own token, most frequent first.
    public var items: [String]
    public var categories: [String]

    /// The token counts the embedding tables need (padding and unknown included).
    public var typeTokens: Int { eventTypes.count + 2 }
    public var itemTokens: Int { items.count + 2 }
    public var categoryTokens: Int { categories.count + 2 }

    /// Fits the vocabularies on the training users' last `maxLength` events.
    ///
    /// - Parameter itemIDs: External ids by the store's dense item index.
    public static func fit(
        _ histories: [UserHistory], itemIDs: Vocabulary, maxLength: Int = 50, maxItems: Int = 5_000,
        maxCategories: Int = 200
    ) -> EventSequenceEncoder {
        var types: [String: Int] = [:]
        var items: [Int: Int] = [:]
        var categories: [String: Int] = [:]
        for history in histories {
            for event in history.events.suffix(maxLength) {
                types[event.type.rawValue, default: 0] += 1
                if let item = event.item { items[item, default: 0] += 1 }
                if let category = event.category { categories[category, default: 0] += 1 }
            }
        }
        func ranked<Key: Comparable>(_ counts: [Key: Int], _ limit: Int) -> [Key] {
            counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key)
        }
        return EventSequenceEncoder(
            maxLength: maxLength, eventTypes: ranked(types, 1_000),
            items: ranked(items, maxItems).map { itemIDs[$0] }, categories: ranked(categories, maxCategories))
    }

    /// The number of values per event in ``EventSequenceBatch/numbers``.
    public static let numberCount = 3

    /// The batch of `histories` (each must have an event), keeping each one's last ``maxLength`` events.
    ///
    /// - Parameters:
    ///   - itemIDs: External ids by the store's dense item index.
    ///   - referenceTime: The prediction time (milliseconds since 1970-01-01 UTC) ages are
    ///     measured from; events after it count as age 0.
    public func batch(_ histories: [UserHistory], itemIDs: Vocabulary, referenceTime: Int64) -> EventSequenceBatch {
        let typeIndex = Dictionary(uniqueKeysWithValues: eventTypes.enumerated().map { ($1, $0 + 2) })
        let itemIndex = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1, $0 + 2) })
        let categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0 + 2) })
        let length = maxLength
        var types = [Int](repeating: 0, count: histories.count * length)
        var itemTokens = types
        var categoryTokens = types
        let width = Self.numberCount
        var numbers = [Float](repeating: 0, count: histories.count * length * width)
        var lengths: [Int] = []
        for (row, history) in histories.enumerated() {
            let events = history.events.suffix(length)
            var previous = events.first?.timestamp ?? 0
            for (column, event) in events.enumerated() {
                let at = row * length + column
                types[at] = typeIndex[event.type.rawValue] ?? 1
                itemTokens[at] = event.item.map { itemIndex[itemIDs[$0]] ?? 1 } ?? 0
                categoryTokens[at] = event.category.map { categoryIndex[$0] ?? 1 } ?? 0
                let gap = Double(max(event.timestamp - previous, 0)) / 1_000
                let age = Double(max(referenceTime - event.timestamp, 0)) / 1_000
                numbers[at * width] = Float(log1p(gap) / 10)
                numbers[at * width + 1] = Float(log1p(max(event.value ?? 0, 0)) / 5)
                numbers[at * width + 2] = Float(log1p(age) / 10)
                previous = event.timestamp
            }
            lengths.append(max(events.count, 1))
        }
        let shape = [histories.count, length]
        return EventSequenceBatch(
            types: IndexTensor(shape: shape, indices: types), items: IndexTensor(shape: shape, indices: itemTokens),
            categories: IndexTensor(shape: shape, indices: categoryTokens),
            numbers: Tensor(shape: shape + [width], scalars: numbers), lengths: lengths)
    }
}
