import Foundation
import Monitoring
import Testing

@Suite("Drift statistics on hand-computed examples")
struct DriftStatisticsTests {
    @Test("PSI of shares moved between bins is Σ (a − e) ln(a / e)")
    func populationStability() {
        // (0.5 − 0.25) ln 2 + 0 + (0.25 − 0.5) ln 0.5 = 0.5 ln 2.
        let psi = DriftStatistics.populationStabilityIndex(expected: [0.25, 0.25, 0.5], actual: [0.5, 0.25, 0.25])
        #expect(abs(psi - 0.5 * log(2.0)) < 1e-12)
        // Counts are normalised; equal distributions give 0.
        #expect(DriftStatistics.populationStabilityIndex(expected: [1, 2, 3], actual: [10, 20, 30]) == 0)
        // An empty bin is floored at 1e-4 instead of giving infinity.
        let floored = DriftStatistics.populationStabilityIndex(expected: [0.5, 0.5], actual: [1, 0])
        let expected = 0.5 * log(1 / 0.5) + (1e-4 - 0.5) * log(1e-4 / 0.5)
        #expect(abs(floored - expected) < 1e-12)
    }

    @Test("Jensen-Shannon distance: natural logarithm, square root of the divergence")
    func jensenShannon() {
        // m = (0.75, 0.25): KL(p‖m) = 0.5 ln(2/3) + 0.5 ln 2, KL(q‖m) = ln(4/3).
        let divergence = (0.5 * log(2.0 / 3) + 0.5 * log(2.0)) / 2 + log(4.0 / 3) / 2
        #expect(abs(DriftStatistics.jensenShannonDistance([0.5, 0.5], [1, 0]) - divergence.squareRoot()) < 1e-12)
        #expect(abs(DriftStatistics.jensenShannonDistance([0.5, 0.5], [1, 0]) - 0.464_502) < 1e-6)
        #expect(abs(DriftStatistics.jensenShannonDistance([3, 0], [0, 7]) - log(2.0).squareRoot()) < 1e-12)
        #expect(DriftStatistics.jensenShannonDistance([2, 6], [1, 3]) == 0)
    }

    /// A profile of the given cells (edges, counts and means), with moments that do not matter
    /// here.
    private func profile(_ edges: [Double], _ counts: [Int], _ means: [Double]) throws -> NumericProfile {
        try #require(
            NumericProfile(
                count: counts.reduce(0, +), missing: 0, mean: 0, standardDeviation: 1, minimum: edges[0],
                maximum: edges[edges.count - 1], edges: edges, counts: counts, means: means))
    }

    @Test("Wasserstein: half the mass moved from one cell's mean to another's is 0.5 × the distance")
    func wassersteinBetweenCells() throws {
        // Training: ½ at 0.5, ½ at 1.5. Recent: all in the first cell, mean 0.5.
        let training = try profile([0, 1, 2], [2, 2, 0], [0.5, 1.5, 2])
        let recent = NumericTally(values: [0.2, 0.8, 0.2, 0.8], in: training)
        #expect(recent.counts == [4, 0, 0] && recent.sums == [2, 0, 0])
        #expect(abs(try #require(DriftStatistics.wasserstein(training, recent)) - 0.5) < 1e-12)
    }

    @Test("Wasserstein: mass beyond the training range sits at its own mean")
    func wassersteinTails() throws {
        // Recent: ½ at 0.5, ¼ at 1.5 and ¼ at 3.5 (above the range by 1.5): a quarter moves 2.
        let training = try profile([0, 1, 2], [2, 2, 0], [0.5, 1.5, 2])
        let above = NumericTally(values: [0.5, 0.5, 1.5, 3.5], in: training)
        #expect(above.above == 1 && above.aboveDistance == 1.5)
        #expect(abs(try #require(DriftStatistics.wasserstein(training, above)) - 0.5) < 1e-12)
        // Training ½ at 0.5 only; recent ½ at −0.5 (below the range) and ½ at 0.5: half moves 1.
        let single = try profile([0, 1], [4, 0], [0.5, 1])
        let below = NumericTally(values: [-0.5, -0.5, 0.25, 0.75], in: single)
        #expect(below.below == 2 && below.belowDistance == 1)
        #expect(abs(try #require(DriftStatistics.wasserstein(single, below)) - 0.5) < 1e-12)
    }

    @Test("Wasserstein: a count feature shifted by less than a cell shows the shift exactly")
    func wassersteinWithinCells() throws {
        let counts = (0..<1_000).map { Double($0 % 4) }
        let profile = NumericProfile(values: counts)
        #expect(profile.edges == [0, 1, 2, 3] && profile.means == [0, 1, 2, 3])
        let shifted = NumericTally(values: counts.map { $0 + 0.05 }, in: profile)
        #expect(abs(try #require(DriftStatistics.wasserstein(profile, shifted)) - 0.05) < 1e-9)
    }

    @Test("Wasserstein from the profile agrees with the exact two-sample distance on smooth data")
    func wassersteinAgainstExact() throws {
        var generator = SystemRandomNumberGeneratorSeeded(seed: 7)
        let training = (0..<20_000).map { _ in generator.normal() }
        let recent = (0..<20_000).map { _ in generator.normal() * 1.2 + 0.3 }
        let profile = NumericProfile(values: training)
        let approximate = try #require(DriftStatistics.wasserstein(profile, NumericTally(values: recent, in: profile)))
        let exact = exactWasserstein(training, recent)
        #expect(abs(approximate - exact) / exact < 0.005, "profile \(approximate), exact \(exact)")
    }

    @Test("A constant training feature: the distance is the mean absolute difference from it")
    func constantFeature() throws {
        let profile = NumericProfile(values: [Double](repeating: 4, count: 50))
        #expect(profile.edges == [4] && profile.counts == [50])
        let tally = NumericTally(values: [4, 4, 6, 1], in: profile)
        #expect(abs(try #require(DriftStatistics.wasserstein(profile, tally)) - 1.25) < 1e-12)
        #expect(profile.scale == 4)
    }

    @Test("Chi-square and normal quantiles against tables")
    func quantiles() {
        #expect(abs(DriftStatistics.normalQuantile(0.999) - 3.090_232) < 1e-6)
        #expect(abs(DriftStatistics.normalQuantile(0.025) + 1.959_964) < 1e-6)
        // Tabulated 0.999 quantiles: 9 degrees 27.877, 100 degrees 149.449.
        #expect(abs(DriftStatistics.chiSquareQuantile(degrees: 9, probability: 0.999) / 27.877 - 1) < 0.01)
        #expect(abs(DriftStatistics.chiSquareQuantile(degrees: 100, probability: 0.999) / 149.449 - 1) < 0.002)
    }
}

/// `∫ |F − G| dx` between two samples' empirical distributions, exactly (sorted merge).
func exactWasserstein(_ a: [Double], _ b: [Double]) -> Double {
    let (x, y) = (a.sorted(), b.sorted())
    let all = (x + y).sorted()
    var (i, j, distance) = (0, 0, 0.0)
    for k in 0..<(all.count - 1) {
        while i < x.count, x[i] <= all[k] { i += 1 }
        while j < y.count, y[j] <= all[k] { j += 1 }
        distance += abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)) * (all[k + 1] - all[k])
    }
    return distance
}

/// A seeded generator for Double samples in tests (splitmix64), with normal draws.
struct SystemRandomNumberGeneratorSeeded: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal draw (Box-Muller).
    mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    /// An exponential draw with mean 1.
    mutating func exponential() -> Double { -log(Double.random(in: Double.ulpOfOne..<1, using: &self)) }

    /// A Poisson draw (Knuth's product method; small means only).
    mutating func poisson(_ mean: Double) -> Double {
        let limit = exp(-mean)
        var (count, product) = (0.0, Double.random(in: 0..<1, using: &self))
        while product > limit {
            count += 1
            product *= Double.random(in: 0..<1, using: &self)
        }
        return count
    }
}
