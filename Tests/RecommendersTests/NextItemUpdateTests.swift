import EventData
import Foundation
import Monitoring
import NeuralNet
import Randomness
import Testing

@testable import Recommenders

@Suite("behave update: warm start, catalogue growth, the gate")
struct NextItemUpdateTests {
    @Test("The gate: better on recent by the margin, within the tolerance on old")
    func gate() {
        var settings = UpdateSettings()
        settings.margin = 0.05
        settings.tolerance = 0.02
        let live = HoldoutScores(recent: 0.20, old: 0.30)
        let judge = { (candidate: HoldoutScores) in
            UpdateDecision.judge(live: live, candidate: candidate, settings: settings)
        }
        #expect(judge(HoldoutScores(recent: 0.25, old: 0.30)).promote)
        let small = judge(HoldoutScores(recent: 0.205, old: 0.30))
        #expect(!small.promote && small.reason.contains("not better enough on the recent holdout"))
        let forgets = judge(HoldoutScores(recent: 0.25, old: 0.29))
        #expect(!forgets.promote && forgets.reason.contains("worse on the older holdout"))
        #expect(judge(HoldoutScores(recent: 0.25, old: 0.2941)).promote)
        // A live model that scores nothing is beaten only by one that scores something.
        let zero = UpdateDecision.judge(
            live: HoldoutScores(recent: 0, old: 0), candidate: HoldoutScores(recent: 0, old: 0), settings: settings)
        #expect(!zero.promote)
    }

    @Test("A warm start copies every weight; a grown embedding keeps the live rows and fresh new ones")
    func warmStart() {
        var rng = RandomGenerator(seed: 1)
        let live = SASRec(itemCount: 5, dimension: 8, maxLength: 6, generator: &rng)
        let fresh = SASRec(itemCount: 9, dimension: 8, maxLength: 6, generator: &rng)
        let freshRows = fresh.itemEmbedding.weight.scalars
        NextItemUpdate.warmStart(fresh, from: live)
        let liveParameters = Dictionary(uniqueKeysWithValues: live.parameters().map { ($0.key, $0.tensor.scalars) })
        for (key, tensor) in fresh.parameters() {
            let old = liveParameters[key] ?? []
            #expect(Array(tensor.scalars.prefix(old.count)) == old, "\(key)")
        }
        // Rows 6...9 (items 6 to 9 with the padding row 0) keep their fresh values.
        #expect(Array(fresh.itemEmbedding.weight.scalars.suffix(4 * 8)) == Array(freshRows.suffix(4 * 8)))

        // The neighbour start: new item 5 sits between items 0 and 1 (and next to new item 6),
        // so its row becomes the mean of theirs; item 7 has no known neighbour and stays fresh.
        let rows = fresh.itemEmbedding.weight.scalars
        NextItemUpdate.startNewItemsAtNeighbours(
            fresh.itemEmbedding, sequences: [[0, 5, 1], [5, 6], [7]], knownItems: 5)
        let row = { (item: Int, scalars: [Float]) in Array(scalars[((item + 1) * 8)..<((item + 2) * 8)]) }
        let started = fresh.itemEmbedding.weight.scalars
        #expect(row(5, started) == zip(row(0, rows), row(1, rows)).map { ($0 + $1) / 2 })
        #expect(row(6, started) == row(6, rows) && row(7, started) == row(7, rows))
        #expect(row(0, started) == row(0, rows))
    }

    @Test("An update on a drifted shop: items keep their indexes, new ones are appended, both holdouts scored")
    func update() throws {
        var config = SimulationConfig(users: 150, items: 60, days: 20, seed: 5)
        config.newItemShare = 0.3
        let simulator = try BehaviorSimulator(config: config)
        let start = Int64((config.start.timeIntervalSince1970 * 1_000).rounded())
        let cut = start + 15 * 86_400_000
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(TimeRangeSource(simulator, range: Int64.min..<cut))
        let data = try NextItemData.load(from: store)
        var next = NextItemConfig.defaults(for: .sasrec)
        next.architecture = .sasrec(
            SASRecConfig(maxLength: 12, hidden: 16, blocks: 1, heads: 1, feedForwardSize: 16, dropout: 0.1))
        next.epochs = 2
        next.evaluateEvery = 1
        let outcome = try NextItemTrainer(config: next, data: data).train()
        var live = NextItemPackage(trained: outcome, store: store.location)
        live.profile = try live.trainingProfile(store: store, data: data)
        let watermark = try #require(live.profile?.watermark)

        _ = try store.ingest(TimeRangeSource(simulator, range: cut..<Int64.max))
        var settings = UpdateSettings()
        settings.epochs = 1
        let result = try NextItemUpdate(live: live, watermark: watermark, settings: settings).run(store: store)
        let candidate = result.candidate
        #expect(Array(candidate.items.externalIDs.prefix(live.items.count)) == live.items.externalIDs)
        #expect(candidate.items.count == (try store.itemIDs()).count && candidate.items.count > live.items.count)
        #expect(result.decision.newItems == candidate.items.count - live.items.count)
        #expect(result.decision.recentExamples > 0 && result.decision.oldExamples >= 0)
        #expect(result.decision.newWatermark > watermark)
        #expect(candidate.manifest.itemCount == candidate.items.count)
        #expect(candidate.profile?.watermark == result.decision.newWatermark)
        // New items are recommendable by the candidate.
        let scores = candidate.model.scores(after: [[1, 2]])[0]
        #expect(scores.count == candidate.items.count && scores.allSatisfy(\.isFinite))
        #expect(!settings.replayShare.isNaN && result.decision.replayedExamples <= result.decision.trainedExamples)
        // The live bundle records its epochs; the defaults size the warm start from them and
        // raise the learning rate tenfold.
        #expect(live.manifest.epochs == 2)
        let defaults = try NextItemUpdate(live: live, watermark: watermark).run(store: store)
        #expect(defaults.outcome.config.learningRate == next.learningRate * 10)
        #expect(
            defaults.outcome.config.epochs
                == NextItemUpdate.warmStartEpochs(
                    liveEpochs: 2, liveUsers: try #require(live.profile?.rows),
                    trainingUsers: defaults.decision.trainedExamples))
    }

    @Test("The warm start gets a tenth of the live model's work, at least 2 epochs")
    func warmStartEpochs() {
        // 80 epochs over 3,000 users is 24,000 user-epochs; a tenth over 2,000 users is 12 epochs.
        #expect(NextItemUpdate.warmStartEpochs(liveEpochs: 80, liveUsers: 3_000, trainingUsers: 2_000) == 12)
        #expect(NextItemUpdate.warmStartEpochs(liveEpochs: 80, liveUsers: 3_000, trainingUsers: 3_000) == 8)
        #expect(NextItemUpdate.warmStartEpochs(liveEpochs: 3, liveUsers: 100, trainingUsers: 100) == 2)
        #expect(NextItemUpdate.warmStartEpochs(liveEpochs: 10, liveUsers: 100, trainingUsers: 0) == 100)
    }
}
