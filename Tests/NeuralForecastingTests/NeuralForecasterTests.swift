import Forecasting
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine
import Testing

@testable import NeuralForecasting

/// `level + slope t + season[t % 7] + noise`, seeded.
private func weeklySeries(
    count: Int, level: Double = 100, slope: Double = 0, noise: Double = 1, seed: UInt64 = 3
) -> [Double] {
    let season: [Double] = [10, -4, -6, -3, 0, 2, 1]
    var rng = RandomGenerator(seed: seed)
    return (0..<count).map { t in level + slope * Double(t) + season[t % 7] + noise * Double(rng.nextNormal()) }
}

/// Small, fast settings for tests.
private func small(_ architecture: NeuralForecaster.Architecture, seed: UInt64 = 1) -> NeuralForecaster {
    NeuralForecaster(
        architecture: architecture, horizon: 7, lookback: 14, hiddenSize: 16, learningRate: 0.01, batchSize: 32,
        epochs: 30, patience: 5, ensembleSize: 2, seed: seed)
}

private func meanAbsoluteError(_ forecast: [Double], _ actual: [Double]) -> Double {
    zip(forecast, actual).map { abs($0 - $1) }.reduce(0, +) / Double(actual.count)
}

@Suite("Neural forecasters")
struct NeuralForecasterTests {
    @Test("the scale is the mean absolute seasonal difference, then lag 1, then the standard deviation, then 1")
    func scaling() {
        // lag-2 differences of [1, 2, 4, 8, nan, 32]: |4-1|, |8-2|, (nan), |32-8|: mean 11
        #expect(SeriesScaling(fitting: [1, 2, 4, 8, .nan, 32], seasonPeriod: 2).scale == 11)
        // a period-2 pattern has no seasonal change: lag-1 differences |3-1| = 2 each
        #expect(SeriesScaling(fitting: [1, 3, 1, 3], seasonPeriod: 2).scale == 2)
        #expect(SeriesScaling(fitting: [5, 5, 5], seasonPeriod: 1).scale == 1)
    }

    @Test(
        "a window holds scaled values, missing flags, season positions, the seasonal mean baseline and masked targets")
    func windowByHand() {
        // season 2, lookback 4, horizon 3, scale 2; origin 5 reads t = 1...4 = [2, nan, 6, 8]
        let values: [Double] = [0, 2, .nan, 6, 8, 10, .nan, 14]
        let windows = ForecastWindows(
            series: [values], scalings: [SeriesScaling(scale: 2)], phaseOffsets: [1], lookback: 4, horizon: 3,
            seasonPeriod: 2)
        let batch = windows.batch([(0, 5)])
        // level: the mean of the last season's observed inputs, t = 3, 4: (6 + 8) / 2 = 7
        #expect(batch.levels == [7])
        let steps = stride(from: 0, to: 16, by: 4).map { Array(batch.steps[$0..<$0 + 4]) }
        #expect(steps[0][0] == -2.5 && steps[0][1] == 0)  // (2 - 7) / 2
        #expect(steps[1][0] == 0 && steps[1][1] == 1)  // missing
        #expect(steps[2][0] == -0.5 && steps[3][0] == 0.5)
        // season position of t = 1 with phase offset 1: 2 mod 2 = 0, so sin 0 and cos 1
        #expect(abs(steps[0][2]) < 1e-6 && abs(steps[0][3] - 1) < 1e-6)
        #expect(abs(steps[1][3] + 1) < 1e-6)
        // baseline: position of t = 5 matches t = 3 and 1 (mean of 6 and 2 = 4), t = 6 matches 4 (8; t = 2 missing)
        #expect(batch.baseline == [Float((4.0 - 7) / 2), Float((8.0 - 7) / 2), Float((4.0 - 7) / 2)])
        // targets t = 5, 6, 7: 10, missing, 14
        #expect(batch.targets == [1.5, 0, 3.5])
        #expect(batch.weights == [1, 0, 1])
    }

    @Test("with a zero head the network forecasts the seasonal mean exactly, every quantile alike")
    func zeroHeadIsSeasonalMean() throws {
        let values = weeklySeries(count: 60)
        for architecture in NeuralForecaster.Architecture.allCases {
            let forecaster = small(architecture)
            let windows = ForecastWindows(
                series: [values], scalings: [SeriesScaling(fitting: values, seasonPeriod: 7)], phaseOffsets: [0],
                lookback: 14, horizon: 7, seasonPeriod: 7)
            let network = forecaster.makeNetwork(lookback: 14)
            for (key, tensor) in network.parameters() where key.contains(".head.") {
                tensor.assign(tensor * 0)
            }
            let model = NeuralForecastModel(
                forecaster: forecaster, network: network, windows: windows,
                training: .init(windows: 0, validationWindows: 0, members: [], validationLoss: 0, seconds: 0))
            let forecast = try model.forecast(series: 0, horizon: 7, level: 0.8)
            let expected = (0..<7).map { step -> Double in (values[46 + step] + values[53 + step]) / 2 }
            for step in 0..<7 {
                #expect(abs(forecast.mean[step] - expected[step]) < 1e-4, "\(architecture) step \(step)")
                #expect(abs(forecast.upper[step] - forecast.lower[step]) < 1e-4)
            }
        }
    }

    @Test("training learns a trend the seasonal mean misses, for both networks")
    func learnsTrend() throws {
        let values = weeklySeries(count: 260, slope: 0.5, noise: 0.5)
        let training = Array(values[..<253])
        let actual = Array(values[253...])
        let seasonalMean = (0..<7).map { step -> Double in (training[239 + step] + training[246 + step]) / 2 }
        let baselineError = meanAbsoluteError(seasonalMean, actual)
        for architecture in NeuralForecaster.Architecture.allCases {
            let forecast = try small(architecture).fit(training, seasonPeriod: 7).forecast(horizon: 7, level: 0.8)
            let error = meanAbsoluteError(forecast.mean, actual)
            #expect(error < 0.5 * baselineError, "\(architecture): MAE \(error) vs seasonal mean \(baselineError)")
        }
    }

    @Test("the same seed gives the same forecast; another seed another")
    func seeded() throws {
        let values = weeklySeries(count: 120)
        let first = try small(.mlp).fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.8)
        let again = try small(.mlp).fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.8)
        let other = try small(.mlp, seed: 2).fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.8)
        #expect(first == again)
        #expect(first != other)
    }

    @Test("an ensemble forecasts the mean of its members, each the model its own seed would train")
    func ensembleAveragesMembers() throws {
        let values = weeklySeries(count: 120)
        var single = small(.mlp)
        single.ensembleSize = 1
        var second = single
        second.seed = 2
        let pair = try small(.mlp).fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.5)
        let first = try single.fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.5)
        let other = try second.fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.5)
        for step in 0..<7 {
            #expect(abs(pair.mean[step] - (first.mean[step] + other.mean[step]) / 2) < 1e-3, "step \(step)")
        }
    }

    @Test("missing values in the series are skipped in training and forecasting")
    func missingValues() throws {
        var values = weeklySeries(count: 140)
        for t in stride(from: 5, to: 140, by: 9) { values[t] = .nan }
        values[139] = .nan
        for architecture in NeuralForecaster.Architecture.allCases {
            let forecast = try small(architecture).fit(values, seasonPeriod: 7).forecast(horizon: 7, level: 0.9)
            #expect(forecast.mean.allSatisfy(\.isFinite) && forecast.lower.allSatisfy(\.isFinite))
            #expect(forecast.mean.allSatisfy { abs($0 - 100) < 20 }, "\(forecast.mean)")
        }
    }

    @Test("intervals are ordered and nest: 50% inside 80% inside 95%")
    func intervalsNest() throws {
        let model = try small(.mlp).fit(many: [weeklySeries(count: 150, noise: 3)], seasonPeriod: 7)
        let narrow = try model.forecast(series: 0, horizon: 7, level: 0.5)
        let middle = try model.forecast(series: 0, horizon: 7, level: 0.8)
        let wide = try model.forecast(series: 0, horizon: 7, level: 0.95)
        for step in 0..<7 {
            #expect(wide.lower[step] <= middle.lower[step] && middle.lower[step] <= narrow.lower[step])
            #expect(narrow.lower[step] <= narrow.mean[step] && narrow.mean[step] <= narrow.upper[step])
            #expect(narrow.upper[step] <= middle.upper[step] && middle.upper[step] <= wide.upper[step])
        }
        #expect(middle.mean == narrow.mean)
    }

    @Test("80% intervals cover about 80% of new values on simulated data")
    func coverage() throws {
        let values = weeklySeries(count: 900, noise: 4, seed: 11)
        let model = try small(.mlp).fit(many: [Array(values[..<500])], seasonPeriod: 7)
        var covered = 0
        var total = 0
        for origin in stride(from: 500, to: 893, by: 7) {
            let forecast = try model.forecast(
                continuing: Array(values[(origin - 14)..<origin]), series: 0, phaseOffset: origin - 14, horizon: 7,
                level: 0.8)
            for step in 0..<7 {
                total += 1
                if forecast.lower[step] <= values[origin + step] && values[origin + step] <= forecast.upper[step] {
                    covered += 1
                }
            }
        }
        let rate = Double(covered) / Double(total)
        #expect(rate > 0.7 && rate < 0.9, "coverage \(rate) over \(total) values")
    }

    @Test("a global model learns series of very different sizes and forecasts each on its own scale")
    func globalModel() throws {
        let small = weeklySeries(count: 150, level: 10, noise: 0.2, seed: 4).map { $0 / 10 }
        let large = weeklySeries(count: 120, level: 100, noise: 1, seed: 5).map { $0 * 100 }
        let model = try NeuralForecaster(
            architecture: .mlp, horizon: 7, lookback: 14, hiddenSize: 16, learningRate: 0.01, batchSize: 32, epochs: 30,
            patience: 5
        ).fit(many: [small, large], seasonPeriod: 7)
        #expect(model.seriesCount == 2)
        let first = try model.forecast(series: 0, horizon: 7, level: 0.8).mean
        let second = try model.forecast(series: 1, horizon: 7, level: 0.8).mean
        #expect(first.allSatisfy { abs($0 - 1) < 1.2 }, "\(first)")
        #expect(second.allSatisfy { abs($0 - 10_000) < 1_500 }, "\(second)")
        #expect(throws: InvalidParameter.self) { try model.forecast(series: 2, horizon: 7, level: 0.8) }
    }

    @Test("a saved model loads and forecasts exactly the same; a tampered one is refused")
    func saveAndLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var values = weeklySeries(count: 120)
        values[118] = .nan
        for architecture in NeuralForecaster.Architecture.allCases {
            let model = try small(architecture).fit(many: [values], seasonPeriod: 7, phaseOffsets: [3])
            try model.save(to: directory)
            let loaded = try NeuralForecastModel.load(from: directory)
            #expect(loaded.forecaster == model.forecaster && loaded.training == model.training)
            #expect(
                try loaded.forecast(series: 0, horizon: 7, level: 0.8)
                    == model.forecast(series: 0, horizon: 7, level: 0.8))
        }
        let config = directory.appendingPathComponent("config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: "\"lookback\" : 14", with: "\"lookback\" : 15").write(
            to: config, atomically: true, encoding: .utf8)
        #expect(throws: CheckpointError.self) { try NeuralForecastModel.load(from: directory) }
    }

    @Test("bad settings, short series, long horizons and wide levels are named errors")
    func badInput() throws {
        #expect(throws: InvalidParameter.self) {
            try NeuralForecaster(horizon: 0).fit(weeklySeries(count: 100), seasonPeriod: 7)
        }
        #expect(throws: InvalidParameter.self) {
            try NeuralForecaster(learningRate: 0).fit(weeklySeries(count: 100), seasonPeriod: 7)
        }
        #expect(throws: ForecastingError.self) { try small(.mlp).fit(weeklySeries(count: 30), seasonPeriod: 7) }
        let model = try small(.mlp).fit(weeklySeries(count: 100), seasonPeriod: 7)
        #expect(throws: InvalidParameter.self) { try model.forecast(horizon: 8, level: 0.8) }
        #expect(throws: InvalidParameter.self) { try model.forecast(horizon: 7, level: 0.99) }
        #expect(throws: InvalidParameter.self) { try model.forecast(horizon: 7, level: 80) }
    }
}
