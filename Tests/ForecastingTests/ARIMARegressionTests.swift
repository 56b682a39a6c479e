import Foundation
import Settings
import Testing

@testable import Forecasting

/// Regression with ARIMA errors: forecasts add the regressors' effect over the horizon, the
/// search recovers planted effects, and bad regressors are refused by name. The coefficients
/// and likelihoods against statsmodels are in ``ARIMAParityTests``.
@Suite struct ARIMARegressionTests {
    /// A flag that is 1 on every `every`-th period from `offset`.
    static func flag(count: Int, every: Int, offset: Int) -> [Double] {
        (0..<count).map { ($0 - offset) % every == 0 && $0 >= offset ? 1 : 0 }
    }

    @Test func forecastOfWhiteNoiseIsTheMeanPlusTheRegression() throws {
        // y_t = 5 + 2 x_t + ε_t with fixed coefficients: the forecast is 5 + 2 x exactly.
        let x: [Double] = [0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 3]
        let regressors = try ExogenousRegressors(names: ["promotion"], columns: [x])
        let series: [Double] = [5.1, 6.8, 4.9, 5.2, 7.1, 5.0, 6.9, 5.1, 4.8, 5.3]
        let specification = FrozenModel.ARIMASpecification(
            order: ARIMAOrder(p: 0, d: 0, q: 0), includeConstant: true, ar: [], ma: [], seasonalAR: [],
            seasonalMA: [], mean: 5, regressors: ["promotion"], regression: [2])
        let forecast = try FrozenModel.arima(specification: specification)
            .apply(to: series, seasonPeriod: 1, regressors: regressors).forecast(horizon: 3, level: 0.8)
        expectClose(forecast.mean, [5, 7, 11], tolerance: 1e-12)
    }

    @Test func randomWalkErrorsCarryTheLastErrorForward() throws {
        // y_t = 3 x_t + η_t with η a random walk: the forecast is y_n - 3 x_n + 3 x_{n+h}.
        let x: [Double] = [1, 0, 2, 0, 1, 1, 0, 2, 5, 0]
        let series: [Double] = [3.5, 0.2, 6.9, 1.1, 4.0, 3.8, 0.9, 7.2]
        let specification = FrozenModel.ARIMASpecification(
            order: ARIMAOrder(p: 0, d: 1, q: 0), includeConstant: false, ar: [], ma: [], seasonalAR: [],
            seasonalMA: [], mean: 0, regressors: ["x"], regression: [3])
        let model = try FrozenModel.arima(specification: specification)
            .apply(to: series, seasonPeriod: 1, regressors: try ExogenousRegressors(names: ["x"], columns: [x]))
        let forecast = try model.forecast(horizon: 2, level: 0.8)
        let lastError = 7.2 - 3 * 2
        expectClose(forecast.mean, [lastError + 15, lastError], tolerance: 1e-12)
    }

    /// A weekly series with holidays (-12) and promotions (+6) on AR(1) noise.
    static func plantedSeries(count: Int) throws -> (series: [Double], regressors: ExogenousRegressors) {
        var normals = TestNormals(seed: 41)
        let noise = simulateARMA(ar: [0.5], ma: [], count: count, normals: &normals)
        let holiday = flag(count: count, every: 23, offset: 5)
        let promotion = flag(count: count, every: 17, offset: 3)
        let weekly: [Double] = [0, 2, 3, 3, 4, 8, 6]
        var series = [Double](repeating: 100, count: count)
        for t in 0..<count {
            let effects = -12 * holiday[t] + 6 * promotion[t]
            series[t] += weekly[t % 7] + effects + noise[t]
        }
        return (series, try ExogenousRegressors(names: ["holiday", "promotion"], columns: [holiday, promotion]))
    }

    @Test func autoARIMARecoversPlantedEffectsAndForecastsBetterWithThem() throws {
        let (all, regressors) = try Self.plantedSeries(count: 238)
        let training = Array(all.prefix(210))
        let future = Array(all.suffix(28))
        let with = try AutoARIMA(period: 7, regressors: regressors).fit(training).model
        #expect(abs(try #require(with.coefficient(named: "holiday")) + 12) < 0.6)
        #expect(abs(try #require(with.coefficient(named: "promotion")) - 6) < 0.6)
        let without = try ARIMA(order: with.order, includeConstant: with.includeConstant).fit(training)
        func meanAbsoluteError(_ model: ARIMAModel) throws -> Double {
            let forecast = try model.forecast(horizon: 28, level: 0.8)
            return zip(forecast.mean, future).reduce(0) { $0 + abs($1.0 - $1.1) } / 28
        }
        let withError = try meanAbsoluteError(with)
        let withoutError = try meanAbsoluteError(without)
        #expect(withError < 0.7 * withoutError, "MAE \(withError) with the regressors, \(withoutError) without")
    }

    @Test func aRegressorMissingInAPeriodMakesThatPeriodMissing() throws {
        var (series, regressors) = try Self.plantedSeries(count: 120)
        var columns = regressors.columns
        columns[1][40] = .nan
        regressors = try ExogenousRegressors(names: regressors.names, columns: columns)
        let order = ARIMAOrder(p: 1, d: 0, q: 0)
        let full = try ARIMA(order: order, includeConstant: true, regressors: regressors).fit(series)
        series[40] = .nan
        let gap = try ARIMA(order: order, includeConstant: true).fit(series)
        #expect(full.observationCount == 119)
        #expect(gap.observationCount == 119)
    }

    @Test func aRegressorThatNeverOccursIsNotEstimated() throws {
        let (series, regressors) = try Self.plantedSeries(count: 150)
        // A holiday only after the series' end: zero over the fit, 1 in the forecast.
        let later = (0..<160).map { $0 == 155 ? 1.0 : 0 }
        let extended = try ExogenousRegressors(
            names: regressors.names + ["new-holiday"],
            columns: regressors.columns.map { $0 + [0, 0, 0, 0, 0, 0, 0, 0, 0, 0] } + [later])
        let model = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), includeConstant: true, regressors: extended)
            .fit(series)
        #expect(model.unestimatedRegressors == ["new-holiday"])
        #expect(model.coefficient(named: "new-holiday") == 0)
        #expect(model.coefficientCount == 4)
        _ = try model.forecast(horizon: 10, level: 0.8)
    }

    @Test func badRegressorsAreRefusedByName() throws {
        let (series, regressors) = try Self.plantedSeries(count: 100)
        let order = ARIMAOrder(p: 1, d: 0, q: 0)
        func problem(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch let error as InvalidParameter {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        let twice = try ExogenousRegressors(
            names: ["holiday", "promotion", "copy"],
            columns: regressors.columns + [regressors.columns[1].map { 2 * $0 }])
        #expect(
            problem { _ = try ARIMA(order: order, includeConstant: true, regressors: twice).fit(series) }.contains(
                "copy"))
        let constant = try ExogenousRegressors(names: ["always"], columns: [[Double](repeating: 1, count: 100)])
        let clash = problem { _ = try ARIMA(order: order, includeConstant: true, regressors: constant).fit(series) }
        #expect(clash.contains("always") && clash.contains("intercept"))
        let short = try ExogenousRegressors(names: ["x"], columns: [[Double](repeating: 1, count: 50)])
        #expect(problem { _ = try ARIMA(order: order, regressors: short).fit(series) }.contains("regressors"))
        let model = try ARIMA(order: order, includeConstant: true, regressors: regressors).fit(series)
        #expect(problem { _ = try model.forecast(horizon: 3, level: 0.8) }.contains("horizon"))
        var columns = regressors.columns.map { $0 + [0, 0, 0] }
        columns[0][101] = .nan
        let unknown = try ARIMA(
            order: order, includeConstant: true,
            regressors: try ExogenousRegressors(names: regressors.names, columns: columns)
        ).fit(series)
        #expect(problem { _ = try unknown.forecast(horizon: 3, level: 0.8) }.contains("holiday unknown 2 periods"))
        #expect(throws: InvalidParameter.self) { try ExogenousRegressors(names: ["a", "a"], columns: [[1], [2]]) }
        #expect(throws: InvalidParameter.self) { try ExogenousRegressors(names: ["a"], columns: [[1, .infinity]]) }
    }

    @Test func frozenModelKeepsTheRegressionAndWantsTheSameRegressors() throws {
        let (series, regressors) = try Self.plantedSeries(count: 140)
        let longer = try ExogenousRegressors(
            names: regressors.names, columns: regressors.columns.map { $0 + [1, 0, 0] })
        let model = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), includeConstant: true, regressors: longer)
            .fit(series)
        let frozen = try #require(FrozenModel(freezing: model))
        let decoded = try JSONDecoder().decode(FrozenModel.self, from: JSONEncoder().encode(frozen))
        #expect(decoded == frozen)
        #expect(decoded.regressorNames == ["holiday", "promotion"])
        let again = try decoded.apply(to: series, seasonPeriod: 7, regressors: longer).forecast(horizon: 3, level: 0.8)
        expectClose(again.mean, try model.forecast(horizon: 3, level: 0.8).mean, tolerance: 1e-9)
        #expect(throws: InvalidParameter.self) { try decoded.apply(to: series, seasonPeriod: 7) }
        let renamed = try ExogenousRegressors(names: ["a", "b"], columns: longer.columns)
        #expect(throws: InvalidParameter.self) { try decoded.apply(to: series, seasonPeriod: 7, regressors: renamed) }
    }
}
