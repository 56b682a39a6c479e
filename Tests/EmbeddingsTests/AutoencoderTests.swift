import Embeddings
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine
import TestSupport
import Testing

/// Rows on a 2-D plane inside 8-D space (plus a little noise), and `outliers` rows off it.
private func planeData(rows: Int, outliers: Int, seed: UInt64) -> (features: [Float], labels: [Int]) {
    var rng = RandomGenerator(seed: seed)
    let basis = (0..<16).map { _ in rng.nextNormal() }
    var features: [Float] = []
    var labels: [Int] = []
    for row in 0..<(rows + outliers) {
        let a = rng.nextNormal()
        let b = rng.nextNormal()
        let outlier = row >= rows
        for column in 0..<8 {
            let onPlane = a * basis[column] + b * basis[8 + column]
            features.append(outlier ? 2 * rng.nextNormal() : onPlane + 0.05 * rng.nextNormal())
        }
        labels.append(outlier ? 1 : 0)
    }
    return (features, labels)
}

/// The share of (outlier, inlier) pairs the scores order correctly (ROC-AUC).
private func pairwiseAUC(_ scores: [Double], _ labels: [Int]) -> Double {
    let positives = zip(scores, labels).filter { $0.1 == 1 }.map(\.0)
    let negatives = zip(scores, labels).filter { $0.1 == 0 }.map(\.0)
    var wins = 0.0
    for p in positives { for n in negatives { wins += p > n ? 1 : (p == n ? 0.5 : 0) } }
    return wins / Double(positives.count * negatives.count)
}

@Suite("Autoencoders")
struct AutoencoderTests {
    @Test("the KL term equals its closed form on hand-computed values")
    func klClosedForm() {
        // mean [1, 2], log variance [0, ln 2]: 1/2 ((1 + 1 - 1 - 0) + (2 + 4 - 1 - ln 2)) = 2.6534264
        let kl = gaussianKLDivergence(
            mean: Tensor(shape: [2, 2], scalars: [1, 2, 0, 0]),
            logVariance: Tensor(shape: [2, 2], scalars: [0, Float(log(2.0)), 0, 0]))
        #expect(kl.shape == [2])
        #expect(abs(kl.scalars[0] - 2.6534264) < 1e-5)
        #expect(kl.scalars[1] == 0, "the prior itself is at distance 0")
    }

    @Test("the closed-form KL matches a Monte Carlo estimate of E_q[log q(z) - log p(z)]")
    func klMonteCarlo() {
        let mean: [Float] = [0.7, -1.2, 0.1]
        let logVariance: [Float] = [-0.5, 0.3, 1.1]
        let closed = Double(
            gaussianKLDivergence(
                mean: Tensor(shape: [1, 3], scalars: mean), logVariance: Tensor(shape: [1, 3], scalars: logVariance)
            ).scalar)
        var rng = RandomGenerator(seed: 3)
        var sum = 0.0
        let samples = 200_000
        for _ in 0..<samples {
            for l in 0..<3 {
                let sd = exp(Double(logVariance[l]) / 2)
                let epsilon = Double(rng.nextNormal())
                let z = Double(mean[l]) + sd * epsilon
                // log q - log p, the 1/2 log(2 pi) terms cancel.
                sum += (-0.5 * epsilon * epsilon - log(sd)) - (-0.5 * z * z)
            }
        }
        let estimate = sum / Double(samples)
        #expect(abs(estimate - closed) < 0.02 * closed, "Monte Carlo \(estimate) vs closed form \(closed)")
    }

    @Test("gradients of the VAE objective's terms match finite differences")
    func objectiveGradients() {
        let mean = randomInput([3, 2], seed: 1)
        let logVariance = randomInput([3, 2], seed: 2)
        checkGradients([mean, logVariance]) { xs in gaussianKLDivergence(mean: xs[0], logVariance: xs[1]) }
        let x = randomInput([3, 4], seed: 3)
        let reconstruction = randomInput([3, 4], seed: 4)
        checkGradients([x, reconstruction]) { xs in squaredReconstructionError(xs[0], xs[1]) }
    }

    @Test("a built network has the parameter shapes its configuration states", arguments: AutoencoderKind.allCases)
    func parameterShapes(kind: AutoencoderKind) {
        let config = AutoencoderConfig(kind: kind, hiddenSizes: [16, 8], latentSize: 3)
        let model = Autoencoder(config: config, featureCount: 10)
        var built: [String: [Int]] = [:]
        for (key, tensor) in model.network.parameters() { built[key] = tensor.shape }
        #expect(built == Autoencoder.parameterShapes(config: config, featureCount: 10).shapes)
        #expect(built["code.weight"] == [kind == .variational ? 6 : 3, 8])
    }

    @Test("the code width defaults to a third of the inputs, between 2 and 16")
    func automaticLatentSize() {
        let config = AutoencoderConfig()
        #expect(config.latentSize(forFeatures: 3) == 2)
        #expect(config.latentSize(forFeatures: 30) == 10)
        #expect(config.latentSize(forFeatures: 300) == 16)
    }

    @Test("an AE and a VAE learn a plane and score rows off it higher", arguments: AutoencoderKind.allCases)
    func learnsPlane(kind: AutoencoderKind) throws {
        let data = planeData(rows: 600, outliers: 20, seed: 11)
        var config = AutoencoderConfig(kind: kind, hiddenSizes: [16], latentSize: 2, epochs: 60, seed: 5)
        config.batchSize = 64
        config.learningRate = 0.01
        let (model, history, _) = try Autoencoder.train(features: data.features, featureCount: 8, config: config)
        let losses = history.epochs.compactMap { $0.validation?.report }
        #expect(losses.count >= 2 && (losses.min() ?? .infinity) < losses[0] * 0.5, "validation losses \(losses)")
        let scores = model.anomalyScores(of: data.features)
        #expect(scores.count == 620)
        let auc = pairwiseAUC(scores, data.labels)
        #expect(auc > 0.95, "ROC-AUC of \(kind.rawValue) scores: \(auc)")
        #expect(model.embeddings(of: data.features).count == 620 * 2)
        #expect(model.squaredErrors(of: data.features).count == 620 * 8)
    }

    @Test(
        "a private AE and VAE: the engine splits each row's loss, a generous budget still learns the plane",
        arguments: AutoencoderKind.allCases)
    func privately(kind: AutoencoderKind) throws {
        let data = planeData(rows: 2_000, outliers: 20, seed: 11)
        var config = AutoencoderConfig(kind: kind, hiddenSizes: [16], latentSize: 2, seed: 5).privateDefaults(
            epsilon: 20)
        config.batchSize = 200
        config.learningRate = 0.01
        config.privacy?.noiseSeed = 4
        let (model, history, run) = try Autoencoder.train(features: data.features, featureCount: 8, config: config)
        let privateRun = try #require(run)
        // A mismatch with one-row passes (a sample or KL weight that differs between them) falls back.
        #expect(privateRun.perUnitGradients == .engine, "\(privateRun.perUnitGradients)")
        #expect(history.epochs.count <= AutoencoderConfig.privateEpochs)
        let statement = try #require(privateRun.statement)
        #expect(statement.unit == .user && statement.epsilon <= 20.001)
        let auc = pairwiseAUC(model.anomalyScores(of: data.features), data.labels)
        #expect(auc > 0.9, "ROC-AUC of the private \(kind.rawValue)'s scores: \(auc)")
    }

    @Test("the same seed trains the same model")
    func deterministic() throws {
        let data = planeData(rows: 200, outliers: 0, seed: 2)
        let config = AutoencoderConfig(kind: .variational, hiddenSizes: [8], latentSize: 2, epochs: 5, seed: 9)
        let first = try Autoencoder.train(features: data.features, featureCount: 8, config: config).model
        let second = try Autoencoder.train(features: data.features, featureCount: 8, config: config).model
        #expect(first.anomalyScores(of: data.features) == second.anomalyScores(of: data.features))
    }

    @Test("bad settings and too little data are named")
    func badInput() {
        var config = AutoencoderConfig()
        config.klWarmupEpochs = -1
        #expect(
            throws: UnsupervisedError.invalidParameter(
                InvalidParameter("kl-warmup", value: -1, allowed: "between 0 and 1000000"))
        ) {
            try Autoencoder.train(features: [1, 2, 3, 4], featureCount: 2, config: config)
        }
        #expect(throws: UnsupervisedError.self) {
            try Autoencoder.train(features: [1, 2], featureCount: 2, config: AutoencoderConfig())
        }
        config = AutoencoderConfig(latentSize: 0)
        #expect(throws: UnsupervisedError.self) {
            try Autoencoder.train(features: [1, 2, 3, 4], featureCount: 2, config: config)
        }
    }
}
