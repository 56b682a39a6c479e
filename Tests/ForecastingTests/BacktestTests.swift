import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite("accuracy metrics and rolling-origin backtests")
struct BacktestTests {
    @Test("MAE, RMSE, sMAPE, MASE and coverage of a hand-computed example")
    func metricsByHand() {
        // Errors 1 and 2. sMAPE: 200·1/5 = 40 and 200·2/10 = 40. MASE scale (m = 1) over 1, 2, 4, 3:
        // (1 + 2 + 1) / 3 = 4/3, so MASE = 1.5 / (4/3) = 1.125. 3 lies in [1, 3], 6 not in [3, 5].
        let forecast = Forecast(mean: [2, 4], lower: [1, 3], upper: [3, 5], level: 0.8)
        let metrics = AccuracyMetrics.score(forecast, actual: [3, 6], training: [1, 2, 4, 3], seasonPeriod: 1)
        #expect(metrics.count == 2)
        #expect(metrics.mae == 1.5)
        expectClose(metrics.rmse ?? 0, 2.5.squareRoot(), tolerance: 1e-15)
        expectClose(metrics.smape ?? 0, 40, tolerance: 1e-15)
        expectClose(metrics.mase ?? 0, 1.125, tolerance: 1e-15)
        #expect(metrics.coverage == 0.5)
    }

    @Test("MASE scales by the seasonal naive MAE; missing actuals are skipped; a zero scale gives nil")
    func maseAndMissing() {
        // Season 2 over 1, 5, 2, 7, 4, 9: |2-1|, |7-5|, |4-2|, |9-7| = 1, 2, 2, 2, scale 7/4.
        #expect(AccuracyMetrics.maseScale([1, 5, 2, 7, 4, 9], seasonPeriod: 2) == 1.75)
        #expect(AccuracyMetrics.maseScale([3, 3, 3], seasonPeriod: 1) == nil)
        let forecast = Forecast(mean: [1, 1], lower: [0, 0], upper: [2, 2], level: 0.8)
        let metrics = AccuracyMetrics.score(
            forecast, actual: [.nan, 2.75], training: [1, 5, 2, 7, 4, 9], seasonPeriod: 2)
        #expect(metrics.count == 1)
        #expect(metrics.mase == 1)
        #expect(metrics.coverage == 0)
        let flat = AccuracyMetrics.score(forecast, actual: [1, 1], training: [3, 3, 3], seasonPeriod: 1)
        #expect(flat.mase == nil && flat.mae == 0)
    }

    @Test("every model on the same folds: drift is exact on a line, naive lags by h")
    func lineBacktest() throws {
        let line = (1...20).map(Double.init)
        let backtest = RollingOriginBacktest(horizon: 2, folds: 3)
        #expect(backtest.origins(count: 20) == [16, 17, 18])
        let result = try backtest.run(line, seasonPeriod: 1, models: [Naive(), Drift()])
        #expect(result.models.map(\.name) == ["naive", "drift"])
        let naive = result.models[0]
        // Errors 1 and 2 in every fold; the in-sample naive MAE is 1.
        #expect(naive.overall.count == 6)
        #expect(naive.overall.mae == 1.5)
        #expect(naive.overall.mase == 1.5)
        #expect(naive.byStep.map(\.mae) == [1, 2])
        #expect(naive.byFold.count == 3)
        let drift = result.models[1].overall
        expectClose(drift.mae ?? 1, 0, tolerance: 1e-12)
        #expect(drift.coverage == 1)
    }

    @Test("the result prints as a table and round-trips through JSON, dates included")
    func tableAndJSON() throws {
        let values = (0..<30).map { 10 + Double($0 % 7) + Double($0) / 10 }
        let series = try TimeSeries(name: "visits", year: 2024, month: 1, day: 1, frequency: .day, values: values)
        let result = try RollingOriginBacktest(horizon: 3, folds: 2, step: 3)
            .run(series, models: [SeasonalNaive(), MovingAverage(window: 7)])
        #expect(result.origins == [24, 27])
        #expect(result.originDates == ["2024-01-25", "2024-01-28"])
        let table = result.table().split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[0].hasPrefix("model") && table[0].hasSuffix("cover80"))
        #expect(table[1].hasPrefix("seasonal-naive"))
        let decoded = try JSONDecoder().decode(BacktestResult.self, from: try JSONEncoder().encode(result))
        #expect(decoded == result)
    }

    @Test("a model that cannot fit a fold, and too many folds, are named errors")
    func errors() throws {
        let values = (1...12).map(Double.init)
        let error = #expect(throws: ForecastingError.self) {
            try RollingOriginBacktest(horizon: 2, folds: 2).run(
                values, seasonPeriod: 1, models: [MovingAverage(window: 10)])
        }
        #expect(
            error?.localizedDescription
                == "moving-average(10) failed on fold 0 (training on the first 9 periods): moving-average(10) needs "
                + "11 observed values; the series has 9. Use a longer series or a simpler model")
        #expect(throws: InvalidParameter.self) {
            try RollingOriginBacktest(horizon: 2, folds: 10).run(values, seasonPeriod: 1, models: [Naive()])
        }
    }
}
