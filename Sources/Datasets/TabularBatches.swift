import EventData
import Randomness
import TensorEngine

/// One mini-batch of a tabular dataset.
public struct TabularBatch: Sendable {
    /// Features, shape `[B, F]`.
    public let x: Tensor
    /// Labels, shape `[B]`.
    public let y: Tensor
    /// The dataset row of each batch row, in batch order.
    public let rows: [Int]
}

/// A tabular dataset cut into `(x: [B, F], y: [B])` mini-batches for training.
///
/// Iterating the value itself yields epoch 0; ``batches(epoch:)`` gives any epoch. With
/// `shuffle` on, each epoch visits the rows in its own order, drawn from `seed` and the epoch
/// number, so the same seed and epoch always give the same batches and different epochs give
/// different orders. Every row appears exactly once per epoch. The last batch holds the rows
/// left over and may be smaller than `batchSize`, unless `dropLast` is on, in which case those
/// rows are skipped for that epoch.
///
/// ```swift
/// let data = try TabularBatches(features: rows, labels: labels, batchSize: 256, seed: 7)
/// for epoch in 0..<10 {
///     for batch in data.batches(epoch: epoch) { train(batch.x, batch.y) }
/// }
/// ```
public struct TabularBatches: Sendable, Sequence {
    /// All features, row-major, `rowCount * featureCount` values.
    public let features: [Float]
    /// The number of feature columns `F`.
    public let featureCount: Int
    /// One label per row.
    public let labels: [Float]
    /// The number of rows per batch (the last one may be smaller, see ``dropLast``).
    public let batchSize: Int
    /// Whether each epoch visits the rows in a fresh seeded order (otherwise in input order).
    public let shuffle: Bool
    /// The seed of the shuffling.
    public let seed: UInt64
    /// Whether a last batch smaller than ``batchSize`` is skipped.
    public let dropLast: Bool

    /// Creates batches from one array of features per row.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when rows differ in length, the
    ///   label count differs from the row count or `batchSize` is not positive.
    public init(
        features rows: [[Float]], labels: [Float], batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
        dropLast: Bool = false
    ) throws {
        guard rows.count == labels.count else {
            throw EventDataError.invalidOption(
                name: "TabularBatches.labels",
                detail: "\(labels.count) labels for \(rows.count) feature rows; give one label per row.")
        }
        let width = rows.first?.count ?? 0
        if let bad = rows.firstIndex(where: { $0.count != width }) {
            throw EventDataError.invalidOption(
                name: "TabularBatches.features",
                detail:
                    "row \(bad) has \(rows[bad].count) values but row 0 has \(width); give every row the same columns.")
        }
        try self.init(
            features: rows.flatMap { $0 }, featureCount: width, labels: labels, batchSize: batchSize,
            shuffle: shuffle, seed: seed, dropLast: dropLast)
    }

    /// Creates batches from row-major features with `featureCount` columns.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `featureCount` is negative,
    ///   the features do not fill whole rows, the label count differs from the row count or
    ///   `batchSize` is not positive.
    public init(
        features: [Float], featureCount: Int, labels: [Float], batchSize: Int, shuffle: Bool = true,
        seed: UInt64 = 0, dropLast: Bool = false
    ) throws {
        guard batchSize > 0 else {
            throw EventDataError.invalidOption(
                name: "TabularBatches.batchSize", detail: "must be at least 1 (got \(batchSize)).")
        }
        guard featureCount >= 0, features.count == featureCount * labels.count else {
            throw EventDataError.invalidOption(
                name: "TabularBatches.features",
                detail:
                    "\(features.count) values do not make \(labels.count) rows (one per label) of \(featureCount) columns; give featureCount × labels.count values."
            )
        }
        self.features = features
        self.featureCount = featureCount
        self.labels = labels
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
    }

    /// The number of rows.
    public var rowCount: Int { labels.count }

    /// The number of batches in each epoch.
    public var batchCount: Int {
        dropLast ? rowCount / batchSize : (rowCount + batchSize - 1) / batchSize
    }

    /// The order epoch `epoch` visits the rows in: a seeded permutation, or `0..<rowCount`
    /// without shuffling.
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<rowCount) }
        let mixed = seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
        var generator = RandomGenerator(seed: mixed)
        return generator.permutation(rowCount)
    }

    /// The batches of epoch `epoch`.
    public func batches(epoch: Int) -> TabularEpoch {
        TabularEpoch(data: self, order: order(epoch: epoch))
    }

    /// Iterates the batches of epoch 0.
    public func makeIterator() -> IndexingIterator<TabularEpoch> {
        batches(epoch: 0).makeIterator()
    }
}

/// The batches of one epoch of a ``TabularBatches``, built on access.
public struct TabularEpoch: Sendable, RandomAccessCollection {
    let data: TabularBatches
    /// The rows in the order this epoch visits them.
    public let order: [Int]

    /// The first batch position, 0.
    public var startIndex: Int { 0 }
    /// One past the last batch position: the dataset's ``TabularBatches/batchCount``.
    public var endIndex: Int { data.batchCount }

    /// Batch `position`: rows `order[position * batchSize ..< ...]`.
    public subscript(position: Int) -> TabularBatch {
        precondition(indices.contains(position), "TabularEpoch: batch \(position) is outside 0..<\(count)")
        let start = position * data.batchSize
        let rows = Array(order[start..<Swift.min(start + data.batchSize, order.count)])
        let width = data.featureCount
        var x = [Float]()
        x.reserveCapacity(rows.count * width)
        for row in rows { x.append(contentsOf: data.features[(row * width)..<((row + 1) * width)]) }
        return TabularBatch(
            x: Tensor(shape: [rows.count, width], scalars: x),
            y: Tensor(shape: [rows.count], scalars: rows.map { data.labels[$0] }),
            rows: rows)
    }
}
