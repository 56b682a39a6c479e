import Testing

@testable import Evaluation

@Suite("Adjusted Rand index")
struct ClusterAgreementTests {
    @Test("the same partition scores 1 whatever the label names")
    func samePartition() {
        #expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1]) == 1)
        #expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]) == 1)
        // One cluster each, and no items at all: full agreement, as in scikit-learn.
        #expect(adjustedRandIndex([0, 0, 0], [5, 5, 5]) == 1)
        #expect(adjustedRandIndex([], []) == 1)
    }

    @Test("hand-checked values of partial and opposed agreement")
    func partialAgreement() {
        // Ordered pairs: together in both 2, in the first only 0, in the second only 2, apart
        // in both 8: 2 (2·8 - 0·2) / ((2 + 2)(2 + 8) + (2 + 0)(0 + 8)) = 32 / 56 = 4/7.
        #expect(abs(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]) - 0.571_428_571_428_571_5) < 1e-12)
        // No pair together in both, every pair together in one: 2 (0 - 4·4) / (4·8 + 4·8) = -0.5.
        #expect(abs(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) - -0.5) < 1e-12)
    }

    @Test("a larger labeling matches scikit-learn")
    func largerCase() {
        // adjusted_rand_score on the same two lists built in Python (scikit-learn 1.9.1):
        // a = [(i*7 + i//3) % 5 ...], b = [(i*i + 3) % 4 if i % 3 else a[i] ...], i < 1000.
        let a: [Int] = (0..<1000).map { i in (i * 7 + i / 3) % 5 }
        let b: [Int] = (0..<1000).map { i in i % 3 != 0 ? (i * i + 3) % 4 : a[i] }
        #expect(abs(adjustedRandIndex(a, b) - 0.086_781_556_727_158_07) < 1e-12)
    }

    @Test("the index is symmetric")
    func symmetric() {
        let a = [0, 0, 1, 1, 2, 2, 2, 0]
        let b = [1, 0, 1, 1, 2, 0, 2, 2]
        #expect(abs(adjustedRandIndex(a, b) - adjustedRandIndex(b, a)) < 1e-15)
    }
}
