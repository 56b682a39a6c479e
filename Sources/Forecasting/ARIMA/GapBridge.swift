import Foundation

/// The undifferenced series a differenced model's filter reads across gaps, with its
/// differencing: `levels` is `η_t` (the series, less the regression when there is one, `.nan`
/// where missing), `c` the coefficients of `(1 - B)^d (1 - B^s)^D = Σ c_k B^k`, so the
/// differenced series is `w_i = Σ_k c_k η_{i+m-k}` with `m = d + sD`.
struct UndifferencedSeries {
    var levels: [Double]
    let differencing: Differencing

    /// The lag `m = d + sD`.
    var lag: Int { differencing.lag }
}

/// The Kalman filter over the state augmented with the series' last `m` values,
/// `x_t = (α_t, η_{t-1}, ..., η_{t-m})`, for the stretch after a missing value of a
/// differenced model.
///
/// Differencing first makes every difference a missing value enters missing: with
/// `(1 - B)(1 - B^7)` one missing day costs four differences, although only its own value is
/// unknown. R's `arima` and statsmodels keep that information by filtering the undifferenced
/// series with the differences in the state. While the last `m` values are observed, they are
/// known exactly, the augmented filter's lag block has zero covariance, and it reduces to the
/// ARMA filter of the differenced series; so ``ARMAKalmanFilter`` runs the cheap differenced
/// filter and hands over to this one only from a missing value until `m` values in a row are
/// observed again (a few steps per gap), then takes the ARMA block back. The likelihood is the
/// one of the series given its first `m` observed values in a row, R's diffuse likelihood.
///
/// With `η_t = μ + α_t[0] - Σ_{k≥1} c_k η_{t-k}` (no observation noise) the transition is
/// `α ← T α + R ε`, `η_{t}` from that relation, the lags shifted; the observation of `η_t` is
/// `μ + Z x_t` with `Z = (1, 0 ... 0, -c_1 ... -c_m)`. `F = Z P Zᵀ` is at least the innovation
/// variance (1), so the update never divides by a vanishing number.
struct GapBridge {
    /// `r`, the ARMA block's size, and `m`, the lags'.
    let armaDimension: Int
    let lag: Int
    /// `(position in x, -c_k)` for the non-zero `c_k`, `k ≥ 1`: the lag terms of `Z`.
    private let lagTerms: [(index: Int, weight: Double)]
    /// All of `Z`'s non-zero entries: `(0, 1)` and the lag terms.
    private let observationTerms: [(index: Int, weight: Double)]
    /// Filtered state and covariance (row-major `N x N`, `N = r + m`).
    private(set) var state: [Double]
    private(set) var covariance: [Double]
    private var predictedState: [Double]
    private var predictedCovariance: [Double]
    private var product: [Double]
    private var gain: [Double]

    init(armaDimension r: Int, differencing: Differencing) {
        armaDimension = r
        lag = differencing.lag
        let size = r + differencing.lag
        lagTerms = (1..<(differencing.lag + 1)).compactMap { k in
            differencing.coefficients[k] == 0 ? nil : (r + k - 1, -differencing.coefficients[k])
        }
        observationTerms = [(0, 1)] + lagTerms
        state = [Double](repeating: 0, count: size)
        covariance = [Double](repeating: 0, count: size * size)
        predictedState = state
        predictedCovariance = covariance
        product = covariance
        gain = state
    }

    var size: Int { armaDimension + lag }

    /// Starts from the filtered ARMA state `a` and covariance `p` at time `t`, with the lags
    /// `η_{t-1} ... η_{t-m}` the observed values before `t` (known exactly).
    mutating func enter(
        state a: UnsafeMutableBufferPointer<Double>, covariance p: UnsafeMutableBufferPointer<Double>,
        levels: [Double], time t: Int
    ) {
        let r = armaDimension
        let n = size
        for i in 0..<n * n { covariance[i] = 0 }
        for i in 0..<r {
            state[i] = a[i]
            for j in 0..<r { covariance[i * n + j] = p[i * r + j] }
        }
        for k in 1..<(lag + 1) { state[r + k - 1] = levels[t - k] }
    }

    /// Starts from a given augmented state and covariance (a forecast's start).
    mutating func start(state: [Double], covariance: [Double]) {
        precondition(
            state.count == size && covariance.count == size * size,
            "GapBridge: state \(state.count), covariance \(covariance.count) for size \(size)")
        self.state = state
        self.covariance = covariance
    }

    /// Hands the ARMA block back to the differenced filter (the lags are observed values again).
    func leave(state a: UnsafeMutableBufferPointer<Double>, covariance p: UnsafeMutableBufferPointer<Double>) {
        let r = armaDimension
        let n = size
        for i in 0..<r {
            a[i] = state[i]
            for j in 0..<r { p[i * r + j] = covariance[i * n + j] }
        }
    }

    /// `x ← G x + (0, μ, 0 ...)`, `P ← G P Gᵀ + R Rᵀ`, using the shape of `G`: the ARMA rows
    /// are `T`'s, row `r` is `Z`, the others shift the lags.
    mutating func predict(phi: [Double], loadings: [Double], mean: Double) {
        let r = armaDimension
        let n = size
        let terms = lagTerms
        var x = predictedState
        var m = product
        var pNew = predictedCovariance
        predictedState = []
        product = []
        predictedCovariance = []
        state.withUnsafeBufferPointer { a in
            covariance.withUnsafeBufferPointer { p in
                // x_new = G x; M = G P, row by row.
                for i in 0..<r {
                    let next = i + 1 < r ? i + 1 : -1
                    x[i] = phi[i] * a[0] + (next >= 0 ? a[next] : 0)
                    for j in 0..<n { m[i * n + j] = phi[i] * p[j] + (next >= 0 ? p[next * n + j] : 0) }
                }
                guard n > r else { return }
                x[r] = mean + a[0]
                for j in 0..<n { m[r * n + j] = p[j] }
                for term in terms {
                    x[r] += term.weight * a[term.index]
                    for j in 0..<n { m[r * n + j] += term.weight * p[term.index * n + j] }
                }
                for i in (r + 1)..<n {
                    x[i] = a[i - 1]
                    for j in 0..<n { m[i * n + j] = p[(i - 1) * n + j] }
                }
            }
        }
        // P_new = M Gᵀ + R Rᵀ: column j of the result is row j of G applied to M's rows.
        for i in 0..<n {
            let row = i * n
            for j in 0..<r {
                let next = j + 1 < r ? m[row + j + 1] : 0
                pNew[row + j] = phi[j] * m[row] + next + (i < r ? loadings[i] * loadings[j] : 0)
            }
            guard n > r else { continue }
            var value = m[row]
            for term in terms { value += term.weight * m[row + term.index] }
            pNew[row + r] = value
            for j in (r + 1)..<n { pNew[row + j] = m[row + j - 1] }
        }
        predictedState = x
        product = m
        predictedCovariance = pNew
    }

    /// The predicted `η_t` (`μ + Z x`) and its variance `Z P Zᵀ` (in units of `σ²`).
    func prediction(mean: Double) -> (value: Double, variance: Double) {
        let n = size
        var value = mean
        var variance = 0.0
        for (i, wi) in observationTerms {
            value += wi * predictedState[i]
            for (j, wj) in observationTerms { variance += wi * wj * predictedCovariance[i * n + j] }
        }
        return (value, variance)
    }

    /// Updates with `η_t` (`.nan`: keeps the prediction) and adds its innovation to `sums`.
    mutating func update(_ value: Double, mean: Double, sums: inout ARMAKalmanFilter.Sums) {
        let n = size
        guard !value.isNaN else {
            state = predictedState
            covariance = predictedCovariance
            return
        }
        var prediction = mean
        for (i, weight) in observationTerms { prediction += weight * predictedState[i] }
        let v = value - prediction
        for i in 0..<n {
            var value = predictedCovariance[i * n]
            for term in lagTerms { value += term.weight * predictedCovariance[i * n + term.index] }
            gain[i] = value
        }
        var f = gain[0]
        for term in lagTerms { f += term.weight * gain[term.index] }
        for i in 0..<n { state[i] = predictedState[i] + gain[i] * v / f }
        for i in 0..<n {
            let scaled = gain[i] / f
            for j in 0..<n { covariance[i * n + j] = predictedCovariance[i * n + j] - scaled * gain[j] }
        }
        sums.sumOfSquares += v * v / f
        sums.sumOfLogs += log(f)
        sums.count += 1
    }
}
