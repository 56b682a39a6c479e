import Foundation

/// A numeric feature's training distribution: moments, range, and a histogram whose cell edges
/// are the training percentiles.
///
/// The edges are the training values at ranks `⌊p (n − 1)⌋` for every percentile `p` (0 and 1
/// included) and, where the tails are long, for 0.1%, 0.2%, 0.5% and their mirror images,
/// repeats removed. A count feature with few distinct values keeps one edge per value; a smooth
/// one gets 106 cells, 1% each in the body. Cell `j` holds `[edges[j], edges[j + 1])`; the last
/// cell also holds its upper edge. A feature with one value has one empty-width cell.
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
    /// Training values per cell: `max(edges.count - 1, 1)` entries.
    public var counts: [Int]

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
            (mean, standardDeviation, minimum, maximum, edges, counts) = (0, 0, 0, 0, [], [])
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
        var counts = [Int](repeating: 0, count: max(edges.count - 1, 1))
        for value in finite { counts[Self.cell(of: value, edges: edges)] += 1 }
        self.counts = counts
    }

    /// A profile from its parts, as decoded; nil when they do not describe a histogram.
    public init?(
        count: Int, missing: Int, mean: Double, standardDeviation: Double, minimum: Double, maximum: Double,
        edges: [Double], counts: [Int]
    ) {
        self.count = count
        self.missing = missing
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.minimum = minimum
        self.maximum = maximum
        self.edges = edges
        self.counts = counts
        guard isConsistent else { return nil }
    }

    /// Whether the parts describe a histogram: increasing finite edges, one count per cell
    /// adding up to `count`, finite moments.
    public var isConsistent: Bool {
        guard count >= 0, missing >= 0, mean.isFinite, standardDeviation.isFinite, standardDeviation >= 0
        else { return false }
        if count == 0 { return edges.isEmpty && counts.isEmpty }
        guard !edges.isEmpty, edges.allSatisfy(\.isFinite), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }),
            counts.count == max(edges.count - 1, 1), counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == count
        else { return false }
        return true
    }

    /// The cell of a finite `value` inside `[edges.first, edges.last]` (values outside are
    /// clamped to the first or last cell; callers route them to the tails first).
    static func cell(of value: Double, edges: [Double]) -> Int {
        var low = 0
        var high = edges.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if edges[middle] <= value { low = middle } else { high = middle - 1 }
        }
        return min(low, max(edges.count - 2, 0))
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
        return merged
    }
}

/// A sample counted in a profile's cells: what drift statistics compare with the profile.
public struct NumericTally: Sendable, Equatable {
    /// Finite values per profile cell.
    public var counts: [Int]
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
                counts[NumericProfile.cell(of: value, edges: edges)] += 1
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
