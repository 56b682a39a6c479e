/// A forecasting method: fits a series and returns a model that forecasts it.
///
/// Methods are small configuration values; ``fit(_:seasonPeriod:)`` does the work and returns a
/// ``FittedForecast``. A new method (ARIMA, an LSTM) plugs into backtests by conforming.
///
/// ```swift
/// let model = try ExponentialSmoothing(trend: .additive, seasonality: .additive).fit(series.values, seasonPeriod: 7)
/// let forecast = try model.forecast(horizon: 14, level: 0.8)
/// forecast.mean; forecast.lower; forecast.upper
/// ```
public protocol Forecaster: Sendable {
    /// A short name for reports (`naive`, `ets(A,Ad,M)`).
    var name: String { get }

    /// Fits `series` (one value per period, `.nan` where missing).
    ///
    /// - Parameters:
    ///   - series: The values, oldest first.
    ///   - seasonPeriod: Periods per season (7 for daily data); methods without seasons ignore it.
    /// - Throws: ``ForecastingError`` when the series is too short or unsuitable, ``InvalidParameter``
    ///   for a bad setting.
    func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast
}

/// A fitted model: forecasts the periods after the series it was fitted on.
public protocol FittedForecast: Sendable {
    /// Point forecasts and central prediction intervals for the next `horizon` periods.
    ///
    /// - Parameters:
    ///   - horizon: Periods ahead, at least 1.
    ///   - level: The intervals' coverage probability, strictly between 0 and 1 (0.8 for 80%).
    /// - Throws: ``InvalidParameter`` for a bad horizon or level.
    func forecast(horizon: Int, level: Double) throws -> Forecast
}
