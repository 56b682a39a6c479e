import Foundation
import Testing

@testable import Evaluation

@Suite("Ranking metrics")
struct RankingMetricsTests {
    @Test("rank counts candidates scoring at least the target's, skipping exclusions")
    func ranks() {
        let scores: [Float] = [0.1, 0.9, 0.5, 0.5, 0.3]
        // Target 2 (0.5): 0.9 is higher and 0.5 ties -> rank 3 (ties count against it).
        #expect(RankingMetrics.rank(ofTarget: 2, scores: scores) == 3)
        // Excluding item 1 (already seen) lifts it to rank 2.
        #expect(RankingMetrics.rank(ofTarget: 2, scores: scores, excluding: [1]) == 2)
        #expect(RankingMetrics.rank(ofTarget: 1, scores: scores) == 1)
        // Equal scores everywhere: the target ranks last, not first.
        #expect(RankingMetrics.rank(ofTarget: 0, scores: [0, 0, 0, 0]) == 4)
        #expect(RankingMetrics.rank(ofFirstAmong: [0.7, 0.2, 0.8]) == 2)
    }

    @Test("HR, NDCG and MRR on hand-computed ranks")
    func metrics() {
        var metrics = RankingMetrics(cutoffs: [1, 3])
        for rank in [1, 2, 4] { metrics.add(rank: rank) }
        let values = metrics.values
        // HR@1: only rank 1 -> 1/3. HR@3: ranks 1 and 2 -> 2/3.
        #expect(abs((values["hr@1"] ?? -1) - 1.0 / 3) < 1e-12)
        #expect(abs((values["hr@3"] ?? -1) - 2.0 / 3) < 1e-12)
        // NDCG@3: (1/log2(2) + 1/log2(3)) / 3 = (1 + 0.63093) / 3.
        #expect(abs((values["ndcg@3"] ?? -1) - (1 + 1 / log2(3.0)) / 3) < 1e-12)
        // MRR@3: (1 + 1/2) / 3 = 0.5.
        #expect(abs((values["mrr@3"] ?? -1) - 0.5) < 1e-12)
        #expect(metrics.count == 3)
    }

    @Test("no users gives zeros for every key")
    func empty() {
        let values = RankingMetrics(cutoffs: [10]).values
        #expect(values == ["hr@10": 0, "ndcg@10": 0, "mrr@10": 0])
    }
}
