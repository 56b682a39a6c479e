import Foundation
import Settings

/// How an update trains its candidate and judges it against the live model.
public struct UpdateSettings: Sendable, Codable, Equatable {
    /// The candidate must beat the live model on the recent holdout by this share of the live
    /// model's metric (0.01: at least 1% better).
    public var margin = 0.01
    /// It may lose at most this share of the live model's metric on the older holdout.
    public var tolerance = 0.01
    /// The share of older training data replayed beside the new, against forgetting.
    public var replayShare = 0.2
    /// Training epochs of the warm start; nil: the model kind's default (a sequence
    /// recommender: a tenth of the live model's training work, its epochs times its users,
    /// spread over the users the update trains on; a purchase or churn MLP: a fifth of the
    /// epochs the live model needed), at least 2. A live time budget is cut to a tenth.
    public var epochs: Int?
    /// Seeds the replay sample, new items' embeddings and training.
    public var seed: UInt64 = 1
    /// The warm start's learning rate over the live model's; nil: the model kind's measured
    /// default (sequence recommenders 10, purchase and churn MLPs 1).
    public var learningRateScale: Double?
    /// Sequence recommenders: train on each user's newest window of items only, not on every
    /// window of their history (the older windows are what the live model already learned).
    public var newestWindowOnly = true
    /// Sequence recommenders: start a new item's embedding at the mean of the embeddings of the
    /// known items next to it in users' histories, instead of a fresh random one. Off by
    /// default: it helps a warm start at the live learning rate, but at the default ten times
    /// that rate fresh embeddings did as well or better (benchmarks/README.md).
    public var neighbourStart = false

    public init() {}

    /// Throws for a margin, tolerance or replay share outside 0...1, or fewer than one epoch.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("margin", margin, in: 0...1)
        try InvalidParameter.require("tolerance", tolerance, in: 0...1)
        try InvalidParameter.require("replay", replayShare, in: 0...1)
        if let epochs { try InvalidParameter.require("epochs", epochs, in: 1...10_000) }
        if let learningRateScale {
            try InvalidParameter.require(
                learningRateScale > 0 && learningRateScale <= 10, "learning-rate-scale", learningRateScale,
                allowed: "above 0 and at most 10")
        }
    }
}

/// One model's metric on the two holdouts an update is judged on.
public struct HoldoutScores: Sendable, Codable, Equatable {
    /// The newest data (a recommender: the last item of users active after the live model's
    /// watermark; a purchase or churn model: users labelled at the newest cut-off).
    public var recent: Double
    /// Older data (the other users' last items; the users labelled at the live model's cut-off).
    public var old: Double

    public init(recent: Double, old: Double) {
        self.recent = recent
        self.old = old
    }
}

/// Whether a candidate replaces the live model, why, and the figures behind it (written as
/// `update.json` beside the new version).
public struct UpdateDecision: Sendable, Codable, Equatable {
    public var promote: Bool
    public var reason: String
    /// What the holdout scores are (`ndcg@10, full ranking`; `roc-auc`).
    public var metric: String
    public var live: HoldoutScores
    public var candidate: HoldoutScores
    /// Examples in each holdout.
    public var recentExamples: Int
    public var oldExamples: Int
    /// Items and users first seen after the watermark.
    public var newItems: Int
    public var newUsers: Int
    /// Examples (users) the candidate trained on, and how many of them were replayed.
    public var trainedExamples: Int
    public var replayedExamples: Int
    /// The live model's watermark and the candidate's.
    public var watermark: Int64
    public var newWatermark: Int64
    public var trainSeconds: Double
    public var settings: UpdateSettings

    public init(
        promote: Bool, reason: String, metric: String, live: HoldoutScores, candidate: HoldoutScores,
        recentExamples: Int, oldExamples: Int, newItems: Int, newUsers: Int, trainedExamples: Int,
        replayedExamples: Int, watermark: Int64, newWatermark: Int64, trainSeconds: Double, settings: UpdateSettings
    ) {
        self.promote = promote
        self.reason = reason
        self.metric = metric
        self.live = live
        self.candidate = candidate
        self.recentExamples = recentExamples
        self.oldExamples = oldExamples
        self.newItems = newItems
        self.newUsers = newUsers
        self.trainedExamples = trainedExamples
        self.replayedExamples = replayedExamples
        self.watermark = watermark
        self.newWatermark = newWatermark
        self.trainSeconds = trainSeconds
        self.settings = settings
    }

    /// The gate alone: the candidate must beat the live model on the recent holdout by the
    /// margin (and at all, when the live model scores 0) and stay within the tolerance on the
    /// older one.
    public static func judge(live: HoldoutScores, candidate: HoldoutScores, settings: UpdateSettings) -> (
        promote: Bool, reason: String
    ) {
        let needed = live.recent * (1 + settings.margin)
        let floor = live.old * (1 - settings.tolerance)
        let figures = { (a: Double, b: Double) in String(format: "%.4f against the live model's %.4f", a, b) }
        guard candidate.recent > live.recent, candidate.recent >= needed else {
            return (
                false,
                "not better enough on the recent holdout: \(figures(candidate.recent, live.recent)), "
                    + String(format: "at least %.4f needed (margin %g)", needed, settings.margin)
            )
        }
        guard candidate.old >= floor else {
            return (
                false,
                "worse on the older holdout: \(figures(candidate.old, live.old)), "
                    + String(format: "at least %.4f allowed (tolerance %g)", floor, settings.tolerance)
            )
        }
        return (
            true,
            "better on the recent holdout (\(figures(candidate.recent, live.recent))) and within the tolerance "
                + "on the older one (\(figures(candidate.old, live.old)))"
        )
    }
}
