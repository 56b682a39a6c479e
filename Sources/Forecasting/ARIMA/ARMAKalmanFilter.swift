import Foundation

/// The exact Gaussian likelihood of a zero-mean ARMA process by a Kalman filter over its
/// state-space form, with the innovation variance scaled to 1 (it is concentrated out by the
/// caller).
///
/// The state is Harvey's form, as in R's `arima`, with `r = max(p, q + 1)`:
///
/// ```
/// α_{t+1} = T α_t + R ε_{t+1},   y_t = α_t[0]
/// T = [φ | I_{r-1} over 0],  R = (1, θ_1, ..., θ_{r-1})'
/// ```
///
/// The filter starts from the stationary state covariance, the solution of the discrete
/// Lyapunov equation `P = T P T' + R R'` (Gardner, Harvey and Phillips 1980). It is built from
/// the process autocovariances: the first row is `Cov(y_t, α_t[k])`, and the equation written
/// element by element gives every other entry from the one below and to its right, in `O(r²)`
/// after an `(p + 1)`-sized linear solve for the autocovariances. A missing value skips the
/// update step, so its time only widens the prediction.
///
/// All buffers are allocated once per model order; ``run(_:mean:)`` allocates nothing.
struct ARMAKalmanFilter {
    /// The state dimension `r`.
    let dimension: Int
    /// `φ_1 ... φ_r`, zero beyond the AR order.
    private(set) var phi: [Double]
    /// `1, θ_1 ... θ_{r-1}`, zero beyond the MA order.
    private(set) var loadings: [Double]
    /// The stationary covariance of the state (row-major `r x r`), the filter's start.
    private(set) var initialCovariance: [Double]
    /// After ``run(_:mean:)``: the state at the last time given all values (row-major covariance).
    private(set) var state: [Double]
    private(set) var covariance: [Double]
    private var predictedState: [Double]
    private var predictedCovariance: [Double]
    private var product: [Double]
    private var autocovariances: [Double]
    private var psi: [Double]
    private var system: [Double]

    /// The sums the concentrated likelihood needs: `Σ v_t² / F_t`, `Σ log F_t` and the number
    /// of values used.
    struct Sums: Equatable {
        var sumOfSquares = 0.0
        var sumOfLogs = 0.0
        var count = 0
    }

    init(arOrder: Int, maOrder: Int) {
        let r = max(arOrder, maOrder + 1)
        dimension = r
        phi = [Double](repeating: 0, count: r)
        loadings = [Double](repeating: 0, count: r)
        loadings[0] = 1
        initialCovariance = [Double](repeating: 0, count: r * r)
        state = [Double](repeating: 0, count: r)
        covariance = initialCovariance
        predictedState = state
        predictedCovariance = initialCovariance
        product = initialCovariance
        autocovariances = [Double](repeating: 0, count: r + 1)
        psi = [Double](repeating: 0, count: r + 1)
        system = [Double](repeating: 0, count: (arOrder + 1) * (arOrder + 2))
    }

    /// Sets the expanded AR coefficients (`1 - Σ ar_k B^k`) and MA coefficients
    /// (`1 + Σ ma_k B^k`) and computes the stationary start. Returns false when the AR part has
    /// a unit root (the autocovariance system is singular).
    ///
    /// - Precondition: the orders fit the dimension the filter was made for.
    mutating func setCoefficients(ar: [Double], ma: [Double]) -> Bool {
        let r = dimension
        precondition(ar.count <= r && ma.count < r, "ARMAKalmanFilter: AR \(ar.count), MA \(ma.count), r = \(r)")
        for i in 0..<r {
            phi[i] = i < ar.count ? ar[i] : 0
            loadings[i] = i == 0 ? 1 : (i <= ma.count ? ma[i - 1] : 0)
        }
        guard computeAutocovariances(arOrder: ar.count, maOrder: ma.count) else { return false }
        let gamma0 = autocovariances[0]
        // First row: Cov(y_t, α_t[k]) = Σ_{j≥k} φ_{j+1} γ(1 + j - k) + θ_j ψ_{j-k}.
        initialCovariance[0] = gamma0
        for k in 1..<r {
            var value = 0.0
            for j in k..<r { value += phi[j] * autocovariances[1 + j - k] + loadings[j] * psi[j - k] }
            initialCovariance[k] = value
            initialCovariance[k * r] = value
        }
        // P[i][k] = P[i+1][k+1] + φ_{i+1} φ_{k+1} γ(0) + θ_i θ_k + φ_{i+1} P[0][k+1] + φ_{k+1} P[0][i+1].
        for i in stride(from: r - 1, through: 1, by: -1) {
            for k in i..<r {
                let below = k + 1 < r ? initialCovariance[(i + 1) * r + k + 1] : 0
                let firstRowK = k + 1 < r ? initialCovariance[k + 1] : 0
                let firstRowI = i + 1 < r ? initialCovariance[i + 1] : 0
                let value =
                    below + phi[i] * phi[k] * gamma0 + loadings[i] * loadings[k] + phi[i] * firstRowK
                    + phi[k] * firstRowI
                initialCovariance[i * r + k] = value
                initialCovariance[k * r + i] = value
            }
        }
        return initialCovariance.allSatisfy(\.isFinite) && gamma0 > 0
    }

    /// `ψ_0 ... ψ_r` and the autocovariances `γ(0) ... γ(r)` for unit innovation variance
    /// (Brockwell and Davis 1991, §3.3): `γ(k) - Σ φ_i γ(k - i) = Σ_{j≥k} θ_j ψ_{j-k}` solved for
    /// `k ≤ p`, then the same recursion forward.
    private mutating func computeAutocovariances(arOrder p: Int, maOrder q: Int) -> Bool {
        let r = dimension
        for j in 0...r {
            var value = j == 0 ? 1.0 : (j <= q ? loadings[j] : 0)
            for i in stride(from: 1, through: min(j, p), by: 1) { value += phi[i - 1] * psi[j - i] }
            psi[j] = value
        }
        func movingAverageTerm(_ k: Int) -> Double {
            guard k <= q else { return 0 }
            var value = 0.0
            for j in k...q { value += loadings[j] * psi[j - k] }
            return value
        }
        // (p + 1) x (p + 2) augmented matrix, unknowns γ(0) ... γ(p).
        let n = p + 1
        let width = n + 1
        for i in 0..<(n * width) { system[i] = 0 }
        for k in 0..<n {
            system[k * width + k] += 1
            for i in stride(from: 1, through: p, by: 1) { system[k * width + abs(k - i)] -= phi[i - 1] }
            system[k * width + n] = movingAverageTerm(k)
        }
        guard solveInPlace(size: n) else { return false }
        for k in 0...r {
            if k < n {
                autocovariances[k] = system[k * width + n]
            } else {
                var value = movingAverageTerm(k)
                for i in stride(from: 1, through: p, by: 1) { value += phi[i - 1] * autocovariances[k - i] }
                autocovariances[k] = value
            }
        }
        return true
    }

    /// Gaussian elimination with partial pivoting on the augmented matrix in `system`; the
    /// solution is left in the last column.
    private mutating func solveInPlace(size n: Int) -> Bool {
        let width = n + 1
        for column in 0..<n {
            var pivot = column
            for row in (column + 1)..<n {
                if abs(system[row * width + column]) > abs(system[pivot * width + column]) { pivot = row }
            }
            guard abs(system[pivot * width + column]) > 1e-12 else { return false }
            if pivot != column {
                for j in 0..<width { system.swapAt(column * width + j, pivot * width + j) }
            }
            let diagonal = system[column * width + column]
            for row in 0..<n where row != column {
                let factor = system[row * width + column] / diagonal
                if factor == 0 { continue }
                for j in column..<width { system[row * width + j] -= factor * system[column * width + j] }
            }
        }
        for row in 0..<n { system[row * width + n] /= system[row * width + row] }
        return true
    }

    /// After ``run(_:mean:undifferenced:)`` with the undifferenced series: the filtered state at
    /// the last time `t` augmented with `η_{t-1} ... η_{t-m}` (their estimates when a gap
    /// reaches them), and its covariance (row-major, `r + m` square), where a forecast of the
    /// series starts; nil when the series never had `m` values in a row observed.
    private(set) var augmented: (state: [Double], covariance: [Double])?

    /// Filters `w - mean` from the stationary start; returns the likelihood sums and leaves the
    /// last filtered state and covariance in ``state`` and ``covariance``.
    ///
    /// With `undifferenced` (`w` being its differences) a missing value costs only itself:
    /// from the step after it until `m` values in a row are observed again the filter runs on
    /// the undifferenced series with the lags in the state (``GapBridge``), and the sums count
    /// the observed values of the series instead of its differences. ``augmented`` is set.
    mutating func run(_ w: [Double], mean: Double, undifferenced: UndifferencedSeries? = nil) -> Sums {
        let r = dimension
        var sums = Sums()
        var a = state
        var p = covariance
        var aNew = predictedState
        var pNew = predictedCovariance
        var m = product
        state = []
        covariance = []
        predictedState = []
        predictedCovariance = []
        product = []
        let lag = undifferenced?.lag ?? 0
        let levels = undifferenced?.levels ?? []
        var bridge = undifferenced.map { GapBridge(armaDimension: r, differencing: $0.differencing) }
        var bridging = false
        // Observed values in a row before the current time (the lags are known once it is m).
        var inARow = 0
        for t in 0..<min(lag, levels.count) { inARow = levels[t].isNaN ? 0 : inARow + 1 }
        phi.withUnsafeBufferPointer { phi in
            loadings.withUnsafeBufferPointer { loadings in
                w.withUnsafeBufferPointer { w in
                    a.withUnsafeMutableBufferPointer { a in
                        p.withUnsafeMutableBufferPointer { p in
                            aNew.withUnsafeMutableBufferPointer { aNew in
                                pNew.withUnsafeMutableBufferPointer { pNew in
                                    m.withUnsafeMutableBufferPointer { m in
                                        let buffers = FilterBuffers(
                                            phi: phi, loadings: loadings, a: a, p: p, aNew: aNew, pNew: pNew,
                                            product: m, dimension: r)
                                        for i in 0..<(r * r) { pNew[i] = initialCovariance[i] }
                                        for i in 0..<r { aNew[i] = 0 }
                                        // Once the predicted covariance stops changing the filter
                                        // is in its steady state: the gain and F are fixed, so only
                                        // the state moves (O(r) a step instead of O(r²)) until a
                                        // missing value makes the covariance grow again.
                                        // The test compares the whole predicted covariance with
                                        // the step before, only after two observed updates in a
                                        // row (inside a gap it can repeat while the next update
                                        // still changes it).
                                        var steady = false
                                        var observedInARow = 0
                                        var previous = [Double](repeating: .nan, count: r * r)
                                        for i in 0..<w.count {
                                            if bridging {
                                                let value = levels[i + lag]
                                                bridge?.predict(phi: self.phi, loadings: self.loadings, mean: mean)
                                                bridge?.update(value, mean: mean, sums: &sums)
                                                inARow = value.isNaN ? 0 : inARow + 1
                                                if inARow >= lag {
                                                    bridge?.leave(state: a, covariance: p)
                                                    bridging = false
                                                    steady = false
                                                    observedInARow = 0
                                                }
                                                continue
                                            }
                                            if i > 0 {
                                                if steady {
                                                    buffers.predictState()
                                                } else {
                                                    buffers.predict()
                                                    let f = pNew[0]
                                                    var same = observedInARow >= 2
                                                    for i in 0..<(r * r) {
                                                        let value = pNew[i]
                                                        if same && !(abs(value - previous[i]) <= 1e-14 * f) {
                                                            same = false
                                                        }
                                                        previous[i] = value
                                                    }
                                                    steady = same
                                                }
                                            }
                                            let y = w[i] - mean
                                            if y.isNaN {
                                                steady = false
                                                observedInARow = 0
                                            } else {
                                                observedInARow += 1
                                            }
                                            buffers.update(y, sums: &sums, covariance: !steady)
                                            guard lag > 0 else { continue }
                                            let missing = levels[i + lag].isNaN
                                            if missing && inARow >= lag {
                                                // The lags are known and this value is not: bridge
                                                // the gap on the undifferenced series.
                                                bridge?.enter(state: a, covariance: p, levels: levels, time: i + lag)
                                                bridging = true
                                            }
                                            inARow = missing ? 0 : inARow + 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        augmented = bridge.flatMap { bridge in
            bridging
                ? (bridge.state, bridge.covariance)
                : augmentedState(filtered: a, covariance: p, levels: levels, lag: lag, lagsObserved: inARow > lag)
        }
        state = a
        covariance = p
        predictedState = aNew
        predictedCovariance = pNew
        product = m
        return sums
    }

    /// The augmented state at the series' last time `t` from the differenced filter's: the
    /// filtered ARMA block and the observed `η_{t-1} ... η_{t-m}` (exact, so zero covariance);
    /// nil unless the values up to `t` were observed `m + 1` in a row (else the ARMA block
    /// has not seen the last difference).
    private func augmentedState(
        filtered a: [Double], covariance p: [Double], levels: [Double], lag: Int, lagsObserved: Bool
    ) -> (state: [Double], covariance: [Double])? {
        guard lag == 0 || lagsObserved else { return nil }
        let r = dimension
        let size = r + lag
        var state = [Double](repeating: 0, count: size)
        var covariance = [Double](repeating: 0, count: size * size)
        for i in 0..<r {
            state[i] = a[i]
            for j in 0..<r { covariance[i * size + j] = p[i * r + j] }
        }
        let t = levels.count - 1
        for k in stride(from: 1, through: lag, by: 1) { state[r + k - 1] = levels[t - k] }
        return (state, covariance)
    }
}

/// The filter's buffers as raw pointers, so that the inner loops run without bounds checks
/// or reference counting.
private struct FilterBuffers {
    let phi: UnsafeBufferPointer<Double>
    let loadings: UnsafeBufferPointer<Double>
    let a: UnsafeMutableBufferPointer<Double>
    let p: UnsafeMutableBufferPointer<Double>
    let aNew: UnsafeMutableBufferPointer<Double>
    let pNew: UnsafeMutableBufferPointer<Double>
    let product: UnsafeMutableBufferPointer<Double>
    let dimension: Int

    /// `a_new = T a`, `P_new = T P T' + R R'` using the shape of `T`: `(T X)[i][j] = φ_i X[0][j] + X[i+1][j]`.
    func predict() {
        let r = dimension
        for i in 0..<(r - 1) {
            aNew[i] = phi[i] * a[0] + a[i + 1]
            let f = phi[i]
            for j in 0..<r { product[i * r + j] = f * p[j] + p[(i + 1) * r + j] }
        }
        aNew[r - 1] = phi[r - 1] * a[0]
        let f = phi[r - 1]
        for j in 0..<r { product[(r - 1) * r + j] = f * p[j] }
        // P_new = (T P) T' + R R': (M T')[i][j] = M[i][0] φ_j + M[i][j+1].
        for i in 0..<r {
            let m0 = product[i * r]
            let li = loadings[i]
            for j in 0..<(r - 1) { pNew[i * r + j] = m0 * phi[j] + product[i * r + j + 1] + li * loadings[j] }
            pNew[i * r + r - 1] = m0 * phi[r - 1] + li * loadings[r - 1]
        }
    }

    /// `a_new = T a` alone, for the steady state (the covariances do not change).
    func predictState() {
        let r = dimension
        for i in 0..<(r - 1) { aNew[i] = phi[i] * a[0] + a[i + 1] }
        aNew[r - 1] = phi[r - 1] * a[0]
    }

    /// The update for an observation `y` (minus the mean); a NaN keeps the prediction. With
    /// `covariance` false (the steady state) the filtered covariance is left as it is.
    func update(_ y: Double, sums: inout ARMAKalmanFilter.Sums, covariance: Bool = true) {
        let r = dimension
        if y.isNaN {
            for i in 0..<r { a[i] = aNew[i] }
            for i in 0..<(r * r) { p[i] = pNew[i] }
            return
        }
        // F >= 1: P_new carries R R', whose first entry is 1 (and γ(0) >= 1 at the start).
        let f = pNew[0]
        let v = y - aNew[0]
        let gain = v / f
        for i in 0..<r { a[i] = aNew[i] + pNew[i * r] * gain }
        for i in 0..<r where covariance {
            let scaled = pNew[i * r] / f
            for j in 0..<r { p[i * r + j] = pNew[i * r + j] - scaled * pNew[j] }
        }
        sums.sumOfSquares += v * v / f
        sums.sumOfLogs += log(f)
        sums.count += 1
    }
}
