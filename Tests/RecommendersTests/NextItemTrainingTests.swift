import Datasets
import Evaluation
import EventData
import Foundation
import Randomness
import TensorEngine
import Testing

@testable import Recommenders

@Suite struct NextItemDataTests {
    @Test func leaveOneOutByTimeWithHistoriesForValidationAndTest() throws {
        let events = [
            Event(userID: "a", timestamp: 3, type: .view, itemID: "z"),
            Event(userID: "a", timestamp: 1, type: .view, itemID: "x"),
            Event(userID: "a", timestamp: 2, type: .view, itemID: "y"),
            Event(userID: "a", timestamp: 4, type: .view, itemID: "x"),
            Event(userID: "b", timestamp: 1, type: .view, itemID: "y"),
            Event(userID: "b", timestamp: 2, type: .view, itemID: "z"),
        ]
        let data = try NextItemData.load(from: try store(with: events))
        let id = { (index: Int) in data.items[index] }
        #expect(data.users.count == 2)
        let validation = try #require(data.validationExamples.first)
        let test = try #require(data.testExamples.first)
        #expect(validation.history.map(id) == ["x", "y"] && id(validation.target) == "z")
        #expect(test.history.map(id) == ["x", "y", "z"] && id(test.target) == "x")
        #expect(Set(test.touched.map(id)) == ["x", "y", "z"])
        // b has two items: training only.
        #expect(data.validationExamples.count == 1 && data.users[1].train.map(id) == ["y", "z"])
    }

    @Test func aCatalogueRenumbersItemsAndLeavesOutUnknownOnes() throws {
        let events = [
            Event(userID: "a", timestamp: 1, type: .view, itemID: "x"),
            Event(userID: "a", timestamp: 2, type: .view, itemID: "new"),
            Event(userID: "a", timestamp: 3, type: .view, itemID: "y"),
        ]
        let data = try NextItemData.load(from: try store(with: events), catalogue: Vocabulary(externalIDs: ["y", "x"]))
        #expect(data.users.first?.train == [1, 0])
        #expect(data.itemCount == 2)
    }

    @Test func aStoreWithoutItemsIsNotEnoughData() throws {
        let events = [Event(userID: "a", timestamp: 1, type: .search)]
        #expect(throws: RecommenderError.self) { try NextItemData.load(from: try store(with: events)) }
    }

    @Test func slidingWindowsTrainEveryPairOnce() throws {
        let data = NextItemData(
            users: [
                LeaveOneOutUser(user: 0, train: [0, 1, 2, 3, 4], validation: nil, test: nil),
                LeaveOneOutUser(user: 1, train: [5], validation: nil, test: nil),
            ],
            items: Vocabulary(externalIDs: (0..<6).map { "i\($0)" }), userIDs: Vocabulary(externalIDs: ["a", "b"]))
        var config = try NextItemConfig.defaults(for: .sasrec).applying(settings: ["max-length": 2])
        config.slidingWindows = true
        let windows = try NextItemTrainer(config: config, data: data).trainingRows()
        #expect(windows.map(\.items) == [[2, 3, 4], [0, 1, 2]])
        #expect(windows.allSatisfy { $0.user == 0 })
        config.slidingWindows = false
        #expect(try NextItemTrainer(config: config, data: data).trainingRows().map(\.items) == [[2, 3, 4]])
    }

    @Test func bothProtocolsAgreeWithThePerExampleEvaluator() {
        var rng = RandomGeneratorBox(seed: 3)
        let examples = (0..<40).map { _ in
            RankingExample(history: [rng.next(30)], target: rng.next(30), touched: [rng.next(30)])
        }
        let scores = (0..<30).map { Float(($0 * 7) % 30) }
        let metrics = NextItemEvaluation(itemCount: 30, batchSize: 7).evaluate(examples) { $0.map { _ in scores } }
        for rankingProtocol in RankingProtocol.allCases {
            let expected = LeaveOneOutEvaluator(protocol: rankingProtocol, itemCount: 30, seed: 1)
                .evaluate(examples) { _ in scores }.values
            #expect(metrics[rankingProtocol].values == expected)
        }
    }
}

/// A seeded integer source for building examples.
struct RandomGeneratorBox {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}

@Suite(.serialized) struct NextItemTrainingTests {
    static func smallConfig(_ kind: NextItemModelKind) -> NextItemConfig {
        var config = NextItemConfig.defaults(for: kind)
        switch kind {
        case .sasrec:
            config.architecture = .sasrec(
                SASRecConfig(maxLength: 12, hidden: 16, blocks: 1, heads: 1, feedForwardSize: 16, dropout: 0.1))
        case .gru4rec:
            config.architecture = .gru4rec(
                GRU4RecConfig(maxLength: 12, hidden: 16, stateSize: 32, layers: 1, dropout: 0.1))
        case .pop:
            break
        }
        config.loss = kind == .sasrec ? .bce : .ce
        config.minimumImprovement = 0
        config.learningRate = 0.01
        config.batchSize = 32
        config.epochs = 12
        config.evaluateEvery = 4
        config.patience = 0
        config.seed = 5
        return config
    }

    static let data: NextItemData = {
        // Building an in-memory store cannot fail here; a failure would show as a trap.
        guard let store = try? store(with: cyclicShop()), let data = try? NextItemData.load(from: store) else {
            preconditionFailure("could not build the cyclic shop")
        }
        return data
    }()

    @Test func sasrecAndGRU4RecBeatPopularityOnASequentialShop() throws {
        let pop = try NextItemTrainer(config: .defaults(for: .pop), data: Self.data).train()
        let popNDCG = pop.metrics.test?.full.ndcg(at: 10) ?? 1
        #expect(popNDCG < 0.35)
        for kind in [NextItemModelKind.sasrec, .gru4rec] {
            var records: [NextItemEpoch] = []
            let outcome = try NextItemTrainer(config: Self.smallConfig(kind), data: Self.data)
                .train(epochEnd: { records.append($0) })
            let ndcg = outcome.metrics.test?.full.ndcg(at: 10) ?? 0
            // The planted successor is right 90% of the time: a model that learned it ranks the
            // target first for most users; popularity cannot.
            #expect(ndcg > popNDCG + 0.3, "\(kind): test NDCG@10 \(ndcg) vs popularity \(popNDCG)")
            #expect(records.count == 12 && records.filter { $0.validation != nil }.count == 3)
            #expect(records.last.map { $0.loss < records[0].loss } == true, "\(kind): loss did not fall")
            #expect(outcome.bestEpoch > 0)
            for split in EvaluationSplit.allCases {
                for rankingProtocol in RankingProtocol.allCases {
                    #expect(outcome.metrics[split]?[rankingProtocol].values.count == 9)
                }
            }
        }
    }

    @Test func theSameSeedGivesTheSameMetrics() throws {
        var config = Self.smallConfig(.sasrec)
        config.epochs = 2
        let first = try NextItemTrainer(config: config, data: Self.data).train()
        let second = try NextItemTrainer(config: config, data: Self.data).train()
        #expect(first.metrics == second.metrics)
        #expect(
            first.history.epochs
                == second.history.epochs.map {
                    var r = $0
                    r.trainSeconds = first.history.epochs[$0.epoch - 1].trainSeconds
                    return r
                })
    }

    @Test func everyLossTrains() throws {
        for loss in NextItemLoss.allCases {
            var config = Self.smallConfig(.sasrec)
            config.loss = loss
            config.negatives = 5
            config.epochs = 2
            config.evaluateEvery = 2
            let outcome = try NextItemTrainer(config: config, data: Self.data).train()
            #expect(outcome.history.epochs.allSatisfy { $0.loss.isFinite && $0.loss > 0 }, "\(loss)")
        }
    }

    @Test func aTimeBudgetStopsTraining() throws {
        var config = Self.smallConfig(.gru4rec)
        config.epochs = 1_000
        config.timeBudget = 0.5
        let outcome = try NextItemTrainer(config: config, data: Self.data).train()
        #expect(outcome.history.epochs.count < 1_000)
        #expect(outcome.history.stopReason == .timeBudget(seconds: 0.5, epoch: outcome.history.epochs.count))
        #expect(outcome.history.epochs.last?.validation != nil)
    }

    @Test func earlyStoppingKeepsTheBestEpoch() throws {
        var config = Self.smallConfig(.sasrec)
        config.learningRate = 0.000_001
        config.epochs = 40
        config.evaluateEvery = 1
        config.patience = 2
        let outcome = try NextItemTrainer(config: config, data: Self.data).train()
        #expect(outcome.history.epochs.count < 40)
        #expect(outcome.history.stopReason == .converged(patience: 2, minimumImprovement: 0))
        let best = outcome.history.epochs.filter(\.isBest).last
        #expect(best?.epoch == outcome.bestEpoch)
    }

    @Test func tooLittleDataIsAClearError() throws {
        let data = NextItemData(
            users: [LeaveOneOutUser(user: 0, train: [0], validation: nil, test: nil)],
            items: Vocabulary(externalIDs: ["x"]), userIDs: Vocabulary(externalIDs: ["a"]))
        #expect(throws: RecommenderError.self) { try NextItemTrainer(config: .defaults(for: .sasrec), data: data) }
    }
}

@Suite struct SASRecServingTests {
    @Test func theLastPositionShortcutEqualsTheFullForward() throws {
        var rng = RandomGeneratorBox(seed: 9)
        var generator = Randomness.RandomGenerator(seed: 1)
        let model = SASRec(
            itemCount: 30, dimension: 16, maxLength: 12, blocks: 2, heads: 2, dropout: 0.2, generator: &generator)
        model.setTraining(false)
        let histories = (0..<5).map { row in (0..<(3 + row * 2)).map { _ in rng.next(30) } }
        let batch = try SequenceBatcher(maxLength: 12).batch(histories)
        let fast = Tensor.withoutGradients { model.lastFeatures(batch) }
        let full = Tensor.withoutGradients { model.features(batch.tokens, lengths: batch.lengths) }
            .slice(axis: 1, 11..<12).reshaped([5, 16])
        #expect(fast.shape == [5, 16])
        for (a, b) in zip(fast.scalars, full.scalars) { #expect(abs(a - b) < 1e-5) }
    }
}
