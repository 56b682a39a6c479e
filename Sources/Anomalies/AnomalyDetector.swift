import Embeddings
import EventData
import Foundation
import NeuralNet
import Settings

/// How rows are scored.
public enum AnomalyMethod: String, Sendable, Codable, CaseIterable {
    /// Mean squared reconstruction error of a dense autoencoder.
    case autoencoder = "ae"
    /// Negative ELBO of a variational autoencoder.
    case variational = "vae"
    /// Isolation forest score.
    case isolationForest = "iforest"
    /// Deep isolation forest: isolation forests on random neural representations.
    case deepIsolationForest = "dif"
    /// The rate rule: a user's most events within one minute (event stores only; nothing is fitted).
    case rate
}

/// Where the line between flagged and not flagged is drawn.
public enum AnomalyThreshold: Sendable, Codable, Equatable {
    /// Flag this share of the scored rows (the highest scores), as when the expected
    /// contamination of the data is known.
    case contamination(Double)
    /// Flag rows scoring above all but this share of the reference rows the detector was fitted
    /// on, taken as normal: the false-positive rate on normal data.
    case falsePositiveRate(Double)

    /// Checks the share.
    ///
    /// - Throws: ``InvalidParameter`` named `contamination` or `false-positive-rate` unless the
    ///   share is in (0, 0.5].
    public func validate() throws(InvalidParameter) {
        switch self {
        case .contamination(let share):
            try InvalidParameter.require(
                share > 0 && share <= 0.5, "contamination", share, allowed: "a share above 0 and at most 0.5")
        case .falsePositiveRate(let share):
            try InvalidParameter.require(
                share > 0 && share <= 0.5, "false-positive-rate", share, allowed: "a share above 0 and at most 0.5")
        }
    }

    /// The score at or above which a row is flagged.
    ///
    /// - Parameters:
    ///   - scores: The scored rows' scores (for ``contamination(_:)``).
    ///   - reference: The reference rows' scores, ascending (for ``falsePositiveRate(_:)``).
    public func cut(scores: [Double], reference: [Double]) -> Double {
        switch self {
        case .contamination(let share):
            let finite = scores.filter(\.isFinite).sorted()
            guard !finite.isEmpty else { return .infinity }
            let flagged = max(1, Int((Double(finite.count) * share).rounded()))
            return finite[finite.count - min(flagged, finite.count)]
        case .falsePositiveRate(let share):
            guard !reference.isEmpty else { return .infinity }
            // The smallest score above all but `share` of the reference rows.
            let kept = min(reference.count - 1, Int((Double(reference.count) * (1 - share)).rounded(.up)) - 1)
            return reference[max(0, kept)].nextUp
        }
    }
}

/// Everything that decides how a detector is fitted.
public struct AnomalyConfig: Sendable, Codable, Equatable {
    public var method: AnomalyMethod
    /// The autoencoder's settings (for `ae` and `vae`; its kind follows ``method``).
    public var autoencoder: AutoencoderConfig
    /// The forest's settings (for `iforest`).
    public var forest: IsolationForest
    /// The deep forest's settings (for `dif`).
    public var deepForest: DeepIsolationForest
    /// Threads for scoring with the forest (scores do not depend on it).
    public var threads: Int

    /// - Parameters:
    ///   - method: How rows are scored.
    ///   - seed: Seeds the autoencoder or the forest.
    public init(method: AnomalyMethod = .isolationForest, seed: UInt64 = 42) {
        self.method = method
        autoencoder = AutoencoderConfig(kind: method == .variational ? .variational : .autoencoder, seed: seed)
        forest = IsolationForest(seed: seed)
        deepForest = DeepIsolationForest(seed: seed)
        threads = 1
    }

    /// Checks the settings of the chosen method.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        switch method {
        case .autoencoder, .variational: try autoencoder.validate()
        case .isolationForest: try forest.validate()
        case .deepIsolationForest: try deepForest.validate()
        case .rate: break
        }
    }
}

/// One column's part in a row's score.
public struct AnomalyReason: Sendable, Codable, Equatable {
    /// The source column.
    public var column: String
    /// Its share of the row's total, in [0, 1].
    public var share: Double
}

/// A fitted detector over encoded rows: scores, and which columns a score comes from.
///
/// Contributions are per encoded feature and summed per source column (a categorical column's
/// one-hot slots together): for an autoencoder, the squared reconstruction error of the
/// column's features; for the isolation forest, the squared standardized distance of the row
/// from the reference's mean on them (the forest's paths have no additive split of the score,
/// and an analyst reads "far from usual" directly).
///
/// ```swift
/// let detector = try AnomalyDetector.fit(features: x, encoder: encoder, config: AnomalyConfig(method: .variational))
/// let scores = detector.scores(of: x)
/// let why = detector.reasons(of: Array(x[0..<encoder.width]), top: 3)
/// ```
public struct AnomalyDetector {
    public let config: AnomalyConfig
    /// The fitted transform from cells (or numbers) to features.
    public let encoder: TableEncoder
    /// The fitted model.
    public let scorer: Scorer
    /// The reference rows' scores, ascending (for false-positive-rate thresholds and percentiles).
    public private(set) var referenceScores: [Double]

    /// The fitted model of the chosen method.
    public enum Scorer {
        case forest(IsolationForestModel)
        case deepForest(DeepIsolationForestModel)
        case autoencoder(Autoencoder)
    }

    /// Fits a detector of `config.method` on reference rows, labels never needed.
    ///
    /// - Parameters:
    ///   - features: The reference rows encoded with `encoder`, row-major.
    ///   - epochEnd: Called after every autoencoder epoch.
    /// - Throws: ``UnsupervisedError`` for a bad setting, too few rows, or a diverged autoencoder.
    public static func fit(
        features: [Float], encoder: TableEncoder, config: AnomalyConfig,
        epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> AnomalyDetector {
        let width = encoder.width
        precondition(
            width >= 1 && features.count % width == 0,
            "AnomalyDetector.fit: \(features.count) values are not rows of \(width)")
        let scorer: Scorer
        switch config.method {
        case .rate:
            throw .badData(
                path: "", detail: "the rate rule scores users of an event store by their events, not table rows")
        case .isolationForest:
            do {
                scorer = .forest(try config.forest.fit(features: features, featureCount: width))
            } catch {
                throw .invalidParameter(error)
            }
        case .deepIsolationForest:
            do {
                scorer = .deepForest(try config.deepForest.fit(features: features, featureCount: width))
            } catch {
                throw .invalidParameter(error)
            }
        case .autoencoder, .variational:
            var settings = config.autoencoder
            settings.kind = config.method == .variational ? .variational : .autoencoder
            let (model, _, _) = try Autoencoder.train(
                features: features, featureCount: width, config: settings, epochEnd: epochEnd)
            scorer = .autoencoder(model)
        }
        var detector = AnomalyDetector(config: config, encoder: encoder, scorer: scorer, referenceScores: [])
        detector.referenceScores = detector.scores(of: features).filter(\.isFinite).sorted()
        return detector
    }

    /// Each row's anomaly score; higher is more anomalous.
    public func scores(of features: [Float]) -> [Double] {
        switch scorer {
        case .forest(let forest): return forest.scores(of: features, threads: config.threads)
        case .deepForest(let forest): return forest.scores(of: features, threads: config.threads)
        case .autoencoder(let model): return model.anomalyScores(of: features)
        }
    }

    /// The share of reference rows scoring below `score`, in [0, 1].
    public func referencePercentile(of score: Double) -> Double {
        guard !referenceScores.isEmpty else { return 0 }
        var low = 0
        var high = referenceScores.count
        while low < high {
            let middle = (low + high) / 2
            if referenceScores[middle] < score { low = middle + 1 } else { high = middle }
        }
        return Double(low) / Double(referenceScores.count)
    }

    /// Each row's contribution per encoded feature, `rows * encoder.width` values, non-negative.
    public func contributions(of features: [Float]) -> [Float] {
        switch scorer {
        case .autoencoder(let model): return model.squaredErrors(of: features)
        // Encoded numeric features are z-scores against the reference, so the square is the
        // squared distance in standard deviations; one-hot slots contribute their 0/1 squares.
        case .forest, .deepForest: return features.map { $0 * $0 }
        }
    }

    /// The source columns that contribute most to one row's score, largest first: at most
    /// `top`, each with at least `minimumShare` of the row's total.
    ///
    /// - Parameter row: One encoded row (`encoder.width` values).
    public func reasons(of row: [Float], top: Int = 3, minimumShare: Double = 0.05) -> [AnomalyReason] {
        let parts = contributions(of: row)
        var perColumn: [Double] = []
        var offset = 0
        for column in encoder.columns {
            perColumn.append(parts[offset..<(offset + column.width)].reduce(0) { $0 + Double($1) })
            offset += column.width
        }
        let total = perColumn.reduce(0, +)
        guard total > 0, total.isFinite else { return [] }
        var reasons: [AnomalyReason] = []
        for (index, part) in perColumn.enumerated() where part / total >= minimumShare {
            reasons.append(AnomalyReason(column: encoder.columns[index].name, share: part / total))
        }
        reasons.sort { $0.share != $1.share ? $0.share > $1.share : $0.column < $1.column }
        return Array(reasons.prefix(top))
    }
}
