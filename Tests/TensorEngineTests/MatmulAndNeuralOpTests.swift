import Randomness
import TestSupport
import Testing

@testable import TensorEngine

@Suite("Matmul and fused neural-network ops")
struct MatmulAndNeuralOpTests {
    @Test("matmul values on a hand case, with and without transposed reads")
    func matmulValues() {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        #expect(a.matmul(b).scalars == [58, 64, 139, 154])
        #expect(
            a.transposed().matmul(b.transposed(), transposeA: true, transposeB: true).scalars == [58, 64, 139, 154])
        #expect(a.matmul(a, transposeB: true).scalars == [14, 32, 32, 77])
        #expect(a.matmul(a, transposeA: true).shape == [3, 3])
    }

    @Test("matmul gradients for every transpose combination and batching")
    func matmulGradients() {
        let a = randomInput([3, 4], seed: 21)
        let b = randomInput([4, 2], seed: 22)
        let at = randomInput([4, 3], seed: 23)
        let bt = randomInput([2, 4], seed: 24)
        checkGradients([a, b]) { $0[0].matmul($0[1]) }
        checkGradients([a, bt]) { $0[0].matmul($0[1], transposeB: true) }
        checkGradients([at, b]) { $0[0].matmul($0[1], transposeA: true) }
        checkGradients([at, bt]) { $0[0].matmul($0[1], transposeA: true, transposeB: true) }
        let batchA = randomInput([2, 3, 4], seed: 25)
        let batchB = randomInput([2, 4, 5], seed: 26)
        let batchBt = randomInput([2, 5, 4], seed: 27)
        checkGradients([batchA, batchB]) { $0[0].matmul($0[1]) }
        checkGradients([batchA, batchBt]) { $0[0].matmul($0[1], transposeB: true) }
        checkGradients([batchA, b]) { $0[0].matmul($0[1]) }
        checkGradients([batchA, bt]) { $0[0].matmul($0[1], transposeB: true) }
        let addend = randomInput([3, 2], seed: 28)
        checkGradients([a, b, addend]) { $0[0].matmul($0[1], adding: $0[2]) }
        checkGradients([a, bt, addend]) { $0[0].matmul($0[1], transposeB: true, adding: $0[2]) }
        expectClose(a.matmul(b, adding: addend), a.matmul(b) + addend, relative: 1e-6, absolute: 1e-6)
    }

    @Test("softmax and log-softmax along any axis")
    func softmaxGradients() {
        let x = randomInput([2, 3, 4], seed: 31, in: -2...2)
        for axis in [0, 1, 2] {
            checkGradients([x]) { $0[0].softmax(axis: axis) }
            checkGradients([x]) { $0[0].logSoftmax(axis: axis) }
        }
        let row = Tensor(shape: [1, 3], scalars: [1, 2, 3])
        expectClose(row.softmax().scalars, [0.090_030_57, 0.244_728_48, 0.665_240_94])
        expectClose(row.logSoftmax().scalars, [-2.407_605_7, -1.407_605_7, -0.407_605_7])
        // Huge logits stay finite.
        let big = Tensor(shape: [2], scalars: [1000, 0]).logSoftmax()
        expectClose(big.scalars, [0, -1000])
    }

    @Test("normalisation and layer norm")
    func layerNormGradients() {
        let x = randomInput([3, 5], seed: 32, in: -2...2)
        let gamma = randomInput([5], seed: 33)
        let beta = randomInput([5], seed: 34)
        checkGradients([x]) { $0[0].normalized() }
        checkGradients([x, gamma, beta]) { $0[0].layerNormalized(gamma: $0[1], beta: $0[2]) }
        let y = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]).normalized(epsilon: 0)
        expectClose(y.scalars, [-1.341_640_8, -0.447_213_6, 0.447_213_6, 1.341_640_8])
    }

    @Test("dropout is seeded, scaled and routes gradient through kept elements")
    func dropout() {
        let x = Tensor.ones([1000])
        var rng = RandomGenerator(seed: 3)
        let y = x.dropout(probability: 0.25, generator: &rng)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.75) < 1e-6 })
        #expect((700...800).contains(kept.count))
        var again = RandomGenerator(seed: 3)
        #expect(x.dropout(probability: 0.25, generator: &again).scalars == y.scalars)
        let input = randomInput([4, 5], seed: 35)
        checkGradients([input]) { xs in
            var fixed = RandomGenerator(seed: 9)
            return xs[0].dropout(probability: 0.5, generator: &fixed)
        }
    }

    @Test("1-D convolution through im2col")
    func convolution() {
        let x = randomInput([2, 3, 7], seed: 36)
        let w = randomInput([4, 3, 3], seed: 37)
        let b = randomInput([4], seed: 38)
        checkGradients([x]) { $0[0].im2col(kernelSize: 3, stride: 2, padding: 1, dilation: 2) }
        checkGradients([x, w, b]) { $0[0].conv1d(weight: $0[1], bias: $0[2], padding: 1) }
        // Hand case: a [1, 1, 4] signal with kernel [1, 0, -1] and padding 1.
        let signal = Tensor(shape: [1, 1, 4], scalars: [1, 2, 4, 8])
        let kernel = Tensor(shape: [1, 1, 3], scalars: [1, 0, -1])
        #expect(signal.conv1d(weight: kernel, padding: 1).scalars == [-2, -3, -6, 4])
    }
}

@Suite("Fused LSTM step")
struct FusedLSTMStepTests {
    @Test("cell and hidden states match the unfused formulas and finite differences")
    func lstmStep() {
        let gates = randomInput([3, 8], seed: 41, in: -2...2)
        let previous = randomInput([3, 2], seed: 42)
        let cell = Tensor.lstmCellState(gates: gates, previousCell: previous)
        let parts = gates.split(sizes: [2, 2, 2, 2], axis: 1)
        let expectedCell = parts[1].sigmoid() * previous + parts[0].sigmoid() * parts[2].tanh()
        expectClose(cell, expectedCell, relative: 1e-5, absolute: 1e-6)
        let hidden = Tensor.lstmHiddenState(gates: gates, cell: cell)
        expectClose(hidden, parts[3].sigmoid() * expectedCell.tanh(), relative: 1e-5, absolute: 1e-6)
        checkGradients([gates, previous]) { Tensor.lstmCellState(gates: $0[0], previousCell: $0[1]) }
        checkGradients([gates, previous]) { xs in
            Tensor.lstmHiddenState(gates: xs[0], cell: Tensor.lstmCellState(gates: xs[0], previousCell: xs[1]))
        }
    }
}
