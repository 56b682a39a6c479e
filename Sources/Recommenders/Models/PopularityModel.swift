import NeuralNet
import TensorEngine

/// The most-popular baseline as a layer, so that it is saved and loaded like the neural models:
/// its one parameter `counts` holds each item's number of training interactions.
public final class PopularityModel: Layer {
    /// `[itemCount]`.
    public let counts: Tensor

    /// Counts every item occurrence of `sequences` (dense ids `0..<itemCount`; others ignored).
    public init(sequences: [[Int]], itemCount: Int) {
        var counts = [Float](repeating: 0, count: itemCount)
        for sequence in sequences {
            for item in sequence where (0..<itemCount).contains(item) { counts[item] += 1 }
        }
        self.counts = Tensor(shape: [itemCount], scalars: counts)
    }

    public var ownParameters: [(name: String, tensor: Tensor)] { [("counts", counts)] }

    /// The number of items scored.
    public var itemCount: Int { counts.count }

    /// The same scores, the counts, after any history.
    public func scores(after histories: [[Int]]) -> [[Float]] {
        let values = counts.scalars
        return histories.map { _ in values }
    }
}
