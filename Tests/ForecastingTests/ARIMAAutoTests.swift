import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite struct ARIMAAutoTests {
    @Test func recoversAClearAR2() throws {
        var normals = TestNormals(seed: 21)
        let y = simulateARMA(ar: [1.0, -0.5], ma: [], count: 300, normals: &normals).map { $0 + 50 }
        var exact = AutoARIMA()
        exact.approximation = false
        let result = try exact.fit(y)
        #expect(result.model.order == ARIMAOrder(p: 2, d: 0, q: 0), "\(result.model.order)")
        #expect(result.model.includeConstant)
        // The chosen model has the smallest AICc among the candidates, which are all distinct.
        let best = result.candidates.map(\.aicc).min() ?? .infinity
        #expect(result.model.aicc == best)
        let keys = result.candidates.map { "\($0.order) \($0.includeConstant)" }
        #expect(Set(keys).count == keys.count)
    }

    @Test func recoversASeasonalModelWithSeasonalDifferencing() throws {
        // (1 - 0.6 B)(1 - B⁴) y_t = (1 - 0.5 B⁴) ε_t plus a strong fixed seasonal pattern.
        var normals = TestNormals(seed: 22)
        let arma = simulateARMA(ar: [0.6], ma: [0, 0, 0, -0.5], count: 400, normals: &normals)
        var y = [Double](repeating: 0, count: 400)
        let pattern: [Double] = [8, -3, 5, -10]
        for t in 0..<400 { y[t] = arma[t] + (t >= 4 ? y[t - 4] - pattern[t % 4] : 0) + pattern[t % 4] }
        var exact = AutoARIMA(period: 4)
        exact.approximation = false
        let result = try exact.fit(y)
        let order = result.model.order
        #expect(order.seasonalD == 1 && order.d == 0, "\(order)")
        #expect(order == ARIMAOrder(p: 1, d: 0, q: 0, seasonalP: 0, seasonalD: 1, seasonalQ: 1, period: 4), "\(order)")
        #expect(
            result.candidates.first?.order
                == ARIMAOrder(p: 2, d: 0, q: 2, seasonalP: 1, seasonalD: 1, seasonalQ: 1, period: 4))
    }

    @Test func theApproximateSearchRanksByCSSAndRefitsTheBestExactly() throws {
        var normals = TestNormals(seed: 21)
        let y = simulateARMA(ar: [1.0, -0.5], ma: [], count: 300, normals: &normals).map { $0 + 50 }
        let result = try AutoARIMA().fit(y)  // 300 values: approximate by default, as forecast
        #expect(result.model.order == ARIMAOrder(p: 2, d: 0, q: 0), "\(result.model.order)")
        let ranked = result.candidates.filter { $0.aicc.isFinite }.sorted { $0.aicc < $1.aicc }
        #expect(ranked.first?.order == result.model.order)
        let exact = try ARIMA(
            order: result.model.order, includeConstant: result.model.includeConstant, optimizer: AutoARIMA().optimizer
        ).fit(y)
        #expect(result.model.aicc == exact.aicc, "the chosen model is refitted by exact maximum likelihood")
    }

    @Test func kpssDifferencesARandomWalkOnceAndNoiseNever() throws {
        var normals = TestNormals(seed: 23)
        let noise = (0..<200).map { _ in normals.normal() }
        #expect(try KPSSTest.differencesNeeded(for: noise) == 0)
        #expect(try KPSSTest.differencesNeeded(for: cumulativeSum(noise)) == 1)
        #expect(try KPSSTest.differencesNeeded(for: cumulativeSum(cumulativeSum(noise))) == 2)
        #expect(KPSSTest.shortLag(count: 200) == 4)
    }

    @Test func seasonalStrengthSeparatesSeasonsFromNoise() throws {
        var normals = TestNormals(seed: 24)
        let noise = (0..<96).map { _ in normals.normal() }
        let seasonal = (0..<96).map { (t: Int) -> Double in
            let angle = 2 * Double.pi * Double(t) / 12
            return 5 * sin(angle) + 0.5 * noise[t] + 0.05 * Double(t)
        }
        #expect(SeasonalStrength.of(seasonal, period: 12) > 0.9)
        #expect(SeasonalStrength.of(noise, period: 12) < 0.64)
        #expect(try SeasonalStrength.differencesNeeded(for: seasonal, period: 12) == 1)
        #expect(try SeasonalStrength.differencesNeeded(for: noise, period: 12) == 0)
    }

    @Test func badSearchSettingsNameTheKey() {
        var settings = AutoARIMA(period: 12)
        settings.kpssAlpha = 0.5
        #expect(throws: InvalidParameter("kpss-alpha", value: 0.5, allowed: "between 0.01 and 0.1")) {
            try settings.fit([1, 2, 3])
        }
        settings = AutoARIMA(period: 1)
        settings.seasonalD = 1
        #expect(throws: InvalidParameter("seasonal-d", value: 1, allowed: "between 0 and 0")) {
            try settings.fit([1, 2, 3])
        }
    }
}
