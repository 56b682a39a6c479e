import ArgumentParser
import Foundation
import NeuralNet
import Randomness
import TensorEngine

/// Trains a small purchase-propensity MLP on synthetic data and prints its loss falling.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a small MLP on synthetic user features and print its loss falling.",
        discussion: """
            Generates users with 17 behaviour features whose purchase probability depends \
            non-linearly on them, trains a 17-32-16-1 MLP with Adam and binary cross-entropy, \
            and reports training loss per epoch and held-out accuracy.
            """
    )

    @Option(parsing: .unconditional, help: "Random seed for data, initial weights and shuffling.")
    var seed: UInt64 = 42

    @Option(parsing: .unconditional, help: "Number of passes over the training data.")
    var epochs: Int = 12

    @Option(parsing: .unconditional, help: "Number of synthetic users.")
    var users: Int = 4096

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
        guard users >= 64 else { throw ValidationError("--users must be at least 64.") }
    }

    func run() throws {
        threads.apply()
        var rng = RandomGenerator(seed: seed)
        let data = SyntheticPurchases(users: users, generator: &rng)
        let split = users * 4 / 5
        let model = Sequential([
            .linear(Linear(inputSize: SyntheticPurchases.featureCount, outputSize: 32, generator: &rng)), .relu,
            .linear(Linear(inputSize: 32, outputSize: 16, generator: &rng)), .relu,
            .linear(Linear(inputSize: 16, outputSize: 1, generator: &rng)),
        ])
        say("Training a 17-32-16-1 MLP on \(split) synthetic users (seed \(seed)):")
        let start = Date()
        let heldOut = data.batch(Array(split..<users))
        let loop = TrainingLoop(
            schedule: TrainingSchedule(epochs: epochs, batchSize: 128, patience: 0, shuffleSeed: seed &+ 1))
        let history = try loop.run(
            model, optimizer: Adam(for: model, learningRate: 0.01), exampleCount: split,
            loss: { rows in
                let (x, y) = data.batch(rows)
                return binaryCrossEntropyWithLogits(logits: model(x).reshaped([-1]), targets: y)
            },
            validate: { _ in
                let probabilities = Tensor.withoutGradients { model(heldOut.0).reshaped([-1]).sigmoid() }
                let correct = zip(probabilities.scalars, heldOut.1.scalars).filter { ($0 >= 0.5) == ($1 == 1) }.count
                let accuracy = Double(correct) / Double(users - split)
                return Validation(score: accuracy, report: accuracy)
            },
            epochEnd: { record in
                say(
                    String(
                        format: "  epoch %2d  loss %.4f  held-out accuracy %.3f", record.epoch, record.loss,
                        record.validation?.score ?? 0))
            })
        say(
            String(
                format: "Kept epoch %d: held-out accuracy %.3f on %d users (%.1fs).", history.bestEpoch,
                history.best?.score ?? 0, users - split, Date().timeIntervalSince(start)))
    }
}

/// Users with 17 standardised features and a purchase label drawn from a known,
/// non-linear propensity.
struct SyntheticPurchases {
    static let featureCount = 17
    let features: [Float]
    let labels: [Float]

    init(users: Int, generator rng: inout RandomGenerator) {
        var features = [Float](repeating: 0, count: users * Self.featureCount)
        var labels = [Float](repeating: 0, count: users)
        for u in 0..<users {
            var row = [Float](repeating: 0, count: Self.featureCount)
            for j in 0..<Self.featureCount { row[j] = rng.nextNormal() }
            // Recency, frequency and carts interact; other features are noise.
            let score = 1.5 * row[0] - 1.0 * row[1] * row[2] + 0.8 * row[3] * row[3] - 0.8 + 0.5 * row[4]
            let probability = 1 / (1 + Foundation.exp(-2 * score))
            labels[u] = rng.nextUniform() < probability ? 1 : 0
            features.replaceSubrange((u * Self.featureCount)..<((u + 1) * Self.featureCount), with: row)
        }
        self.features = features
        self.labels = labels
    }

    func batch(_ rows: [Int]) -> (Tensor, Tensor) {
        var x = [Float]()
        x.reserveCapacity(rows.count * Self.featureCount)
        for r in rows { x.append(contentsOf: features[(r * Self.featureCount)..<((r + 1) * Self.featureCount)]) }
        return (
            Tensor(shape: [rows.count, Self.featureCount], scalars: x),
            Tensor(shape: [rows.count], scalars: rows.map { labels[$0] })
        )
    }
}
