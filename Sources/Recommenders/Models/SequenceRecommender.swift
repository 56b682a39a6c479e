import Datasets
import EventData
import NeuralNet
import TensorEngine

/// A neural next-item model: reads padded item-token sequences and scores every item by the dot
/// product of its output vector with the item's embedding (a tied output layer).
///
/// Tokens follow ``SequenceBatcher``: token `item + 1`, 0 for padding.
public protocol SequenceRecommender: Layer {
    /// The item table, `[itemCount + 1, hidden]` (row 0 is padding); also the output layer.
    var itemEmbedding: Embedding { get }
    /// The longest history the model reads.
    var maxLength: Int { get }
    /// Which side of a short history holds the padding.
    var padding: SequencePadding { get }
    /// The output vector at every position, `[B, T, hidden]`, for tokens `[B, T]` whose rows
    /// hold `lengths[b]` real items.
    func features(_ tokens: IndexTensor, lengths: [Int]) -> Tensor
    /// The output vector after the last real item of each history, `[B, hidden]` (what scoring
    /// needs; models may compute it with less work than ``features(_:lengths:)``).
    func lastFeatures(_ batch: SequenceBatch) -> Tensor
    /// ``lastFeatures(_:)`` from the item embeddings of `batch`'s tokens `[B, T, d]` (as
    /// `itemEmbedding` gives them) instead of the tokens: differentiable in them, which is how
    /// explanations attribute a score to past items.
    func lastFeatures(embeddedItems: Tensor, batch: SequenceBatch) -> Tensor
}

extension SequenceRecommender {
    /// The number of items the model scores (its item table without the padding row).
    public var itemCount: Int { itemEmbedding.count - 1 }

    /// The last real position's row of ``features(_:lengths:)``.
    public func lastFeatures(_ batch: SequenceBatch) -> Tensor {
        lastRows(of: features(batch.tokens, lengths: batch.lengths), batch: batch)
    }

    /// Each row's output after its last real item: `all` is `[B, T, d]`.
    func lastRows(of all: Tensor, batch: SequenceBatch) -> Tensor {
        let (rows, length, width) = (all.shape[0], all.shape[1], all.shape[2])
        switch padding {
        case .left:
            return all.slice(axis: 1, (length - 1)..<length).reshaped([rows, width])
        case .right:
            let picks = batch.lengths.enumerated().map { $0.offset * length + Swift.max($0.element - 1, 0) }
            return all.reshaped([rows * length, width]).indexSelect(axis: 0, IndexTensor(picks))
        }
    }

    /// Scores of items `0..<itemCount` after each history (dense item ids, oldest first),
    /// without gradients; histories run in chunks of `batchSize`. The model is in inference
    /// mode unless a training loop is running it.
    public func scores(after histories: [[Int]], batchSize: Int = 128) -> [[Float]] {
        var result: [[Float]] = []
        result.reserveCapacity(histories.count)
        // A batcher with a positive length cannot fail; item ids are checked by the callers.
        guard let batcher = try? SequenceBatcher(maxLength: maxLength, padding: padding) else { return [] }
        for start in stride(from: 0, to: histories.count, by: batchSize) {
            let chunk = Array(histories[start..<Swift.min(start + batchSize, histories.count)])
            guard let batch = try? batcher.batch(chunk) else {
                preconditionFailure("scores(after:): item ids must be dense indexes 0..<\(itemCount)")
            }
            let logits = Tensor.withoutGradients { itemEmbedding.asLinear(lastFeatures(batch)) }
            let columns = itemEmbedding.count
            logits.withUnsafeScalars { values in
                for row in 0..<chunk.count {
                    result.append(Array(values[(row * columns + 1)..<((row + 1) * columns)]))
                }
            }
        }
        return result
    }
}
