import Linalg
import Randomness

/// The silhouette coefficient of a clustering (Rousseeuw 1987): how much closer each point is
/// to its own cluster than to the nearest other one.
///
/// For a point `i` in cluster `A`, with Euclidean distances:
///
/// ```
/// a(i) = mean distance to the other points of A
/// b(i) = min over clusters B ≠ A of the mean distance to the points of B
/// s(i) = (b(i) - a(i)) / max(a(i), b(i))      (0 when i is alone in A, or a = b = 0)
/// ```
///
/// and the score is the mean of `s(i)`, from -1 (points sit in the wrong clusters) through 0
/// (overlapping clusters) to 1 (tight, well separated clusters).
///
/// On large data the score is taken on a seeded random sample of the points, with `a` and `b`
/// measured against the sampled points only, as scikit-learn's
/// `silhouette_score(sample_size=...)` does; pairwise distances come from matrix products in
/// blocks of rows, so memory stays near `sampleSize` x 1M floats at most.
///
/// ```swift
/// let score = Silhouette.score(points, labels: model.assignments, seed: 7)
/// ```
public enum Silhouette {
    /// The mean silhouette coefficient of `points` labelled `labels`.
    ///
    /// Returns 0 when the (sampled) points hold fewer than 2 distinct labels or as many
    /// labels as points, where the coefficient is undefined (scikit-learn raises an error).
    ///
    /// - Parameters:
    ///   - labels: Any integers, one per point; equal labels mean the same cluster.
    ///   - sampleSize: Score a random sample of this many points; nil, or a size of at least
    ///     the number of points, scores every point.
    ///   - seed: Seeds the sample.
    /// - Precondition: one label per point; `sampleSize`, when given, is at least 1.
    public static func score(_ points: Points, labels: [Int], sampleSize: Int? = 10_000, seed: UInt64) -> Double {
        precondition(labels.count == points.count, "Silhouette: \(labels.count) labels for \(points.count) points")
        let n = points.count
        var indexes = Array(0..<n)
        if let sampleSize, sampleSize < n {
            precondition(sampleSize >= 1, "Silhouette: sample size \(sampleSize) must be at least 1")
            var generator = RandomGenerator(seed: seed)
            indexes = sample(sampleSize, from: n, generator: &generator)
        }
        let m = indexes.count

        // Dense labels, then the sample ordered by label so each cluster is a run of columns.
        var dense: [Int: Int] = [:]
        let sampleLabels = indexes.map { index in
            let label = labels[index]
            if let known = dense[label] { return known }
            dense[label] = dense.count
            return dense.count - 1
        }
        let clusterCount = dense.count
        guard clusterCount >= 2 && clusterCount <= m - 1 else { return 0 }
        let order = (0..<m).sorted { (sampleLabels[$0], $0) < (sampleLabels[$1], $1) }
        var starts = [Int](repeating: 0, count: clusterCount + 1)
        for label in sampleLabels { starts[label + 1] += 1 }
        for l in 0..<clusterCount { starts[l + 1] += starts[l] }

        // The sampled rows in label order, minus their mean (for precise distances), and norms.
        let d = points.dimension
        var means = [Double](repeating: 0, count: d)
        for index in indexes {
            for c in 0..<d { means[c] += Double(points.values[index * d + c]) }
        }
        let shift = means.map { Float($0 / Double(m)) }
        var rows = [Float](repeating: 0, count: m * d)
        var norms = [Float](repeating: 0, count: m)
        for (position, sampled) in order.enumerated() {
            let index = indexes[sampled]
            var norm: Float = 0
            for c in 0..<d {
                let value = points.values[index * d + c] - shift[c]
                rows[position * d + c] = value
                norm += value * value
            }
            norms[position] = norm
        }
        var rowLabels = [Int](repeating: 0, count: m)
        for l in 0..<clusterCount {
            for position in starts[l]..<starts[l + 1] { rowLabels[position] = l }
        }

        let blockRows = max(8, min(256, (1 << 20) / m))
        var products = [Float](repeating: 0, count: blockRows * m)
        var clusterSums = [Double](repeating: 0, count: clusterCount)
        var total = 0.0
        rows.withUnsafeBufferPointer { rowBuffer in
            norms.withUnsafeBufferPointer { normBuffer in
                products.withUnsafeMutableBufferPointer { productBuffer in
                    guard let rows = rowBuffer.baseAddress, let norms = normBuffer.baseAddress,
                        let products = productBuffer.baseAddress
                    else { return }
                    for first in stride(from: 0, to: m, by: blockRows) {
                        let count = min(blockRows, m - first)
                        BLAS.gemm(
                            transposeA: false, transposeB: true, m: count, n: m, k: d, a: rows + first * d, b: rows,
                            c: products)
                        for r in 0..<count {
                            let i = first + r
                            let row = products + r * m
                            // |x_i|² makes the distance to itself exactly 0.
                            row[i] = norms[i]
                            for l in 0..<clusterCount {
                                clusterSums[l] = distanceSum(
                                    row, norms: norms, norm: norms[i], range: starts[l]..<starts[l + 1])
                            }
                            total += coefficient(
                                clusterSums, starts: starts, own: rowLabels[i])
                        }
                    }
                }
            }
        }
        return total / Double(m)
    }

    /// `s(i)` from the sums of distances to each cluster.
    private static func coefficient(_ sums: [Double], starts: [Int], own: Int) -> Double {
        let ownSize = starts[own + 1] - starts[own]
        if ownSize == 1 { return 0 }
        let a = sums[own] / Double(ownSize - 1)
        var b = Double.infinity
        for l in sums.indices where l != own {
            b = min(b, sums[l] / Double(starts[l + 1] - starts[l]))
        }
        let scale = max(a, b)
        return scale > 0 ? (b - a) / scale : 0
    }

    /// The sum of Euclidean distances `sqrt(max(0, |x|² + |y_j|² - 2 x·y_j))` over `range`.
    @inline(__always)
    private static func distanceSum(
        _ products: UnsafePointer<Float>, norms: UnsafePointer<Float>, norm: Float, range: Range<Int>
    ) -> Double {
        var sum = SIMD8<Double>()
        var j = range.lowerBound
        while j + 8 <= range.upperBound {
            let product = UnsafeRawPointer(products + j).loadUnaligned(as: SIMD8<Float>.self)
            let other = UnsafeRawPointer(norms + j).loadUnaligned(as: SIMD8<Float>.self)
            var squared = (norm + other) - 2 * product
            squared.replace(with: 0, where: squared .< 0)
            sum += SIMD8<Double>(squared.squareRoot())
            j += 8
        }
        var tail = 0.0
        while j < range.upperBound {
            tail += Double(max(0, (norm + norms[j]) - 2 * products[j]).squareRoot())
            j += 1
        }
        return sum.sum() + tail
    }

    /// `count` distinct indexes of `0..<n`, in increasing order (Floyd's algorithm).
    private static func sample(_ count: Int, from n: Int, generator: inout RandomGenerator) -> [Int] {
        var chosen = Set<Int>(minimumCapacity: count)
        for j in (n - count)..<n {
            let t = generator.nextInt(below: j + 1)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }
}
