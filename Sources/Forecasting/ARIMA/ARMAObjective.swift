import Foundation

/// The coefficients of one parameter vector, in the form the filter and the report use.
struct ARMACoefficients: Sendable, Equatable {
    var ar: [Double]
    var ma: [Double]
    var seasonalAR: [Double]
    var seasonalMA: [Double]
    /// The mean of the differenced series (0 without a constant).
    var mean: Double
    /// `φ(B) Φ(B^s)` as `1 - Σ a_k B^k` and `θ(B) Θ(B^s)` as `1 + Σ b_k B^k`.
    var expandedAR: [Double]
    var expandedMA: [Double]

    init(ar: [Double], ma: [Double], seasonalAR: [Double], seasonalMA: [Double], mean: Double, period: Int) {
        self.ar = ar
        self.ma = ma
        self.seasonalAR = seasonalAR
        self.seasonalMA = seasonalMA
        self.mean = mean
        expandedAR = Forecasting.expandedAR(ar, seasonal: seasonalAR, period: period)
        expandedMA = Forecasting.expandedMA(ma, seasonal: seasonalMA, period: period)
    }
}

/// The two objectives a fit minimises over unconstrained parameters
/// `[ar raw (p), ma raw (q), seasonal ar raw (P), seasonal ma raw (Q), mean raw (0 or 1)]`:
/// the conditional sum of squares (for start values) and the exact concentrated likelihood.
///
/// AR and MA blocks pass through the Jones transform, so every parameter vector gives a
/// stationary and invertible model; the mean is `center + scale * raw` with the differenced
/// series' mean and standard deviation, so every raw value is of order 1.
struct ARMAObjective {
    let order: ARIMAOrder
    /// The differenced series (`.nan` where missing).
    let series: [Double]
    let includeMean: Bool
    let center: Double
    let scale: Double
    private var filter: ARMAKalmanFilter
    private var residuals: [Double]

    init(order: ARIMAOrder, differenced series: [Double], includeMean: Bool) {
        self.order = order
        self.series = series
        self.includeMean = includeMean
        let observed = series.filter { !$0.isNaN }
        let mean = observed.reduce(0, +) / Double(max(observed.count, 1))
        let variance = observed.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(observed.count - 1, 1))
        center = mean
        scale = variance > 0 ? variance.squareRoot() : 1
        filter = ARMAKalmanFilter(arOrder: order.expandedAROrder, maOrder: order.expandedMAOrder)
        residuals = [Double](repeating: 0, count: series.count)
    }

    var parameterCount: Int { order.p + order.q + order.seasonalP + order.seasonalQ + (includeMean ? 1 : 0) }

    func coefficients(_ raw: [Double]) -> ARMACoefficients {
        precondition(raw.count == parameterCount, "ARMAObjective: \(raw.count) parameters for \(parameterCount)")
        var offset = 0
        func block(_ count: Int, negate: Bool) -> [Double] {
            let values = stationaryCoefficients(raw[offset..<(offset + count)])
            offset += count
            return negate ? values.map { -$0 } : values
        }
        let ar = block(order.p, negate: false)
        let ma = block(order.q, negate: true)
        let seasonalAR = block(order.seasonalP, negate: false)
        let seasonalMA = block(order.seasonalQ, negate: true)
        let mean = includeMean ? center + scale * raw[offset] : 0
        return ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: seasonalAR, seasonalMA: seasonalMA, mean: mean, period: order.period)
    }

    /// Runs the filter for `coefficients`; nil when the AR part has a unit root.
    mutating func filterSums(_ coefficients: ARMACoefficients) -> ARMAKalmanFilter.Sums? {
        guard filter.setCoefficients(ar: coefficients.expandedAR, ma: coefficients.expandedMA) else { return nil }
        return filter.run(series, mean: coefficients.mean)
    }

    /// `½ (log(Σ v²/F / n) + Σ log F / n)`: minus the log-likelihood with `σ²` concentrated out,
    /// divided by `n`, without constants (as R's `arima` optimises it).
    mutating func concentratedNegativeLogLikelihood(_ raw: [Double]) -> Double {
        guard let sums = filterSums(coefficients(raw)), sums.count > 0 else { return .infinity }
        let n = Double(sums.count)
        return 0.5 * (log(sums.sumOfSquares / n) + sums.sumOfLogs / n)
    }

    /// `½ log(Σ e_t² / n)`, with `e_t` the residuals of the ARMA recursion started at zero after
    /// the first `p + sP` values (R's `CSS`); a missing value gives no residual.
    mutating func conditionalSumOfSquares(_ raw: [Double]) -> Double {
        let c = coefficients(raw)
        let phi = c.expandedAR
        let theta = c.expandedMA
        let start = phi.count
        var sum = 0.0
        var count = 0
        for t in series.indices {
            guard t >= start else {
                residuals[t] = 0
                continue
            }
            var e = series[t] - c.mean
            for (j, a) in phi.enumerated() { e -= a * (series[t - j - 1] - c.mean) }
            for j in 0..<min(t - start, theta.count) { e -= theta[j] * residuals[t - j - 1] }
            if e.isNaN {
                residuals[t] = 0
            } else {
                residuals[t] = e
                sum += e * e
                count += 1
            }
        }
        return count > 0 ? 0.5 * log(sum / Double(count)) : .infinity
    }
}
