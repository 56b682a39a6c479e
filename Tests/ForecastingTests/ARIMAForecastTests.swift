import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite struct ARIMAForecastTests {
    @Test func randomWalkForecastsStayFlatWithWideningIntervals() throws {
        // ARIMA(0,1,0): ŷ_{n+h} = y_n and Var = σ² h, with σ² the mean squared step.
        var normals = TestNormals(seed: 1)
        let y = cumulativeSum((0..<80).map { _ in normals.normal() })
        let model = try ARIMA(order: ARIMAOrder(p: 0, d: 1, q: 0)).fit(y)
        let steps = zip(y.dropFirst(), y).map { $0 - $1 }
        #expect(abs(model.sigma2 - steps.reduce(0) { $0 + $1 * $1 } / Double(steps.count)) < 1e-12)
        let forecast = try model.forecast(horizon: 5, level: 0.95)
        for h in 1...5 {
            #expect(abs(forecast.mean[h - 1] - y[79]) < 1e-12)
            #expect(abs((forecast.standardDeviations ?? [])[h - 1] - (model.sigma2 * Double(h)).squareRoot()) < 1e-10)
            let halfWidth = 1.959963984540054 * (forecast.standardDeviations ?? [])[h - 1]
            #expect(abs(forecast.upper[h - 1] - forecast.mean[h - 1] - halfWidth) < 1e-9)
        }
    }

    @Test func ar1ForecastsFollowTheClosedForm() throws {
        // ŷ_{n+h} = μ + φ^h (y_n - μ),  Var = σ² (1 - φ^{2h}) / (1 - φ²).
        var normals = TestNormals(seed: 2)
        let y = simulateARMA(ar: [0.7], ma: [], count: 150, normals: &normals).map { $0 + 4 }
        let model = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), includeConstant: true).fit(y)
        let phi = model.ar[0]
        let mu = try #require(model.constant)
        let forecast = try model.forecast(horizon: 8, level: 0.8)
        for h in 1...8 {
            let expectedMean = mu + pow(phi, Double(h)) * (y[149] - mu)
            let expectedVariance = model.sigma2 * (1 - pow(phi, Double(2 * h))) / (1 - phi * phi)
            #expect(abs(forecast.mean[h - 1] - expectedMean) < 1e-10)
            #expect(abs((forecast.standardDeviations ?? [])[h - 1] - expectedVariance.squareRoot()) < 1e-10)
        }
    }

    @Test func missingLastValuesForecastLikeTheShorterSeriesFurtherAhead() throws {
        // With its last two values missing, a seasonally differenced series carries the state
        // across them (their estimates become lags), so its forecast h steps ahead is exactly
        // the one h + 2 steps ahead from the series without them; same for a gap in the middle,
        // where the filter bridges on the undifferenced series.
        var normals = TestNormals(seed: 21)
        let w = simulateARMA(ar: [0.5], ma: [], count: 140, normals: &normals)
        var y = [Double](repeating: 0, count: 147)
        for t in 7..<147 { y[t] = y[t - 7] + y[t - 1] - (t >= 8 ? y[t - 8] : 0) + w[t - 7] + (t % 7 == 3 ? 2 : 0) }
        y[60] = .nan
        y[61] = .nan
        let fitted = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 0, seasonalD: 1, period: 7)).fit(Array(y[..<145]))
        let frozen = try #require(FrozenModel(freezing: fitted))
        var gappy = y
        gappy[145] = .nan
        gappy[146] = .nan
        let ending = try #require(try frozen.apply(to: gappy, seasonPeriod: 7) as? ARIMAModel)
        let shorter = try #require(try frozen.apply(to: Array(y[..<145]), seasonPeriod: 7) as? ARIMAModel)
        #expect(ending.observationCount == shorter.observationCount)
        let fromGap = try ending.forecast(horizon: 5, level: 0.8)
        let fromShorter = try shorter.forecast(horizon: 7, level: 0.8)
        for h in 0..<5 {
            #expect(abs(fromGap.mean[h] - fromShorter.mean[h + 2]) < 1e-9 * (1 + abs(fromShorter.mean[h + 2])))
            let spread = (fromGap.standardDeviations ?? [])[h]
            let expected = (fromShorter.standardDeviations ?? [])[h + 2]
            #expect(abs(spread - expected) < 1e-9 * expected)
        }
    }

    @Test func eightyPercentIntervalsCoverAboutEightyPercent() throws {
        // ARIMA(1,1,0) with φ = 0.5, fitted and forecast 300 times; the intervals should cover
        // the next value and the sixth one ~80% of the time (binomial sd ≈ 2.3 points; the
        // estimated parameters make real coverage a little lower than nominal).
        var normals = TestNormals(seed: 3)
        var covered = [0, 0]
        let runs = 300
        for _ in 0..<runs {
            let path = cumulativeSum(simulateARMA(ar: [0.5], ma: [], count: 106, normals: &normals))
            let model = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 0)).fit(Array(path.prefix(100)))
            let forecast = try model.forecast(horizon: 6, level: 0.8)
            for (slot, h) in [1, 6].enumerated()
            where forecast.lower[h - 1] <= path[99 + h] && path[99 + h] <= forecast.upper[h - 1] {
                covered[slot] += 1
            }
        }
        for count in covered {
            let rate = Double(count) / Double(runs)
            #expect(rate > 0.73 && rate < 0.87, "coverage \(rate)")
        }
    }

    @Test func seasonalForecastsRepeatTheSeasonalPattern() throws {
        // A pure seasonal pattern plus small noise under ARIMA(0,0,0)(0,1,0)[4]: ŷ = the value a season ago.
        var normals = TestNormals(seed: 4)
        let pattern: [Double] = [10, 20, 5, 15]
        let y = (0..<40).map { pattern[$0 % 4] + 0.1 * normals.normal() }
        let model = try ARIMA(order: ARIMAOrder(p: 0, d: 0, q: 0, seasonalD: 1, period: 4)).fit(y)
        let forecast = try model.forecast(horizon: 8)
        for h in 1...8 { #expect(abs(forecast.mean[h - 1] - y[36 + (h - 1) % 4]) < 1e-12) }
        #expect((forecast.standardDeviations ?? [])[4] > (forecast.standardDeviations ?? [])[3])
    }

    @Test func badForecastSettingsNameTheKey() throws {
        let model = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0)).fit([1, 3, 2, 5, 4, 6, 5, 8, 7, 9])
        #expect(throws: InvalidParameter("horizon", value: 0, allowed: "between 1 and 100000")) {
            try model.forecast(horizon: 0)
        }
        #expect(throws: InvalidParameter("level", value: 80.0, allowed: "strictly between 0 and 1, like 0.8 or 0.95")) {
            try model.forecast(horizon: 1, level: 80)
        }
    }

    @Test func badModelSettingsNameTheKey() {
        let y = (0..<50).map { Double($0 % 7) }
        #expect(throws: InvalidParameter.self) {
            try ARIMA(order: ARIMAOrder(p: 0, d: 2, q: 1), includeConstant: true).fit(y)
        }
        do {
            _ = try ARIMA(order: ARIMAOrder(p: 0, d: 2, q: 1), includeConstant: true).fit(y)
        } catch {
            #expect(error.parameter == "include-constant")
        }
        #expect(throws: InvalidParameter("seasonal-d", value: 2, allowed: "between 0 and 1")) {
            try ARIMA(order: ARIMAOrder(p: 0, d: 0, q: 0, seasonalD: 2, period: 12)).fit(y)
        }
        #expect(throws: InvalidParameter.self) { try ARIMA(order: ARIMAOrder(p: 3, d: 0, q: 0)).fit([1, 2, 1, 3]) }
    }

    @Test func coefficientsCarryRNames() throws {
        var normals = TestNormals(seed: 6)
        let y = cumulativeSum(simulateARMA(ar: [0.3], ma: [0.2], count: 120, normals: &normals).map { $0 + 1 })
        let model = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1), includeConstant: true).fit(y)
        #expect(model.coefficients.map(\.name) == ["ar1", "ma1", "drift"])
        #expect(abs((model.constant ?? 0) - 1) < 0.5)
        #expect(abs(model.aicc - model.aic - 2 * 4 * 5 / Double(model.observationCount - 5)) < 1e-9)
        #expect(abs(model.bic - (-2 * model.logLikelihood + 4 * log(Double(model.observationCount)))) < 1e-9)
    }
}
