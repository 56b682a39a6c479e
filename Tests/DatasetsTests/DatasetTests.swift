import Datasets
import Foundation
import TensorEngine
import Testing

@testable import EventData

@Suite("TabularBatches")
struct TabularBatchesTests {
    /// Row `r` has features `[r, 10r]` and label `r`, so every batch can be checked by hand.
    private func data(rows: Int, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 3, dropLast: Bool = false)
        throws -> TabularBatches
    {
        try TabularBatches(
            features: (0..<rows).map { [Float($0), Float(10 * $0)] }, labels: (0..<rows).map(Float.init),
            batchSize: batchSize, shuffle: shuffle, seed: seed, dropLast: dropLast)
    }

    @Test("batch shapes and contents; the last partial batch is kept")
    func shapesAndContents() throws {
        let batches = Array(try data(rows: 7, batchSize: 3, shuffle: false))
        #expect(batches.map(\.x.shape) == [[3, 2], [3, 2], [1, 2]])
        #expect(batches.map(\.y.shape) == [[3], [3], [1]])
        #expect(batches[1].x.scalars == [3, 30, 4, 40, 5, 50])
        #expect(batches[1].y.scalars == [3, 4, 5])
        #expect(batches[2].rows == [6])
    }

    @Test("dropLast skips the partial batch")
    func dropLast() throws {
        let batches = try data(rows: 7, batchSize: 3, dropLast: true).batches(epoch: 0)
        #expect(batches.count == 2)
        #expect(batches.allSatisfy { $0.x.shape == [3, 2] })
    }

    @Test("every row appears exactly once per epoch, with features and label matching")
    func everyRowOnce() throws {
        let dataset = try data(rows: 103, batchSize: 10)
        for epoch in 0..<3 {
            var seen = [Int]()
            for batch in dataset.batches(epoch: epoch) {
                let x = batch.x.scalars
                for (i, row) in batch.rows.enumerated() {
                    #expect(x[2 * i] == Float(row) && x[2 * i + 1] == Float(10 * row))
                    #expect(batch.y.scalars[i] == Float(row))
                }
                seen += batch.rows
            }
            #expect(seen.sorted() == Array(0..<103))
        }
    }

    @Test("same seed gives the same order; other epochs and seeds give other orders")
    func determinism() throws {
        let a = try data(rows: 50, batchSize: 8, seed: 9)
        let b = try data(rows: 50, batchSize: 8, seed: 9)
        #expect(a.order(epoch: 2) == b.order(epoch: 2))
        #expect(a.batches(epoch: 2).map(\.rows) == b.batches(epoch: 2).map(\.rows))
        #expect(a.order(epoch: 0) != a.order(epoch: 1))
        #expect(a.order(epoch: 0) != (try data(rows: 50, batchSize: 8, seed: 10)).order(epoch: 0))
        #expect(Array(a).map(\.rows) == a.batches(epoch: 0).map(\.rows))
    }

    @Test("bad shapes and batch sizes are errors naming the option")
    func badInput() {
        #expect(throws: EventDataError.self) {
            try TabularBatches(features: [[1, 2], [3]], labels: [0, 1], batchSize: 2)
        }
        #expect(throws: EventDataError.self) {
            try TabularBatches(features: [1, 2, 3], featureCount: 2, labels: [0, 1], batchSize: 2)
        }
        #expect(throws: EventDataError.self) {
            try TabularBatches(features: [[1]], labels: [0], batchSize: 0)
        }
        #expect(throws: EventDataError.self) {
            try TabularBatches(features: [], labels: [0, 1], batchSize: 2)
        }
        #expect(
            (try? TabularBatches(features: [], featureCount: 4, labels: [], batchSize: 2))?.batches(epoch: 0).count == 0
        )
    }
}

@Suite("SequenceBatcher")
struct SequenceBatcherTests {
    @Test("left padding: tokens are ids + 1, padding first, long sequences keep their last items")
    func leftPadding() throws {
        let batcher = try SequenceBatcher(maxLength: 4)
        let batch = try batcher.batch([[0, 5], [1, 2, 3, 4, 5, 6], []])
        #expect(batch.tokens.shape == [3, 4])
        #expect(batch.tokens.indices == [0, 0, 1, 6] + [4, 5, 6, 7] + [0, 0, 0, 0])
        #expect(batch.mask.shape == [3, 4])
        #expect(batch.mask.scalars == [0, 0, 1, 1] + [1, 1, 1, 1] + [0, 0, 0, 0])
        #expect(batch.lengths == [2, 4, 0])
    }

    @Test("right padding puts the items first")
    func rightPadding() throws {
        let batcher = try SequenceBatcher(maxLength: 3, padding: .right)
        let batch = try batcher.batch([[7], [1, 2, 3, 4]])
        #expect(batch.tokens.indices == [8, 0, 0] + [3, 4, 5])
        #expect(batch.mask.scalars == [1, 0, 0] + [1, 1, 1])
    }

    @Test("token and item conversions")
    func conversions() {
        #expect(SequenceBatcher.token(forItem: 0) == 1)
        #expect(SequenceBatcher.item(forToken: 1) == 0)
        #expect(SequenceBatcher.item(forToken: SequenceBatcher.paddingToken) == nil)
    }

    @Test("next-item pairs: input seq[0..<n-1], target seq[1..<n], padded and truncated alike")
    func nextItemPairs() throws {
        let left = try SequenceBatcher(maxLength: 3).nextItemPairs([[10, 11, 12], [1, 2, 3, 4, 5], [9]])
        #expect(left.input.shape == [3, 3] && left.target.shape == [3, 3] && left.mask.shape == [3, 3])
        #expect(left.input.indices == [0, 11, 12] + [3, 4, 5] + [0, 0, 0])
        #expect(left.target.indices == [0, 12, 13] + [4, 5, 6] + [0, 0, 0])
        #expect(left.mask.scalars == [0, 1, 1] + [1, 1, 1] + [0, 0, 0])
        #expect(left.lengths == [2, 3, 0])

        let right = try SequenceBatcher(maxLength: 3, padding: .right).nextItemPairs([[10, 11, 12]])
        #expect(right.input.indices == [11, 12, 0])
        #expect(right.target.indices == [12, 13, 0])
        #expect(right.mask.scalars == [1, 1, 0])
    }

    @Test("evaluation examples give padded histories and target tokens")
    func examples() throws {
        let batcher = try SequenceBatcher(maxLength: 2)
        let (history, targets) = try batcher.batch([
            NextItemExample(history: [1, 2, 3], target: 4), NextItemExample(history: [0], target: 9),
        ])
        #expect(history.tokens.indices == [3, 4, 0, 1])
        #expect(targets == IndexTensor([5, 10]))
    }

    @Test("negative ids and non-positive lengths are errors")
    func badInput() {
        #expect(throws: EventDataError.self) { try SequenceBatcher(maxLength: 0) }
        #expect(throws: EventDataError.self) { try SequenceBatcher(maxLength: 2).batch([[1], [-1]]) }
        #expect(throws: EventDataError.self) { try SequenceBatcher(maxLength: 2).nextItemPairs([[-3, 1]]) }
    }
}

@Suite("NegativeSampler")
struct NegativeSamplerTests {
    @Test("negatives are never in the user's set, over many draws")
    func neverInteracted() throws {
        var sampler = try NegativeSampler(itemCount: 50, seed: 1)
        let interacted = Set(0..<40)
        let draws = sampler.negatives(count: 2000, excluding: interacted)
        #expect(draws.count == 2000)
        #expect(draws.allSatisfy { $0 >= 40 && $0 < 50 })
        #expect(Set(draws).count == 10)  // uniform over the ten untouched items: all of them show up
    }

    @Test("a user with one untouched item gets it; one who touched everything gets nothing")
    func nearlyEverything() throws {
        var sampler = try NegativeSampler(itemCount: 1000, seed: 2)
        let allButOne = Set(0..<1000).subtracting([417])
        #expect(sampler.negative(excluding: allButOne) == 417)
        #expect(sampler.sampled(count: 100, excluding: allButOne) == [417])
        let everything = Set(0..<1000)
        #expect(sampler.negative(excluding: everything) == nil)
        #expect(sampler.negatives(count: 5, excluding: everything).isEmpty)
        #expect(sampler.sampled(count: 100, excluding: everything).isEmpty)
    }

    @Test("sampled(count: 100) gives 100 distinct untouched items, sparse and dense users alike")
    func sampledDistinct() throws {
        var sampler = try NegativeSampler(itemCount: 500, seed: 3)
        for interacted in [Set([1, 2, 3]), Set(0..<350), Set(stride(from: 0, to: 500, by: 2))] {
            let candidates = sampler.sampled(count: 100, excluding: interacted)
            #expect(candidates.count == 100)
            #expect(Set(candidates).count == 100)
            #expect(candidates.allSatisfy { !interacted.contains($0) && $0 >= 0 && $0 < 500 })
        }
    }

    @Test("the same seed gives the same draws; another seed other draws")
    func determinism() throws {
        func draws(_ seed: UInt64) throws -> [[Int]] {
            var sampler = try NegativeSampler(itemCount: 300, seed: seed)
            return [
                sampler.negatives(count: 20, excluding: [1, 2]), sampler.sampled(count: 100, excluding: Set(0..<200)),
            ]
        }
        #expect(try draws(5) == draws(5))
        #expect(try draws(5) != draws(6))
    }

    @Test("one negative token per real position of a next-item batch, padding elsewhere")
    func batchNegatives() throws {
        let pairs = try SequenceBatcher(maxLength: 4).nextItemPairs([[0, 1, 2], [3, 4, 5, 6, 7]])
        var sampler = try NegativeSampler(itemCount: 10, seed: 4)
        let interacted = [Set([0, 1, 2]), Set([3, 4, 5, 6, 7])]
        let negatives = sampler.negatives(for: pairs, interacted: interacted)
        #expect(negatives.shape == [2, 4])
        let mask = pairs.mask.scalars
        for row in 0..<2 {
            for column in 0..<4 {
                let token = negatives.indices[row * 4 + column]
                if mask[row * 4 + column] == 0 {
                    #expect(token == SequenceBatcher.paddingToken)
                } else {
                    let item = try #require(SequenceBatcher.item(forToken: token))
                    #expect(!interacted[row].contains(item) && item < 10)
                }
            }
        }
    }

    @Test("a non-positive item count is an error")
    func badItemCount() {
        #expect(throws: EventDataError.self) { try NegativeSampler(itemCount: 0, seed: 1) }
    }
}

@Suite("EventSequenceEncoder")
struct EventSequenceEncoderTests {
    @Test func theSequenceInputCarriesTokensGapValueAndAgeAtTheCutoff() throws {
        let items = Vocabulary(externalIDs: ["a", "b"])
        let history = UserHistory(
            user: 0, userID: "u",
            events: [
                StoredEvent(timestamp: 1_000_000, type: .view, item: 0, category: "c", sourceID: 1, line: 1),
                StoredEvent(timestamp: 1_060_000, type: .cart, item: 1, value: 19, category: "c", sourceID: 1, line: 2),
            ])
        let encoder = EventSequenceEncoder.fit([history], itemIDs: items, maxLength: 3)
        let batch = encoder.batch([history], itemIDs: items, referenceTime: 1_060_000 + 3_600_000)
        #expect(batch.lengths == [2])
        #expect(batch.types.indices == [2, 3, 0] || batch.types.indices == [3, 2, 0])
        #expect(batch.numbers.shape == [1, 3, EventSequenceEncoder.numberCount])
        let expected: [Float] = [
            0, 0, Float(log1p(3_660.0) / 10),  // first event: no gap, no value, 61 minutes old
            Float(log1p(60.0) / 10), Float(log1p(19.0) / 5), Float(log1p(3_600.0) / 10),
            0, 0, 0,  // padding
        ]
        for (got, want) in zip(batch.numbers.scalars, expected) { #expect(abs(got - want) < 1e-6) }
    }
}
