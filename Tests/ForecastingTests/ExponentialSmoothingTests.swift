import Foundation
import Settings
import Testing

@testable import Forecasting

/// Fixtures: statsmodels 0.15.0, `ExponentialSmoothing(y, trend=..., seasonal=..., seasonal_periods=4,
/// initialization_method="heuristic").fit(smoothing_level=..., ..., optimized=False)` for fitted
/// values, SSE, initial states and `forecast(h)`; `ETSModel(pd.Series(y), error="add", ...,
/// initialization_method="known", ...).smooth(params).get_prediction(...)` for intervals.
/// `y` is `seasonalFixture`.
///
/// Seasonal forecasts are `l_n + h b_n + s` from statsmodels' final states (`level[-1]`,
/// `trend[-1]`, `season[-4:]`), which `ETSModel` also gives: statsmodels 0.15.0's
/// `ExponentialSmoothing.forecast` differs from them at h = 4 and 8, the season position of the
/// last observation, where it repeats the seasonal state from before the last update
/// (34.9797 instead of 35.1725 for Holt-Winters additive at h = 4).
@Suite("exponential smoothing")
struct ExponentialSmoothingTests {
    @Test("SES with fixed alpha matches the recursion by hand, and missing values skip the update")
    func sesByHand() throws {
        // l0 = 10, α = 0.5. y = 12: ŷ = 10, e = 2, l = 11. y missing: ŷ = 11, l = 11.
        // y = 8: ŷ = 11, e = -3, l = 9.5. SSE = 4 + 9 = 13, σ² = 13 / 2.
        let model = try ExponentialSmoothing(
            fixed: .init(alpha: 0.5), initialStates: SmoothingStates(level: 10)
        ).fitModel([12, .nan, 8], seasonPeriod: 1)
        #expect(model.fitted == [10, 11, 11])
        #expect(model.sumOfSquares == 13)
        #expect(model.observedCount == 2)
        let forecast = try model.forecast(horizon: 3, level: 0.8)
        #expect(forecast.mean == [9.5, 9.5, 9.5])
        // σ²_h = σ² (1 + α² (h - 1)): 6.5, 8.125, 9.75.
        let z = NormalDistribution.quantile(0.9)
        expectClose(forecast.upper, [6.5, 8.125, 9.75].map { 9.5 + z * $0.squareRoot() }, tolerance: 1e-12)
    }

    @Test("Holt's linear trend with heuristic initial states matches statsmodels")
    func holt() throws {
        let model = try ExponentialSmoothing(trend: .additive, fixed: .init(alpha: 0.5, beta: 0.3))
            .fitModel(seasonalFixture, seasonPeriod: 4)
        expectClose(model.initialStates.level, 19.52399999999999, tolerance: 1e-12)
        expectClose(model.initialStates.trend, 0.4954545454545469, tolerance: 1e-12)
        expectClose(
            Array(model.fitted.prefix(4)),
            [20.019454545454536, 22.452263636363636, 21.67082863636364, 19.003986840909096], tolerance: 1e-12)
        expectClose(model.fitted.last ?? 0, 27.919942164087995, tolerance: 1e-12)
        expectClose(model.sumOfSquares, 379.61311382995035, tolerance: 1e-12)
        expectClose(
            try model.forecast(horizon: 6, level: 0.8).mean,
            [
                31.584512779555972, 32.324054477067946, 33.063596174579914, 33.80313787209189, 34.54267956960386,
                35.28222126711584,
            ],
            tolerance: 1e-12)
    }

    @Test("damped Holt matches statsmodels")
    func dampedHolt() throws {
        let model = try ExponentialSmoothing(trend: .damped, fixed: .init(alpha: 0.5, beta: 0.3, phi: 0.9))
            .fitModel(seasonalFixture, seasonPeriod: 4)
        expectClose(model.fitted.last ?? 0, 27.750893201319204, tolerance: 1e-12)
        expectClose(model.sumOfSquares, 376.0049322419513, tolerance: 1e-12)
        expectClose(
            try model.forecast(horizon: 6, level: 0.8).mean,
            [
                31.388627152605597, 31.953989649356988, 32.46281589643324, 32.920759518801866, 33.332908778933636,
                33.70384311305222,
            ],
            tolerance: 1e-12)
    }

    @Test("Holt-Winters additive matches statsmodels: heuristic states, fit, forecasts, interval widths")
    func holtWintersAdditive() throws {
        let model = try ExponentialSmoothing(
            trend: .additive, seasonality: .additive, fixed: .init(alpha: 0.3, beta: 0.1, gamma: 0.2)
        ).fitModel(seasonalFixture, seasonPeriod: 4)
        expectClose(model.initialStates.level, 19.99383333333332, tolerance: 1e-12)
        expectClose(model.initialStates.trend, 0.5664621212121228, tolerance: 1e-12)
        expectClose(
            model.initialStates.seasonal, [2.7085156250000004, -1.4355468749999993, -3.8267968750000003, 2.553828125],
            tolerance: 1e-12)
        expectClose(
            Array(model.fitted.prefix(4)),
            [23.268811079545443, 19.602503044507564, 17.834824828645825, 24.415180332683235], tolerance: 1e-12)
        expectClose(model.fitted.last ?? 0, 32.806268533101424, tolerance: 1e-12)
        expectClose(model.sumOfSquares, 17.42851989204616, tolerance: 1e-12)
        let forecast = try model.forecast(horizon: 8, level: 0.8)
        expectClose(
            forecast.mean,
            [
                33.72765361622764, 30.52949820279464, 27.93010428993891, 35.172487004314306, 35.612006353991234,
                32.413850940558234, 29.814457027702503, 37.0568397420779,
            ],
            tolerance: 1e-12)
        // ETSModel(..., trend="add", seasonal="add").smooth([0.3, 0.03, 0.2]): sqrt(forecast_variance).
        let z = NormalDistribution.quantile(0.9)
        expectClose(
            zip(forecast.upper, forecast.mean).map { ($0 - $1) / z },
            [
                0.8521668433090177, 0.897368507273024, 0.9483587112809501, 1.0049067071516176, 1.1353344369315057,
                1.1983477876942563, 1.266235053706602, 1.3387429908557547,
            ],
            tolerance: 1e-12)
    }

    @Test("Holt-Winters multiplicative matches statsmodels")
    func holtWintersMultiplicative() throws {
        let model = try ExponentialSmoothing(
            trend: .additive, seasonality: .multiplicative, fixed: .init(alpha: 0.3, beta: 0.1, gamma: 0.2)
        ).fitModel(seasonalFixture, seasonPeriod: 4)
        expectClose(
            model.initialStates.seasonal,
            [1.1127147100575163, 0.9427342854035226, 0.8389046802694383, 1.1056463242695234], tolerance: 1e-12)
        expectClose(model.fitted.last ?? 0, 33.59909502798612, tolerance: 1e-12)
        expectClose(model.sumOfSquares, 19.81717371396867, tolerance: 1e-12)
        let forecast = try model.forecast(horizon: 8, level: 0.8)
        expectClose(
            forecast.mean,
            [
                34.456145843545485, 30.3639956422359, 27.025254507444327, 35.7642650577802, 36.55111054783529,
                32.18251206900475, 28.619935310360617, 37.84393044210989,
            ],
            tolerance: 1e-12)
        // Simulated intervals hold the point forecast, widen with h and are reproducible.
        #expect(zip(forecast.lower, forecast.mean).allSatisfy { $0 < $1 })
        #expect(zip(forecast.upper, forecast.mean).allSatisfy { $0 > $1 })
        #expect(forecast.upper[7] - forecast.lower[7] > forecast.upper[0] - forecast.lower[0])
        #expect(try model.forecast(horizon: 8, level: 0.8) == forecast)
    }

    @Test("additive seasons without trend match statsmodels")
    func seasonalNoTrend() throws {
        let model = try ExponentialSmoothing(seasonality: .additive, fixed: .init(alpha: 0.3, gamma: 0.2))
            .fitModel(seasonalFixture, seasonPeriod: 4)
        expectClose(model.sumOfSquares, 50.86807651138452, tolerance: 1e-12)
        expectClose(
            try model.forecast(horizon: 4, level: 0.8).mean,
            [32.447731442688465, 28.841419713961116, 25.83901009853115, 32.66031563408665], tolerance: 1e-12)
    }

    @Test("SES and damped intervals with known states match statsmodels' ETSModel")
    func intervalsAgainstETSModel() throws {
        // ETSModel(error="add", initialization_method="known", initial_level=20).smooth([0.5]),
        // summary_frame(alpha=0.05).
        let ses = try ExponentialSmoothing(fixed: .init(alpha: 0.5), initialStates: SmoothingStates(level: 20))
            .fitModel(seasonalFixture, seasonPeriod: 1)
        expectClose(ses.variance, 13.979265587973563, tolerance: 1e-12)
        let sesForecast = try ses.forecast(horizon: 6, level: 0.95)
        expectClose(sesForecast.mean, [Double](repeating: 30.661304378509524, count: 6), tolerance: 1e-12)
        expectClose(
            sesForecast.lower,
            [
                23.33322324496939, 22.468260598894794, 21.68627459306478, 20.96716424518377, 20.297832653286658,
                19.66918267819932,
            ],
            tolerance: 1e-10)
        // trend="add", damped_trend=True, initial_trend=0.5, smooth([0.5, 0.15, 0.9]): ETS's β is α β.
        let damped = try ExponentialSmoothing(
            trend: .damped, fixed: .init(alpha: 0.5, beta: 0.3, phi: 0.9),
            initialStates: SmoothingStates(level: 20, trend: 0.5)
        ).fitModel(seasonalFixture, seasonPeriod: 1)
        expectClose(damped.variance, 15.633127004502043, tolerance: 1e-12)
        let dampedForecast = try damped.forecast(horizon: 6, level: 0.95)
        expectClose(
            dampedForecast.mean,
            [
                31.38858065521358, 31.953926160435497, 32.462737115135226, 32.92066697436498, 33.332803847671755,
                33.70372703364786,
            ],
            tolerance: 1e-12)
        expectClose(
            dampedForecast.upper,
            [
                39.13803312790324, 41.13375694705742, 43.354832407173305, 45.71363406619206, 48.14829063257139,
                50.61723215600429,
            ],
            tolerance: 1e-10)
    }
}
