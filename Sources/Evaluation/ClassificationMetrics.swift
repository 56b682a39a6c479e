#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Counts of a binary decision against the truth.
public struct ConfusionMatrix: Sendable, Codable, Equatable {
    public var truePositives: Int
    public var falsePositives: Int
    public var trueNegatives: Int
    public var falseNegatives: Int

    public init(truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }
}

/// The metrics of deciding "positive" when the probability is at least `threshold`.
public struct ThresholdMetrics: Sendable, Codable, Equatable {
    public var threshold: Double
    public var accuracy: Double
    /// `TP / (TP + FP)`, 0 when nothing is predicted positive.
    public var precision: Double
    /// `TP / (TP + FN)`, 0 when there is no positive.
    public var recall: Double
    /// The harmonic mean of precision and recall, 0 when both are 0.
    public var f1: Double
    public var confusion: ConfusionMatrix

    /// The metrics of `confusion` at `threshold`.
    public init(threshold: Double, confusion c: ConfusionMatrix) {
        let total = c.truePositives + c.falsePositives + c.trueNegatives + c.falseNegatives
        let precision = ratio(c.truePositives, c.truePositives + c.falsePositives)
        let recall = ratio(c.truePositives, c.truePositives + c.falseNegatives)
        self.threshold = threshold
        accuracy = ratio(c.truePositives + c.trueNegatives, total)
        self.precision = precision
        self.recall = recall
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        confusion = c
    }
}

/// One point of a ROC curve: deciding positive at `score >= threshold` gives these rates.
public struct ROCPoint: Sendable, Codable, Equatable {
    public var threshold: Double
    public var falsePositiveRate: Double
    public var truePositiveRate: Double
}

/// One point of a precision-recall curve.
public struct PrecisionRecallPoint: Sendable, Codable, Equatable {
    public var threshold: Double
    public var precision: Double
    public var recall: Double
}

/// One bin of a reliability (calibration) table: examples whose predicted probability falls
/// in `lower..<upper`, their mean prediction and the share that were positive.
public struct CalibrationBin: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    /// Mean predicted probability in the bin (0 for an empty bin).
    public var meanPredicted: Double
    /// Share of positives in the bin (0 for an empty bin).
    public var observedRate: Double
}

/// Everything `behave` reports about a binary classifier's probabilities on one split.
///
/// With `n` examples, probabilities `p_i` and labels `y_i ∈ {0, 1}`:
///
/// ```
/// log-loss = -1/n Σ y log p + (1 - y) log(1 - p)     (p clipped to [1e-15, 1 - 1e-15])
/// Brier    =  1/n Σ (p - y)²
/// ROC-AUC  =  P(p_pos > p_neg) + P(p_pos = p_neg) / 2  (trapezoids over every distinct threshold)
/// PR-AUC   =  Σ_k (R_k - R_{k-1}) P_k                 (average precision, as scikit-learn)
/// ```
///
/// Curves hold at most ``maximumCurvePoints`` points (evenly chosen among the distinct
/// thresholds, both ends kept).
///
/// A probability that is not a number (a diverged model's NaN) counts as 0 everywhere, so the
/// report stays finite and every loop ends; ``nonFiniteCount`` says how many there were.
///
/// ```swift
/// let report = ClassificationReport(probabilities: p, labels: y)
/// print(report.rocAUC ?? .nan, report.atBestF1.threshold)
/// ```
public struct ClassificationReport: Sendable, Codable, Equatable {
    public static let maximumCurvePoints = 201

    public var count: Int
    public var positives: Int
    /// Probabilities that were not finite numbers (NaN, infinity), scored as 0: 0 for a healthy
    /// model; nil in reports written before it was counted.
    public var nonFiniteCount: Int?
    /// Nil when the labels hold only one class (the area is undefined).
    public var rocAUC: Double?
    /// Nil when there is no positive.
    public var prAUC: Double?
    public var logLoss: Double
    public var brierScore: Double
    /// Decisions at probability 0.5.
    public var atHalf: ThresholdMetrics
    /// Decisions at the threshold with the highest F1 on these examples (optimistic on a test
    /// split; see ``atChosenThreshold``).
    public var atBestF1: ThresholdMetrics
    /// Decisions at a threshold chosen elsewhere (say, the best F1 on validation), when given.
    public var atChosenThreshold: ThresholdMetrics?
    public var rocCurve: [ROCPoint]
    public var precisionRecallCurve: [PrecisionRecallPoint]
    /// Ten equal-width bins over `[0, 1]`.
    public var calibration: [CalibrationBin]

    /// - Parameters:
    ///   - threshold: A decision threshold chosen elsewhere, reported as ``atChosenThreshold``.
    /// - Precondition: the same number of probabilities and labels, at least one, each label 0
    ///   or 1.
    public init(probabilities: [Double], labels: [Int], threshold: Double? = nil) {
        precondition(
            probabilities.count == labels.count && !labels.isEmpty,
            "ClassificationReport: \(probabilities.count) probabilities for \(labels.count) labels")
        precondition(labels.allSatisfy { $0 == 0 || $0 == 1 }, "ClassificationReport: labels must be 0 or 1")
        let nonFinite = probabilities.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        let probabilities = nonFinite == 0 ? probabilities : probabilities.map { $0.isFinite ? $0 : 0 }
        nonFiniteCount = nonFinite
        let n = labels.count
        let positives = labels.reduce(0, +)
        let negatives = n - positives
        count = n
        self.positives = positives

        var logLoss = 0.0
        var brier = 0.0
        for (p, y) in zip(probabilities, labels) {
            let clipped = min(max(p, 1e-15), 1 - 1e-15)
            logLoss -= y == 1 ? log(clipped) : log(1 - clipped)
            brier += (p - Double(y)) * (p - Double(y))
        }
        self.logLoss = logLoss / Double(n)
        brierScore = brier / Double(n)

        // Walk thresholds from the highest score down; each distinct score is one threshold.
        // The curve starts above the highest score (nothing positive), at a finite value so
        // that the report encodes as JSON.
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        let aboveAll = (probabilities.max() ?? 1).nextUp
        var roc = [ROCPoint(threshold: aboveAll, falsePositiveRate: 0, truePositiveRate: 0)]
        var pr: [PrecisionRecallPoint] = []
        var best = ThresholdMetrics(
            threshold: aboveAll,
            confusion: ConfusionMatrix(
                truePositives: 0, falsePositives: 0, trueNegatives: negatives, falseNegatives: positives))
        var tp = 0
        var fp = 0
        var area = 0.0
        var averagePrecision = 0.0
        var previousRecall = 0.0
        var index = 0
        while index < order.count {
            let threshold = probabilities[order[index]]
            while index < order.count && probabilities[order[index]] == threshold {
                if labels[order[index]] == 1 { tp += 1 } else { fp += 1 }
                index += 1
            }
            let tpr = ratio(tp, positives)
            let fpr = ratio(fp, negatives)
            if let last = roc.last {
                area += (fpr - last.falsePositiveRate) * (tpr + last.truePositiveRate) / 2
            }
            roc.append(ROCPoint(threshold: threshold, falsePositiveRate: fpr, truePositiveRate: tpr))
            let metrics = ThresholdMetrics(
                threshold: threshold,
                confusion: ConfusionMatrix(
                    truePositives: tp, falsePositives: fp, trueNegatives: negatives - fp, falseNegatives: positives - tp
                ))
            pr.append(PrecisionRecallPoint(threshold: threshold, precision: metrics.precision, recall: metrics.recall))
            averagePrecision += (metrics.recall - previousRecall) * metrics.precision
            previousRecall = metrics.recall
            if metrics.f1 > best.f1 { best = metrics }
        }
        rocAUC = positives > 0 && negatives > 0 ? area : nil
        prAUC = positives > 0 ? averagePrecision : nil
        atBestF1 = best
        atHalf = Self.decisions(probabilities: probabilities, labels: labels, threshold: 0.5)
        atChosenThreshold = threshold.map {
            Self.decisions(probabilities: probabilities, labels: labels, threshold: $0)
        }
        rocCurve = Self.thinned(roc)
        precisionRecallCurve = Self.thinned(pr)
        calibration = Self.calibration(probabilities: probabilities, labels: labels, bins: 10)
    }

    /// The decisions `probability >= threshold` against the labels.
    public static func decisions(probabilities: [Double], labels: [Int], threshold: Double) -> ThresholdMetrics {
        var c = ConfusionMatrix(truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0)
        for (p, y) in zip(probabilities, labels) {
            switch (p >= threshold, y == 1) {
            case (true, true): c.truePositives += 1
            case (true, false): c.falsePositives += 1
            case (false, false): c.trueNegatives += 1
            case (false, true): c.falseNegatives += 1
            }
        }
        return ThresholdMetrics(threshold: threshold, confusion: c)
    }

    private static func calibration(probabilities: [Double], labels: [Int], bins: Int) -> [CalibrationBin] {
        var counts = [Int](repeating: 0, count: bins)
        var predicted = [Double](repeating: 0, count: bins)
        var observed = [Double](repeating: 0, count: bins)
        for (p, y) in zip(probabilities, labels) {
            let bin = min(max(Int(p * Double(bins)), 0), bins - 1)
            counts[bin] += 1
            predicted[bin] += p
            observed[bin] += Double(y)
        }
        return (0..<bins).map { b -> CalibrationBin in
            let size = Double(max(counts[b], 1))
            let lower: Double = Double(b) / Double(bins)
            let upper: Double = Double(b + 1) / Double(bins)
            return CalibrationBin(
                lower: lower, upper: upper, count: counts[b],
                meanPredicted: predicted[b] / size, observedRate: observed[b] / size)
        }
    }

    private static func thinned<Point>(_ points: [Point]) -> [Point] {
        guard points.count > maximumCurvePoints else { return points }
        let step = Double(points.count - 1) / Double(maximumCurvePoints - 1)
        return (0..<maximumCurvePoints).map { k in
            let position: Double = Double(k) * step
            return points[Int(position.rounded())]
        }
    }
}

private func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator > 0 ? Double(numerator) / Double(denominator) : 0
}
