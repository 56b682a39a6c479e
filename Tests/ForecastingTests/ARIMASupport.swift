import Foundation

/// Seeded Double draws for the tests (SplitMix64 and Box-Muller), so simulated series are the
/// same on every run without depending on another module's generator.
struct TestNormals {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / 9_007_199_254_740_992
    }

    mutating func normal() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}

/// A zero-mean ARMA(p, q) series with unit-variance noise after a burn-in of 300 values
/// (AR coefficients of `1 - Σ φ B^i`, MA of `1 + Σ θ B^i`).
func simulateARMA(ar: [Double], ma: [Double], count: Int, normals: inout TestNormals) -> [Double] {
    let burn = 300
    var x = [Double](repeating: 0, count: count + burn)
    var e = [Double](repeating: 0, count: count + burn)
    for t in 0..<(count + burn) {
        e[t] = normals.normal()
        var value = e[t]
        for (i, phi) in ar.enumerated() where t - i - 1 >= 0 { value += phi * x[t - i - 1] }
        for (j, theta) in ma.enumerated() where t - j - 1 >= 0 { value += theta * e[t - j - 1] }
        x[t] = value
    }
    return Array(x.suffix(count))
}

/// Running sums (the inverse of a first difference from 0).
func cumulativeSum(_ values: [Double]) -> [Double] {
    var total = 0.0
    return values.map {
        total += $0
        return total
    }
}
