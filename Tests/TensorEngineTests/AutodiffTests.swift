import Randomness
import TestSupport
import Testing

@testable import TensorEngine

@Suite("Autodiff driver")
struct AutodiffTests {
    @Test("d/dx of x^2 + 5x is 2x + 5")
    func polynomial() {
        let x = Tensor(shape: [3], scalars: [-1, 0, 2], requiresGradient: true)
        let grads = (x.squared() + 5 * x).sum().gradients()
        #expect(grads[x]?.scalars == [3, 5, 9])
    }

    @Test("no graph is recorded without gradients")
    func noRecording() {
        let w = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let y = Tensor.withoutGradients { (w * w).sum() }
        #expect(!y.requiresGradient)
        #expect(y.node.op == nil)
        #expect(Tensor.isRecordingGradients)
    }

    @Test("gradients for some leaves only: the others are constants, and the wanted gradient is unchanged")
    func onlySomeLeaves() {
        let x = Tensor(shape: [2, 3], scalars: [1, -2, 0.5, 3, 0, -1], requiresGradient: true)
        let w = Tensor(shape: [3, 2], scalars: [0.2, -0.4, 1, 0.3, -0.7, 0.9], requiresGradient: true)
        let full = x.matmul(w).tanh().sum().gradients()
        let (only, wDuring) = Tensor.withGradients(onlyFor: [x]) {
            (x.matmul(w).tanh().sum().gradients(), w.requiresGradient)
        }
        #expect(only[x]?.scalars == full[x]?.scalars)
        #expect(only[w] == nil && only.count == 1 && !wDuring)
        #expect(w.requiresGradient && full[w] != nil)
        // Nothing that reads only constants is recorded.
        let alone = Tensor.withGradients(onlyFor: [x]) { w.tanh() }
        #expect(alone.node.op == nil)
    }

    @Test("the graph is freed once the loss is gone")
    func graphIsFreed() {
        weak var intermediate: TensorNode?
        let w = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        do {
            let hidden = w.tanh()
            intermediate = hidden.node
            let loss = (hidden * hidden).sum()
            _ = loss.gradients()
            #expect(intermediate != nil)
        }
        #expect(intermediate == nil)
    }

    @Test("a long chain backpropagates without overflowing the stack")
    func longChain() {
        let x = Tensor(shape: [1], scalars: [1], requiresGradient: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0 }
        #expect(y.sum().gradients()[x]?.scalars == [1])
    }

    @Test("a seed gradient for a non-scalar output")
    func seededBackward() {
        let x = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let grads = (x * 3).gradients(seed: Tensor(shape: [2], scalars: [1, 10]))
        #expect(grads[x]?.scalars == [3, 30])
    }

    @Test("kernels split across threads give the same results as one thread")
    func parallelKernels() {
        var rng = RandomGenerator(seed: 5)
        let a = Tensor.normal([300, 257], generator: &rng)
        let b = Tensor.normal([257], generator: &rng)
        let single = ((a * b).tanh().sum(axis: 1) + a.softmax().max(axis: 1)).scalars
        Engine.kernelThreadCount = 2
        defer { Engine.kernelThreadCount = 1 }
        let split = ((a * b).tanh().sum(axis: 1) + a.softmax().max(axis: 1)).scalars
        #expect(single == split)
    }
}

@Suite("Random generator")
struct RandomGeneratorTests {
    @Test("the same seed gives the same stream")
    func reproducible() {
        var a = RandomGenerator(seed: 42)
        var b = RandomGenerator(seed: 42)
        var c = RandomGenerator(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
    }

    @Test("uniform, normal and bernoulli have the right moments")
    func moments() {
        var rng = RandomGenerator(seed: 1)
        let n = 20_000
        let u = Tensor.uniform([n], in: 2...4, generator: &rng).scalars
        let z = Tensor.normal([n], mean: 1, standardDeviation: 2, generator: &rng).scalars
        let bits = Tensor.bernoulli([n], probability: 0.3, generator: &rng).scalars
        let mean: ([Float]) -> Float = { $0.reduce(0, +) / Float($0.count) }
        #expect(Swift.abs(mean(u) - 3) < 0.02)
        #expect(u.allSatisfy { (2...4).contains($0) })
        #expect(Swift.abs(mean(z) - 1) < 0.05)
        let variance = mean(z.map { ($0 - 1) * ($0 - 1) })
        #expect(Swift.abs(variance - 4) < 0.15)
        #expect(Swift.abs(mean(bits) - 0.3) < 0.02)
    }

    @Test("permutation holds every index once")
    func permutation() {
        var rng = RandomGenerator(seed: 8)
        let p = rng.permutation(100)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }
}
