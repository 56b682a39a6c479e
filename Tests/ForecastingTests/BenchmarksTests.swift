import Foundation
import Randomness
import Settings
import Testing

@testable import Forecasting

@Suite("naive, seasonal naive, drift and moving average")
struct BenchmarksTests {
    let z80 = NormalDistribution.quantile(0.9)

    @Test("the normal quantile is exact to double precision")
    func normalQuantile() {
        expectClose(NormalDistribution.quantile(0.975), 1.959963984540054, tolerance: 1e-14)
        expectClose(NormalDistribution.quantile(0.9), 1.2815515655446004, tolerance: 1e-14)
        expectClose(NormalDistribution.quantile(1e-6), -4.753424308822899, tolerance: 1e-12)
        expectClose(NormalDistribution.quantile(0.001), -3.090232306167813, tolerance: 1e-12)
        #expect(abs(NormalDistribution.quantile(0.5)) < 1e-15)
    }

    @Test("naive repeats the last value; σ̂_h = σ̂ √h, one more step per missing value at the end")
    func naive() throws {
        // Differences 2, -1, 2: σ̂² = 9 / 3 = 3.
        let forecast = try Naive().fit([3, 5, 4, 6], seasonPeriod: 1).forecast(horizon: 2, level: 0.8)
        #expect(forecast.mean == [6, 6])
        expectClose(forecast.upper, [6 + z80 * 3.0.squareRoot(), 6 + z80 * 6.0.squareRoot()], tolerance: 1e-12)
        let gap = try Naive().fit([3, 5, 4, 6, .nan], seasonPeriod: 1).forecast(horizon: 1, level: 0.8)
        #expect(gap.mean == [6])
        expectClose(gap.lower, [6 - z80 * 6.0.squareRoot()], tolerance: 1e-12)
    }

    @Test("seasonal naive on two seasons repeats the last season; k + 1 seasons widen the interval")
    func seasonalNaive() throws {
        // Season 3: y_t - y_(t-3) = 1, 2, 2, σ̂² = 9 / 3 = 3; h = 4 reaches back two seasons (k = 1).
        let forecast = try SeasonalNaive().fit([1, 2, 3, 2, 4, 5], seasonPeriod: 3).forecast(horizon: 4, level: 0.8)
        #expect(forecast.mean == [2, 4, 5, 2])
        let sigma = 3.0.squareRoot()
        expectClose(
            zip(forecast.upper, forecast.mean).map { ($0 - $1) / z80 },
            [sigma, sigma, sigma, sigma * 2.0.squareRoot()], tolerance: 1e-12)
        // A missing last value of a season position takes the one a season earlier.
        let gap = try SeasonalNaive().fit([1, 2, 3, 2, .nan, 5], seasonPeriod: 3).forecast(horizon: 2, level: 0.8)
        #expect(gap.mean == [2, 2])
    }

    @Test("drift extends the line through the first and last values; σ̂_h = σ̂ √(h (1 + h / (T - 1)))")
    func drift() throws {
        // Drift (8 - 1) / 3 = 7/3; changes 2, 1, 4 less the drift: -1/3, -4/3, 5/3; σ̂² = (42/9) / 2 = 7/3.
        let forecast = try Drift().fit([1, 3, 4, 8], seasonPeriod: 1).forecast(horizon: 3, level: 0.8)
        expectClose(forecast.mean, [8 + 7.0 / 3, 8 + 14.0 / 3, 15], tolerance: 1e-12)
        let sigma = (7.0 / 3).squareRoot()
        expectClose(
            zip(forecast.upper, forecast.mean).map { ($0 - $1) / z80 },
            [1.0, 2, 3].map { h in sigma * (h * (1 + h / 3)).squareRoot() }, tolerance: 1e-12)
    }

    @Test("moving average forecasts the window's mean with the mean method's interval")
    func movingAverage() throws {
        // Window 2 over 1, 3, 2, 4: one-step errors 2 - 2 = 0 and 4 - 2.5 = 1.5, σ̂² = 2.25 / 2.
        let forecast = try MovingAverage(window: 2).fit([1, 3, .nan, 2, 4], seasonPeriod: 1)
            .forecast(horizon: 2, level: 0.8)
        #expect(forecast.mean == [3, 3])
        expectClose(
            forecast.upper, [Double](repeating: 3 + z80 * (1.125 * 1.5).squareRoot(), count: 2), tolerance: 1e-12)
        #expect(throws: InvalidParameter("window", value: 0, allowed: "at least 1")) {
            try MovingAverage(window: 0).fit([1, 2, 3], seasonPeriod: 1)
        }
    }

    @Test("bad horizons, levels and short series are named errors")
    func errors() throws {
        let model = try Naive().fit([1, 2, 3], seasonPeriod: 1)
        #expect(throws: InvalidParameter("horizon", value: 0, allowed: "at least 1")) {
            try model.forecast(horizon: 0, level: 0.8)
        }
        #expect(
            throws: InvalidParameter("level", value: 80.0, allowed: "strictly between 0 and 1 (0.8 for 80% intervals)")
        ) { try model.forecast(horizon: 1, level: 80) }
        let error = #expect(throws: ForecastingError.self) { try SeasonalNaive().fit([1, 2, 3], seasonPeriod: 7) }
        #expect(
            error?.localizedDescription
                == "seasonal-naive needs 1 pairs of observed values 7 periods apart; the series has 3. "
                + "Use a longer series or a simpler model")
    }

    @Test("naive's 80% interval covers about 80% of random-walk futures")
    func naiveCoverage() throws {
        var generator = RandomGenerator(seed: 42)
        var covered = 0
        var total = 0
        for _ in 0..<300 {
            var walk = [0.0]
            for _ in 0..<64 { walk.append(walk[walk.count - 1] + Double(generator.nextNormal())) }
            let forecast = try Naive().fit(Array(walk.prefix(60)), seasonPeriod: 1).forecast(horizon: 5, level: 0.8)
            for h in 0..<5 where walk[60 + h] >= forecast.lower[h] && walk[60 + h] <= forecast.upper[h] {
                covered += 1
            }
            total += 5
        }
        let coverage = Double(covered) / Double(total)
        #expect(abs(coverage - 0.8) < 0.04, "coverage \(coverage)")
    }
}
