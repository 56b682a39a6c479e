import Foundation
import Testing

@testable import Forecasting

/// The Kalman filter's exact log-likelihood against the multivariate normal density written
/// out directly: `y ~ N(μ, σ² Γ)` with `Γ_ij = γ(|i - j|)` from the psi weights,
///
/// ```
/// log L = -½ (n log 2π + log det(σ² Γ) + (y - μ)ᵀ (σ² Γ)⁻¹ (y - μ))
/// ```
///
/// by a Cholesky factorisation. Missing values drop their rows and columns.
@Suite struct ARIMALikelihoodTests {
    /// `γ(h) = Σ_j ψ_j ψ_{j+h}` for unit noise, with the psi weights summed far enough that
    /// the tail is below double precision for these coefficients.
    static func autocovariances(ar: [Double], ma: [Double], count: Int) -> [Double] {
        let terms = 4_000
        var psi = [Double](repeating: 0, count: terms + count)
        for j in psi.indices {
            var value = j == 0 ? 1 : (j <= ma.count ? ma[j - 1] : 0)
            for (i, phi) in ar.enumerated() where j - i - 1 >= 0 { value += phi * psi[j - i - 1] }
            psi[j] = value
        }
        return (0..<count).map { h in (0..<terms).reduce(0.0) { $0 + psi[$1] * psi[$1 + h] } }
    }

    static func directLogLikelihood(_ y: [Double], mean: Double, sigma2: Double, gamma: [Double]) -> Double {
        let kept = y.indices.filter { !y[$0].isNaN }
        let n = kept.count
        var l = [Double](repeating: 0, count: n * n)  // Cholesky factor of σ² Γ
        for i in 0..<n {
            for j in 0...i {
                var sum = sigma2 * gamma[abs(kept[i] - kept[j])]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? sum.squareRoot() : sum / l[j * n + j]
            }
        }
        var z = [Double](repeating: 0, count: n)  // L z = y - μ
        var logDeterminant = 0.0
        for i in 0..<n {
            var sum = y[kept[i]] - mean
            for k in 0..<i { sum -= l[i * n + k] * z[k] }
            z[i] = sum / l[i * n + i]
            logDeterminant += 2 * log(l[i * n + i])
        }
        let quadratic = z.reduce(0) { $0 + $1 * $1 }
        return -0.5 * (Double(n) * log(2 * Double.pi) + logDeterminant + quadratic)
    }

    static func kalmanLogLikelihood(_ y: [Double], mean: Double, sigma2: Double, ar: [Double], ma: [Double]) -> Double {
        var filter = ARMAKalmanFilter(arOrder: ar.count, maOrder: ma.count)
        let stationary = filter.setCoefficients(ar: ar, ma: ma)
        #expect(stationary)
        let sums = filter.run(y, mean: mean)
        let n = Double(sums.count)
        return -0.5 * (n * log(2 * Double.pi * sigma2) + sums.sumOfLogs + sums.sumOfSquares / sigma2)
    }

    @Test(arguments: [
        ("AR(1)", [0.7], [Double]()),
        ("MA(1)", [Double](), [0.6]),
        ("ARMA(1,1)", [0.5], [-0.4]),
        ("ARMA(2,2)", [0.5, 0.3], [0.4, -0.2]),
        ("seasonal AR(1)(1)[4]", expandedAR([0.4], seasonal: [0.5], period: 4), [Double]()),
    ])
    func kalmanLikelihoodEqualsTheDirectDensity(name: String, ar: [Double], ma: [Double]) {
        var normals = TestNormals(seed: 5)
        var y = simulateARMA(ar: ar, ma: ma, count: 60, normals: &normals).map { 2 + 1.5 * $0 }
        let gamma = Self.autocovariances(ar: ar, ma: ma, count: y.count)
        let complete = Self.kalmanLogLikelihood(y, mean: 2, sigma2: 2.25, ar: ar, ma: ma)
        let direct = Self.directLogLikelihood(y, mean: 2, sigma2: 2.25, gamma: gamma)
        #expect(abs(complete - direct) < 1e-8 * abs(direct), "\(name): \(complete) vs \(direct)")
        // Missing values: the filter skips them, the density drops them.
        for t in [0, 13, 14, 40, 59] { y[t] = .nan }
        let gapped = Self.kalmanLogLikelihood(y, mean: 2, sigma2: 2.25, ar: ar, ma: ma)
        let gappedDirect = Self.directLogLikelihood(y, mean: 2, sigma2: 2.25, gamma: gamma)
        #expect(
            abs(gapped - gappedDirect) < 1e-8 * abs(gappedDirect), "\(name) with gaps: \(gapped) vs \(gappedDirect)")
    }

    @Test func theSteadyStateFilterLeavesAndRejoinsAroundLateGaps() {
        // Long enough for the covariance to settle (the filter then moves only the state),
        // with gaps after it has: each gap must send it back to the full recursion.
        let ar = expandedAR([0.5], seasonal: [0.3], period: 7)
        let ma = [0.8]
        var normals = TestNormals(seed: 8)
        var y = simulateARMA(ar: ar, ma: ma, count: 240, normals: &normals)
        let gamma = Self.autocovariances(ar: ar, ma: ma, count: y.count)
        for t in [120, 121, 122, 170, 200, 239] { y[t] = .nan }
        let filtered = Self.kalmanLogLikelihood(y, mean: 0, sigma2: 1, ar: ar, ma: ma)
        let direct = Self.directLogLikelihood(y, mean: 0, sigma2: 1, gamma: gamma)
        #expect(abs(filtered - direct) < 1e-8 * abs(direct), "\(filtered) vs \(direct)")
    }

    /// The likelihood a differenced model gives the series itself with gaps (the filter
    /// bridging them on the undifferenced series), against the density written out: for
    /// `d = 1`, `y_t - y_0 = Σ_{i≤t} w_i`, so the observed values after `y_0` are normal with
    /// mean `μ t` and covariance `Σ_{i≤s, j≤t} γ(|i - j|)`.
    @Test func theBridgedLikelihoodOfAGappySeriesEqualsItsDirectDensity() throws {
        let ar = [0.6]
        let ma = [-0.3]
        let mean = 0.4
        var normals = TestNormals(seed: 14)
        let w = simulateARMA(ar: ar, ma: ma, count: 59, normals: &normals).map { mean + $0 }
        var y = [10.0]
        for value in w { y.append(y[y.count - 1] + value) }
        for t in [10, 11, 12, 30, 45, 59] { y[t] = .nan }
        let order = ARIMAOrder(p: 1, d: 1, q: 1)
        var objective = ARMAObjective(order: order, differenced: order.differencing.apply(y), includeMean: true)
        objective.bridgeGaps(levels: y, regressors: [])
        let coefficients = ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: [], seasonalMA: [], mean: mean, period: 1)
        let result = objective.filterSums(coefficients)
        let sums = try #require(result)
        let filtered = -0.5 * (Double(sums.count) * log(2 * Double.pi) + sums.sumOfLogs + sums.sumOfSquares)

        let gamma = Self.autocovariances(ar: ar, ma: ma, count: y.count)
        let kept = (1..<y.count).filter { !y[$0].isNaN }
        let n = kept.count
        #expect(sums.count == n)
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = 0.0
                for a in 1...kept[i] {
                    for b in 1...kept[j] { sum += gamma[abs(a - b)] }
                }
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? sum.squareRoot() : sum / l[j * n + j]
            }
        }
        var z = [Double](repeating: 0, count: n)
        var logDeterminant = 0.0
        for i in 0..<n {
            var sum = y[kept[i]] - y[0] - mean * Double(kept[i])
            for k in 0..<i { sum -= l[i * n + k] * z[k] }
            z[i] = sum / l[i * n + i]
            logDeterminant += 2 * log(l[i * n + i])
        }
        let direct = -0.5 * (Double(n) * log(2 * Double.pi) + logDeterminant + z.reduce(0) { $0 + $1 * $1 })
        #expect(abs(filtered - direct) < 1e-8 * abs(direct), "\(filtered) vs \(direct)")
    }

    @Test func theBridgedLikelihoodEqualsTheDifferencedOneWithoutGaps() throws {
        // With every value observed the lags are known and the bridge never runs; with a gap
        // it keeps the values differencing first throws away (one missing value costs itself,
        // not the d + sD + 1 differences it enters).
        var normals = TestNormals(seed: 12)
        let w = simulateARMA(ar: [0.4], ma: [0.3], count: 130, normals: &normals)
        var y = [Double](repeating: 0, count: 134)
        for t in 4..<134 { y[t] = y[t - 4] + w[t - 4] + 0.2 }
        let order = ARIMAOrder(p: 1, d: 0, q: 1, seasonalD: 1, period: 4)
        let coefficients = ARMACoefficients(
            ar: [0.4], ma: [0.3], seasonalAR: [], seasonalMA: [], mean: 0.2, period: 4)
        func sums(_ series: [Double], bridged: Bool) throws -> ARMAKalmanFilter.Sums {
            var objective = ARMAObjective(
                order: order, differenced: order.differencing.apply(series), includeMean: true)
            if bridged { objective.bridgeGaps(levels: series, regressors: []) }
            let result = objective.filterSums(coefficients)
            return try #require(result)
        }
        let differenced = try sums(y, bridged: false)
        let bridged = try sums(y, bridged: true)
        #expect(bridged == differenced)
        y[60] = .nan
        #expect(try sums(y, bridged: true).count == differenced.count - 1)
        #expect(try sums(y, bridged: false).count == differenced.count - 2)
    }

    @Test func jonesTransformAlwaysGivesStationaryPolynomials() {
        var normals = TestNormals(seed: 9)
        for _ in 0..<200 {
            let raw = (0..<4).map { _ in 1.5 * normals.normal() }
            let coefficients = stationaryCoefficients(raw[...])
            #expect(smallestRootModulus(coefficients.map { -$0 }) > 1)
        }
        // One coefficient: φ = tanh(raw).
        #expect(abs(stationaryCoefficients([0.5][...])[0] - tanh(0.5)) < 1e-15)
    }

    @Test func smallestRootModulusOfKnownPolynomials() {
        // 1 - 0.5 z has its root at 2; (1 - 0.5 z)(1 + 0.25 z) = 1 - 0.25 z - 0.125 z² has roots 2 and -4.
        #expect(abs(smallestRootModulus([-0.5]) - 2) < 1e-12)
        #expect(abs(smallestRootModulus([-0.25, -0.125]) - 2) < 1e-10)
        #expect(smallestRootModulus([0, 0]) == .infinity)
    }
}
