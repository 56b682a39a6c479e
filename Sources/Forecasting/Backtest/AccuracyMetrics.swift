/// Point and interval accuracy of forecasts against what happened.
///
/// Missing actual values are left out. A metric that cannot be computed (no observed value,
/// a MASE scale of 0) is `nil`, which JSON writes as `null`.
///
/// ```
/// MAE   = mean |y - ŷ|
/// RMSE  = √ mean (y - ŷ)²
/// sMAPE = mean 200 |y - ŷ| / (|y| + |ŷ|)    (pairs where both are 0 are left out)
/// MASE  = mean |y - ŷ| / q                   (q: in-sample seasonal naive MAE of the training part)
/// coverage = share of y inside [lower, upper]
/// ```
///
/// MASE follows Hyndman & Koehler, "Another look at measures of forecast accuracy",
/// International Journal of Forecasting 22(4), 2006: each error is scaled by its own fold's
/// `q = mean |y_t - y_(t-m)|` over the fold's training values.
public struct AccuracyMetrics: Codable, Sendable, Equatable {
    /// Observed actual values scored.
    public var count: Int
    /// Mean absolute error.
    public var mae: Double?
    /// Root mean squared error.
    public var rmse: Double?
    /// Symmetric mean absolute percentage error, 0 to 200.
    public var smape: Double?
    /// Mean absolute scaled error (below 1: better than the in-sample seasonal naive).
    public var mase: Double?
    /// The share of actual values inside their prediction intervals.
    public var coverage: Double?

    /// Sums over scored points, merged across folds before the means are taken.
    struct Accumulator {
        var count = 0
        var absolute = 0.0
        var squared = 0.0
        var percentage = 0.0
        var percentageCount = 0
        var scaled = 0.0
        var scaledCount = 0
        var covered = 0

        /// Scores one forecast point; `scale` is the fold's MASE scale, `nil` when undefined.
        mutating func add(actual: Double, forecast: Double, lower: Double, upper: Double, scale: Double?) {
            guard !actual.isNaN else { return }
            let error = abs(actual - forecast)
            count += 1
            absolute += error
            squared += error * error
            let size = abs(actual) + abs(forecast)
            if size > 0 {
                percentage += 200 * error / size
                percentageCount += 1
            }
            if let scale {
                scaled += error / scale
                scaledCount += 1
            }
            if actual >= lower && actual <= upper { covered += 1 }
        }

        mutating func merge(_ other: Accumulator) {
            count += other.count
            absolute += other.absolute
            squared += other.squared
            percentage += other.percentage
            percentageCount += other.percentageCount
            scaled += other.scaled
            scaledCount += other.scaledCount
            covered += other.covered
        }

        var metrics: AccuracyMetrics {
            let n = Double(count)
            return AccuracyMetrics(
                count: count, mae: count > 0 ? absolute / n : nil, rmse: count > 0 ? (squared / n).squareRoot() : nil,
                smape: percentageCount > 0 ? percentage / Double(percentageCount) : nil,
                mase: scaledCount > 0 ? scaled / Double(scaledCount) : nil,
                coverage: count > 0 ? Double(covered) / n : nil)
        }
    }

    /// The metrics of one forecast against `actual` values (as long as the forecast);
    /// `training` gives the MASE scale with season `seasonPeriod`.
    ///
    /// - Precondition: `actual` has the forecast's length.
    public static func score(
        _ forecast: Forecast, actual: [Double], training: [Double], seasonPeriod: Int
    ) -> AccuracyMetrics {
        precondition(
            actual.count == forecast.horizon,
            "AccuracyMetrics: \(actual.count) actual values for \(forecast.horizon) steps")
        var accumulator = Accumulator()
        let scale = maseScale(training, seasonPeriod: seasonPeriod)
        for i in actual.indices {
            accumulator.add(
                actual: actual[i], forecast: forecast.mean[i], lower: forecast.lower[i], upper: forecast.upper[i],
                scale: scale)
        }
        return accumulator.metrics
    }

    /// The MASE scale: the mean of `|y_t - y_(t-m)|` over observed pairs of `training`;
    /// `nil` when there is no pair or the mean is 0.
    public static func maseScale(_ training: [Double], seasonPeriod m: Int) -> Double? {
        precondition(m >= 1, "AccuracyMetrics: season period \(m)")
        var sum = 0.0
        var pairs = 0
        for t in training.indices.dropFirst(m) where !training[t].isNaN && !training[t - m].isNaN {
            sum += abs(training[t] - training[t - m])
            pairs += 1
        }
        guard pairs > 0, sum > 0 else { return nil }
        return sum / Double(pairs)
    }
}
