import Dispatch
import Foundation
import Randomness
import Settings

/// Isolation forest (Liu, Ting and Zhou, ICDM 2008): anomalies are the points that random
/// axis-parallel cuts isolate in few steps.
///
/// Each tree is grown on a random subsample of ``sampleSize`` rows (without replacement): a
/// node picks a feature at random among those not constant in it and a cut uniformly between
/// the feature's minimum and maximum there, until a node holds one row, only equal rows, or
/// reaches the height limit `ceil(log2(sampleSize))`. A row's path length in a tree is the depth
/// of the leaf it falls into plus `c(size)` of that leaf (the expected depth of the rows the
/// limit left unseparated), and its score is
///
/// ```
/// s(x) = 2^(-E[h(x)] / c(psi)),   c(n) = 2 H(n - 1) - 2 (n - 1) / n,   H(i) = ln(i) + 0.5772156649
/// ```
///
/// with `psi` the subsample size (`c(1) = 0`, `c(2) = 1`). Scores lie in (0, 1]; about 0.5 and
/// below is ordinary, near 1 isolated. They equal the negated `score_samples` of
/// scikit-learn's `IsolationForest` for the same trees.
///
/// ```swift
/// let forest = try IsolationForest(seed: 7).fit(features: x, featureCount: 6)
/// let scores = forest.scores(of: x)
/// ```
public struct IsolationForest: Sendable, Codable, Equatable {
    /// Number of trees (100, as in the paper and scikit-learn).
    public var trees: Int
    /// Rows per tree, capped at the row count (256, as in the paper and scikit-learn).
    public var sampleSize: Int
    public var seed: UInt64

    public init(trees: Int = 100, sampleSize: Int = 256, seed: UInt64 = 42) {
        self.trees = trees
        self.sampleSize = sampleSize
        self.seed = seed
    }

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming `trees` or `sample-size`.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("trees", trees, in: 1...100_000)
        try InvalidParameter.require("sample-size", sampleSize, in: 2...(1 << 24))
    }

    /// Grows the forest on `features` (`rows * featureCount` values, row-major).
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, or when there are fewer than 2 rows
    ///   (named `rows`).
    public func fit(features: [Float], featureCount: Int) throws(InvalidParameter) -> IsolationForestModel {
        try validate()
        precondition(
            featureCount >= 1 && features.count % featureCount == 0,
            "IsolationForest.fit: \(features.count) values are not rows of \(featureCount)")
        let rowCount = features.count / featureCount
        try InvalidParameter.require(rowCount >= 2, "rows", rowCount, allowed: "at least 2 to grow a forest")
        let subsample = min(sampleSize, rowCount)
        let heightLimit = Int(ceil(log2(Double(subsample))))
        var generator = RandomGenerator(seed: seed)
        var forest = IsolationForestModel(
            featureCount: featureCount, sampleSize: subsample, trees: [])
        forest.trees.reserveCapacity(trees)
        features.withUnsafeBufferPointer { x in
            for _ in 0..<trees {
                let rows = Self.sample(subsample, of: rowCount, generator: &generator)
                var builder = TreeBuilder(
                    x: x, featureCount: featureCount, heightLimit: heightLimit, generator: generator)
                var indexes = rows[...]
                builder.growTree(&indexes)
                generator = builder.generator
                forest.trees.append(builder.tree)
            }
        }
        return forest
    }

    /// `count` distinct row indexes of `0..<rowCount` (a partial Fisher-Yates shuffle), ascending.
    static func sample(_ count: Int, of rowCount: Int, generator: inout RandomGenerator) -> [Int] {
        if count >= rowCount { return Array(0..<rowCount) }
        var chosen = [Int: Int]()
        var result: [Int] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let other = index + generator.nextInt(below: rowCount - index)
            let picked = chosen[other] ?? other
            chosen[other] = chosen[index] ?? index
            result.append(picked)
        }
        return result.sorted()
    }
}

/// One isolation tree in flat arrays; node 0 is the root.
public struct IsolationTree: Sendable, Codable, Equatable {
    /// The feature a node cuts on, or -1 for a leaf.
    public var feature: [Int32]
    /// The cut: rows with `x[feature] < threshold` go left.
    public var threshold: [Float]
    /// The left child of a cut (the right one is `left + 1`).
    public var left: [Int32]
    /// A leaf's `depth + c(size)`: the path length of the rows that end there.
    public var pathLength: [Float]
}

/// A grown isolation forest: scores rows.
public struct IsolationForestModel: Sendable, Codable, Equatable {
    public var featureCount: Int
    /// Rows each tree was grown on (`psi`).
    public var sampleSize: Int
    public var trees: [IsolationTree]

    /// `c(n)`, the average path length of an unsuccessful search in a binary search tree of
    /// `n` keys: the normaliser of path lengths (0 for n <= 1, 1 for n = 2).
    public static func averagePathLength(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let size = Double(n)
        return 2 * (log(size - 1) + 0.5772156649015329) - 2 * (size - 1) / size
    }

    /// The mean path length of each row over the trees (`E[h(x)]`).
    ///
    /// - Parameter threads: Rows are split into this many parts scored at the same time.
    public func meanPathLengths(of features: [Float], threads: Int = 1) -> [Double] {
        precondition(
            features.count % featureCount == 0,
            "IsolationForestModel: \(features.count) values are not rows of \(featureCount)")
        let rowCount = features.count / featureCount
        var result = [Double](repeating: 0, count: rowCount)
        let parts = max(1, min(threads, rowCount / 1024))
        let width = featureCount
        let trees = self.trees
        features.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { out in
                // Each part reads the shared rows and writes only its own range of `out`.
                let shared = UncheckedSendable(value: (x, out))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let (x, out) = shared.value
                    let rows = (rowCount * part / parts)..<(rowCount * (part + 1) / parts)
                    // Blocks of rows stay in cache while every tree walks them.
                    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: 512) {
                        let block = start..<min(start + 512, rows.upperBound)
                        for tree in trees { tree.addPathLengths(x, width: width, rows: block, into: out) }
                    }
                    let count = Double(trees.count)
                    for row in rows { out[row] /= count }
                }
            }
        }
        return result
    }

    /// Each row's anomaly score `2^(-E[h(x)] / c(psi))`, in (0, 1]; higher is more anomalous.
    public func scores(of features: [Float], threads: Int = 1) -> [Double] {
        let normaliser = Self.averagePathLength(sampleSize)
        return meanPathLengths(of: features, threads: threads).map { normaliser > 0 ? pow(2, -$0 / normaliser) : 0.5 }
    }
}

extension IsolationTree {
    /// Adds the path length of each row of `rows` to `out[row]`.
    func addPathLengths(
        _ x: UnsafeBufferPointer<Float>, width: Int, rows: Range<Int>, into out: UnsafeMutableBufferPointer<Double>
    ) {
        feature.withUnsafeBufferPointer { feature in
            threshold.withUnsafeBufferPointer { threshold in
                left.withUnsafeBufferPointer { left in
                    pathLength.withUnsafeBufferPointer { pathLength in
                        for row in rows {
                            let point = row * width
                            var node = 0
                            while feature[node] >= 0 {
                                let goRight = x[point + Int(feature[node])] >= threshold[node]
                                node = Int(left[node]) + (goRight ? 1 : 0)
                            }
                            out[row] += Double(pathLength[node])
                        }
                    }
                }
            }
        }
    }
}

/// Carries a value into concurrent work whose safety the caller has checked.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Grows one tree by recursive partitioning of a subsample's row indexes.
private struct TreeBuilder {
    let x: UnsafeBufferPointer<Float>
    let featureCount: Int
    let heightLimit: Int
    var generator: RandomGenerator
    var tree = IsolationTree(feature: [], threshold: [], left: [], pathLength: [])

    init(x: UnsafeBufferPointer<Float>, featureCount: Int, heightLimit: Int, generator: RandomGenerator) {
        self.x = x
        self.featureCount = featureCount
        self.heightLimit = heightLimit
        self.generator = generator
    }

    /// Grows the tree of `rows` (reordered in place).
    mutating func growTree(_ rows: inout ArraySlice<Int>) {
        addLeaf(size: rows.count, depth: 0)
        grow(node: 0, rows: &rows, depth: 0)
    }

    /// Turns the leaf `node` holding `rows` into a cut with two grown children, unless it stops here.
    private mutating func grow(node: Int, rows: inout ArraySlice<Int>, depth: Int) {
        guard rows.count > 1, depth < heightLimit, let (feature, low, high) = cuttableFeature(rows) else { return }
        // Uniform in (low, high]: the row at the minimum goes left, the one at the maximum right.
        var cut = low + (high - low) * generator.nextUniform()
        if !(cut > low) { cut = high }
        var boundary = rows.startIndex
        for position in rows.indices where x[rows[position] * featureCount + feature] < cut {
            rows.swapAt(position, boundary)
            boundary += 1
        }
        let leftChild = tree.feature.count
        tree.feature[node] = Int32(feature)
        tree.threshold[node] = cut
        tree.left[node] = Int32(leftChild)
        // Both children are added before either grows, so the right one is always `left + 1`.
        addLeaf(size: boundary - rows.startIndex, depth: depth + 1)
        addLeaf(size: rows.endIndex - boundary, depth: depth + 1)
        var leftRows = rows[rows.startIndex..<boundary]
        var rightRows = rows[boundary..<rows.endIndex]
        grow(node: leftChild, rows: &leftRows, depth: depth + 1)
        grow(node: leftChild + 1, rows: &rightRows, depth: depth + 1)
    }

    private mutating func addLeaf(size: Int, depth: Int) {
        tree.feature.append(-1)
        tree.threshold.append(0)
        tree.left.append(-1)
        tree.pathLength.append(Float(Double(depth) + IsolationForestModel.averagePathLength(size)))
    }

    /// A random feature that is not constant over `rows`, with its range there; nil when every
    /// feature is constant (the rows are identical).
    private mutating func cuttableFeature(_ rows: ArraySlice<Int>) -> (Int, Float, Float)? {
        var candidates = Array(0..<featureCount)
        while !candidates.isEmpty {
            let pick = generator.nextInt(below: candidates.count)
            let feature = candidates[pick]
            var low = Float.infinity
            var high = -Float.infinity
            for row in rows {
                let value = x[row * featureCount + feature]
                low = min(low, value)
                high = max(high, value)
            }
            if high > low { return (feature, low, high) }
            candidates.swapAt(pick, candidates.count - 1)
            candidates.removeLast()
        }
        return nil
    }
}
