import EventData
import Randomness
import TensorEngine

/// Draws negative items for training and evaluating recommenders: items a user never
/// interacted with, uniformly at random, reproducibly from a seed.
///
/// Items are dense ids `0..<itemCount`; each call takes the user's interacted items (ids outside
/// that range are ignored). A user who has touched every item has no negative: ``negative(excluding:)``
/// returns nil and the other calls return fewer items than asked, never looping forever. Draws
/// first try rejection sampling (a handful of attempts, plenty when the user has touched a small
/// share of the catalogue) and then pick from the list of untouched items, so every call ends.
///
/// The sampler is a value: the same seed and the same calls give the same draws.
///
/// ```swift
/// var sampler = try NegativeSampler(itemCount: catalogue.count, seed: 1)
/// let candidates = sampler.sampled(count: 100, excluding: Set(user.train))   // sampled ranking
/// ```
public struct NegativeSampler: Sendable {
    /// The number of items; ids are `0..<itemCount`.
    public let itemCount: Int
    private var generator: RandomGenerator
    private static let rejectionAttempts = 32

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `itemCount` is not positive.
    public init(itemCount: Int, seed: UInt64) throws {
        guard itemCount > 0 else {
            throw EventDataError.invalidOption(
                name: "NegativeSampler.itemCount", detail: "must be at least 1 (got \(itemCount)); ingest items first.")
        }
        self.itemCount = itemCount
        generator = RandomGenerator(seed: seed)
    }

    /// How many items are not in `interacted`.
    public func availableCount(excluding interacted: Set<Int>) -> Int {
        itemCount - interacted.count { $0 >= 0 && $0 < itemCount }
    }

    /// One item not in `interacted`, uniformly, or nil when the user has touched every item.
    public mutating func negative(excluding interacted: Set<Int>) -> Int? {
        for _ in 0..<Self.rejectionAttempts {
            let item = generator.nextInt(below: itemCount)
            if !interacted.contains(item) { return item }
        }
        let untouched = untouchedItems(excluding: interacted)
        guard !untouched.isEmpty else { return nil }
        return untouched[generator.nextInt(below: untouched.count)]
    }

    /// `count` independent draws (repeats possible) of items not in `interacted`; empty when the
    /// user has touched every item.
    public mutating func negatives(count: Int, excluding interacted: Set<Int>) -> [Int] {
        var result = [Int]()
        result.reserveCapacity(max(count, 0))
        for _ in 0..<max(count, 0) {
            guard let item = negative(excluding: interacted) else { return [] }
            result.append(item)
        }
        return result
    }

    /// `count` distinct items not in `interacted`, in random order: the candidate negatives of
    /// the sampled ranking protocol. When fewer than `count` items are untouched, all of them
    /// are returned (shuffled).
    public mutating func sampled(count: Int = 100, excluding interacted: Set<Int>) -> [Int] {
        let available = availableCount(excluding: interacted)
        let wanted = min(max(count, 0), available)
        var result = [Int]()
        result.reserveCapacity(wanted)
        var chosen = Set<Int>()
        if available >= 2 * wanted, 2 * available >= itemCount {
            var attempts = 8 * wanted + Self.rejectionAttempts
            while result.count < wanted, attempts > 0 {
                attempts -= 1
                let item = generator.nextInt(below: itemCount)
                if !interacted.contains(item), chosen.insert(item).inserted { result.append(item) }
            }
        }
        guard result.count < wanted else { return result }
        var rest = untouchedItems(excluding: interacted.union(chosen))
        for i in 0..<(wanted - result.count) {
            rest.swapAt(i, i + generator.nextInt(below: rest.count - i))
            result.append(rest[i])
        }
        return result
    }

    /// One negative token per real position of `batch.target`, for users whose interacted items
    /// are `interacted[row]`; shape `[B, T]`.
    ///
    /// Tokens follow ``SequenceBatcher`` (item id + 1). Padding positions, and every position of
    /// a user who has touched every item, get ``SequenceBatcher/paddingToken``.
    ///
    /// - Precondition: `interacted` has one set per batch row.
    public mutating func negatives(for batch: NextItemBatch, interacted: [Set<Int>]) -> IndexTensor {
        let shape = batch.target.shape
        precondition(
            shape.count == 2 && interacted.count == shape[0],
            "NegativeSampler.negatives(for:): \(interacted.count) interacted sets for \(shape.first ?? 0) rows")
        let mask = batch.mask.scalars
        var tokens = [Int](repeating: SequenceBatcher.paddingToken, count: mask.count)
        for row in 0..<shape[0] {
            for column in 0..<shape[1] where mask[row * shape[1] + column] != 0 {
                guard let item = negative(excluding: interacted[row]) else { break }
                tokens[row * shape[1] + column] = SequenceBatcher.token(forItem: item)
            }
        }
        return IndexTensor(shape: shape, indices: tokens)
    }

    private func untouchedItems(excluding interacted: Set<Int>) -> [Int] {
        if interacted.isEmpty { return Array(0..<itemCount) }
        return (0..<itemCount).filter { !interacted.contains($0) }
    }
}
