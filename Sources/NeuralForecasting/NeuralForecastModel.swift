import Forecasting
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// A trained ``NeuralForecaster``: forecasts each series it was fitted on, or a newer stretch
/// of one of them, without training again; saves to and loads from a checkpoint directory.
///
/// The network is not changed after training, so one model can forecast from several threads.
public final class NeuralForecastModel: @unchecked Sendable {
    /// What training did.
    public struct TrainingSummary: Codable, Sendable, Equatable {
        /// Training and validation windows (forecast origins) over all series.
        public var windows: Int
        public var validationWindows: Int
        /// Each ensemble member's training.
        public var members: [MemberSummary]
        /// The ensemble's mean quantile loss on the validation windows, in scaled units.
        public var validationLoss: Double
        /// Seconds of training steps, all members.
        public var seconds: Double
    }

    /// One ensemble member's training.
    public struct MemberSummary: Codable, Sendable, Equatable {
        /// Epochs run, and the epoch whose weights were kept.
        public var epochs: Int
        public var bestEpoch: Int
        /// The kept epoch's mean quantile loss on the validation windows, in scaled units.
        public var validationLoss: Double
    }

    /// The settings the network was trained with.
    public let forecaster: NeuralForecaster
    /// What training did.
    public let training: TrainingSummary
    let network: ForecastEnsemble
    let windows: ForecastWindows

    init(forecaster: NeuralForecaster, network: ForecastEnsemble, windows: ForecastWindows, training: TrainingSummary) {
        self.forecaster = forecaster
        self.network = network
        self.windows = windows
        self.training = training
    }

    /// The number of series the model forecasts.
    public var seriesCount: Int { windows.series.count }
    /// Periods per season.
    public var seasonPeriod: Int { windows.seasonPeriod }
    /// Input periods before each origin.
    public var lookback: Int { windows.lookback }

    /// Forecasts the periods after the end of series `index`.
    ///
    /// - Parameters:
    ///   - index: The series, in the order given to ``NeuralForecaster/fit(many:seasonPeriod:phaseOffsets:)``.
    ///   - horizon: Periods ahead, at most the trained ``NeuralForecaster/horizon``.
    ///   - level: The interval's coverage, between 0.05 and 0.95 (the trained quantiles' span).
    /// - Throws: ``InvalidParameter`` for a bad index, horizon or level.
    public func forecast(series index: Int, horizon: Int, level: Double) throws -> Forecast {
        try InvalidParameter.require(
            (0..<seriesCount).contains(index), "series", index, allowed: "0..<\(seriesCount)")
        return try forecast(windows: windows, index: index, horizon: horizon, level: level)
    }

    /// Forecasts the periods after `values`, a newer stretch of series `index` (the same
    /// series continued, or restated), with the trained weights and the series' trained scale.
    ///
    /// - Parameters:
    ///   - values: The latest values, oldest first; the last ``lookback`` are read.
    ///   - index: Which trained series `values` continues (its scale is used).
    ///   - phaseOffset: The season position of `values[0]`.
    ///   - horizon: Periods ahead, at most the trained horizon.
    ///   - level: The interval's coverage, between 0.05 and 0.95.
    /// - Throws: ``InvalidParameter`` for a bad index, horizon or level.
    public func forecast(
        continuing values: [Double], series index: Int, phaseOffset: Int, horizon: Int, level: Double
    ) throws -> Forecast {
        try InvalidParameter.require(
            (0..<seriesCount).contains(index), "series", index, allowed: "0..<\(seriesCount)")
        try InvalidParameter.require(
            values.contains { !$0.isNaN }, "values", values.count, allowed: "at least one observed value")
        let fresh = ForecastWindows(
            series: [values], scalings: [windows.scalings[index]], phaseOffsets: [phaseOffset],
            lookback: windows.lookback, horizon: windows.horizon, seasonPeriod: windows.seasonPeriod)
        return try forecast(windows: fresh, index: 0, horizon: horizon, level: level)
    }

    /// A ``FittedForecast`` for series `index`, for backtests and the CLI.
    public func forecaster(for index: Int) -> NeuralSeriesForecast { NeuralSeriesForecast(model: self, index: index) }

    private func forecast(windows: ForecastWindows, index: Int, horizon: Int, level: Double) throws -> Forecast {
        try Forecast.validate(horizon: horizon, level: level)
        try InvalidParameter.require(
            horizon <= forecaster.horizon, "horizon", horizon,
            allowed: "at most \(forecaster.horizon), the horizon the model was trained for")
        let levels = NeuralForecaster.quantileLevels
        let lowest = levels[0]
        let widest = 1 - 2 * lowest
        try InvalidParameter.require(
            (1 - level) / 2 >= lowest - 1e-12, "level", level,
            allowed: "at most \(widest) (the model's widest trained interval, quantiles \(lowest) and \(1 - lowest))")
        let batch = windows.batch([(index, windows.series[index].count)])
        let output = Tensor.withoutGradients { network(batch) }.scalars
        let q = levels.count
        let scale = windows.scalings[index].scale
        let center = batch.levels[0]
        var mean: [Double] = []
        var lower: [Double] = []
        var upper: [Double] = []
        for step in 0..<horizon {
            // Sorted, so crossing quantiles cannot give an inverted interval.
            let quantiles = (0..<q).map { center + scale * Double(output[step * q + $0]) }.sorted()
            mean.append(Self.interpolate(quantiles, levels: levels, at: 0.5))
            lower.append(Self.interpolate(quantiles, levels: levels, at: (1 - level) / 2))
            upper.append(Self.interpolate(quantiles, levels: levels, at: (1 + level) / 2))
        }
        return Forecast(mean: mean, lower: lower, upper: upper, level: level)
    }

    /// The value at quantile level `tau` by linear interpolation between trained levels.
    static func interpolate(_ quantiles: [Double], levels: [Double], at tau: Double) -> Double {
        guard let upperIndex = levels.firstIndex(where: { $0 >= tau - 1e-12 }) else {
            return quantiles[quantiles.count - 1]
        }
        if upperIndex == 0 || Swift.abs(levels[upperIndex] - tau) <= 1e-12 { return quantiles[upperIndex] }
        let (a, b) = (levels[upperIndex - 1], levels[upperIndex])
        let weight = (tau - a) / (b - a)
        return quantiles[upperIndex - 1] + weight * (quantiles[upperIndex] - quantiles[upperIndex - 1])
    }

    // MARK: - Saving

    /// What a checkpoint's `config.json` holds besides the weights.
    struct Saved: Codable {
        var forecaster: NeuralForecaster
        var seasonPeriod: Int
        var lookback: Int
        var scales: [Double]
        /// Each series' last ``lookback`` values (`null` where missing), to forecast again.
        var tails: [[Double?]]
        /// The season position of each tail's first value.
        var phaseOffsets: [Int]
        var training: TrainingSummary

        enum CodingKeys: String, CodingKey {
            case forecaster
            case seasonPeriod = "season-period"
            case lookback, scales, tails
            case phaseOffsets = "phase-offsets"
            case training
        }
    }

    /// Writes the weights and settings to `directory` (see ``Checkpoint``), with the last
    /// ``lookback`` values of each series so that a loaded model forecasts the same.
    ///
    /// - Throws: ``CheckpointError`` when the directory cannot be written.
    public func save(to directory: URL) throws(CheckpointError) {
        let l = windows.lookback
        let saved = Saved(
            forecaster: forecaster, seasonPeriod: windows.seasonPeriod, lookback: l,
            scales: windows.scalings.map(\.scale),
            tails: windows.series.map { values in values.suffix(l).map { $0.isNaN ? nil : $0 } },
            phaseOffsets: zip(windows.series, windows.phaseOffsets).map { $1 + max(0, $0.count - l) },
            training: training)
        try Checkpoint.save(network, config: saved, to: directory, metadata: ["model": "neural-forecaster"])
    }

    /// Loads a model saved by ``save(to:)``.
    ///
    /// - Throws: ``CheckpointError`` for a missing, corrupt or inconsistent checkpoint.
    public static func load(from directory: URL) throws(CheckpointError) -> NeuralForecastModel {
        let configURL = directory.appendingPathComponent(Checkpoint.configFileName)
        func invalid(_ detail: String) -> CheckpointError { .invalidConfig(path: configURL.path, detail: detail) }
        let saved = try Checkpoint.loadConfig(Saved.self, from: directory)
        do {
            try saved.forecaster.validate()
        } catch {
            throw invalid(error.localizedDescription)
        }
        guard saved.seasonPeriod >= 1, (1...10_000).contains(saved.lookback),
            saved.lookback == saved.forecaster.effectiveLookback(seasonPeriod: saved.seasonPeriod)
        else { throw invalid("season-period \(saved.seasonPeriod) and lookback \(saved.lookback) do not agree") }
        guard !saved.tails.isEmpty, saved.scales.count == saved.tails.count,
            saved.phaseOffsets.count == saved.tails.count
        else { throw invalid("scales, tails and phase-offsets must have one entry per series") }
        guard saved.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw invalid("every scale must be positive") }
        let weights = try Checkpoint.readWeights(
            expecting: saved.forecaster.parameterShapes(lookback: saved.lookback), from: directory)
        let network = saved.forecaster.makeNetwork(lookback: saved.lookback)
        try weights.load(into: network)
        let windows = ForecastWindows(
            series: saved.tails.map { $0.map { $0 ?? .nan } },
            scalings: saved.scales.map { SeriesScaling(scale: $0) }, phaseOffsets: saved.phaseOffsets,
            lookback: saved.lookback, horizon: saved.forecaster.horizon, seasonPeriod: saved.seasonPeriod)
        return NeuralForecastModel(
            forecaster: saved.forecaster, network: network, windows: windows, training: saved.training)
    }
}

/// One series of a ``NeuralForecastModel`` as a ``FittedForecast``.
public struct NeuralSeriesForecast: FittedForecast {
    /// The model, which may forecast other series too.
    public let model: NeuralForecastModel
    /// Which of its series this forecasts.
    public let index: Int

    public func forecast(horizon: Int, level: Double) throws -> Forecast {
        try model.forecast(series: index, horizon: horizon, level: level)
    }
}
