import Foundation

/// The distances drift checks use, and the sampling noise each would show with no change at all.
public enum DriftStatistics {
    /// Shares below this count as this in the population stability index, so an empty bin on
    /// one side gives a large finite value instead of infinity (the usual convention).
    public static let smallestShare = 1e-4

    /// The population stability index `Σ (a − e) ln(a / e)` of shares `actual` against
    /// `expected` (each normalised to sum to 1; shares floored at ``smallestShare``).
    public static func populationStabilityIndex(expected: [Double], actual: [Double]) -> Double {
        precondition(expected.count == actual.count, "PSI of \(expected.count) against \(actual.count) bins")
        let (e, a) = (normalised(expected), normalised(actual))
        return zip(e, a).reduce(0) { total, pair in
            let (expected, actual) = (max(pair.0, smallestShare), max(pair.1, smallestShare))
            return total + (actual - expected) * log(actual / expected)
        }
    }

    /// The Jensen-Shannon distance (the square root of the divergence, natural logarithm, so
    /// between 0 and `√ln 2` ≈ 0.833) between two distributions given as counts or shares.
    public static func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "Jensen-Shannon of \(p.count) against \(q.count) categories")
        let (p, q) = (normalised(p), normalised(q))
        var divergence = 0.0
        for (a, b) in zip(p, q) {
            let m = (a + b) / 2
            if a > 0 { divergence += a * log(a / m) / 2 }
            if b > 0 { divergence += b * log(b / m) / 2 }
        }
        return max(divergence, 0).squareRoot()
    }

    /// The first Wasserstein (earth mover's) distance `∫ |F(x) − G(x)| dx` between the profile's
    /// distribution and a sample counted in its cells, in the feature's own units. Each side is
    /// seen as its cells' masses at their means, and the sample's values below or above the
    /// training range as their own masses at their means. On smooth data this is within a few
    /// tenths of a percent of the exact two-sample distance; on count data it is exact.
    ///
    /// Returns nil when the profile or the sample has no finite value.
    public static func wasserstein(_ profile: NumericProfile, _ tally: NumericTally) -> Double? {
        let (n, m) = (Double(profile.count), Double(tally.count))
        guard n > 0, m > 0, let first = profile.edges.first, let last = profile.edges.last else { return nil }
        var training: [(position: Double, mass: Double)] = []
        training.reserveCapacity(profile.counts.count)
        for cell in profile.counts.indices where profile.counts[cell] > 0 {
            training.append((profile.means[cell], Double(profile.counts[cell]) / n))
        }
        var recent: [(position: Double, mass: Double)] = []
        recent.reserveCapacity(tally.counts.count + 2)
        if tally.below > 0 {
            recent.append((first - tally.belowDistance / Double(tally.below), Double(tally.below) / m))
        }
        for cell in tally.counts.indices where tally.counts[cell] > 0 {
            recent.append((tally.sums[cell] / Double(tally.counts[cell]), Double(tally.counts[cell]) / m))
        }
        if tally.above > 0 {
            recent.append((last + tally.aboveDistance / Double(tally.above), Double(tally.above) / m))
        }
        // Both lists are sorted by position; walk them together, integrating |F − G|.
        var (i, j) = (0, 0)
        var (f, g, distance) = (0.0, 0.0, 0.0)
        var previous: Double?
        while i < training.count || j < recent.count {
            let takeTraining = j == recent.count || (i < training.count && training[i].position <= recent[j].position)
            let position = takeTraining ? training[i].position : recent[j].position
            if let previous { distance += abs(f - g) * (position - previous) }
            previous = position
            if takeTraining {
                f += training[i].mass
                i += 1
            } else {
                g += recent[j].mass
                j += 1
            }
        }
        return distance
    }

    /// The `probability` quantile of the chi-square distribution with `degrees` degrees of
    /// freedom (Wilson-Hilferty; within 1% of the exact value from 3 degrees of freedom on, for
    /// the upper quantiles these checks use).
    public static func chiSquareQuantile(degrees: Int, probability: Double) -> Double {
        let k = Double(max(degrees, 1))
        let z = normalQuantile(probability)
        let cube = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
        return k * cube * cube * cube
    }

    /// The standard normal quantile (Acklam's rational approximation, relative error below
    /// 1.2e-9).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile of \(p)")
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low { return -normalQuantile(1 - p) }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The effective sample size of a two-sample comparison, `1 / (1/n + 1/m)`.
    public static func effectiveSize(_ n: Int, _ m: Int) -> Double {
        guard n > 0, m > 0 else { return 0 }
        return 1 / (1 / Double(n) + 1 / Double(m))
    }

    private static func normalised(_ values: [Double]) -> [Double] {
        let total = values.reduce(0, +)
        return total > 0 ? values.map { $0 / total } : values
    }
}
