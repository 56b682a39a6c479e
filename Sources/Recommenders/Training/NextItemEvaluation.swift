import Evaluation
import EventData
import Randomness
import TensorEngine

/// Leave-one-out ranking evaluation of any next-item scorer under both protocols at once.
///
/// Each history is scored once; the full protocol ranks the target among all items, the
/// sampled one among 100 items the user never touched (drawn from a fixed seed, so every model
/// sees the same candidates).
public struct NextItemEvaluation: Sendable {
    /// The evaluators, one per protocol.
    public let evaluators: [LeaveOneOutEvaluator]
    /// Histories scored per call of the scorer.
    public let batchSize: Int

    /// - Parameters:
    ///   - itemCount: The catalogue size.
    ///   - cutoffs: The `K`s of HR@K, NDCG@K and MRR@K.
    ///   - seed: Seeds the sampled protocol's candidates.
    public init(itemCount: Int, cutoffs: [Int] = [5, 10, 20], seed: UInt64 = 1, batchSize: Int = 512) {
        evaluators = RankingProtocol.allCases.map {
            LeaveOneOutEvaluator(protocol: $0, itemCount: itemCount, cutoffs: cutoffs, seed: seed)
        }
        self.batchSize = batchSize
    }

    /// Metrics of `examples` under both protocols.
    ///
    /// - Parameter scores: Scores of every item after each history of a batch.
    public func evaluate(_ examples: [RankingExample], scores: ([[Int]]) -> [[Float]]) -> ProtocolReports {
        var metrics = evaluators.map { RankingMetrics(cutoffs: $0.cutoffs) }
        var generators = evaluators.map { RandomGenerator(seed: $0.seed) }
        for start in stride(from: 0, to: examples.count, by: batchSize) {
            let chunk = examples[start..<min(start + batchSize, examples.count)]
            let batchScores = scores(chunk.map(\.history))
            for (example, itemScores) in zip(chunk, batchScores) {
                for index in evaluators.indices {
                    metrics[index].add(
                        rank: evaluators[index].rank(example, scores: itemScores, generator: &generators[index]))
                }
            }
        }
        var reports: [RankingProtocol: RankingReport] = [:]
        for (evaluator, values) in zip(evaluators, metrics) {
            reports[evaluator.rankingProtocol] = RankingReport(values)
        }
        let empty = RankingReport(values: [:])
        return ProtocolReports(full: reports[.full] ?? empty, sampled: reports[.sampled] ?? empty)
    }
}

extension NextItemEvaluation {
    /// Validation and test metrics of `model` on `data` under both protocols.
    public static func reports(of model: NextItemModel, on data: NextItemData) -> SplitReports<ProtocolReports> {
        let evaluation = NextItemEvaluation(itemCount: data.itemCount)
        return SplitReports(
            validation: evaluation.evaluate(data.validationExamples, scores: model.scores),
            test: evaluation.evaluate(data.testExamples, scores: model.scores))
    }
}
