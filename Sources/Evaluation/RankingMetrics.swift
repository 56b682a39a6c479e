#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Leave-one-out ranking metrics: where one held-out target item lands among candidates.
///
/// For each user, a model scores candidates; the target's rank is
/// `1 + #(other candidates scoring >= the target)`. Ties count against the target
/// (pessimistic), so a model that scores everything equally gets rank = candidate count,
/// not 1. From the rank, for a cut-off `K`:
///
/// ```
/// HR@K   = 1            if rank <= K, else 0   (= Recall@K with one target)
/// NDCG@K = 1/log2(rank + 1)  if rank <= K, else 0
/// MRR@K  = 1/rank       if rank <= K, else 0
/// ```
///
/// and each metric is averaged over users.
///
/// ```swift
/// var metrics = RankingMetrics(cutoffs: [5, 10, 20])
/// metrics.add(rank: RankingMetrics.rank(ofTarget: 3, scores: scores, excluding: seen))
/// print(metrics.values["ndcg@10"] ?? 0)
/// ```
public struct RankingMetrics: Sendable, Equatable {
    /// The cut-offs `K`.
    public let cutoffs: [Int]
    private var sums: [String: Double] = [:]
    /// The number of users (ranks) added.
    public private(set) var count = 0

    /// - Precondition: every cut-off is at least 1.
    public init(cutoffs: [Int] = [5, 10, 20]) {
        precondition(cutoffs.allSatisfy { $0 >= 1 }, "RankingMetrics: cut-offs \(cutoffs) must be at least 1")
        self.cutoffs = cutoffs
    }

    /// The 1-based rank of `target` among the candidates `0..<scores.count`, skipping
    /// candidates in `excluding` (e.g. items the user already saw; never the target itself).
    ///
    /// - Precondition: `target` is a valid index.
    public static func rank(ofTarget target: Int, scores: [Float], excluding: Set<Int> = []) -> Int {
        precondition(scores.indices.contains(target), "rank: target \(target) outside 0..<\(scores.count)")
        let targetScore = scores[target]
        var rank = 1
        for (candidate, score) in scores.enumerated()
        where candidate != target && !excluding.contains(candidate) && !(score < targetScore) {
            rank += 1
        }
        return rank
    }

    /// The rank of `target` among a sampled candidate list (the SASRec paper's protocol:
    /// the target plus, say, 100 items the user never touched); `scores[0]` is the target's.
    public static func rank(ofFirstAmong scores: [Float]) -> Int {
        rank(ofTarget: 0, scores: scores)
    }

    /// Adds one user's target rank.
    public mutating func add(rank: Int) {
        precondition(rank >= 1, "RankingMetrics.add: rank \(rank) must be at least 1")
        count += 1
        for k in cutoffs where rank <= k {
            sums["hr@\(k)", default: 0] += 1
            sums["ndcg@\(k)", default: 0] += 1 / log2(Double(rank) + 1)
            sums["mrr@\(k)", default: 0] += 1 / Double(rank)
        }
    }

    /// Every metric averaged over the users added, keyed `hr@K`, `ndcg@K`, `mrr@K`
    /// (all 0 when no user was added).
    public var values: [String: Double] {
        var result: [String: Double] = [:]
        for k in cutoffs {
            for name in ["hr", "ndcg", "mrr"] {
                let key = "\(name)@\(k)"
                result[key] = count == 0 ? 0 : (sums[key] ?? 0) / Double(count)
            }
        }
        return result
    }
}
