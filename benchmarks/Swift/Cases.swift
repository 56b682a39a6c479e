import Anomalies
import Clustering
import Embeddings
import Forecasting
import Foundation
import NeuralNet
import Randomness
import Recommenders
import TensorEngine

/// The benchmark cases, built to match benchmarks/torch_bench.py model for model.
enum Cases {
    /// MLP 17 -> 128 -> 64 -> 1 (ReLU), BCE with logits, Adam, batch 256.
    static func mlp() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = makeMLP(&rng)
        let x = Tensor.normal([256, 17], generator: &rng)
        let y = Tensor.bernoulli([256], probability: 0.5, generator: &rng)
        let optimizer = Adam(for: model, learningRate: 1e-3)
        return Timing.training(stepsPerRun: 100, warmup: 20) {
            let loss = binaryCrossEntropyWithLogits(logits: model(x).reshaped([-1]), targets: y)
            optimizer.step(loss.gradients())
        }
    }

    /// LSTM(32, 128) -> LSTM(128, 64), last step -> Linear(64, 1), BCE, Adam; x [128, 50, 32].
    static func lstm() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = LSTMClassifier(&rng)
        let x = Tensor.normal([128, 50, 32], generator: &rng)
        let y = Tensor.bernoulli([128], probability: 0.5, generator: &rng)
        let optimizer = Adam(for: model, learningRate: 1e-3)
        return Timing.training(stepsPerRun: 5, warmup: 2) {
            let loss = binaryCrossEntropyWithLogits(logits: model(x), targets: y)
            optimizer.step(loss.gradients())
        }
    }

    /// SASRec (1,700 items, d 64, length 200, 2 blocks, 1 head, dropout 0.2), batch 128,
    /// negative-sampling BCE, Adam.
    static func sasrec() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = SASRec(itemCount: 1700, dimension: 64, maxLength: 200, generator: &rng)
        model.setTraining(true)
        let full = randomSequences(batch: 128, length: 200, itemCount: 1700, minimumLength: 10, generator: &rng)
        let inputs = full.map { Array($0.dropLast()) }
        let targets = full.map { Array($0.dropFirst()) }
        let flatTargets = targets.flatMap { $0 }
        let negatives = flatTargets.map { $0 == 0 ? 0 : 1 + rng.nextInt(below: 1700) }
        let sequences = IndexTensor(shape: [128, 200], indices: inputs.flatMap { $0 })
        let positive = IndexTensor(shape: [128, 200], indices: flatTargets)
        let negative = IndexTensor(shape: [128, 200], indices: negatives)
        let valid = Tensor(shape: [128, 200], scalars: flatTargets.map { $0 == 0 ? 0 : 1 })
        let optimizer = Adam(for: model, learningRate: 1e-3)
        return Timing.training(stepsPerRun: 3, warmup: 2) {
            let h = model.features(sequences, lengths: [])
            let positiveLogits = (h * model.itemEmbedding(positive)).sum(axis: -1)
            let negativeLogits = (h * model.itemEmbedding(negative)).sum(axis: -1)
            let loss = negativeSamplingBinaryCrossEntropy(
                positiveLogits: positiveLogits, negativeLogits: negativeLogits, mask: valid)
            optimizer.step(loss.gradients())
        }
    }

    /// One [1, 17] example through the MLP, sigmoid, no gradients.
    static func mlpLatency() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = makeMLP(&rng)
        let x = Tensor.normal([1, 17], generator: &rng)
        return Timing.calls(2000, warmup: 200) {
            _ = Tensor.withoutGradients { model(x).sigmoid() }
        }
    }

    /// One length-200 history through SASRec, scores for all 1,700 items, top 10.
    static func sasrecLatency() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let model = SASRec(itemCount: 1700, dimension: 64, maxLength: 200, generator: &rng)
        model.setTraining(false)
        let history = randomSequences(batch: 1, length: 200, itemCount: 1700, minimumLength: 50, generator: &rng)[0]
        let sequence = IndexTensor(shape: [1, 200], indices: Array(history.dropFirst()))
        return Timing.calls(500, warmup: 50) {
            Tensor.withoutGradients {
                let last = model.features(sequence, lengths: []).slice(axis: 1, 199..<200).reshaped([1, 64])
                let scores = model.itemEmbedding.asLinear(last)
                _ = topIndices(scores.scalars.dropFirst(), count: 10)
            }
        }
    }

    /// The serving path of a trained next-item model directory: `NextItemPackage.recommend`
    /// for one 200-item history (seeded random items of the catalogue), top 10 over all items.
    static func nextItemServing(modelDirectory: String) throws -> [Double] {
        let package = try NextItemPackage.load(from: URL(fileURLWithPath: modelDirectory))
        var rng = RandomGenerator(seed: 0)
        let history = (0..<200).map { _ in rng.nextInt(below: package.manifest.itemCount) }
        var failure: (any Error)?
        let times = Timing.calls(1000, warmup: 100) {
            do {
                _ = try package.recommend(after: history, count: 10, excludeSeen: false)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return times
    }

    static func makeMLP(_ rng: inout RandomGenerator) -> Sequential {
        Sequential([
            .linear(Linear(inputSize: 17, outputSize: 128, generator: &rng)), .relu,
            .linear(Linear(inputSize: 128, outputSize: 64, generator: &rng)), .relu,
            .linear(Linear(inputSize: 64, outputSize: 1, generator: &rng)),
        ])
    }

    /// `batch` rows of `length + 1` item ids in `1...itemCount` with random left padding (0).
    static func randomSequences(
        batch: Int, length: Int, itemCount: Int, minimumLength: Int, generator rng: inout RandomGenerator
    ) -> [[Int]] {
        (0..<batch).map { _ in
            let real = minimumLength + rng.nextInt(below: length + 2 - minimumLength)
            return (0...length).map { t in t < length + 1 - real ? 0 : 1 + rng.nextInt(below: itemCount) }
        }
    }

    /// Positions of the `count` largest values, best first.
    static func topIndices<C: Collection>(_ values: C, count: Int) -> [Int] where C.Element == Float {
        var best: [(Float, Int)] = []
        best.reserveCapacity(count + 1)
        for (i, v) in values.enumerated() where best.count < count || v > best[best.count - 1].0 {
            let at = best.firstIndex { $0.0 < v } ?? best.count
            best.insert((v, i), at: at)
            if best.count > count { best.removeLast() }
        }
        return best.map(\.1)
    }
}

/// Two separate LSTM modules and a linear head on the last step.
final class LSTMClassifier: Layer {
    let first: LSTM
    let second: LSTM
    let head: Linear

    init(_ rng: inout RandomGenerator) {
        first = LSTM(inputSize: 32, hiddenSize: 128, generator: &rng)
        second = LSTM(inputSize: 128, hiddenSize: 64, generator: &rng)
        head = Linear(inputSize: 64, outputSize: 1, generator: &rng)
    }

    var sublayers: [(name: String, layer: any Layer)] { [("first", first), ("second", second), ("head", head)] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = second(first(x).output).output
        let last = y.slice(axis: 1, (y.shape[1] - 1)..<y.shape[1]).reshaped([y.shape[0], -1])
        return head(last).reshaped([-1])
    }
}

extension Cases {
    /// Isolation forest (100 trees of 256 rows) fit and score of 1,000,000 x 32 standard normal
    /// rows, in memory: seconds per run, three runs.
    static func isolationForest(threads: Int) -> [Double] {
        var rng = RandomGenerator(seed: 1)
        let rows = 1_000_000
        let width = 32
        let x = (0..<(rows * width)).map { _ in rng.nextNormal() }
        return (0..<3).map { run in
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                let forest = try IsolationForest(seed: UInt64(run + 1)).fit(features: x, featureCount: width)
                _ = forest.scores(of: x, threads: threads)
            } catch {
                BenchmarkMain.fail("iforest: \(error)")
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
}

extension Cases {
    /// k-means (k 8, one k-means++ seeding, 20 Lloyd iterations, no early stop) of 1,000,000 x 32
    /// standard normal rows, in memory: seconds per run, three runs.
    static func kMeans(threads: Int) -> [Double] {
        var rng = RandomGenerator(seed: 1)
        let points = Points(values: (0..<(1_000_000 * 32)).map { _ in rng.nextNormal() }, dimension: 32)
        return (0..<3).map { run in
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try KMeans(
                    clusters: 8, restarts: 1, maximumIterations: 20, tolerance: 0, seed: UInt64(run + 1),
                    threads: threads
                ).fit(points)
            } catch {
                BenchmarkMain.fail("kmeans: \(error)")
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
}

extension Cases {
    /// The VAE `behave embed` and `behave anomalies --model vae` train on 32 features: encoder
    /// 32 -> 64 -> 32, code 2 x 10, decoder mirrored; negative ELBO with one sample, Adam,
    /// batch 128.
    static func vae() -> [Double] {
        var rng = RandomGenerator(seed: 0)
        let network = AutoencoderNetwork(
            kind: .variational, featureCount: 32, hiddenSizes: [64, 32], latentSize: 10, generator: &rng)
        let x = Tensor.normal([128, 32], generator: &rng)
        let optimizer = Adam(for: network, learningRate: 1e-3)
        return Timing.training(stepsPerRun: 100, warmup: 20) {
            let code = network.encode(x)
            guard let logVariance = code.logVariance else { return }
            let z = code.mean + (logVariance * 0.5).exp() * Tensor.normal(code.mean.shape, generator: &rng)
            let reconstruction = squaredReconstructionError(x, network.decode(z)) * 0.5
            let loss = (reconstruction + gaussianKLDivergence(mean: code.mean, logVariance: logVariance)).mean()
            optimizer.step(loss.gradients())
        }
    }
}

extension Cases {
    /// Reads a CSV of series, one per column, a header line first: the columns' values.
    static func seriesColumns(path: String) -> [[Double]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            BenchmarkMain.fail("cannot read \(path)")
        }
        var lines = text.split(separator: "\n").dropFirst().makeIterator()
        var columns: [[Double]] = []
        while let line = lines.next() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            if columns.isEmpty { columns = Array(repeating: [], count: cells.count) }
            for (index, cell) in cells.enumerated() where index < columns.count {
                columns[index].append(Double(cell) ?? .nan)
            }
        }
        return columns
    }

    /// Automatic ARIMA (stepwise, season 7) of every series of `path`, one thread: seconds for
    /// all of them, one run (it spans many series already).
    static func autoARIMA(path: String) -> [Double] {
        let series = seriesColumns(path: path)
        return (0..<1).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for values in series {
                do {
                    _ = try AutoARIMA(period: 7).fit(values)
                } catch {
                    BenchmarkMain.fail("auto-arima: \(error)")
                }
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    /// ARIMA(1,1,1)(0,1,1)[7] fitted to every series of `path`: seconds for all, one run.
    static func fixedARIMA(path: String) -> [Double] {
        let series = seriesColumns(path: path)
        let model = ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1, seasonalP: 0, seasonalD: 1, seasonalQ: 1, period: 7))
        return (0..<1).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for values in series {
                do {
                    _ = try model.fit(values)
                } catch {
                    BenchmarkMain.fail("arima-fit: \(error)")
                }
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
}
