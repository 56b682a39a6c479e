import Foundation
import Randomness
import Settings
import Testing

@testable import Forecasting

/// Fitted parameters against statsmodels 0.15.0, `ExponentialSmoothing(seasonalFixture, ...,
/// initialization_method="heuristic").fit()` (L-BFGS-B over the same heuristic start).
@Suite("fitting exponential smoothing")
struct SmoothingFitTests {
    @Test("SES: Nelder-Mead finds statsmodels' alpha and SSE")
    func sesFit() throws {
        let model = try ExponentialSmoothing().fitModel(seasonalFixture, seasonPeriod: 1)
        expectClose(model.parameters.alpha, 0.30788865316781744, tolerance: 1e-4)
        #expect(model.sumOfSquares <= 312.8811259757068 * (1 + 1e-9))
    }

    @Test("Holt-Winters additive: an SSE within 0.1% of statsmodels' (which puts gamma on its bound 0)")
    func holtWintersFit() throws {
        let model = try ExponentialSmoothing(trend: .additive, seasonality: .additive)
            .fitModel(seasonalFixture, seasonPeriod: 4)
        #expect(model.sumOfSquares <= 15.944467725884294 * 1.001, "SSE \(model.sumOfSquares)")
        #expect(model.parameters.gamma <= 1 - model.parameters.alpha)
        expectClose(model.parameters.alpha, 0.3268546524437541, tolerance: 0.02)
    }

    @Test("missing values: fitting skips them and still forecasts finite values")
    func missingValues() throws {
        var values = seasonalFixture
        for index in [3, 9, 10, 17, 23] { values[index] = .nan }
        let model = try ExponentialSmoothing(trend: .damped, seasonality: .additive).fitModel(values, seasonPeriod: 4)
        #expect(model.observedCount == 19)
        #expect(model.fitted.count == 24 && model.fitted.allSatisfy(\.isFinite))
        let forecast = try model.forecast(horizon: 4, level: 0.9)
        #expect(forecast.mean.allSatisfy(\.isFinite) && forecast.lower.allSatisfy(\.isFinite))
    }

    @Test("auto-ETS picks a seasonal model for seasonal data by AICc")
    func autoETS() throws {
        let model = try AutoETS(simulationPaths: 200).fitModel(seasonalFixture, seasonPeriod: 4)
        #expect(model.name.hasSuffix(",A)") || model.name.hasSuffix(",M)"), "\(model.name)")
        let ses = try ExponentialSmoothing().fitModel(seasonalFixture, seasonPeriod: 4)
        #expect(model.aicc < ses.aicc)
        #expect(AutoETS().candidates(seasonPeriod: 1).count == 3)
    }

    @Test("bad settings and unsuitable series are named")
    func errors() {
        #expect(throws: InvalidParameter("alpha", value: 1.5, allowed: "between 0.0 and 1.0")) {
            try ExponentialSmoothing(fixed: .init(alpha: 1.5)).fitModel([1, 2, 3, 4], seasonPeriod: 1)
        }
        let negative = #expect(throws: ForecastingError.self) {
            try ExponentialSmoothing(seasonality: .multiplicative).fitModel(
                seasonalFixture.map { $0 - 25 }, seasonPeriod: 4)
        }
        #expect(
            negative?.localizedDescription
                == "ets(A,N,M): multiplicative seasonality needs positive values; use additive seasonality")
        #expect(throws: ForecastingError.self) {
            try ExponentialSmoothing(seasonality: .additive).fitModel([1, 2, 3, 4, 5], seasonPeriod: 4)
        }
    }

    @Test("SES's 80% interval covers about 80% of local-level futures")
    func sesCoverage() throws {
        // y_t = l_t + ε_t, l_t = l_(t-1) + 0.5 ε_t: the ETS(A,N,N) process with α = 0.5, σ = 1.
        var generator = RandomGenerator(seed: 7)
        var covered = 0
        var total = 0
        for _ in 0..<150 {
            var level = 10.0
            var values: [Double] = []
            for _ in 0..<63 {
                let noise = Double(generator.nextNormal())
                values.append(level + noise)
                level += 0.5 * noise
            }
            let forecast = try ExponentialSmoothing().fit(Array(values.prefix(60)), seasonPeriod: 1)
                .forecast(horizon: 3, level: 0.8)
            for h in 0..<3 where values[60 + h] >= forecast.lower[h] && values[60 + h] <= forecast.upper[h] {
                covered += 1
            }
            total += 3
        }
        let coverage = Double(covered) / Double(total)
        #expect(abs(coverage - 0.8) < 0.06, "coverage \(coverage)")
    }
}
