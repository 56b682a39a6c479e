import NeuralNet
import Randomness
import TensorEngine

/// DP-SGD steps of the `mlp` and `lstm` cases' networks (benchmarks/privacy/dp_cost_bench.py
/// runs them beside Opacus): per-example losses, the engine's split, clipping to 1, Gaussian
/// noise (multiplier 1) on every parameter, the mean over the batch, Adam. The batch is the
/// non-private case's (256 or 128 rows) so the step costs compare directly.
extension Cases {
    static func mlpPrivate() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = makeMLP(&rng)
        let x = Tensor.normal([256, 17], generator: &rng)
        let y = Tensor.bernoulli([256], probability: 0.5, generator: &rng)
        let step = privateStep(model, rng: rng) {
            binaryCrossEntropyWithLogits(logits: model(x).reshaped([-1]), targets: y, reduction: .none)
        }
        return Timing.training(stepsPerRun: 100, warmup: 20, step)
    }

    static func lstmPrivate() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = LSTMClassifier(&rng)
        let x = Tensor.normal([128, 50, 32], generator: &rng)
        let y = Tensor.bernoulli([128], probability: 0.5, generator: &rng)
        let step = privateStep(model, rng: rng) {
            binaryCrossEntropyWithLogits(logits: model(x), targets: y, reduction: .none)
        }
        return Timing.training(stepsPerRun: 5, warmup: 2, step)
    }

    /// One DP-SGD step of `model` on the per-example `losses`.
    private static func privateStep(_ model: any Layer, rng: RandomGenerator, losses: @escaping () -> Tensor)
        -> () -> Void
    {
        let optimizer = Adam(for: model, learningRate: 1e-3)
        let parameters = model.parameters()
        var noise = rng
        return {
            let values = losses()
            guard let split = try? values.perExampleGradients() else {
                fatalError("the benchmark networks split by example")
            }
            let clipped = split.weightedSum(split.norms.map { Float(min(1, 1 / ($0 + 1e-6))) })
            // Sampling rate 1 over the batch: the mean over its rows, as Opacus's expected batch size.
            let privacy = PrivateTraining(
                unit: .example, clipNorm: 1, noiseMultiplier: 1, samplingRate: 1, delta: 1e-5)
            optimizer.step(
                privacy.noisyMean(clipped, parameters: parameters, unitCount: values.count, generator: &noise))
        }
    }
}
