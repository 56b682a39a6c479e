import Foundation
import Settings

/// Rolling-origin evaluation: every model refitted at each of the last `folds` origins and
/// scored on the `horizon` periods after it, all models on the same folds.
///
/// Fold `i` (0 the oldest) trains on the first `n - horizon - (folds - 1 - i) · step` values
/// and forecasts the next `horizon`, so the last fold ends with the series. Metrics pool every
/// scored point of every fold (``AccuracyMetrics``), and are also given per fold and per step
/// ahead.
///
/// ```swift
/// let backtest = RollingOriginBacktest(horizon: 7, folds: 8)
/// let result = try backtest.run(series, models: [Naive(), SeasonalNaive(), ExponentialSmoothing(trend: .damped)])
/// print(result.table())
/// let json = try JSONEncoder().encode(result)
/// ```
public struct RollingOriginBacktest: Codable, Sendable, Equatable {
    /// Periods forecast from each origin (key `horizon`).
    public var horizon: Int
    /// Origins evaluated (key `folds`).
    public var folds: Int
    /// Periods between consecutive origins (key `step`).
    public var step: Int
    /// Coverage probability of the prediction intervals (key `level`).
    public var level: Double

    /// - Parameters:
    ///   - horizon: Periods forecast from each origin.
    ///   - folds: Origins evaluated, the last at `n - horizon`.
    ///   - step: Periods between consecutive origins.
    ///   - level: Coverage probability of the intervals (0.8 for 80%).
    public init(horizon: Int, folds: Int, step: Int = 1, level: Double = 0.8) {
        self.horizon = horizon
        self.folds = folds
        self.step = step
        self.level = level
    }

    /// Throws unless the settings can work on a series of `count` periods.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad setting.
    public func validate(count: Int) throws(InvalidParameter) {
        try Forecast.validate(horizon: horizon, level: level)
        try InvalidParameter.require(folds >= 1, "folds", folds, allowed: "at least 1")
        try InvalidParameter.require(step >= 1, "step", step, allowed: "at least 1")
        let firstOrigin = count - horizon - (folds - 1) * step
        try InvalidParameter.require(
            firstOrigin >= 2, "folds", folds,
            allowed: "small enough to leave 2 training periods before the first origin (\(count) periods, horizon "
                + "\(horizon), step \(step): at most \(max(0, (count - horizon - 2) / step + 1)) folds)")
    }

    /// The training lengths of the folds, oldest first.
    public func origins(count: Int) -> [Int] {
        (0..<folds).map { count - horizon - (folds - 1 - $0) * step }
    }

    /// Backtests `models` on a series, with its season and dates.
    ///
    /// - Throws: ``InvalidParameter`` for settings that do not fit the series,
    ///   ``ForecastingError/foldFailed(model:fold:origin:reason:)`` when a model cannot fit a fold.
    public func run(
        _ series: TimeSeries, models: [any Forecaster], foldDone: ((_ model: String, _ fold: Int) -> Void)? = nil
    ) throws -> BacktestResult {
        var result = try run(series.values, seasonPeriod: series.seasonPeriod, models: models, foldDone: foldDone)
        result.originDates = result.origins.map { series.dateText(at: $0) }
        return result
    }

    /// Backtests `models` on `values` with season `seasonPeriod` (the MASE scale's lag too);
    /// `foldDone` hears of every fold fitted and scored (model name, fold from 0), for progress.
    ///
    /// - Throws: as ``run(_:models:foldDone:)``.
    public func run(
        _ values: [Double], seasonPeriod: Int, models: [any Forecaster],
        foldDone: ((_ model: String, _ fold: Int) -> Void)? = nil
    ) throws -> BacktestResult {
        try validate(count: values.count)
        try InvalidParameter.require(seasonPeriod >= 1, "season-period", seasonPeriod, allowed: "at least 1")
        let origins = origins(count: values.count)
        let scores = try models.map { model in
            var byFold: [AccuracyMetrics.Accumulator] = []
            var byStep = [AccuracyMetrics.Accumulator](repeating: .init(), count: horizon)
            for (fold, origin) in origins.enumerated() {
                let training = Array(values[..<origin])
                let forecast: Forecast
                do {
                    forecast = try model.fit(training, seasonPeriod: seasonPeriod).forecast(
                        horizon: horizon, level: level)
                } catch {
                    throw ForecastingError.foldFailed(
                        model: model.name, fold: fold, origin: origin, reason: error.localizedDescription)
                }
                let scale = AccuracyMetrics.maseScale(training, seasonPeriod: seasonPeriod)
                var accumulator = AccuracyMetrics.Accumulator()
                for h in 0..<horizon {
                    var point = AccuracyMetrics.Accumulator()
                    point.add(
                        actual: values[origin + h], forecast: forecast.mean[h], lower: forecast.lower[h],
                        upper: forecast.upper[h], scale: scale)
                    accumulator.merge(point)
                    byStep[h].merge(point)
                }
                byFold.append(accumulator)
                foldDone?(model.name, fold)
            }
            var overall = AccuracyMetrics.Accumulator()
            for fold in byFold { overall.merge(fold) }
            return BacktestResult.ModelScores(
                name: model.name, overall: overall.metrics, byFold: byFold.map(\.metrics),
                byStep: byStep.map(\.metrics))
        }
        return BacktestResult(
            horizon: horizon, folds: folds, step: step, level: level, seasonPeriod: seasonPeriod, origins: origins,
            originDates: nil, models: scores)
    }
}

/// The outcome of a ``RollingOriginBacktest``: every model's metrics overall, per fold and per
/// step ahead. Encodes as JSON (undefined metrics as `null`) and prints as a table.
public struct BacktestResult: Codable, Sendable, Equatable {
    /// Periods forecast from each origin.
    public var horizon: Int
    /// Origins evaluated.
    public var folds: Int
    /// Periods between origins.
    public var step: Int
    /// The intervals' coverage probability.
    public var level: Double
    /// The season, also the MASE scale's lag.
    public var seasonPeriod: Int
    /// Training lengths of the folds, oldest first.
    public var origins: [Int]
    /// The first forecast date of each fold, when the series had dates.
    public var originDates: [String]?
    /// One entry per model, in the order given.
    public var models: [ModelScores]

    /// One model's metrics.
    public struct ModelScores: Codable, Sendable, Equatable {
        /// The model's name.
        public var name: String
        /// Metrics over every scored point.
        public var overall: AccuracyMetrics
        /// Metrics of each fold, oldest first.
        public var byFold: [AccuracyMetrics]
        /// Metrics of each step ahead, 1 first.
        public var byStep: [AccuracyMetrics]
    }

    /// The overall metrics as an aligned text table, one row per model:
    ///
    /// ```
    /// model           MAE     RMSE   sMAPE    MASE  cover80
    /// naive         2.143    2.718  12.402   1.310    0.786
    /// ```
    public func table() -> String {
        let coverageHeader = "cover\(Int((level * 100).rounded()))"
        let width = max(5, models.map(\.name.count).max() ?? 0)
        func cell(_ value: Double?, _ digits: Int) -> String {
            guard let value else { return "-" }
            return String(format: "%.\(digits)f", value)
        }
        func row(_ cells: [String]) -> String {
            let name = cells[0].padding(toLength: width, withPad: " ", startingAt: 0)
            let numbers = cells.dropFirst().map { String(repeating: " ", count: max(0, 8 - $0.count)) + $0 }
            return ([name] + numbers).joined(separator: " ")
        }
        var lines = [row(["model", "MAE", "RMSE", "sMAPE", "MASE", coverageHeader])]
        for model in models {
            let metrics = model.overall
            lines.append(
                row([
                    model.name, cell(metrics.mae, 3), cell(metrics.rmse, 3), cell(metrics.smape, 3),
                    cell(metrics.mase, 3), cell(metrics.coverage, 3),
                ]))
        }
        return lines.joined(separator: "\n")
    }
}
