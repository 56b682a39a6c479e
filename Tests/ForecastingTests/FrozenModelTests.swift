import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite("Frozen models")
struct FrozenModelTests {
    /// A daily-looking series: weekly season, a slow trend and seeded noise.
    private let series: [Double] = (0..<120).map { t -> Double in
        let season: [Double] = [6, -2, -3, -1, 0, 2, -2]
        let time = Double(t)
        return 50 + 0.1 * time + season[t % 7] + 1.5 * sin(1.7 * time)
    }

    private func roundTrip(_ model: FrozenModel) throws -> FrozenModel {
        try JSONDecoder().decode(FrozenModel.self, from: JSONEncoder().encode(model))
    }

    @Test("a frozen ARIMA applied to its own series forecasts what the fitted model forecasts")
    func arimaSameSeries() throws {
        let fitted = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1, seasonalD: 1, seasonalQ: 1, period: 7)).fit(series)
        let frozen = try #require(FrozenModel(freezing: fitted))
        #expect(try roundTrip(frozen) == frozen)
        let applied = try roundTrip(frozen).apply(to: series, seasonPeriod: 7)
        let expected = try fitted.forecast(horizon: 14, level: 0.8)
        let actual = try applied.forecast(horizon: 14, level: 0.8)
        expectClose(actual.mean, expected.mean, tolerance: 1e-9)
        expectClose(actual.upper, expected.upper, tolerance: 1e-9)
        let model = try #require(applied as? ARIMAModel)
        #expect(model.ar == fitted.ar && model.seasonalMA == fitted.seasonalMA && model.iterations == 0)
    }

    @Test("a frozen ARIMA on a longer series keeps its coefficients and forecasts from the new end")
    func arimaLongerSeries() throws {
        let fitted = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 0, seasonalD: 1, period: 7)).fit(Array(series[..<100]))
        let frozen = try #require(FrozenModel(freezing: fitted))
        let applied = try #require(try frozen.apply(to: series, seasonPeriod: 7) as? ARIMAModel)
        #expect(applied.ar == fitted.ar && applied.series.count == 120)
        let refitted = try ARIMA(order: fitted.order).fit(series)
        let forecast = try applied.forecast(horizon: 7, level: 0.8).mean
        // Not refitted, but close to a refit: the coefficients were estimated on most of the same data.
        expectClose(forecast, try refitted.forecast(horizon: 7, level: 0.8).mean, tolerance: 0.02)
    }

    @Test("a frozen exponential smoothing model forecasts what the fitted one forecasts")
    func exponentialSmoothing() throws {
        let fitted = try ExponentialSmoothing(trend: .damped, seasonality: .additive).fitModel(series, seasonPeriod: 7)
        let frozen = try #require(FrozenModel(freezing: fitted))
        #expect(frozen.name == fitted.name)
        let applied = try roundTrip(frozen).apply(to: series, seasonPeriod: 7)
        expectClose(
            try applied.forecast(horizon: 10, level: 0.9).mean, try fitted.forecast(horizon: 10, level: 0.9).mean,
            tolerance: 1e-12)
    }

    @Test("the benchmarks freeze by name; other fitted models do not freeze")
    func benchmarks() throws {
        #expect(FrozenModel(freezing: try Naive().fit(series, seasonPeriod: 7)) == nil)
        let forecast = try FrozenModel.seasonalNaive.apply(to: series, seasonPeriod: 7).forecast(horizon: 7, level: 0.8)
        #expect(forecast.mean == Array(series[113...]))
    }

    @Test("parameters from an edited file are checked before use")
    func validation() throws {
        let fitted = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1)).fit(series)
        guard case .arima(var specification) = try #require(FrozenModel(freezing: fitted)) else {
            Issue.record("not an ARIMA")
            return
        }
        specification.ar = [0.5, 0.1]
        #expect(throws: InvalidParameter.self) {
            try FrozenModel.arima(specification: specification).apply(to: series, seasonPeriod: 7)
        }
        specification.ar = [.nan]
        #expect(throws: InvalidParameter.self) { try FrozenModel.arima(specification: specification).validate() }
        let smoothing = FrozenModel.exponentialSmoothing(
            trend: .none, seasonality: .none, parameters: SmoothingParameters(alpha: 1.5))
        #expect(throws: InvalidParameter.self) { try smoothing.validate() }
    }
}
