import Randomness

/// How a held-out target is ranked.
public enum RankingProtocol: String, Sendable, Codable, CaseIterable {
    /// Among all items (RecBole's standard).
    case full
    /// Among the target and a fixed number of random items the user never touched (the
    /// SASRec paper's protocol; its numbers are far higher than full ranking's).
    case sampled
}

/// One leave-one-out example: a user's history, the next item to predict, and every item
/// the user touched (never offered as a sampled negative, optionally excluded from ranking).
public struct RankingExample: Sendable, Hashable {
    public var history: [Int]
    public var target: Int
    public var touched: Set<Int>

    public init(history: [Int], target: Int, touched: Set<Int>) {
        self.history = history
        self.target = target
        self.touched = touched
    }
}

/// Scores leave-one-out examples under one protocol and averages the ranking metrics.
///
/// ```swift
/// let evaluator = LeaveOneOutEvaluator(protocol: .sampled, itemCount: 1682, seed: 1)
/// let metrics = evaluator.evaluate(examples) { history in model.scores(after: history) }
/// ```
public struct LeaveOneOutEvaluator: Sendable {
    public let rankingProtocol: RankingProtocol
    public let itemCount: Int
    public let cutoffs: [Int]
    /// Random negatives per example in the sampled protocol.
    public let sampledCandidates: Int
    /// In the full protocol, whether items in the history are skipped when ranking.
    public let excludeHistory: Bool
    public let seed: UInt64

    /// - Precondition: `itemCount >= 1`, `sampledCandidates >= 1`.
    public init(
        protocol rankingProtocol: RankingProtocol, itemCount: Int, cutoffs: [Int] = [5, 10, 20],
        sampledCandidates: Int = 100, excludeHistory: Bool = false, seed: UInt64 = 0
    ) {
        precondition(itemCount >= 1 && sampledCandidates >= 1, "LeaveOneOutEvaluator: bad sizes")
        self.rankingProtocol = rankingProtocol
        self.itemCount = itemCount
        self.cutoffs = cutoffs
        self.sampledCandidates = sampledCandidates
        self.excludeHistory = excludeHistory
        self.seed = seed
    }

    /// Averages HR, NDCG and MRR at each cut-off over `examples`.
    ///
    /// - Parameter score: Scores for every item `0..<itemCount` after a history.
    public func evaluate(_ examples: [RankingExample], score: ([Int]) -> [Float]) -> RankingMetrics {
        var metrics = RankingMetrics(cutoffs: cutoffs)
        var generator = RandomGenerator(seed: seed)
        for example in examples {
            metrics.add(rank: rank(example, scores: score(example.history), generator: &generator))
        }
        return metrics
    }

    /// The target's rank for one example whose item scores are already computed (for callers
    /// that score many histories in one batch). Sampled negatives come from `generator`; start
    /// it at `RandomGenerator(seed: seed)` and keep it across examples to match
    /// ``evaluate(_:score:)``.
    ///
    /// - Precondition: `scores.count == itemCount`.
    public func rank(_ example: RankingExample, scores: [Float], generator: inout RandomGenerator) -> Int {
        precondition(scores.count == itemCount, "evaluate: \(scores.count) scores for \(itemCount) items")
        switch rankingProtocol {
        case .full:
            let excluded = excludeHistory ? Set(example.history).subtracting([example.target]) : []
            return RankingMetrics.rank(ofTarget: example.target, scores: scores, excluding: excluded)
        case .sampled:
            let candidates = negatives(for: example, generator: &generator)
            return RankingMetrics.rank(ofFirstAmong: [scores[example.target]] + candidates.map { scores[$0] })
        }
    }

    /// Up to ``sampledCandidates`` distinct items outside `touched` and other than the target.
    private func negatives(for example: RankingExample, generator: inout RandomGenerator) -> [Int] {
        let forbidden = example.touched.union([example.target])
        let available = itemCount - forbidden.filter { (0..<itemCount).contains($0) }.count
        let wanted = min(sampledCandidates, max(available, 0))
        var chosen = Set<Int>()
        var order: [Int] = []
        while order.count < wanted {
            let item = generator.nextInt(below: itemCount)
            if !forbidden.contains(item) && chosen.insert(item).inserted { order.append(item) }
        }
        return order
    }
}
