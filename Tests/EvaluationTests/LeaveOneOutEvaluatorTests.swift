import Testing

@testable import Evaluation

@Suite("Leave-one-out evaluation")
struct LeaveOneOutEvaluatorTests {
    let examples = [
        RankingExample(history: [0, 1], target: 2, touched: [0, 1, 2]),
        RankingExample(history: [3], target: 4, touched: [3, 4]),
    ]

    @Test("full ranking of a hand case")
    func fullRanking() {
        // Scores favour item 2 then 4: example 1 ranks 1st, example 2 ranks 2nd (item 2 beats it).
        let scores: [Float] = [0.1, 0.2, 0.9, 0.3, 0.5, 0.0]
        let evaluator = LeaveOneOutEvaluator(protocol: .full, itemCount: 6, cutoffs: [1, 2])
        let values = evaluator.evaluate(examples) { _ in scores }.values
        #expect(values["hr@1"] == 0.5)
        #expect(values["hr@2"] == 1)
        #expect(values["mrr@2"] == 0.75)
    }

    @Test("sampled ranking never offers touched items and is seeded")
    func sampledRanking() {
        // Touched items score highest: if any were sampled as negatives, the target would drop.
        let example = [RankingExample(history: [0, 1], target: 2, touched: [0, 1, 2])]
        let scores: [Float] = [9, 9, 1, 0, 0, 0, 0, 0]
        let evaluator = LeaveOneOutEvaluator(
            protocol: .sampled, itemCount: 8, cutoffs: [1], sampledCandidates: 3, seed: 5)
        let first = evaluator.evaluate(example) { _ in scores }
        #expect(first.values["hr@1"] == 1)
        #expect(first == evaluator.evaluate(example) { _ in scores })
        // With every untouched item scoring above the target, it ranks last of 1 + 3.
        let losing = evaluator.evaluate(example) { _ in [9, 9, 1, 5, 5, 5, 5, 5] }
        #expect(losing.values["mrr@1"] == 0)
    }
}
