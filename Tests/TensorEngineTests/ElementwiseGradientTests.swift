import TestSupport
import Testing

@testable import TensorEngine

@Suite("Elementwise ops: values and gradients")
struct ElementwiseGradientTests {
    @Test("unary functions match finite differences")
    func unaryGradients() {
        let x = randomInput([3, 4], seed: 1)
        let kinkFree = randomInputAwayFromZero([3, 4], seed: 2)
        let positive = randomInput([3, 4], seed: 3, in: 0.5...2)
        checkGradients([x]) { -$0[0] }
        checkGradients([x]) { $0[0].exp() }
        checkGradients([positive]) { $0[0].log() }
        checkGradients([positive]) { $0[0].sqrt() }
        checkGradients([kinkFree]) { $0[0].abs() }
        checkGradients([kinkFree]) { $0[0].relu() }
        checkGradients([kinkFree]) { $0[0].leakyRelu(slope: 0.1) }
        checkGradients([x]) { $0[0].sigmoid() }
        checkGradients([x]) { $0[0].tanh() }
        checkGradients([x]) { $0[0].gelu() }
    }

    @Test("scalar functions match finite differences")
    func scalarGradients() {
        let x = randomInput([2, 5], seed: 4)
        let positive = randomInput([2, 5], seed: 5, in: 0.5...2)
        checkGradients([x]) { $0[0] + 3 }
        checkGradients([x]) { $0[0] * -2.5 }
        checkGradients([x]) { 1.5 - $0[0] }
        checkGradients([positive]) { $0[0].pow(3) }
        checkGradients([positive]) { $0[0].pow(-0.5) }
        checkGradients([positive]) { 2 / $0[0] }
        checkGradients([x]) { $0[0].squared() }
        // Values stay at least 0.1 from the clamp bounds so differences never cross them.
        let clampInput = Tensor(shape: [4], scalars: [-0.9, -0.2, 0.3, 0.8], requiresGradient: true)
        checkGradients([clampInput]) { $0[0].clamped(to: -0.5...0.5) }
    }

    @Test("binary ops with broadcasting match finite differences")
    func binaryGradients() {
        let a = randomInput([2, 3, 4], seed: 6)
        let row = randomInput([4], seed: 7)
        let column = randomInput([2, 1, 4], seed: 8)
        let denominator = randomInput([3, 1], seed: 9, in: 0.5...2)
        let same = randomInput([2, 3, 4], seed: 10)
        checkGradients([a, same]) { $0[0] + $0[1] }
        checkGradients([a, row]) { $0[0] - $0[1] }
        checkGradients([a, column]) { $0[0] * $0[1] }
        checkGradients([a, denominator]) { $0[0] / $0[1] }
        checkGradients([row, a]) { $0[0] * $0[1] }
    }

    @Test("broadcast x[3,1] + y[1,4] gives dx = 4 and dy = 3")
    func broadcastHandCase() {
        // d/dx sum(x + y) counts how many outputs each element feeds: 4 for x, 3 for y.
        let x = Tensor(shape: [3, 1], scalars: [1, 2, 3], requiresGradient: true)
        let y = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4], requiresGradient: true)
        let grads = (x + y).sum().gradients()
        #expect(grads[x]?.scalars == [4, 4, 4])
        #expect(grads[y]?.scalars == [3, 3, 3, 3])
    }

    @Test("a reused input accumulates: d(x * x)/dx = 2x")
    func reusedInput() {
        let x = Tensor(shape: [3], scalars: [1, -2, 3], requiresGradient: true)
        let grads = (x * x).sum().gradients()
        #expect(grads[x]?.scalars == [2, -4, 6])
    }

    @Test("an unused input gets no gradient and a constant gets none")
    func unusedInputs() {
        let used = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let unused = Tensor(shape: [2], scalars: [1, 2], requiresGradient: true)
        let constant = Tensor(shape: [2], scalars: [5, 6])
        let grads = (used * constant).sum().gradients()
        #expect(grads[used]?.scalars == [5, 6])
        #expect(grads[unused] == nil)
        #expect(grads[constant] == nil)
    }

    @Test("forward values of the nonlinearities")
    func forwardValues() {
        let x = Tensor(shape: [5], scalars: [-2, -0.5, 0, 0.5, 2])
        expectClose(x.sigmoid().scalars, [0.119_202_92, 0.377_540_67, 0.5, 0.622_459_3, 0.880_797_1])
        expectClose(x.tanh().scalars, [-0.964_027_6, -0.462_117_16, 0, 0.462_117_16, 0.964_027_6])
        expectClose(x.gelu().scalars, [-0.045_500_26, -0.154_268_72, 0, 0.345_731_3, 1.954_499_7])
        expectClose(x.exp().scalars, [0.135_335_28, 0.606_530_66, 1, 1.648_721_3, 7.389_056])
        expectClose(
            Tensor(shape: [3], scalars: [-100, 0, 100]).exp().scalars, [3.720_076e-44, 1, 2.688_117e43],
            relative: 1e-3)
    }

    @Test("NaN and infinities pass through the nonlinearities without trapping")
    func nonFiniteInputs() {
        let x = Tensor(shape: [3], scalars: [.nan, .infinity, -.infinity])
        let exp = x.exp().scalars
        #expect(exp[0].isNaN && exp[1] > 1e38 && exp[2] == 0)
        let sigmoid = x.sigmoid().scalars
        #expect(sigmoid[0].isNaN && sigmoid[1] == 1 && sigmoid[2] < 1e-30)
        #expect(x.tanh().scalars[0].isNaN)
    }
}
