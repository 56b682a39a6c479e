import Foundation

/// The likelihood of an integrated model on the undifferenced series, for series with missing
/// values, as R's `arima` computes it: the state carries the ARMA state and the last `d + sD`
/// values, `x_t = (α_t, y_{t-1}, ..., y_{t-m})`, with
///
/// ```
/// y_t = μ + α_t[0] + Σ δ_k y_{t-k}        (δ_k = -c_k of the differencing polynomial)
/// ```
///
/// The lags start diffuse (variance `κ = 1e6`) and an innovation whose variance is `1e4` or
/// more (the first `m` observed values) is left out of the sums, as R leaves it out. A missing
/// value then costs only itself, where differencing first loses every difference it enters
/// (with a seasonal difference, the value a season later too).
///
/// Dense `N = r + m` state, with the transition's shape used so a step costs `O(N²)`.
struct IntegratedLikelihood {
    static let kappa = 1e6
    static let diffuseVariance = 1e4

    let phi: [Double]
    let loadings: [Double]
    let r: Int
    let m: Int
    let n: Int
    let mean: Double
    /// `Z`: 1 on `α[0]`, `δ_k` on lag `k`.
    private var z: [Double]
    /// The state mean and covariance (row-major `n x n`).
    private(set) var state: [Double]
    private(set) var covariance: [Double]
    private var work: [Double]
    private var pz: [Double]

    /// The filter at its start: ARMA state from `filter`'s stationary covariance (its
    /// coefficients set), diffuse lags.
    init(filter: ARMAKalmanFilter, differencing: Differencing, mean: Double) {
        r = filter.dimension
        m = differencing.lag
        n = r + m
        phi = filter.phi
        loadings = filter.loadings
        self.mean = mean
        z = [Double](repeating: 0, count: n)
        z[0] = 1
        for k in 1..<(m + 1) { z[r + k - 1] = -differencing.coefficients[k] }
        state = [Double](repeating: 0, count: n)
        covariance = [Double](repeating: 0, count: n * n)
        for i in 0..<r {
            for j in 0..<r { covariance[i * n + j] = filter.initialCovariance[i * r + j] }
        }
        for k in 0..<m { covariance[(r + k) * n + r + k] = Self.kappa }
        work = covariance
        pz = state
    }

    /// The sums for `levels` (the series, less any regression) under the ARMA coefficients set
    /// in `filter`, with differenced mean `mean`; the filter is left at the last value.
    mutating func run(_ levels: [Double]) -> ARMAKalmanFilter.Sums {
        var sums = ARMAKalmanFilter.Sums()
        for (t, y) in levels.enumerated() {
            if t > 0 { predict() }
            update(y, sums: &sums)
        }
        return sums
    }

    /// The mean and variance (per unit innovation variance) of the next value.
    var prediction: (mean: Double, variance: Double) {
        var variance = 0.0
        for i in 0..<n where z[i] != 0 {
            for j in 0..<n where z[j] != 0 { variance += z[i] * covariance[i * n + j] * z[j] }
        }
        return (mean + dot(z, state), variance)
    }

    /// One step ahead: `a ← F a` (with `μ` into the new lag 1), `P ← F P Fᵀ + R Rᵀ`.
    mutating func predict() {
        let newLag = mean + dot(z, state)
        var next = [Double](repeating: 0, count: n)
        for i in 0..<r { next[i] = phi[i] * state[0] + (i + 1 < r ? state[i + 1] : 0) }
        if m > 0 {
            next[r] = newLag
            for k in 1..<m { next[r + k] = state[r + k - 1] }
        }
        state = next
        // work = F P (row by row), then P = work Fᵀ (column by column), then + R Rᵀ.
        for j in 0..<n {
            for i in 0..<r {
                work[i * n + j] = phi[i] * covariance[j] + (i + 1 < r ? covariance[(i + 1) * n + j] : 0)
            }
            if m > 0 {
                var value = 0.0
                for k in 0..<n where z[k] != 0 { value += z[k] * covariance[k * n + j] }
                work[r * n + j] = value
                for k in 1..<m { work[(r + k) * n + j] = covariance[(r + k - 1) * n + j] }
            }
        }
        for i in 0..<n {
            let row = i * n
            for j in 0..<r { covariance[row + j] = phi[j] * work[row] + (j + 1 < r ? work[row + j + 1] : 0) }
            if m > 0 {
                var value = 0.0
                for k in 0..<n where z[k] != 0 { value += z[k] * work[row + k] }
                covariance[row + r] = value
                for k in 1..<m { covariance[row + r + k] = work[row + r + k - 1] }
            }
        }
        for i in 0..<r {
            for j in 0..<r { covariance[i * n + j] += loadings[i] * loadings[j] }
        }
    }

    /// The update for `y` (NaN: none); innovations with variance under ``diffuseVariance``
    /// are added to `sums`.
    private mutating func update(_ y: Double, sums: inout ARMAKalmanFilter.Sums) {
        guard !y.isNaN else { return }
        for i in 0..<n {
            var value = 0.0
            for k in 0..<n where z[k] != 0 { value += covariance[i * n + k] * z[k] }
            pz[i] = value
        }
        let f = dot(z, pz)
        let v = y - mean - dot(z, state)
        guard f > 0 else { return }
        for i in 0..<n { state[i] += pz[i] * v / f }
        for i in 0..<n {
            for j in 0..<n { covariance[i * n + j] -= pz[i] * pz[j] / f }
        }
        if f < Self.diffuseVariance {
            sums.sumOfSquares += v * v / f
            sums.sumOfLogs += log(f)
            sums.count += 1
        }
    }

    private func dot(_ x: [Double], _ y: [Double]) -> Double {
        var sum = 0.0
        for i in x.indices where x[i] != 0 { sum += x[i] * y[i] }
        return sum
    }
}
