import EventData
import Randomness
import TensorEngine

/// Which side of a short sequence the padding goes on.
public enum SequencePadding: String, Sendable, Hashable, Codable {
    /// Padding first, items last, so the most recent item is always in the last column (as
    /// SASRec reads it).
    case left
    /// Items first, padding after them.
    case right
}

/// Padded item sequences, ready for an embedding lookup.
public struct SequenceBatch: Sendable {
    /// Item tokens (dense item id + 1; 0 is padding), shape `[B, T]`.
    public let tokens: IndexTensor
    /// 1 where ``tokens`` holds a real item, 0 at padding, shape `[B, T]`.
    public let mask: Tensor
    /// How many real items each row holds, after truncation.
    public let lengths: [Int]
}

/// Next-item training pairs: at every real position the model reads `input` up to there and
/// should predict `target` there.
public struct NextItemBatch: Sendable {
    /// Tokens of `seq[0..<n-1]`, shape `[B, T]`.
    public let input: IndexTensor
    /// Tokens of `seq[1..<n]`, aligned with ``input``, shape `[B, T]`.
    public let target: IndexTensor
    /// 1 at positions with a real pair, 0 at padding, shape `[B, T]`.
    public let mask: Tensor
    /// How many pairs each row holds, after truncation.
    public let lengths: [Int]
}

/// Turns users' item sequences into padded `[B, T]` token tensors for sequential recommenders.
///
/// **Tokens are item ids shifted by one.** Items are the dense indexes of the store
/// (`0..<itemCount`); the tensors hold `item + 1`, and token 0 (``paddingToken``) marks padding.
/// An embedding table for these tokens needs `itemCount + 1` rows. Convert with
/// ``token(forItem:)`` and ``item(forToken:)``.
///
/// A sequence longer than ``maxLength`` keeps its most recent (last) items. A shorter one is
/// padded on the ``padding`` side, left by default.
///
/// ```swift
/// let batcher = try SequenceBatcher(maxLength: 50)
/// let pairs = try batcher.nextItemPairs(users.map(\.train))   // input, target, mask: [B, 50]
/// ```
public struct SequenceBatcher: Sendable, Hashable {
    /// The token that marks padding.
    public static let paddingToken = 0

    /// The number of columns `T`.
    public let maxLength: Int
    /// The side short sequences are padded on.
    public let padding: SequencePadding

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `maxLength` is not positive.
    public init(maxLength: Int, padding: SequencePadding = .left) throws {
        guard maxLength > 0 else {
            throw EventDataError.invalidOption(
                name: "SequenceBatcher.maxLength", detail: "must be at least 1 (got \(maxLength)).")
        }
        self.maxLength = maxLength
        self.padding = padding
    }

    /// The token of dense item id `item`: `item + 1`.
    public static func token(forItem item: Int) -> Int { item + 1 }

    /// The dense item id of `token`, or nil for the padding token.
    public static func item(forToken token: Int) -> Int? { token > 0 ? token - 1 : nil }

    /// Pads or truncates each sequence of dense item ids (oldest first) to ``maxLength``.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when an item id is negative.
    public func batch(_ sequences: [[Int]]) throws -> SequenceBatch {
        var tokens = [Int]()
        var mask = [Float]()
        var lengths = [Int]()
        tokens.reserveCapacity(sequences.count * maxLength)
        mask.reserveCapacity(sequences.count * maxLength)
        for (row, sequence) in sequences.enumerated() {
            let kept = try tokenized(sequence.suffix(maxLength), row: row)
            append(kept, to: &tokens, mask: &mask)
            lengths.append(kept.count)
        }
        return SequenceBatch(
            tokens: IndexTensor(shape: [sequences.count, maxLength], indices: tokens),
            mask: Tensor(shape: [sequences.count, maxLength], scalars: mask),
            lengths: lengths)
    }

    /// Next-item pairs of each sequence: input `seq[0..<n-1]`, target `seq[1..<n]`, both
    /// padded the same way.
    ///
    /// A long sequence keeps its last ``maxLength`` pairs (its last `maxLength + 1` items). A
    /// sequence of fewer than two items has no pair and gives an all-padding row (mask all 0).
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when an item id is negative.
    public func nextItemPairs(_ sequences: [[Int]]) throws -> NextItemBatch {
        var inputs = [Int]()
        var targets = [Int]()
        var mask = [Float]()
        var lengths = [Int]()
        for (row, sequence) in sequences.enumerated() {
            let kept = try tokenized(sequence.suffix(maxLength + 1), row: row)
            let pairs = max(kept.count - 1, 0)
            var ignored = [Float]()
            append(Array(kept.prefix(pairs)), to: &inputs, mask: &mask)
            append(Array(kept.dropFirst().suffix(pairs)), to: &targets, mask: &ignored)
            lengths.append(pairs)
        }
        let shape = [sequences.count, maxLength]
        return NextItemBatch(
            input: IndexTensor(shape: shape, indices: inputs),
            target: IndexTensor(shape: shape, indices: targets),
            mask: Tensor(shape: shape, scalars: mask),
            lengths: lengths)
    }

    /// Histories of evaluation examples (such as ``LeaveOneOutUser/test``), padded, with their
    /// target tokens (shape `[B]`).
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when an item id is negative.
    public func batch(_ examples: [NextItemExample]) throws -> (history: SequenceBatch, targets: IndexTensor) {
        let history = try batch(examples.map(\.history))
        let targets = try tokenized(examples.map(\.target)[...], row: nil)
        return (history, IndexTensor(targets))
    }

    private func tokenized(_ items: ArraySlice<Int>, row: Int?) throws -> [Int] {
        if let bad = items.first(where: { $0 < 0 }) {
            let place = row.map { "sequence \($0)" } ?? "a target"
            throw EventDataError.invalidOption(
                name: "SequenceBatcher",
                detail: "\(place) holds item id \(bad); item ids must be dense indexes 0..<itemCount.")
        }
        return items.map { $0 + 1 }
    }

    private func append(_ kept: [Int], to tokens: inout [Int], mask: inout [Float]) {
        let pad = maxLength - kept.count
        let padTokens = repeatElement(Self.paddingToken, count: pad)
        let padMask = repeatElement(Float(0), count: pad)
        let realMask = repeatElement(Float(1), count: kept.count)
        switch padding {
        case .left:
            tokens.append(contentsOf: padTokens)
            tokens.append(contentsOf: kept)
            mask.append(contentsOf: padMask)
            mask.append(contentsOf: realMask)
        case .right:
            tokens.append(contentsOf: kept)
            tokens.append(contentsOf: padTokens)
            mask.append(contentsOf: realMask)
            mask.append(contentsOf: padMask)
        }
    }
}
