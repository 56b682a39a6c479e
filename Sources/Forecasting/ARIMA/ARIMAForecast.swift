import Foundation
import Settings

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
    /// The series is filtered to its end (the differenced series, and the series itself across
    /// gaps, as the fit), then the state augmented with the last `d + sD` values of the series
    /// is carried forward (the state-space form of the integrated model, as R's
    /// `predict.Arima`), so the means and the forecast error variance account for the
    /// differencing exactly, and a missing value near the end costs only itself. Parameter
    /// uncertainty is not included. With regressors this runs on the regression's errors
    /// `y_t - Σ β_j x_jt`, and the regression on the regressors' values over the horizon is
    /// added back.
    ///
    /// - Parameters:
    ///   - horizon: Steps to forecast (key `horizon`), from 1.
    ///   - level: Coverage of the intervals (key `level`), strictly between 0 and 1 (0.8, 0.95).
    /// - Throws: ``InvalidParameter`` for a bad horizon or level, or (key `series`) when the
    ///   series never has `d + sD + 1` values in a row observed; with regressors (keys `horizon`
    ///   and `regressors`) when their values do not cover the horizon.
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
        let coefficients = ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: seasonalAR, seasonalMA: seasonalMA, mean: differencedMean,
            regression: regression, period: order.period)
        var filter = ARMAKalmanFilter(arOrder: order.expandedAROrder, maOrder: order.expandedMAOrder)
        let stationary = filter.setCoefficients(ar: coefficients.expandedAR, ma: coefficients.expandedMA)
        precondition(stationary, "ARIMAModel: fitted coefficients are stationary by construction")
        _ = filter.run(
            differencing.apply(series), mean: differencedMean,
            undifferenced: UndifferencedSeries(levels: series, differencing: differencing))
        guard let start = filter.augmented else {
            throw InvalidParameter(
                "series", value: "never \(m + 1) values in a row observed",
                allowed: "a run of \(m + 1) observed values (d + s D + 1) to forecast from")
        }
        // The state augmented with the last m values carried forward without observations: the
        // forecast of y_t and its variance are μ + Z x and Z P Zᵀ (GapBridge).
        var bridge = GapBridge(armaDimension: filter.dimension, differencing: differencing)
        bridge.start(state: start.state, covariance: start.covariance)
        var means: [Double] = []
        var standardErrors: [Double] = []
        var unused = ARMAKalmanFilter.Sums()
        for step in 0..<horizon {
            bridge.predict(phi: filter.phi, loadings: filter.loadings, mean: differencedMean)
            let next = bridge.prediction(mean: differencedMean)
            means.append(next.value + futureEffect[step])
            standardErrors.append((max(next.variance, 0) * sigma2).squareRoot())
            bridge.update(.nan, mean: differencedMean, sums: &unused)
        }
        return Forecast(mean: means, standardDeviations: standardErrors, level: level)
    }
}
