import Configuration
import Foundation

extension ARIMAModel: FittedForecast {
    /// The largest horizon ``forecast(horizon:level:)`` accepts.
    public static let maximumHorizon = 100_000

    /// Forecasts `horizon` steps after the end of ``series``: index `h - 1` holds the forecast
    /// `h` steps ahead, with normal intervals and their standard deviations.
    ///
    /// ```swift
    /// let forecast = try model.forecast(horizon: 12, level: 0.8)
    /// (forecast.lower[11], forecast.mean[11], forecast.upper[11])   // twelve steps ahead
    /// ```
    ///
    /// The differenced series is filtered to its end, then the state is carried forward with
    /// the last `d + sD` values of the series, so the forecast error variance accounts for the
    /// differencing exactly (the state-space form of the integrated model, as R's
    /// `predict.Arima`); the means are the ARMA forecasts of the differenced series passed
    /// through ``Differencing/integrate(_:after:)``. Parameter uncertainty is not included.
    /// With regressors this runs on the regression's errors `y_t - Σ β_j x_jt`, and the
    /// regression on the regressors' values over the horizon is added back.
    ///
    /// - Parameters:
    ///   - horizon: Steps to forecast (key `horizon`), from 1.
    ///   - level: Coverage of the intervals (key `level`), strictly between 0 and 1 (0.8, 0.95).
    /// - Throws: ``InvalidParameter`` for a bad horizon or level, or (key `series`) when one of
    ///   the last `d + sD` values of the series is missing; with regressors (keys `horizon` and
    ///   `regressors`) when their values do not cover the horizon.
    public func forecast(horizon: Int, level: Double = 0.95) throws(InvalidParameter) -> Forecast {
        try InvalidParameter.require("horizon", horizon, in: 1...Self.maximumHorizon)
        try InvalidParameter.require(
            level > 0 && level < 1, "level", level, allowed: "strictly between 0 and 1, like 0.8 or 0.95")
        let differencing = order.differencing
        let m = differencing.lag
        var series = series
        var futureEffect = [Double](repeating: 0, count: horizon)
        if let regressors {
            let n = series.count
            try InvalidParameter.require(
                regressors.periods >= n + horizon, "horizon", horizon,
                allowed: "at most \(regressors.periods - n): the regressors' values end there")
            for t in 0..<n { series[t] -= regressors.effect(regression, at: t) }
            for h in 0..<horizon {
                futureEffect[h] = regressors.effect(regression, at: n + h)
                guard futureEffect[h].isFinite else {
                    let unknown = regressors.names.indices.first { regressors.columns[$0][n + h].isNaN } ?? 0
                    throw InvalidParameter(
                        "regressors", value: "\(regressors.names[unknown]) unknown \(h + 1) periods after the series",
                        allowed: "values for every period of the horizon")
                }
            }
        }
        let last = Array(series.suffix(m))
        try InvalidParameter.require(
            last.allSatisfy(\.isFinite), "series", "missing among its last \(m) values",
            allowed: "observed in the last \(m) values (d + s D) to forecast from")

        let coefficients = ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: seasonalAR, seasonalMA: seasonalMA, mean: differencedMean,
            regression: regression, period: order.period)
        var filter = ARMAKalmanFilter(arOrder: order.expandedAROrder, maOrder: order.expandedMAOrder)
        let stationary = filter.setCoefficients(ar: coefficients.expandedAR, ma: coefficients.expandedMA)
        precondition(stationary, "ARIMAModel: fitted coefficients are stationary by construction")
        _ = filter.run(differencing.apply(series), mean: differencedMean)

        // Augmented state x = (α_t, y_{t-1}, ..., y_{t-m}) with y_t = α_t[0] + μ + Σ δ_k y_{t-k},
        // δ_k = -c_k; its transition F and noise loading, dense (N = r + m is small).
        let r = filter.dimension
        let size = r + m
        var transition = [Double](repeating: 0, count: size * size)
        for i in 0..<r {
            transition[i * size] = filter.phi[i]
            if i + 1 < r { transition[i * size + i + 1] = 1 }
        }
        var observation = [Double](repeating: 0, count: size)
        observation[0] = 1
        for k in 1..<(m + 1) { observation[r + k - 1] = -differencing.coefficients[k] }
        if m > 0 {
            for j in 0..<size { transition[r * size + j] = observation[j] }
            for j in 1..<m { transition[(r + j) * size + r + j - 1] = 1 }
        }
        var covariance = [Double](repeating: 0, count: size * size)
        for i in 0..<r {
            for j in 0..<r { covariance[i * size + j] = filter.covariance[i * r + j] }
        }
        var state = filter.state
        var work = [Double](repeating: 0, count: size * size)
        var differencedMeans: [Double] = []
        var standardErrors: [Double] = []
        for _ in 0..<horizon {
            // Covariance: C ← F C Fᵀ + R Rᵀ (noise in the ARMA block only).
            multiply(transition, covariance, into: &work, size: size)
            multiplyTransposed(work, transition, into: &covariance, size: size)
            for i in 0..<r {
                for j in 0..<r { covariance[i * size + j] += filter.loadings[i] * filter.loadings[j] }
            }
            // ARMA state mean: α ← T α.
            var next = [Double](repeating: 0, count: r)
            for i in 0..<r { next[i] = filter.phi[i] * state[0] + (i + 1 < r ? state[i + 1] : 0) }
            state = next
            differencedMeans.append(differencedMean + state[0])
            var variance = 0.0
            for i in 0..<size where observation[i] != 0 {
                for j in 0..<size where observation[j] != 0 {
                    variance += observation[i] * covariance[i * size + j] * observation[j]
                }
            }
            standardErrors.append((max(variance, 0) * sigma2).squareRoot())
        }
        let means = zip(differencing.integrate(differencedMeans, after: series), futureEffect).map { $0 + $1 }
        return Forecast(mean: means, standardDeviations: standardErrors, level: level)
    }
}

/// `out = a b` for square row-major matrices.
private func multiply(_ a: [Double], _ b: [Double], into out: inout [Double], size n: Int) {
    for i in 0..<n {
        for j in 0..<n { out[i * n + j] = 0 }
        for k in 0..<n where a[i * n + k] != 0 {
            let aik = a[i * n + k]
            for j in 0..<n { out[i * n + j] += aik * b[k * n + j] }
        }
    }
}

/// `out = a bᵀ` for square row-major matrices.
private func multiplyTransposed(_ a: [Double], _ b: [Double], into out: inout [Double], size n: Int) {
    for i in 0..<n {
        for j in 0..<n {
            var sum = 0.0
            for k in 0..<n { sum += a[i * n + k] * b[j * n + k] }
            out[i * n + j] = sum
        }
    }
}
