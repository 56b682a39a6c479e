import Forecasting
import NeuralNet
import Randomness
import TensorEngine

/// A network that maps a batch of windows to `[B, H, Q]` quantile forecasts in scaled units.
///
/// Both architectures predict a correction to the seasonal naive forecast (``WindowBatch/baseline``):
/// with zero output they forecast exactly seasonal naive, the benchmark they must beat, and
/// training moves them away from it only as far as the data supports.
protocol ForecastNetwork: Layer {
    func callAsFunction(_ batch: WindowBatch) -> Tensor
}

extension ForecastNetwork {
    /// Starts a head near "seasonal mean plus normal quantiles of unit spread": small weights,
    /// and biases at the standard normal quantiles of the trained levels, so that the
    /// intervals begin about as wide as a typical error in scaled units instead of at zero.
    static func initialize(head: Linear, horizon: Int) {
        head.weight.assign(head.weight * 0.1)
        let levels = NeuralForecaster.quantileLevels
        let biases = (0..<horizon).flatMap { _ in levels.map { Float(NormalDistribution.quantile($0)) } }
        head.bias?.assign(Tensor(shape: [horizon * levels.count], scalars: biases))
    }

    /// `baseline [B, H]` broadcast over the quantiles, plus the head's `[B, H·Q]` output.
    func corrected(_ head: Tensor, batch: WindowBatch, horizon: Int, quantiles: Int) -> Tensor {
        let baseline = Tensor(shape: [batch.count, horizon, 1], scalars: batch.baseline)
        return head.reshaped([batch.count, horizon, quantiles]) + baseline
    }
}

/// An LSTM over the lookback window; its final hidden state goes through a linear head to
/// every step and quantile at once (the multi-output strategy, as MQ-RNN).
final class LSTMForecastNetwork: ForecastNetwork {
    let lstm: LSTM
    let head: Linear
    let lookback: Int
    let horizon: Int
    let quantileCount: Int

    init(lookback: Int, horizon: Int, quantileCount: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        lstm = LSTM(inputSize: ForecastWindows.stepFeatures, hiddenSize: hiddenSize, generator: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: horizon * quantileCount, generator: &generator)
        Self.initialize(head: head, horizon: horizon)
        self.lookback = lookback
        self.horizon = horizon
        self.quantileCount = quantileCount
    }

    static func parameterShapes(horizon: Int, quantileCount: Int, hiddenSize: Int) -> ParameterShapes {
        var shapes = ParameterShapes()
        shapes.add(
            .recurrentStack(
                gateCount: 4, inputSize: ForecastWindows.stepFeatures, hiddenSize: hiddenSize, layerCount: 1),
            under: "lstm")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: horizon * quantileCount), under: "head")
        return shapes
    }

    var sublayers: [(name: String, layer: any Layer)] { [("lstm", lstm), ("head", head)] }

    func callAsFunction(_ batch: WindowBatch) -> Tensor {
        let x = Tensor(shape: [batch.count, lookback, ForecastWindows.stepFeatures], scalars: batch.steps)
        let last = lstm(x).hidden.reshaped([batch.count, head.inputSize])
        return corrected(head(last), batch: batch, horizon: horizon, quantiles: quantileCount)
    }
}

/// Two ReLU layers over the flattened lookback window (values, missing flags and the season
/// position of the origin), then a linear head to every step and quantile.
final class MLPForecastNetwork: ForecastNetwork {
    let first: Linear
    let second: Linear
    let head: Linear
    let lookback: Int
    let horizon: Int
    let quantileCount: Int

    init(lookback: Int, horizon: Int, quantileCount: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        first = Linear(inputSize: Self.inputWidth(lookback: lookback), outputSize: hiddenSize, generator: &generator)
        second = Linear(inputSize: hiddenSize, outputSize: hiddenSize, generator: &generator)
        head = Linear(inputSize: hiddenSize, outputSize: horizon * quantileCount, generator: &generator)
        Self.initialize(head: head, horizon: horizon)
        self.lookback = lookback
        self.horizon = horizon
        self.quantileCount = quantileCount
    }

    /// Values and flags of every step, then the origin's season sine and cosine.
    static func inputWidth(lookback: Int) -> Int { 2 * lookback + 2 }

    static func parameterShapes(lookback: Int, horizon: Int, quantileCount: Int, hiddenSize: Int) -> ParameterShapes {
        var shapes = ParameterShapes()
        shapes.add(.linear(inputSize: inputWidth(lookback: lookback), outputSize: hiddenSize), under: "first")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: hiddenSize), under: "second")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: horizon * quantileCount), under: "head")
        return shapes
    }

    var sublayers: [(name: String, layer: any Layer)] { [("first", first), ("second", second), ("head", head)] }

    func callAsFunction(_ batch: WindowBatch) -> Tensor {
        let f = ForecastWindows.stepFeatures
        let width = Self.inputWidth(lookback: lookback)
        var inputs = [Float](repeating: 0, count: batch.count * width)
        for b in 0..<batch.count {
            for i in 0..<lookback {
                inputs[b * width + i] = batch.steps[(b * lookback + i) * f]
                inputs[b * width + lookback + i] = batch.steps[(b * lookback + i) * f + 1]
            }
            inputs[b * width + 2 * lookback] = batch.originPhases[2 * b]
            inputs[b * width + 2 * lookback + 1] = batch.originPhases[2 * b + 1]
        }
        let x = Tensor(shape: [batch.count, width], scalars: inputs)
        let hidden = second(first(x).relu()).relu()
        return corrected(head(hidden), batch: batch, horizon: horizon, quantiles: quantileCount)
    }

}

/// Networks trained separately whose quantile forecasts are averaged.
final class ForecastEnsemble: ForecastNetwork {
    let members: [any ForecastNetwork]

    init(members: [any ForecastNetwork]) {
        precondition(!members.isEmpty, "ForecastEnsemble: no members")
        self.members = members
    }

    var sublayers: [(name: String, layer: any Layer)] { members.enumerated().map { ("\($0.offset)", $0.element) } }

    func callAsFunction(_ batch: WindowBatch) -> Tensor {
        var sum = members[0](batch)
        for member in members.dropFirst() { sum = sum + member(batch) }
        return sum * (1 / Float(members.count))
    }
}
