import Classifiers
import EventData
import Explanations
import Foundation
import Randomness
import Recommenders
import TensorEngine

/// `behave-bench --case explain-events [--seed S] [--users N]`: how faithful and how fast the
/// per-event explanations of a sequence purchase model are (issue 16).
///
/// - Planted trigger: a shop log where views and clicks of random items say nothing, and a
///   `coupon` event before the cut-off makes a purchase in the next 5 days likely (90% against
///   10%). A GRU purchase model is trained on it; for each test user who has the coupon, is
///   the coupon the most attributed event?
/// - Removal: on `behave simulate`'s shop (the same users), for test users with at least 15
///   events read, the probability drop from removing the 5 most attributed events against
///   removing 5 random ones (averaged over 5 draws).
/// - Latency: `explain` of one user with a 50-event history, one thread.
/// - Recommendations: SASRec (length 50) on the same simulated shop; for 300 users with at
///   least 15 items, the top recommendation's score drop from removing the 5 items with
///   the largest attributions, against 5 random items (5 draws) and the 5 with the largest
///   attention rollout; and the latency of one explanation.
extension Cases {
    static func explainEvents(seed: UInt64, users: Int) -> [String: Any] {
        do {
            var result: [String: Any] = ["seed": seed, "users": users]
            result["trigger"] = try plantedTrigger(seed: seed, users: users)
            let (store, removal) = try removalAndLatency(seed: seed, users: users)
            result.merge(removal) { $1 }
            result["recommendation"] = try recommendationRemoval(seed: seed, store: store)
            return result
        } catch {
            BenchmarkMain.fail("explain-events: \(error)")
        }
    }

    private static let day: Int64 = 86_400_000
    private static let start: Int64 = 1_704_067_200_000  // 2024-01-01

    /// The coupon shop: the trigger's rank among each explained user's events.
    private static func plantedTrigger(seed: UInt64, users: Int) throws -> [String: Any] {
        var rng = RandomGenerator(seed: seed)
        var rows: [SourceRow] = []
        let cutoff = start + 25 * day
        for user in 0..<users {
            let id = "u\(user)"
            let count = 20 + rng.nextInt(below: 41)
            var times = (0..<count).map { _ in start + Int64(rng.nextInt(below: Int(25 * day - 1))) }
            times.sort()
            let coupon = rng.nextUniform() < 0.4 ? rng.nextInt(below: count) : nil
            for (position, time) in times.enumerated() {
                if position == coupon {
                    rows.append(.event(Event(userID: id, timestamp: time, type: "coupon"), line: rows.count + 1))
                    continue
                }
                let item = rng.nextInt(below: 500)
                rows.append(
                    .event(
                        Event(
                            userID: id, timestamp: time, type: rng.nextUniform() < 0.7 ? .view : .click,
                            itemID: "i\(item)", category: "c\(item % 20)"), line: rows.count + 1))
            }
            // Every user acts after the cut-off; buyers buy.
            let buys = rng.nextUniform() < (coupon == nil ? 0.1 : 0.9)
            rows.append(
                .event(
                    Event(
                        userID: id, timestamp: cutoff + 1 + Int64(rng.nextInt(below: Int(4 * day))),
                        type: buys ? .purchase : .view, itemID: "i\(rng.nextInt(below: 500))"),
                    line: rows.count + 1))
        }
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(MemorySource(rows: rows))
        let data = try UserOutcomeData.load(
            from: store, task: .purchase, window: .seconds(5 * 86_400), cutoff: cutoff)
        var config = ClassifierConfig.mlp
        config.batchSize = 128
        config.seed = seed
        let model = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        let items = try store.itemIDs()
        var explained = 0
        var first = 0
        var belowBaseline = 0
        var ranks: [Int] = []
        for index in testUsers(data, config: config) {
            let history = data.examples[index].input
            guard history.events.contains(where: { $0.type.rawValue == "coupon" }) else { continue }
            let explanation = try model.explain(history, at: data.cutoff, itemIDs: items)
            if explanation.probability <= explanation.baselineProbability { belowBaseline += 1 }
            let order = explanation.events.indices.sorted {
                explanation.events[$0].attribution > explanation.events[$1].attribution
            }
            guard let rank = order.firstIndex(where: { explanation.events[$0].type == "coupon" }) else { continue }
            explained += 1
            if rank == 0 { first += 1 }
            ranks.append(rank + 1)
        }
        return [
            "test_roc_auc": model.metrics.test?.model.rocAUC ?? 0, "explained": explained, "ranked_first": first,
            "ranked_first_share": Double(first) / Double(max(explained, 1)),
            "worst_rank": ranks.max() ?? 0, "at_or_below_baseline": belowBaseline,
        ]
    }

    /// The simulated shop: removal of the most attributed events against random ones, and latency.
    private static func removalAndLatency(seed: UInt64, users: Int) throws -> (SQLiteEventStore, [String: Any]) {
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: users, seed: seed))
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(simulator)
        let data = try UserOutcomeData.load(from: store, task: .purchase, window: .seconds(7 * 86_400))
        var config = ClassifierConfig.mlp
        config.batchSize = 128
        config.seed = seed
        let model = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        let items = try store.itemIDs()
        var rng = RandomGenerator(seed: seed &+ 17)
        var compared = 0
        var wins = 0
        var topDrops: [Double] = []
        var randomDrops: [Double] = []
        var latencies: [Double] = []
        for index in testUsers(data, config: config) {
            let history = data.examples[index].input
            let read = history.events.suffix(50)
            guard read.count >= 15 else { continue }
            let begin = DispatchTime.now().uptimeNanoseconds
            let explanation = try model.explain(history, at: data.cutoff, itemIDs: items)
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6
            if read.count == 50 { latencies.append(milliseconds) }
            let offset = history.events.count - read.count
            let top = explanation.events.indices.sorted {
                explanation.events[$0].attribution > explanation.events[$1].attribution
            }.prefix(5).map { $0 + offset }
            let base = explanation.probability
            let topDrop = base - probability(model, history, removing: Set(top), items: items, at: data.cutoff)
            var randomDrop = 0.0
            for _ in 0..<5 {
                let picked = Set(rng.permutation(read.count).prefix(5).map { $0 + offset })
                randomDrop += base - probability(model, history, removing: picked, items: items, at: data.cutoff)
            }
            randomDrop /= 5
            compared += 1
            if topDrop > randomDrop { wins += 1 }
            topDrops.append(topDrop)
            randomDrops.append(randomDrop)
        }
        return (
            store,
            [
                "removal": [
                    "test_roc_auc": model.metrics.test?.model.rocAUC ?? 0, "users": compared, "top_beats_random": wins,
                    "share": Double(wins) / Double(max(compared, 1)),
                    "mean_top_drop": topDrops.reduce(0, +) / Double(max(topDrops.count, 1)),
                    "mean_random_drop": randomDrops.reduce(0, +) / Double(max(randomDrops.count, 1)),
                ],
                "latency_ms": latencySummary(latencies),
            ]
        )
    }

    /// Histories counted, p50, p95 (nearest rank) and the largest, in milliseconds.
    private static func latencySummary(_ values: [Double]) -> [String: Any] {
        let sorted = values.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        return ["histories": sorted.count, "p50": percentile(0.5), "p95": percentile(0.95), "max": sorted.last ?? 0]
    }

    /// SASRec's explanations: removal of the most attributed items against random and
    /// most attended ones, and latency.
    private static func recommendationRemoval(seed: UInt64, store: SQLiteEventStore) throws -> [String: Any] {
        var config = NextItemConfig.defaults(for: .sasrec)
        if case .sasrec(var sasrec) = config.architecture {
            sasrec.maxLength = 50
            config.architecture = .sasrec(sasrec)
        }
        config.seed = seed
        let data = try NextItemData.load(from: store)
        let package = NextItemPackage(
            trained: try NextItemTrainer(config: config, data: data).train(), store: store.location)
        var rng = RandomGenerator(seed: seed &+ 29)
        var (compared, beatsRandom, beatsAttention) = (0, 0, 0)
        var drops: (top: Double, random: Double, attention: Double) = (0, 0, 0)
        var latencies: [Double] = []
        for user in try store.userIDs().externalIDs {
            guard compared < 300 else { break }
            let history = try package.history(ofUser: user, in: store).known
            guard history.count >= 15 else { continue }
            let begin = DispatchTime.now().uptimeNanoseconds
            let explanation = try package.explain(after: history)
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6
            if history.count >= 50 { latencies.append(milliseconds) }
            let target = try package.itemIndexes(of: [explanation.item])[0]
            let offset = history.count - explanation.events.count
            func drop(_ removed: [Int]) -> Double {
                let set = Set(removed.map { $0 + offset })
                let kept = history.indices.filter { !set.contains($0) }.map { history[$0] }
                return explanation.score - Double(package.model.scores(after: [kept])[0][target])
            }
            let events = explanation.events
            let top = drop(Array(events.indices.sorted { events[$0].attribution > events[$1].attribution }.prefix(5)))
            let attended = drop(
                Array(events.indices.sorted { (events[$0].rollout ?? 0) > (events[$1].rollout ?? 0) }.prefix(5)))
            var random = 0.0
            for _ in 0..<5 { random += drop(Array(rng.permutation(events.count).prefix(5))) }
            random /= 5
            compared += 1
            if top > random { beatsRandom += 1 }
            if top > attended { beatsAttention += 1 }
            drops.top += top
            drops.random += random
            drops.attention += attended
        }
        let count = Double(max(compared, 1))
        return [
            "users": compared, "test_ndcg10": package.metrics.test?.full.values["ndcg@10"] ?? 0,
            "top_beats_random": beatsRandom, "top_beats_random_share": Double(beatsRandom) / count,
            "top_beats_attention": beatsAttention, "top_beats_attention_share": Double(beatsAttention) / count,
            "mean_drop": [
                "top": drops.top / count, "random": drops.random / count, "attention": drops.attention / count,
            ],
            "latency_ms": latencySummary(latencies),
        ]
    }

    /// The model's probability for `history` without the events at `removed` (indexes into its events).
    private static func probability(
        _ model: UserOutcomeClassifier, _ history: UserHistory, removing removed: Set<Int>, items: Vocabulary,
        at cutoff: Int64
    ) -> Double {
        let kept = history.events.indices.filter { !removed.contains($0) }.map { history.events[$0] }
        return model.predict(
            [UserHistory(user: history.user, userID: history.userID, events: kept)], itemIDs: items, at: cutoff)[0]
    }

    /// The test users of the split training used.
    private static func testUsers(_ data: UserOutcomeData, config: ClassifierConfig) -> [Int] {
        guard
            let fractions = try? SplitFractions(
                train: 1 - config.validationFraction - config.testFraction, validation: config.validationFraction,
                test: config.testFraction)
        else { BenchmarkMain.fail("explain-events: bad split fractions") }
        return StratifiedSplit(fractions: fractions, seed: config.seed).split(labels: data.examples.map(\.label)).test
    }
}

/// Rows held in memory, as an event source.
private struct MemorySource: EventSource {
    var name = "memory"
    var rows: [SourceRow]

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        for row in rows { try body(row) }
    }
}
