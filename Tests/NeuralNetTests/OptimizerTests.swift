import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// A layer that only holds the tensors it is given, to drive optimizers on hand-made values.
private final class ParameterBag: Layer {
    let ownParameters: [(name: String, tensor: Tensor)]

    init(_ parameters: [(name: String, tensor: Tensor)]) { ownParameters = parameters }
}

private func leaf(_ scalars: [Float], shape: [Int]? = nil) -> Tensor {
    Tensor(shape: shape ?? [scalars.count], scalars: scalars, requiresGradient: true)
}

private func gradients(_ pairs: [(Tensor, [Float])]) -> Gradients {
    var grads = Gradients()
    for (tensor, values) in pairs { grads.set(Tensor(shape: tensor.shape, scalars: values), for: tensor) }
    return grads
}

private func maxAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).reduce(0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
}

@Suite("Optimizers")
struct OptimizerTests {
    // MARK: PyTorch parity (Fixtures/make_fixtures.py, make_optimizers):
    //   p = randn(4, 3); g1, g2 = randn(4, 3), randn(4, 3)
    //   for g in (g1, g2): p.grad = g; opt.step()
    //   Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)                -> output.p_step1/2
    //   AdamW(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1) -> output.adamw_step1/2
    //   SGD(lr=0.1, momentum=0.9, nesterov=True)                    -> output.sgd_step1/2

    /// Runs two steps with the fixture's gradients and compares both with PyTorch within 1e-6.
    private func expectParity<Rule: UpdateRule>(
        _ rule: Rule, learningRate: Float, prefix: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let fixture = try Fixture("adam")
        let p = try fixture("param.p").requiringGradient()
        let copy = Tensor(shape: p.shape, scalars: p.scalars, requiresGradient: true)
        let optimizer = ParameterOptimizer(parameters: [("p", copy)], rule: rule, learningRate: learningRate)
        for step in 1...2 {
            let g = try fixture("input.g\(step)")
            var grads = Gradients()
            grads.set(g, for: copy)
            optimizer.step(grads)
            let expected = try fixture("output.\(prefix)_step\(step)")
            let error = maxAbsoluteDifference(copy, expected)
            #expect(error <= 1e-6, "\(prefix) step \(step): max abs error \(error)", sourceLocation: sourceLocation)
        }
        #expect(optimizer.stepCount == 2, sourceLocation: sourceLocation)
    }

    @Test("Adam matches torch.optim.Adam over two steps within 1e-6")
    func adamParity() throws {
        try expectParity(AdamRule(), learningRate: 0.01, prefix: "p")
    }

    @Test("AdamW with weight decay 0.1 matches torch.optim.AdamW within 1e-6")
    func adamWParity() throws {
        try expectParity(AdamWRule(weightDecay: 0.1), learningRate: 0.01, prefix: "adamw")
    }

    @Test("SGD with Nesterov momentum 0.9 matches torch.optim.SGD within 1e-6")
    func sgdNesterovParity() throws {
        try expectParity(SGDRule(momentum: 0.9, nesterov: true), learningRate: 0.1, prefix: "sgd")
    }

    // MARK: Hand cases

    @Test("plain SGD: p -= lr * (g + wd * p)")
    func plainSGD() {
        // p = [1, -2], g = [0.5, 0.5], lr 0.1, wd 0.1: d = [0.6, 0.3], p = [0.94, -2.03]
        let p = leaf([1, -2])
        let optimizer = SGD(for: ParameterBag([("p", p)]), learningRate: 0.1, weightDecay: 0.1)
        optimizer.step(gradients([(p, [0.5, 0.5])]))
        expectClose(p.scalars, [0.94, -2.03], relative: 0, absolute: 1e-6)
    }

    @Test("SGD momentum: the buffer starts at g, then b = 0.9 b + g")
    func sgdMomentum() {
        // g = 1 both steps, lr 0.1: b1 = 1, p1 = -0.1; b2 = 1.9, p2 = -0.1 - 0.19 = -0.29
        let p = leaf([0])
        let optimizer = SGD(for: ParameterBag([("p", p)]), learningRate: 0.1, momentum: 0.9)
        optimizer.step(gradients([(p, [1])]))
        #expect(Swift.abs(p.scalars[0] - -0.1) < 1e-7)
        optimizer.step(gradients([(p, [1])]))
        #expect(Swift.abs(p.scalars[0] - -0.29) < 1e-6)
    }

    @Test("Adam's first step moves each weight by about the learning rate, against the gradient")
    func adamFirstStep() {
        // m1 = 0.1 g, v1 = 0.001 g²; m̂ = g, v̂ = g² -> step = lr * g / (|g| + eps) ≈ lr sign(g)
        let p = leaf([1, 1, 1])
        let optimizer = Adam(for: ParameterBag([("p", p)]), learningRate: 0.5)
        optimizer.step(gradients([(p, [3, -0.01, 100])]))
        expectClose(p.scalars, [0.5, 1.5, 0.5], relative: 0, absolute: 1e-5)
    }

    @Test("parameters without a gradient are untouched and keep no state")
    func missingGradientsAreSkipped() {
        // b gets its first gradient on step 2, so Adam's bias correction uses t = 1 for it,
        // exactly like a fresh parameter (PyTorch keeps a per-parameter step count too).
        let a = leaf([1, 2])
        let b = leaf([3, 4])
        let optimizer = Adam(for: ParameterBag([("a", a), ("b", b)]), learningRate: 0.1)
        optimizer.step(gradients([(a, [1, 1])]))
        #expect(b.scalars == [3, 4])
        #expect(a.scalars != [1, 2])
        optimizer.step(gradients([(b, [1, -1])]))
        expectClose(b.scalars, [2.9, 4.1], relative: 0, absolute: 1e-6)
        #expect(optimizer.stepCount == 2)
    }

    @Test("a tensor listed under two keys (tied weights) is updated once")
    func tiedParametersUpdateOnce() {
        let shared = leaf([1])
        let optimizer = SGD(for: ParameterBag([("encoder", shared), ("decoder", shared)]), learningRate: 0.5)
        optimizer.step(gradients([(shared, [1])]))
        #expect(optimizer.parameterKeys == ["encoder"])
        #expect(shared.scalars == [0.5])
    }

    @Test("a model trained through the Optimizer protocol fits y = 2x - 1")
    func fitsALine() {
        // The convergence smoke test: one Linear(1, 1) with each optimizer.
        let optimizers: [(String, (any Layer) -> any Optimizer)] = [
            ("SGD", { SGD(for: $0, learningRate: 0.1, momentum: 0.9) }),
            ("Adam", { Adam(for: $0, learningRate: 0.05) }),
            ("AdamW", { AdamW(for: $0, learningRate: 0.05, weightDecay: 1e-4) }),
        ]
        let x = Tensor(shape: [8, 1], scalars: (0..<8).map { Float($0) / 4 - 1 })
        let y = 2 * x - 1
        for (name, make) in optimizers {
            var rng = RandomGenerator(seed: 1)
            let model = Linear(inputSize: 1, outputSize: 1, generator: &rng)
            let optimizer = make(model)
            for _ in 0..<300 { optimizer.step(meanSquaredError(model(x), y).gradients()) }
            let loss = Tensor.withoutGradients { meanSquaredError(model(x), y) }.scalar
            #expect(loss < 1e-3, "\(name): final loss \(loss)")
        }
    }

    // MARK: Learning-rate schedules

    @Test("StepDecay: initial * factor^floor(t / stepSize)")
    func stepDecay() {
        let schedule = StepDecay(initial: 0.1, stepSize: 3, factor: 0.5)
        let rates = [0, 2, 3, 5, 6, 9].map { schedule.learningRate(at: $0) }
        expectClose(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], relative: 1e-6, absolute: 0)
    }

    @Test("CosineAnnealing: min + (initial - min)(1 + cos(πt/T))/2, then min")
    func cosineAnnealing() {
        // T = 10, initial 1, min 0.1: t=0 -> 1; t=5 -> 0.55; t=10 -> 0.1;
        // t=2 -> 0.1 + 0.9 * (1 + cos(0.2π)) / 2 = 0.1 + 0.45 * 1.809017 = 0.9140576
        let schedule = CosineAnnealing(initial: 1, minimum: 0.1, totalSteps: 10)
        let rates = [0, 2, 5, 10, 25].map { schedule.learningRate(at: $0) }
        expectClose(rates, [1, 0.914_057_6, 0.55, 0.1, 0.1], relative: 1e-6, absolute: 1e-7)
    }

    @Test("LinearWarmup: wrapped(t) * (t + 1) / warmupSteps before the end of the warm-up")
    func linearWarmup() {
        let warm = LinearWarmup(wrapping: ConstantLearningRate(0.5), warmupSteps: 4)
        let rates = [0, 1, 3, 4, 100].map { warm.learningRate(at: $0) }
        #expect(rates == [0.125, 0.25, 0.5, 0.5, 0.5])
        // Wrapping a decay: the inner schedule keeps its own clock (evaluated at t).
        let decayed = LinearWarmup(wrapping: StepDecay(initial: 1, stepSize: 2, factor: 0.1), warmupSteps: 4)
        expectClose([decayed.learningRate(at: 1), decayed.learningRate(at: 2)], [0.5, 0.075], relative: 1e-6)
    }

    @Test("an optimizer with a schedule takes its learning rate from it before each step")
    func optimizerFollowsSchedule() {
        // g = 1, no momentum: each step moves p by the scheduled rate 1, 1, 0.5.
        let p = leaf([0])
        let optimizer = SGD(
            for: ParameterBag([("p", p)]), learningRate: 99, schedule: StepDecay(initial: 1, stepSize: 2, factor: 0.5))
        for _ in 0..<3 { optimizer.step(gradients([(p, [1])])) }
        #expect(p.scalars == [-2.5])
        #expect(optimizer.learningRate == 0.5)
    }

    // MARK: Clipping and penalties

    @Test("clipGradientNorm scales every gradient by maxNorm / (norm + 1e-6) and returns the norm")
    func clipping() {
        // a = [3, 0], b = [0, 4]: global norm 5; maxNorm 1 -> a = [0.6, 0], b = [0, 0.8]
        let a = leaf([0, 0])
        let b = leaf([0, 0])
        var grads = gradients([(a, [3, 0]), (b, [0, 4])])
        let norm = clipGradientNorm(&grads, maxNorm: 1)
        #expect(norm == 5)
        let scale: Float = 1 / (5 + 1e-6)
        #expect(grads[a]?.scalars == [3 * scale, 0])
        #expect(grads[b]?.scalars == [0, 4 * scale])

        let untouched = clipGradientNorm(&grads, maxNorm: 10)
        #expect(Swift.abs(untouched - 1) < 1e-6)
        #expect(grads[a]?.scalars == [3 * scale, 0])
    }

    @Test("clipping a gradient shared by two leaves scales it once")
    func clippingSharedGradient() {
        // d/dx and d/dy of sum(x + y) are the same tensor of ones: norm sqrt(2 * 2) = 2.
        let x = leaf([5, 6])
        let y = leaf([7, 8])
        var grads = (x + y).sum().gradients()
        let norm = clipGradientNorm(&grads, maxNorm: 1)
        #expect(norm == 2)
        expectClose(grads[x]?.scalars ?? [], [0.5, 0.5], relative: 0, absolute: 1e-6)
        expectClose(grads[y]?.scalars ?? [], [0.5, 0.5], relative: 0, absolute: 1e-6)
    }

    @Test("L1 adds λ sign(p) and L2 adds λ p to the gradients, also where none reached")
    func penaltiesOnGradients() {
        // p = [0.5, -2, 0], g = [1, 1, 1], λ = 0.1
        // L1: [1.1, 0.9, 1.0]; L2: [1.05, 0.8, 1.0]; q (no gradient) = [2] -> L2 gives [0.2]
        let p = leaf([0.5, -2, 0])
        let q = leaf([2])
        let bag = ParameterBag([("p", p), ("q", q)])
        var l1 = gradients([(p, [1, 1, 1])])
        Regularization.l1(0.1).apply(to: &l1, for: bag)
        expectClose(l1[p]?.scalars ?? [], [1.1, 0.9, 1], relative: 0, absolute: 1e-6)
        expectClose(l1[q]?.scalars ?? [], [0.1], relative: 0, absolute: 1e-6)
        var l2 = gradients([(p, [1, 1, 1])])
        Regularization.l2(0.1).apply(to: &l2, for: bag)
        expectClose(l2[p]?.scalars ?? [], [1.05, 0.8, 1], relative: 0, absolute: 1e-6)
        expectClose(l2[q]?.scalars ?? [], [0.2], relative: 0, absolute: 1e-6)
    }

    @Test("penalty loss terms have the values documented and the same gradients as apply(to:for:)")
    func penaltiesAsLossTerms() {
        // p = [0.5, -2, 0], q = [2]: Σ|p| = 4.5, ½ Σ p² = ½ (0.25 + 4 + 4) = 4.125
        let p = leaf([0.5, -2, 0])
        let q = leaf([2])
        let bag = ParameterBag([("p", p), ("q", q)])
        #expect(l1Penalty(of: bag).scalar == 4.5)
        #expect(l2Penalty(of: bag).scalar == 4.125)
        for regularization in [Regularization.l1(0.3), .l2(0.3)] {
            let loss = (p * Tensor(shape: [3], scalars: [1, 2, 3])).sum()
            let viaLoss = (loss + regularization.penalty(of: bag)).gradients()
            var viaGradients = loss.gradients()
            regularization.apply(to: &viaGradients, for: bag)
            for tensor in [p, q] {
                expectClose(
                    viaLoss[tensor]?.scalars ?? [], viaGradients[tensor]?.scalars ?? [], relative: 1e-6,
                    absolute: 1e-6, "\(regularization)")
            }
        }
    }
}
