import Foundation
import Randomness

/// The simulator's random source: TensorEngine's seeded generator plus the distributions the
/// simulator draws from.
///
/// Each user gets an independent stream derived from (seed, stream, index), so user *k*'s
/// events do not depend on how many users come before or after it.
struct SimulationRandom {
    private var generator: RandomGenerator

    init(seed: UInt64, stream: UInt64, index: UInt64) {
        generator = RandomGenerator(seed: Self.mix(Self.mix(seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)) ^ index))
    }

    /// SplitMix64's finaliser: nearby inputs give unrelated outputs.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 random bits.
    mutating func bits() -> UInt64 { generator.next() }

    /// Uniform in `[0, 1)` with 53 random bits.
    mutating func unit() -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    /// Uniform in `[low, high)`.
    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Uniform integer in `0..<count` (`count` > 0).
    mutating func int(below count: Int) -> Int { generator.nextInt(below: count) }

    /// `true` with probability `p`.
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Standard normal.
    mutating func normal() -> Double { Double(generator.nextNormal()) }

    /// Log-normal with the given median and log-scale spread.
    mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }

    /// Poisson count with mean `lambda` (Knuth's product of uniforms; the simulator's means are small).
    mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded())) }
        let limit = exp(-lambda)
        var product = unit()
        var count = 0
        while product > limit {
            count += 1
            product *= unit()
        }
        return count
    }

    /// Geometric count `1, 2, ...` with the given mean (at least 1).
    mutating func geometric(mean: Double) -> Int {
        guard mean > 1 else { return 1 }
        let p = 1 / mean
        // 1 - unit() lies in (0, 1], so the logarithm is finite.
        return 1 + Int(log(1 - unit()) / log(1 - p))
    }

    /// A random permutation of `0..<count`.
    mutating func permutation(_ count: Int) -> [Int] { generator.permutation(count) }
}

/// Draws index *i* with probability `weights[i] / sum(weights)` in constant time (Vose's alias
/// method).
struct AliasTable: Sendable {
    private var probability: [Double]
    private var alias: [Int32]

    /// `weights` must be non-empty with a positive sum; negative weights count as zero.
    init(weights: [Double]) {
        let count = weights.count
        let total = weights.reduce(0) { $0 + max($1, 0) }
        var scaled = weights.map { total > 0 ? max($0, 0) * Double(count) / total : 1 }
        probability = [Double](repeating: 1, count: count)
        alias = (0..<count).map { Int32($0) }
        var small: [Int] = []
        var large: [Int] = []
        for (index, value) in scaled.enumerated() {
            if value < 1 { small.append(index) } else { large.append(index) }
        }
        while let less = small.popLast(), let more = large.popLast() {
            probability[less] = scaled[less]
            alias[less] = Int32(more)
            scaled[more] = scaled[more] + scaled[less] - 1
            if scaled[more] < 1 { small.append(more) } else { large.append(more) }
        }
        // Whatever is left is 1 up to rounding error and keeps probability 1.
    }

    var count: Int { probability.count }

    /// One draw.
    func sample(_ random: inout SimulationRandom) -> Int {
        let bits = random.bits()
        // The high 32 bits pick the column (bias below count / 2^32), the low 32 bits the coin.
        let column = Int(((bits >> 32) &* UInt64(probability.count)) >> 32)
        let coin = Double(bits & 0xFFFF_FFFF) * 0x1p-32
        return coin < probability[column] ? column : Int(alias[column])
    }
}
