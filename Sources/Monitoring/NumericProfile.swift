import Foundation

/// A numeric feature's training distribution: moments, range, and a histogram whose cell edges
/// are the training percentiles.
///
/// The edges are the training values at ranks `⌊p (n − 1)⌋` for every percentile `p` (0 and 1
/// included) and, where the tails are long, for 0.1%, 0.2%, 0.5% and their mirror images,
/// repeats removed. A count feature with few distinct values keeps one edge per value; a smooth
/// one gets 107 cells, 1% each in the body. Cell `j` holds `[edges[j], edges[j + 1])`, and a
/// last cell holds the maximum alone, so the largest value of a count feature keeps its own
/// cell (a feature with one value has just that cell).
///
/// Drift statistics treat each cell's mass as spread evenly over the cell, on both sides, so
/// comparing a sample with the profile needs one pass with a binary search per value, no
/// sorting (``NumericTally``). Profiles with the same edges merge exactly (``merged(with:)``).
public struct NumericProfile: Sendable, Codable, Equatable {
    /// Finite values profiled.
    public var count: Int
    /// Values that were missing or not finite.
    public var missing: Int
    public var mean: Double
    /// The population standard deviation.
    public var standardDeviation: Double
    public var minimum: Double
    public var maximum: Double
    /// Distinct, increasing cell edges (at least one when `count > 0`).
    public var edges: [Double]
    /// Training values per cell: one per edge (the last cell is the maximum alone).
    public var counts: [Int]
    /// The mean of each cell's training values (the cell's lower edge when it is empty).
    public var means: [Double]

    /// The probabilities of the edges asked for.
    public static let edgeProbabilities: [Double] =
        [0, 0.001, 0.002, 0.005] + (1...99).map { Double($0) / 100 } + [0.995, 0.998, 0.999, 1]

    /// Profiles `values`; NaN and infinities count as missing.
    public init(values: some Sequence<Double>) {
        var finite: [Double] = []
        var missing = 0
        for value in values {
            if value.isFinite { finite.append(value) } else { missing += 1 }
        }
        finite.sort()
        self.missing = missing
        count = finite.count
        guard let first = finite.first, let last = finite.last else {
            (mean, standardDeviation, minimum, maximum, edges, counts, means) = (0, 0, 0, 0, [], [], [])
            return
        }
        let mean = finite.reduce(0, +) / Double(finite.count)
        let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)
        self.mean = mean
        standardDeviation = variance.squareRoot()
        minimum = first
        maximum = last
        var edges: [Double] = []
        for probability in Self.edgeProbabilities {
            let value = finite[Int((probability * Double(finite.count - 1)).rounded(.down))]
            if edges.last != value { edges.append(value) }
        }
        self.edges = edges
        var counts = [Int](repeating: 0, count: edges.count)
        var sums = [Double](repeating: 0, count: counts.count)
        for value in finite {
            let cell = Self.cell(of: value, edges: edges)
            counts[cell] += 1
            sums[cell] += value
        }
        self.counts = counts
        // A mean of values inside a cell lies inside it, but rounding may put it a unit in the
        // last place outside: clamp.
        means = counts.indices.map { cell in
            counts[cell] > 0
                ? min(max(sums[cell] / Double(counts[cell]), edges[cell]), edges[min(cell + 1, edges.count - 1)])
                : edges[cell]
        }
    }

    /// A profile from its parts, as decoded; nil when they do not describe a histogram.
    public init?(
        count: Int, missing: Int, mean: Double, standardDeviation: Double, minimum: Double, maximum: Double,
        edges: [Double], counts: [Int], means: [Double]
    ) {
        self.count = count
        self.missing = missing
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.minimum = minimum
        self.maximum = maximum
        self.edges = edges
        self.counts = counts
        self.means = means
        guard isConsistent else { return nil }
    }

    /// Whether the parts describe a histogram: increasing finite edges, one count and one mean
    /// (inside its cell) per cell, counts adding up to `count`, finite moments.
    public var isConsistent: Bool {
        guard count >= 0, missing >= 0, mean.isFinite, standardDeviation.isFinite, standardDeviation >= 0
        else { return false }
        if count == 0 { return edges.isEmpty && counts.isEmpty && means.isEmpty }
        guard !edges.isEmpty, edges.allSatisfy(\.isFinite), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }),
            counts.count == edges.count, counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == count,
            means.count == counts.count
        else { return false }
        return means.indices.allSatisfy { cell in
            means[cell].isFinite && means[cell] >= edges[cell] && means[cell] <= edges[min(cell + 1, edges.count - 1)]
        }
    }

    /// The cell of a finite `value` inside `[edges.first, edges.last]`: the last edge at or
    /// below it (values below the first edge get cell 0; callers route them to the tails first).
    static func cell(of value: Double, edges: [Double]) -> Int {
        var low = 0
        var high = edges.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if edges[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The scale drift distances are divided by: the training standard deviation, or for a
    /// feature constant in training, its magnitude (at least 1), so a distance still reads in
    /// sensible units.
    public var scale: Double {
        standardDeviation > 0 ? standardDeviation : max(abs(mean), 1)
    }

    /// The share of values missing.
    public var missingShare: Double {
        count + missing == 0 ? 0 : Double(missing) / Double(count + missing)
    }

    /// The two profiles combined, when they share their edges (profiles of parts of one data
    /// set cut at the same edges, say one per day); nil otherwise, since percentile edges of
    /// different samples do not line up.
    public func merged(with other: NumericProfile) -> NumericProfile? {
        guard edges == other.edges else { return nil }
        let total = count + other.count
        guard total > 0 else { return self }
        let (a, b) = (Double(count), Double(other.count))
        let mean = (a * self.mean + b * other.mean) / Double(total)
        let delta = other.mean - self.mean
        let squares =
            a * standardDeviation * standardDeviation + b * other.standardDeviation * other.standardDeviation
            + delta * delta * a * b / Double(total)
        var merged = self
        merged.count = total
        merged.missing = missing + other.missing
        merged.mean = mean
        merged.standardDeviation = (squares / Double(total)).squareRoot()
        merged.minimum = count == 0 ? other.minimum : (other.count == 0 ? minimum : Swift.min(minimum, other.minimum))
        merged.maximum = count == 0 ? other.maximum : (other.count == 0 ? maximum : Swift.max(maximum, other.maximum))
        merged.counts = zip(counts, other.counts).map(+)
        merged.means = counts.indices.map { cell in
            let total = counts[cell] + other.counts[cell]
            guard total > 0 else { return means[cell] }
            let mean =
                (Double(counts[cell]) * means[cell] + Double(other.counts[cell]) * other.means[cell]) / Double(total)
            return min(max(mean, edges[cell]), edges[min(cell + 1, edges.count - 1)])
        }
        return merged
    }
}

/// A sample counted in a profile's cells: what drift statistics compare with the profile.
public struct NumericTally: Sendable, Equatable {
    /// Finite values per profile cell, and their sums.
    public var counts: [Int]
    public var sums: [Double]
    /// Finite values below the profile's first edge, and the sum of their distances to it.
    public var below = 0
    public var belowDistance = 0.0
    /// Finite values above the profile's last edge, and the sum of their distances to it.
    public var above = 0
    public var aboveDistance = 0.0
    /// Values missing or not finite.
    public var missing = 0
    /// Sum of the finite values (for the mean).
    public var sum = 0.0

    /// Counts `values` in `profile`'s cells.
    public init(values: some Sequence<Double>, in profile: NumericProfile) {
        counts = [Int](repeating: 0, count: profile.counts.count)
        sums = [Double](repeating: 0, count: profile.counts.count)
        guard let first = profile.edges.first, let last = profile.edges.last else {
            for value in values {
                if value.isFinite {
                    above += 1
                    sum += value
                } else {
                    missing += 1
                }
            }
            return
        }
        let edges = profile.edges
        for value in values {
            guard value.isFinite else {
                missing += 1
                continue
            }
            sum += value
            if value < first {
                below += 1
                belowDistance += first - value
            } else if value > last {
                above += 1
                aboveDistance += value - last
            } else {
                let cell = NumericProfile.cell(of: value, edges: edges)
                counts[cell] += 1
                sums[cell] += value
            }
        }
    }

    /// Finite values counted.
    public var count: Int { counts.reduce(below + above, +) }

    /// The mean of the finite values, or nil when there are none.
    public var mean: Double? { count == 0 ? nil : sum / Double(count) }

    /// The share of values missing.
    public var missingShare: Double {
        count + missing == 0 ? 0 : Double(missing) / Double(count + missing)
    }
}
