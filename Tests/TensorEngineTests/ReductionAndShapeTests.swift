import Randomness
import TestSupport
import Testing

@testable import TensorEngine

@Suite("Reductions, shapes and indexing")
struct ReductionAndShapeTests {
    @Test("sum, mean and max along axes match finite differences")
    func reductionGradients() {
        let x = randomInput([2, 3, 4], seed: 11)
        // Distinct values 0.1 apart, so no finite-difference step changes which element wins.
        var rng = RandomGenerator(seed: 19)
        let spread = Tensor(
            shape: [2, 3, 4], scalars: rng.permutation(24).map { Float($0) * 0.1 }, requiresGradient: true)
        for axis in 0..<3 {
            checkGradients([x]) { $0[0].sum(axis: axis) }
            checkGradients([x]) { $0[0].mean(axis: axis, keepingDimension: true) }
            checkGradients([spread]) { $0[0].max(axis: axis) }
        }
        checkGradients([x]) { $0[0].sum() }
        checkGradients([x]) { $0[0].sum(axes: [0, 2]) }
        checkGradients([x]) { $0[0].mean(axes: [-1, 1], keepingDimensions: true) }
        checkGradients([x]) { $0[0].mean() }
        checkGradients([x]) { $0[0].variance(axis: -1) }
    }

    @Test("sum and max values on a hand case")
    func reductionValues() {
        let x = Tensor(shape: [2, 3], scalars: [1, 5, 3, -4, 2, 0])
        #expect(x.sum(axis: 0).scalars == [-3, 7, 3])
        #expect(x.sum(axis: 1).scalars == [9, -2])
        #expect(x.max(axis: 1).scalars == [5, 2])
        #expect(x.max(axis: 0, keepingDimension: true).shape == [1, 3])
        #expect(x.sum().scalar == 7)
        #expect(x.sum(axes: [0, 1]).scalar == 7)
        #expect(x.mean(axes: [1], keepingDimensions: true).scalars == [3, -2.0 / 3])
        // Long rows use the vectorised path.
        let long = Tensor(shape: [1, 37], scalars: (0..<37).map(Float.init))
        #expect(long.sum(axis: 1).scalar == 666)
        #expect(long.max(axis: 1).scalar == 36)
    }

    @Test("reshape, permute and transpose route gradients back")
    func shapeGradients() {
        let x = randomInput([2, 3, 4], seed: 12)
        checkGradients([x]) { $0[0].reshaped([4, -1]) * $0[0].reshaped([4, 6]) }
        checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([x]) { $0[0].transposed(0, 2) }
        let p = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).transposed()
        #expect(p.shape == [3, 2])
        #expect(p.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test("concat, slice and split route gradients back")
    func concatSliceGradients() {
        let a = randomInput([2, 3], seed: 13)
        let b = randomInput([2, 2], seed: 14)
        checkGradients([a, b]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1) }
        checkGradients([a]) { $0[0].slice(axis: 1, 1..<3) }
        checkGradients([a]) { x in
            let parts = x[0].split(sizes: [1, 2], axis: 1)
            return parts[1] * parts[0]
        }
        let joined = Tensor.concatenate(
            [Tensor(shape: [1, 2], scalars: [1, 2]), Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])], axis: 0)
        #expect(joined.scalars == [1, 2, 3, 4, 5, 6])
        #expect(joined.slice(axis: 0, 1..<2).scalars == [3, 4])
    }

    @Test("index select (embedding lookup) scatter-adds repeated rows")
    func indexSelect() {
        let table = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6], requiresGradient: true)
        let ids = IndexTensor(shape: [2, 2], indices: [2, 0, 2, 1])
        let rows = table.indexSelect(ids)
        #expect(rows.shape == [2, 2, 2])
        #expect(rows.scalars == [5, 6, 1, 2, 5, 6, 3, 4])
        // Row 2 is read twice, so its gradient is 2; rows 0 and 1 once each.
        let grads = rows.sum().gradients()
        #expect(grads[table]?.scalars == [1, 1, 1, 1, 2, 2])
        let x = randomInput([2, 4, 3], seed: 15)
        checkGradients([x]) { $0[0].indexSelect(axis: 1, IndexTensor([3, 0, 3])) }
        checkGradients([x]) { $0[0].gatherLast(IndexTensor(shape: [2, 4], indices: [0, 2, 1, 1, 2, 0, 0, 1])) }
    }

    @Test("masked fill and select pass gradients only where kept")
    func maskAndSelect() {
        let x = randomInput([2, 3], seed: 16)
        let y = randomInput([2, 3], seed: 17)
        let mask = Tensor(shape: [1, 3], scalars: [0, 1, 0])
        checkGradients([x]) { $0[0].maskedFill(mask, with: -5) }
        let filled = Tensor(shape: [1, 3], scalars: [1, 2, 3]).maskedFill(mask, with: -9)
        #expect(filled.scalars == [1, -9, 3])
        let condition = Tensor(shape: [2, 1], scalars: [1, 0])
        checkGradients([x, y]) { Tensor.select(condition, $0[0], $0[1]) }
        let chosen = Tensor.select(condition, Tensor.ones([2, 3]), Tensor.zeros([2, 3]))
        #expect(chosen.scalars == [1, 1, 1, 0, 0, 0])
    }

    @Test("broadcast(to:) and its adjoint")
    func broadcastTo() {
        let x = randomInput([3, 1], seed: 18)
        checkGradients([x]) { $0[0].broadcast(to: [2, 3, 4]) }
        #expect(Tensor(shape: [2], scalars: [1, 2]).broadcast(to: [2, 2]).scalars == [1, 2, 1, 2])
    }
}
