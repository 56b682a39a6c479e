import NeuralNet
import Randomness
import TensorEngine
import Testing

/// Points drawn uniformly from the square [-1, 1]², labelled 1 in the first and third
/// quadrants (x y > 0) and 0 in the others: XOR of the signs, which no linear model separates.
private func quadrantData(count: Int, generator: inout RandomGenerator) -> (points: Tensor, labels: Tensor) {
    let points = Tensor.uniform([count, 2], in: -1...1, generator: &generator)
    let labels = points.withUnsafeScalars { xy in
        (0..<count).map { xy[2 * $0] * xy[2 * $0 + 1] > 0 ? Float(1) : 0 }
    }
    return (points, Tensor(shape: [count, 1], scalars: labels))
}

/// Trains an MLP 2 -> 16 -> 16 -> 1 (ReLU) with Adam and BCE on logits, in shuffled
/// mini-batches; everything random flows from `seed`.
private func trainQuadrantClassifier(seed: UInt64, epochs: Int) -> (finalLoss: Float, heldOutAccuracy: Float) {
    var generator = RandomGenerator(seed: seed)
    let train = quadrantData(count: 1024, generator: &generator)
    let test = quadrantData(count: 1000, generator: &generator)
    let model = Sequential([
        .linear(Linear(inputSize: 2, outputSize: 16, generator: &generator)), .relu,
        .linear(Linear(inputSize: 16, outputSize: 16, generator: &generator)), .relu,
        .linear(Linear(inputSize: 16, outputSize: 1, generator: &generator)),
    ])
    let optimizer = Adam(for: model, learningRate: 0.01)
    let batchSize = 64
    var finalLoss: Float = .nan
    for _ in 0..<epochs {
        let order = generator.permutation(1024)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let batch = IndexTensor(Array(order[start..<(start + batchSize)]))
            let loss = binaryCrossEntropyWithLogits(
                logits: model(train.points.indexSelect(axis: 0, batch)),
                targets: train.labels.indexSelect(axis: 0, batch))
            optimizer.step(loss.gradients())
            finalLoss = loss.scalar
        }
    }
    let logits = Tensor.withoutGradients { model(test.points) }.scalars
    let correct = zip(logits, test.labels.scalars).filter { ($0 > 0) == ($1 == 1) }.count
    return (finalLoss, Float(correct) / Float(logits.count))
}

@Suite("End-to-end training")
struct TrainingTests {
    @Test("an MLP learns XOR of quadrants to at least 97% held-out accuracy from seed 42")
    func learnsQuadrantXOR() {
        let result = trainQuadrantClassifier(seed: 42, epochs: 40)
        #expect(result.heldOutAccuracy >= 0.97, "held-out accuracy \(result.heldOutAccuracy)")
        #expect(result.finalLoss < 0.15, "final training loss \(result.finalLoss)")
    }

    @Test("the same seed gives a bit-identical final loss; another seed does not")
    func trainingIsReproducible() {
        let first = trainQuadrantClassifier(seed: 7, epochs: 3)
        let second = trainQuadrantClassifier(seed: 7, epochs: 3)
        #expect(first.finalLoss.bitPattern == second.finalLoss.bitPattern, "\(first.finalLoss) vs \(second.finalLoss)")
        let other = trainQuadrantClassifier(seed: 8, epochs: 3)
        #expect(other.finalLoss != first.finalLoss)
    }
}
