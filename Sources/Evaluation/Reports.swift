/// The held-out parts a model is reported on.
public enum EvaluationSplit: String, Sendable, Codable, CaseIterable {
    /// Used during training (early stopping, thresholds): optimistic.
    case validation
    /// Never seen during training: the honest number.
    case test
}

/// A report per split; on disk `{"validation": ..., "test": ...}`, a split without a report
/// left out.
///
/// ```swift
/// let ndcg = metrics[.test]?.full.ndcg(at: 10)
/// ```
public struct SplitReports<Report: Sendable>: Sendable {
    public var validation: Report?
    public var test: Report?

    public init(validation: Report? = nil, test: Report? = nil) {
        self.validation = validation
        self.test = test
    }

    public subscript(split: EvaluationSplit) -> Report? {
        get {
            switch split {
            case .validation: return validation
            case .test: return test
            }
        }
        set {
            switch split {
            case .validation: validation = newValue
            case .test: test = newValue
            }
        }
    }
}

extension SplitReports: Equatable where Report: Equatable {}
extension SplitReports: Codable where Report: Codable {}

/// HR, NDCG and MRR at each cut-off for one split under one protocol; on disk a mapping
/// `{"hr@10": 0.71, "ndcg@10": 0.45, ...}`.
public struct RankingReport: Sendable, Equatable, Codable {
    /// The metrics by key `hr@K`, `ndcg@K`, `mrr@K`.
    public let values: [String: Double]

    public init(values: [String: Double]) {
        self.values = values
    }

    /// The averages of `metrics`.
    public init(_ metrics: RankingMetrics) {
        values = metrics.values
    }

    /// The share of targets ranked within the first `k` (HR@K), or nil when `k` was not a cut-off.
    public func hitRate(at k: Int) -> Double? { values["hr@\(k)"] }
    /// NDCG@K, or nil when `k` was not a cut-off.
    public func ndcg(at k: Int) -> Double? { values["ndcg@\(k)"] }
    /// MRR@K, or nil when `k` was not a cut-off.
    public func mrr(at k: Int) -> Double? { values["mrr@\(k)"] }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: Double].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}

/// The ranking report of one split under both protocols; on disk `{"full": ..., "sampled": ...}`.
public struct ProtocolReports: Sendable, Equatable, Codable {
    /// The target among all items.
    public var full: RankingReport
    /// The target among sampled items the user never touched.
    public var sampled: RankingReport

    public init(full: RankingReport, sampled: RankingReport) {
        self.full = full
        self.sampled = sampled
    }

    public subscript(rankingProtocol: RankingProtocol) -> RankingReport {
        switch rankingProtocol {
        case .full: return full
        case .sampled: return sampled
        }
    }
}

/// The classification reports of a model and its logistic-regression baseline on one split;
/// on disk `{"model": ..., "baseline": ...}`.
public struct ClassifierReports: Sendable, Equatable, Codable {
    public var model: ClassificationReport
    public var baseline: ClassificationReport

    public init(model: ClassificationReport, baseline: ClassificationReport) {
        self.model = model
        self.baseline = baseline
    }
}
