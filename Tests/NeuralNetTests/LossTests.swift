import Foundation
import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

private func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}

@Suite("Losses")
struct LossTests {
    // MARK: PyTorch parity (Fixtures/make_fixtures.py, make_losses):
    //   ce  = F.cross_entropy(logits_ce [4, 5], targets [1, 4, -100, 0], ignore_index=-100)
    //   bce = F.binary_cross_entropy_with_logits(logits_bce [6], targets_bce [6], pos_weight=[2.0])
    //   (ce + bce + ...).backward() -> grad.input.logits_ce, grad.input.logits_bce

    @Test("softmax cross-entropy with an ignored row matches F.cross_entropy and its gradient")
    func crossEntropyParity() throws {
        let fixture = try Fixture("losses")
        let logits = try fixture("input.logits_ce").requiringGradient()
        let targets = try fixture.indices("input.targets_ce")
        #expect(targets.indices[2] == -100)
        let loss = softmaxCrossEntropy(logits: logits, targets: targets)
        let expected = try fixture("output.ce").scalars[0]
        #expect(Swift.abs(loss.scalar - expected) <= 1e-6, "loss \(loss.scalar) vs \(expected)")
        let gradient = loss.gradients()[logits]?.scalars ?? []
        let expectedGradient = try fixture("grad.input.logits_ce").scalars
        let error = maxAbsoluteDifference(gradient, expectedGradient)
        #expect(gradient.count == 20 && error <= 1e-6, "max abs gradient error \(error)")
        #expect(gradient[10..<15].allSatisfy { $0 == 0 }, "the ignored row gets no gradient")
    }

    @Test("BCE with logits and positive weight 2 matches F.binary_cross_entropy_with_logits")
    func binaryCrossEntropyParity() throws {
        let fixture = try Fixture("losses")
        let logits = try fixture("input.logits_bce").requiringGradient()
        let targets = try fixture("input.targets_bce")
        let positiveWeight = try fixture("input.pos_weight_bce").scalars[0]
        let loss = binaryCrossEntropyWithLogits(logits: logits, targets: targets, positiveWeight: positiveWeight)
        let expected = try fixture("output.bce").scalars[0]
        #expect(Swift.abs(loss.scalar - expected) <= 1e-6, "loss \(loss.scalar) vs \(expected)")
        let gradient = loss.gradients()[logits]?.scalars ?? []
        let error = maxAbsoluteDifference(gradient, try fixture("grad.input.logits_bce").scalars)
        #expect(gradient.count == 6 && error <= 1e-6, "max abs gradient error \(error)")
    }

    // MARK: Hand cases

    @Test("mean squared error: mean, sum and none of (p - t)², gradient 2(p - t)/n")
    func meanSquaredErrorHandCase() {
        // p = [1, 2, 3], t = [1, 0, 5]: squares [0, 4, 4], mean 8/3, sum 8
        let p = Tensor(shape: [3], scalars: [1, 2, 3], requiresGradient: true)
        let t = Tensor(shape: [3], scalars: [1, 0, 5])
        let mean = meanSquaredError(p, t)
        #expect(Swift.abs(mean.scalar - 8 / 3) < 1e-6)
        #expect(meanSquaredError(p, t, reduction: .sum).scalar == 8)
        #expect(meanSquaredError(p, t, reduction: .none).scalars == [0, 4, 4])
        expectClose(mean.gradients()[p]?.scalars ?? [], [0, 4.0 / 3, -4.0 / 3], relative: 1e-6, absolute: 1e-6)
    }

    @Test("BCE with logits stays exact and finite at logits of ±100")
    func binaryCrossEntropyIsStable() {
        // x = [100, -100, 100, -100], y = [1, 0, 0, 1]: losses [0, 0, 100, 100];
        // gradient of the mean (σ(x) - y) / 4 = [0, 0, 0.25, -0.25].
        // With positive weight 3, the positive at -100 costs 3 * 100.
        let x = Tensor(shape: [4], scalars: [100, -100, 100, -100], requiresGradient: true)
        let y = Tensor(shape: [4], scalars: [1, 0, 0, 1])
        let losses = binaryCrossEntropyWithLogits(logits: x, targets: y, reduction: .none)
        #expect(losses.scalars == [0, 0, 100, 100])
        let gradient = binaryCrossEntropyWithLogits(logits: x, targets: y).gradients()[x]?.scalars ?? []
        expectClose(gradient, [0, 0, 0.25, -0.25], relative: 0, absolute: 1e-7)
        let weighted = binaryCrossEntropyWithLogits(logits: x, targets: y, positiveWeight: 3, reduction: .none)
        #expect(weighted.scalars == [0, 0, 100, 300])
        let weightedGradient =
            binaryCrossEntropyWithLogits(logits: x, targets: y, positiveWeight: 3, reduction: .sum)
            .gradients()[x]?.scalars ?? []
        #expect(weightedGradient.count == 4 && weightedGradient.allSatisfy { $0.isFinite })
    }

    @Test("BCE at a logit of exactly 0: loss log 2, gradient σ(0) - y")
    func binaryCrossEntropyAtZero() {
        // A zero-initialised output layer produces exactly 0: the kink of |x| must not zero the
        // gradient. Per element: d/dx = σ(0) - y = 0.5 - y; with positive weight 3 and y = 1:
        // (1 - y) - w σ(-0) = -1.5.
        let x = Tensor(shape: [3], scalars: [0, 0, 0], requiresGradient: true)
        let y = Tensor(shape: [3], scalars: [1, 0, 0.5])
        let loss = binaryCrossEntropyWithLogits(logits: x, targets: y, reduction: .sum)
        #expect(Swift.abs(loss.scalar - 3 * Float(M_LN2)) < 1e-6)
        #expect(loss.gradients()[x]?.scalars == [-0.5, 0.5, 0])
        let weighted = binaryCrossEntropyWithLogits(logits: x, targets: y, positiveWeight: 3, reduction: .sum)
        #expect(weighted.gradients()[x]?.scalars == [-1.5, 0.5, -0.5])
    }

    @Test("cross-entropy: -log softmax at the target; reductions; ignored rows give 0")
    func crossEntropyHandCase() {
        // Row 0: [0, 0] target 0 -> log 2. Row 1: [ln 3, 0] target 0 -> -log(3/4) = log(4/3).
        // Row 2 is ignored. mean = (log 2 + log(4/3)) / 2 = log(8/3) / 2.
        let logits = Tensor(shape: [3, 2], scalars: [0, 0, Float(log(3.0)), 0, 5, -5])
        let targets = IndexTensor([0, 0, -1])
        let none = softmaxCrossEntropy(logits: logits, targets: targets, ignoreIndex: -1, reduction: .none)
        expectClose(none.scalars, [Float(log(2.0)), Float(log(4.0 / 3)), 0], relative: 1e-6, absolute: 1e-6)
        let mean = softmaxCrossEntropy(logits: logits, targets: targets, ignoreIndex: -1)
        #expect(Swift.abs(mean.scalar - Float(log(8.0 / 3) / 2)) < 1e-6)
        let sum = softmaxCrossEntropy(logits: logits, targets: targets, ignoreIndex: -1, reduction: .sum)
        #expect(Swift.abs(sum.scalar - Float(log(8.0 / 3))) < 1e-6)

        let allIgnored = softmaxCrossEntropy(logits: logits, targets: IndexTensor([-100, -100, -100]))
        #expect(allIgnored.scalar == 0)
    }

    @Test("cross-entropy accepts [B, T, C] logits with [B, T] targets")
    func crossEntropyOverSequences() {
        let logits = randomInput([2, 3, 4], seed: 11)
        let targets = IndexTensor(shape: [2, 3], indices: [0, 1, 2, 3, -100, 1])
        let sequence = softmaxCrossEntropy(logits: logits, targets: targets)
        let flat = softmaxCrossEntropy(logits: logits.reshaped([6, 4]), targets: IndexTensor(targets.indices))
        #expect(Swift.abs(sequence.scalar - flat.scalar) < 1e-6)
    }

    @Test("a target outside 0..<C stops the program")
    func crossEntropyRejectsBadTarget() async {
        await #expect(processExitsWith: .failure) {
            _ = softmaxCrossEntropy(logits: Tensor.zeros([2, 3]), targets: IndexTensor([0, 3]))
        }
    }

    @Test("negative-sampling BCE averages softplus(-pos) + Σ softplus(neg) over kept positions")
    func negativeSamplingHandCase() {
        // softplus(-0) = softplus(0) = log 2; softplus(-ln 3) = log(4/3).
        // pos = [[0, ln 3], [0, -9]], neg = [[0, -ln 3], [-ln 3, 9]], mask = [[1, 1], [1, 0]]
        // kept losses: (log 2 + log 2), (log 4/3 + log 4/3), (log 2 + log 4/3); the masked
        // position (huge loss) is dropped. mean = (3 log 2 + 3 log 4/3) / 3 = log 2 + log 4/3.
        let ln3 = Float(log(3.0))
        let pos = Tensor(shape: [2, 2], scalars: [0, ln3, 0, -9], requiresGradient: true)
        let neg = Tensor(shape: [2, 2], scalars: [0, -ln3, -ln3, 9], requiresGradient: true)
        let mask = Tensor(shape: [2, 2], scalars: [1, 1, 1, 0])
        let loss = negativeSamplingBinaryCrossEntropy(positiveLogits: pos, negativeLogits: neg, mask: mask)
        #expect(Swift.abs(loss.scalar - Float(log(2.0) + log(4.0 / 3))) < 1e-6)
        let grads = loss.gradients()
        // d/dpos = -σ(-pos) / 3 and d/dneg = σ(neg) / 3 at kept positions, 0 at the masked one.
        expectClose(grads[pos]?.scalars ?? [], [-0.5 / 3, -0.25 / 3, -0.5 / 3, 0], relative: 0, absolute: 1e-6)
        expectClose(grads[neg]?.scalars ?? [], [0.5 / 3, 0.25 / 3, 0.25 / 3, 0], relative: 0, absolute: 1e-6)

        // Two negatives per position [B, T, 2]: both are summed.
        let pairs = Tensor(shape: [2, 2, 2], scalars: [0, 0, -ln3, -ln3, -ln3, 0, 9, 9])
        let summed = negativeSamplingBinaryCrossEntropy(positiveLogits: pos, negativeLogits: pairs, mask: mask)
        // kept: (log 2 + 2 log 2), (log 4/3 + 2 log 4/3), (log 2 + log 4/3 + log 2)
        let expected = (5 * log(2.0) + 4 * log(4.0 / 3)) / 3
        #expect(Swift.abs(summed.scalar - Float(expected)) < 1e-6)
    }

    // MARK: Finite-difference gradient checks

    @Test("gradients of every loss agree with central differences")
    func finiteDifferences() {
        let target = randomInput([3, 4], seed: 2)
        checkGradients([randomInput([3, 4], seed: 1), target]) { xs in meanSquaredError(xs[0], xs[1]) }

        var rng = RandomGenerator(seed: 3)
        let labels = Tensor.uniform([3, 4], in: 0...1, generator: &rng)
        let logits = randomInput([3, 4], seed: 4, in: -3...3)
        checkGradients([logits]) { xs in binaryCrossEntropyWithLogits(logits: xs[0], targets: labels) }
        checkGradients([logits]) { xs in
            binaryCrossEntropyWithLogits(logits: xs[0], targets: labels, positiveWeight: 2.5, reduction: .none)
        }

        let classes = IndexTensor([2, -100, 0])
        checkGradients([logits]) { xs in softmaxCrossEntropy(logits: xs[0], targets: classes) }
        checkGradients([logits]) { xs in softmaxCrossEntropy(logits: xs[0], targets: classes, reduction: .none) }

        let mask = Tensor(shape: [3, 4], scalars: [1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0])
        let negatives = randomInput([3, 4, 2], seed: 5, in: -3...3)
        checkGradients([logits, negatives]) { xs in
            negativeSamplingBinaryCrossEntropy(positiveLogits: xs[0], negativeLogits: xs[1], mask: mask)
        }
    }

    @Test("quantile loss: τ e above the quantile, (1 - τ)(-e) below, weights leave targets out")
    func quantileLossHandCase() {
        // targets [3, 10]; predictions per target for τ = 0.1 and 0.9: [1, 5] and [12, 10]
        // e = y - ŷ: [2, -2] and [-2, 0]; losses [0.2, 0.2] and [1.8, 0]
        let predictions = Tensor(shape: [2, 2], scalars: [1, 5, 12, 10], requiresGradient: true)
        let targets = Tensor(shape: [2], scalars: [3, 10])
        let loss = quantileLoss(predictions: predictions, targets: targets, quantiles: [0.1, 0.9])
        #expect(Swift.abs(loss.scalar - 2.2 / 4) < 1e-6)
        // d/dŷ = -τ where y > ŷ, 1 - τ where y < ŷ, and -τ at e = 0 (relu's derivative at 0 is 0)
        expectClose(loss.gradients()[predictions]?.scalars ?? [], [-0.1 / 4, 0.1 / 4, 0.9 / 4, -0.9 / 4])
        expectClose(
            quantileLoss(predictions: predictions, targets: targets, quantiles: [0.1, 0.9], reduction: .none).scalars,
            [0.2, 0.2, 1.8, 0])
        // weight 0 on the second target: the mean is over the first target's two levels only
        let weighted = quantileLoss(
            predictions: predictions, targets: targets, quantiles: [0.1, 0.9],
            weights: Tensor(shape: [2], scalars: [1, 0]))
        #expect(Swift.abs(weighted.scalar - 0.4 / 2) < 1e-6)
        #expect(weighted.gradients()[predictions]?.scalars[2...].allSatisfy { $0 == 0 } == true)
    }

    @Test("quantile loss gradients match finite differences")
    func quantileLossGradients() {
        let predictions = randomInput([3, 4, 5], seed: 8, in: -2...2)
        var rng = RandomGenerator(seed: 9)
        let targets = Tensor.uniform([3, 4], in: 3...4, generator: &rng)
        let weights = Tensor(shape: [3, 4], scalars: (0..<12).map { $0 % 5 == 0 ? 0 : 1.5 })
        checkGradients([predictions]) { xs in
            quantileLoss(
                predictions: xs[0], targets: targets, quantiles: [0.05, 0.25, 0.5, 0.75, 0.95], weights: weights)
        }
    }
}
