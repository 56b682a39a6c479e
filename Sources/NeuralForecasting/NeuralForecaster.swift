import Forecasting
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// A deep forecaster: an LSTM or a multilayer perceptron over a window of lags, trained with
/// the quantile loss to forecast every step of the horizon at once, with intervals from its
/// quantiles.
///
/// Each window is centred on its own recent level and divided by the series' scale (see
/// ``SeriesScaling``); inputs are the scaled values, missing flags and the season position.
/// The network predicts a correction to the window's seasonal naive forecast, so before
/// training it *is* seasonal naive. Training uses the shared ``TrainingLoop``: windows whose
/// targets end before the last `horizon + validation` periods train, the windows after them
/// validate (mean quantile loss), the best epoch's weights are kept, and the seed fixes
/// everything. ``ensembleSize`` networks train from different seeds and their quantiles are
/// averaged, which steadies forecasts that vary from seed to seed.
///
/// Fitted on several related series at once (``fit(many:seasonPeriod:)``) it becomes a
/// global model: one network learns from all of them and forecasts each.
///
/// ```swift
/// let lstm = NeuralForecaster(architecture: .lstm, horizon: 28)
/// let model = try lstm.fit(series.values, seasonPeriod: 7)
/// let forecast = try model.forecast(horizon: 28, level: 0.8)   // median and 10% / 90% quantiles
/// ```
public struct NeuralForecaster: Forecaster, Codable, Equatable {
    /// The network over the lookback window.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        /// One LSTM layer read to its last step.
        case lstm
        /// Two ReLU layers over the flattened window.
        case mlp
    }

    /// The quantile levels every model is trained for: intervals from 50% to 95% are exact
    /// pairs of them, others interpolate between neighbours.
    public static let quantileLevels: [Double] = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975]

    /// The network (key `architecture`).
    public var architecture: Architecture
    /// Periods forecast at once; forecasts may ask for fewer (key `horizon`).
    public var horizon: Int
    /// Input periods before each origin; nil picks `max(2 · horizon, 4 · season)` (key `lookback`).
    public var lookback: Int?
    /// Width of the LSTM state or of the perceptron's layers (key `hidden`).
    public var hiddenSize: Int
    /// Adam's step size (key `learning-rate`).
    public var learningRate: Double
    /// Windows per step (key `batch-size`).
    public var batchSize: Int
    /// Most passes over the training windows (key `epochs`).
    public var epochs: Int
    /// Epochs without a better validation loss before training stops (key `patience`).
    public var patience: Int
    /// Networks trained from different seeds whose quantiles are averaged (key `ensemble`).
    public var ensembleSize: Int
    /// Seeds the initial weights and the window order (key `seed`).
    public var seed: UInt64

    public init(
        architecture: Architecture = .lstm, horizon: Int = 28, lookback: Int? = nil, hiddenSize: Int = 64,
        learningRate: Double = 0.001, batchSize: Int = 64, epochs: Int = 100, patience: Int = 10,
        ensembleSize: Int = 3, seed: UInt64 = 1
    ) {
        self.architecture = architecture
        self.horizon = horizon
        self.lookback = lookback
        self.hiddenSize = hiddenSize
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.patience = patience
        self.ensembleSize = ensembleSize
        self.seed = seed
    }

    public var name: String { architecture.rawValue }

    /// What training reports after every epoch of every ensemble member.
    public struct EpochProgress: Sendable, Equatable {
        /// The member (from 0) and how many there are.
        public var member: Int
        public var members: Int
        /// The epoch (from 1) and the most epochs a member runs.
        public var epoch: Int
        public var epochs: Int
        /// The epoch's mean training loss and its validation loss (mean quantile loss, scaled units).
        public var loss: Double
        public var validationLoss: Double?
    }

    /// The lookback this forecaster uses for season `seasonPeriod`.
    public func effectiveLookback(seasonPeriod: Int) -> Int { lookback ?? max(2 * horizon, 4 * max(seasonPeriod, 1)) }

    /// Throws unless every setting is usable.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad setting by its key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("horizon", horizon, in: 1...10_000)
        if let lookback { try InvalidParameter.require("lookback", lookback, in: 1...10_000) }
        try InvalidParameter.require("hidden", hiddenSize, in: 1...4096)
        try InvalidParameter.require(
            learningRate > 0 && learningRate <= 1, "learning-rate", learningRate, allowed: "in (0, 1]")
        try InvalidParameter.require("batch-size", batchSize, in: 1...65_536)
        try InvalidParameter.require("epochs", epochs, in: 1...100_000)
        try InvalidParameter.require("patience", patience, in: 0...100_000)
        try InvalidParameter.require("ensemble", ensembleSize, in: 1...64)
    }

    /// Fits one series.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, ``ForecastingError/seriesTooShort(model:needed:got:)``
    ///   when the series leaves too few training windows.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try fit(many: [series], seasonPeriod: seasonPeriod).forecaster(for: 0)
    }

    /// Fits one network on several related series (a global model), each scaled on its own.
    ///
    /// - Parameters:
    ///   - many: The series, oldest value first, `.nan` where missing; they may differ in length.
    ///   - seasonPeriod: Periods per season, shared by all.
    ///   - phaseOffsets: Each series' season position at its first value (so that series
    ///     starting on different weekdays line up); zeros when nil.
    ///   - progress: Called after every epoch of every ensemble member.
    /// - Throws: as ``fit(_:seasonPeriod:)``.
    public func fit(
        many: [[Double]], seasonPeriod: Int, phaseOffsets: [Int]? = nil, progress: ((EpochProgress) -> Void)? = nil
    ) throws -> NeuralForecastModel {
        try validate()
        try InvalidParameter.require(seasonPeriod >= 1, "season-period", seasonPeriod, allowed: "at least 1")
        try InvalidParameter.require(!many.isEmpty, "series", 0, allowed: "at least one series")
        let lookback = effectiveLookback(seasonPeriod: seasonPeriod)
        let validationCount = max(1, min(horizon, many.map(\.count).max().map { $0 / 10 } ?? 1))
        // Training windows: targets end before the validation windows' targets begin.
        var training: [(series: Int, origin: Int)] = []
        var validation: [(series: Int, origin: Int)] = []
        for (s, values) in many.enumerated() {
            let n = values.count
            let lastOrigin = n - horizon
            let firstValidation = lastOrigin - validationCount + 1
            for origin in stride(from: firstValidation, through: lastOrigin, by: 1) where origin >= 1 {
                validation.append((s, origin))
            }
            for origin in stride(from: 1, through: firstValidation - horizon, by: 1) {
                training.append((s, origin))
            }
        }
        let needed = 2 * horizon + validationCount + 16
        guard training.count >= 16 else {
            throw ForecastingError.seriesTooShort(
                model: name,
                needed: "at least \(needed) periods (horizon \(horizon) twice, validation and 16 "
                    + "training windows)", got: many.map(\.count).max() ?? 0)
        }
        let scalings = many.map { SeriesScaling(fitting: $0, seasonPeriod: seasonPeriod) }
        let windows = ForecastWindows(
            series: many, scalings: scalings, phaseOffsets: phaseOffsets ?? Array(repeating: 0, count: many.count),
            lookback: lookback, horizon: horizon, seasonPeriod: seasonPeriod)
        let ensemble = makeNetwork(lookback: lookback)
        let quantiles = Self.quantileLevels.map(Float.init)
        let validationBatch = windows.batch(validation)
        func loss(_ network: any ForecastNetwork, _ batch: WindowBatch) -> Tensor {
            quantileLoss(
                predictions: network(batch), targets: Tensor(shape: [batch.count, horizon], scalars: batch.targets),
                quantiles: quantiles, weights: Tensor(shape: [batch.count, horizon], scalars: batch.weights))
        }
        var members: [NeuralForecastModel.MemberSummary] = []
        var seconds = 0.0
        for (index, network) in ensemble.members.enumerated() {
            let loop = TrainingLoop(
                schedule: TrainingSchedule(
                    epochs: epochs, batchSize: batchSize, patience: patience, minimumImprovement: 1e-3,
                    shuffleSeed: seed &+ UInt64(index) &+ 1))
            let history = try loop.run(
                network, optimizer: Adam(for: network, learningRate: Float(learningRate)),
                exampleCount: training.count,
                loss: { indexes in loss(network, windows.batch(indexes.map { training[$0] })) },
                validate: { (epoch: Int) throws(TrainingDiverged) -> Validation<Double> in
                    let value = Double(Tensor.withoutGradients { loss(network, validationBatch) }.scalar)
                    try TrainingDiverged.check(outputs: [value], epoch: epoch, learningRate: learningRate)
                    return Validation(score: -value, report: value)
                },
                epochEnd: { record in
                    progress?(
                        EpochProgress(
                            member: index, members: ensembleSize, epoch: record.epoch, epochs: epochs,
                            loss: record.loss, validationLoss: record.validation?.report))
                })
            members.append(
                .init(
                    epochs: history.epochs.count, bestEpoch: history.bestEpoch,
                    validationLoss: history.best?.report ?? .nan))
            seconds += history.trainSeconds
        }
        let validationLoss = Double(Tensor.withoutGradients { loss(ensemble, validationBatch) }.scalar)
        return NeuralForecastModel(
            forecaster: self, network: ensemble, windows: windows,
            training: NeuralForecastModel.TrainingSummary(
                windows: training.count, validationWindows: validation.count, members: members,
                validationLoss: validationLoss, seconds: seconds))
    }

    /// The ensemble's networks with freshly seeded weights: member `i` from seed `seed + i`.
    func makeNetwork(lookback: Int) -> ForecastEnsemble {
        let members: [any ForecastNetwork] = (0..<ensembleSize).map { index in
            var generator = RandomGenerator(seed: seed &+ UInt64(index))
            switch architecture {
            case .lstm:
                return LSTMForecastNetwork(
                    lookback: lookback, horizon: horizon, quantileCount: Self.quantileLevels.count,
                    hiddenSize: hiddenSize, generator: &generator)
            case .mlp:
                return MLPForecastNetwork(
                    lookback: lookback, horizon: horizon, quantileCount: Self.quantileLevels.count,
                    hiddenSize: hiddenSize, generator: &generator)
            }
        }
        return ForecastEnsemble(members: members)
    }

    /// The parameter shapes of the ensemble for a lookback, without building it.
    func parameterShapes(lookback: Int) -> ParameterShapes {
        let member: ParameterShapes
        switch architecture {
        case .lstm:
            member = LSTMForecastNetwork.parameterShapes(
                horizon: horizon, quantileCount: Self.quantileLevels.count, hiddenSize: hiddenSize)
        case .mlp:
            member = MLPForecastNetwork.parameterShapes(
                lookback: lookback, horizon: horizon, quantileCount: Self.quantileLevels.count, hiddenSize: hiddenSize)
        }
        var shapes = ParameterShapes()
        for index in 0..<ensembleSize { shapes.add(member, under: "\(index)") }
        return shapes
    }

    enum CodingKeys: String, CodingKey {
        case architecture, horizon, lookback
        case hiddenSize = "hidden"
        case learningRate = "learning-rate"
        case batchSize = "batch-size"
        case epochs, patience
        case ensembleSize = "ensemble"
        case seed
    }
}
