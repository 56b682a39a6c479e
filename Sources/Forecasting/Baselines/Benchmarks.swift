import Foundation
import Settings

/// The naive method: every forecast is the last observed value (a random walk).
///
/// Intervals (Hyndman & Athanasopoulos, fpp3 §5.5): `σ̂_h = σ̂ √h`, with `σ̂` the root mean
/// square of the one-step differences `y_t - y_(t-1)` between consecutive observed values.
/// When the series ends in missing periods, the last observation is `g` periods further
/// back and the interval is that of step `h + g`.
///
/// ```swift
/// let forecast = try Naive().fit([3, 5, 4, 6], seasonPeriod: 1).forecast(horizon: 2, level: 0.8)
/// forecast.mean   // [6, 6]
/// ```
public struct Naive: Forecaster, Equatable {
    public init() {}

    public var name: String { "naive" }

    /// - Throws: ``ForecastingError/seriesTooShort(model:needed:got:)`` without two consecutive observed values.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try LagForecast(series, lag: 1, drift: false, model: name)
    }
}

/// The seasonal naive method: each forecast is the last observed value of the same season.
///
/// Intervals (fpp3 §5.5): `σ̂_h = σ̂ √(k + 1)` with `k = ⌊(h - 1) / m⌋`, the number of whole
/// seasons between the forecast and the value it repeats; `σ̂` is the root mean square of
/// `y_t - y_(t-m)` over observed pairs. Where that value is missing, the one a season before
/// it is taken, and `k` grows by one.
public struct SeasonalNaive: Forecaster, Equatable {
    public init() {}

    public var name: String { "seasonal-naive" }

    /// - Throws: ``ForecastingError/seriesTooShort(model:needed:got:)`` without a pair of observed
    ///   values a season apart, ``ForecastingError/unsuitableValues(model:detail:)`` when a season
    ///   position has no observed value.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        precondition(seasonPeriod >= 1, "SeasonalNaive: season period \(seasonPeriod)")
        return try LagForecast(series, lag: seasonPeriod, drift: false, model: name)
    }
}

/// The drift method: the last observed value plus `h` times the average change per period
/// between the first and last observations.
///
/// Intervals (fpp3 §5.5): `σ̂_h = σ̂ √(h (1 + h / (T - 1)))`: the random walk's `h σ²` plus
/// `h²` times the variance `σ² / (T - 1)` of the estimated drift, an average of `T - 1`
/// changes. `σ̂` is the root mean square of the one-step changes less the drift, divided by
/// one fewer than their count (one parameter fitted).
public struct Drift: Forecaster, Equatable {
    public init() {}

    public var name: String { "drift" }

    /// - Throws: ``ForecastingError/seriesTooShort(model:needed:got:)`` without three observed
    ///   values, two of them consecutive.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try LagForecast(series, lag: 1, drift: true, model: name)
    }
}

/// A fitted naive, seasonal naive or drift forecast: repeats the last observed value `lag`
/// periods back, plus the drift per period.
struct LagForecast: FittedForecast {
    /// The values, for the value each forecast repeats.
    let series: [Double]
    let lag: Int
    /// The average change per period (0 without drift).
    let drift: Double
    /// Periods spanned by the observations the drift was estimated from (`T - 1`), 0 without drift.
    let driftSpan: Int
    /// The residual standard deviation `σ̂`.
    let sigma: Double
    let model: String

    init(_ series: [Double], lag: Int, drift withDrift: Bool, model: String) throws {
        var changes: [Double] = []
        for t in series.indices.dropFirst(lag) where !series[t].isNaN && !series[t - lag].isNaN {
            changes.append(series[t] - series[t - lag])
        }
        let observed = series.indices.filter { !series[$0].isNaN }
        var drift = 0.0
        var span = 0
        if withDrift, let first = observed.first, let last = observed.last, last > first {
            span = last - first
            drift = (series[last] - series[first]) / Double(span)
        }
        let parameters = withDrift ? 1 : 0
        guard changes.count > parameters else {
            throw ForecastingError.seriesTooShort(
                model: model,
                needed: "\(parameters + 1) pairs of observed values \(lag) period\(lag == 1 ? "" : "s") apart",
                got: series.count)
        }
        let squares = changes.reduce(0) { $0 + ($1 - drift) * ($1 - drift) }
        self.series = series
        self.lag = lag
        self.drift = drift
        self.driftSpan = span
        self.sigma = (squares / Double(changes.count - parameters)).squareRoot()
        self.model = model
    }

    func forecast(horizon: Int, level: Double) throws -> Forecast {
        try Forecast.validate(horizon: horizon, level: level)
        var means: [Double] = []
        var deviations: [Double] = []
        let n = series.count
        for h in 1...horizon {
            // The latest observed value `lag * j` periods before the target, j = 1, 2, ...
            var source = n - 1 + h - lag
            while source >= n || (source >= 0 && series[source].isNaN) { source -= lag }
            guard source >= 0 else {
                throw ForecastingError.unsuitableValues(
                    model: model,
                    detail: "no observed value for season position \((n - 1 + h) % lag); "
                        + "fill in at least one value of each season position")
            }
            let steps = n - 1 + h - source
            means.append(series[source] + drift * Double(steps))
            let variance: Double
            if lag == 1 {
                // A random walk over `steps` periods, plus the drift's estimation error.
                let s = Double(steps)
                variance = s * (1 + (driftSpan > 0 ? s / Double(driftSpan) : 0))
            } else {
                variance = Double(steps / lag)
            }
            deviations.append(sigma * variance.squareRoot())
        }
        return Forecast(mean: means, standardDeviations: deviations, level: level)
    }
}

/// The moving average method: every forecast is the mean of the last `window` observed values.
///
/// Intervals treat the window as a sample around a fixed level, as fpp3 §5.5's mean method
/// does: `σ̂_h = σ̂ √(1 + 1/w)`, with `σ̂` the root mean square of the in-sample one-step errors
/// (each value against the mean of the `w` observed values before it). They do not widen with
/// `h`, so on a wandering series they are too narrow at long horizons.
public struct MovingAverage: Forecaster, Equatable {
    /// The number of observed values averaged (key `window`).
    public var window: Int

    /// - Parameter window: The number of most recent observed values averaged.
    public init(window: Int) { self.window = window }

    public var name: String { "moving-average(\(window))" }

    /// - Throws: ``InvalidParameter`` for a window below 1, ``ForecastingError/seriesTooShort(model:needed:got:)``
    ///   with fewer than `window + 1` observed values.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try InvalidParameter.require(window >= 1, "window", window, allowed: "at least 1")
        let observed = series.filter { !$0.isNaN }
        guard observed.count > window else {
            throw ForecastingError.seriesTooShort(
                model: name, needed: "\(window + 1) observed values", got: observed.count)
        }
        var sum = observed.prefix(window).reduce(0, +)
        var squares = 0.0
        for t in window..<observed.count {
            let error = observed[t] - sum / Double(window)
            squares += error * error
            sum += observed[t] - observed[t - window]
        }
        let sigma = (squares / Double(observed.count - window)).squareRoot()
        return FlatForecast(
            level: observed.suffix(window).reduce(0, +) / Double(window),
            standardDeviation: sigma * (1 + 1 / Double(window)).squareRoot())
    }
}

/// A forecast that stays at one level with one interval width at every step.
struct FlatForecast: FittedForecast {
    let level: Double
    let standardDeviation: Double

    func forecast(horizon: Int, level coverage: Double) throws -> Forecast {
        try Forecast.validate(horizon: horizon, level: coverage)
        return Forecast(
            mean: [Double](repeating: level, count: horizon),
            standardDeviations: [Double](repeating: standardDeviation, count: horizon), level: coverage)
    }
}
