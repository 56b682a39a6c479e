import Foundation
import Settings
import Synchronization

/// The thresholds drift checks use. The defaults and why are in `docs/monitoring.md`.
public struct DriftSettings: Sendable, Codable, Equatable {
    /// Numbers: the Wasserstein distance over the training standard deviation above which a
    /// feature has drifted (0.05: half of Evidently's 0.1, so a shift of 0.1 standard deviations
    /// is caught).
    public var wasserstein = 0.05
    /// Categories: the Jensen-Shannon distance (natural logarithm) above which a feature has
    /// drifted (Evidently's default).
    public var jensenShannon = 0.1
    /// The model's scores: the population stability index above which they have drifted (the
    /// credit-scoring convention: below 0.1 stable).
    public var populationStability = 0.1
    /// Numbers: a change in the share of missing values above which a feature has drifted.
    public var missingShare = 0.05
    /// The share of drifted features from which the data as a whole has drifted (Evidently's
    /// default).
    public var datasetShare = 0.5
    /// Raise each threshold to what sampling noise alone reaches once in a thousand comparisons
    /// of samples this size, so small samples do not raise false alarms.
    public var noiseGuard = true

    public init() {}

    /// Throws for a threshold that is not a positive number (a share above 1).
    public func validate() throws(InvalidParameter) {
        for (key, value) in [
            ("wasserstein", wasserstein), ("jensen-shannon", jensenShannon), ("psi", populationStability),
            ("missing-share", missingShare),
        ] where !(value > 0 && value.isFinite) {
            throw InvalidParameter(key, value: value, allowed: "a positive number")
        }
        guard datasetShare > 0, datasetShare <= 1 else {
            throw InvalidParameter("drift-share", value: datasetShare, allowed: "above 0 and at most 1")
        }
    }

    /// `√n_eff · W / σ` reached once in a thousand no-change comparisons. Measured on seeded
    /// samples of 1,000 to 100,000 rows from normal, exponential, log-normal, Poisson (means 0.3
    /// and 5) and Bernoulli (0.05) distributions: at most 3.9; 5 leaves room.
    public static let wassersteinNoise = 5.0
    /// The confidence of the noise guard.
    public static let noiseConfidence = 0.999
}

/// One bar pair of a drift plot: a bin's share in training and in the recent data.
public struct DriftBin: Sendable, Codable, Equatable {
    public var label: String
    public var training: Double
    public var recent: Double
}

/// The verdict on one feature (or on the model's scores).
public struct FeatureDrift: Sendable, Codable, Equatable {
    public var name: String
    /// Where the feature comes from: `input` (a column the model reads), `users` (per-user
    /// figures), `events` (per-event figures) or `output` (the model's scores).
    public var group: String
    /// `numeric` or `categorical`.
    public var kind: String
    /// The statistic that decides: `wasserstein` (over the training standard deviation),
    /// `jensen-shannon`, `psi`, `missing-share` (when the share of missing values moved more than
    /// the distribution did), or `absent` (the recent data lacks the feature).
    public var statistic: String
    public var value: Double
    public var threshold: Double
    public var drifted: Bool
    public var trainingCount: Int
    public var recentCount: Int
    /// Numbers: the population stability index over about ten training-quantile bins (reported,
    /// not deciding).
    public var populationStability: Double?
    public var trainingMean: Double?
    public var recentMean: Double?
    public var trainingMissingShare: Double
    public var recentMissingShare: Double
    /// Shares per bin for a plot (numbers: about ten bins of equal training mass; categories:
    /// the kept values, then other and missing).
    public var bins: [DriftBin]
}

/// Every feature's verdict, the scores', and the overall one.
public struct DriftReport: Sendable, Codable, Equatable {
    public var features: [FeatureDrift]
    /// The model's own scores, when both sides have them.
    public var scores: FeatureDrift?
    public var driftedFeatures: Int
    /// Drifted features over all features.
    public var driftedShare: Double
    /// Whether the data as a whole has drifted: at least ``DriftSettings/datasetShare`` of the
    /// features did, or the scores did.
    public var drifted: Bool
    /// `stable` (nothing drifted), `partial` (some features, not enough for `drifted`) or
    /// `drifted`.
    public var verdict: String
    public var trainingRows: Int
    public var recentRows: Int
    /// Facts about the recent data the caller adds (new users, unknown items), by name.
    public var facts: [String: Int]
    public var settings: DriftSettings
}

/// A recent sample of one feature.
public enum FeatureSample: Sendable, Equatable {
    case numbers([Double])
    /// Categories; nil is a missing value.
    case categories([String?])
}

/// A sample with its feature's name and group (see ``FeatureProfile/group``): what profiles
/// are built from and what recent data is made of.
public struct FeatureColumn: Sendable, Equatable {
    public var name: String
    public var group: String
    public var sample: FeatureSample

    public init(name: String, group: String, sample: FeatureSample) {
        self.name = name
        self.group = group
        self.sample = sample
    }
}

/// Recent data to compare with a training profile: a sample per feature name and the model's
/// scores on it.
public struct RecentData: Sendable {
    public var rows: Int
    public var features: [String: FeatureSample]
    public var scores: [Double]?
    public var facts: [String: Int]

    public init(rows: Int, features: [String: FeatureSample], scores: [Double]? = nil, facts: [String: Int] = [:]) {
        self.rows = rows
        self.features = features
        self.scores = scores
        self.facts = facts
    }

    /// Recent data of named columns (a later column of the same name wins).
    public init(rows: Int, columns: [FeatureColumn], scores: [Double]? = nil, facts: [String: Int] = [:]) {
        self.init(
            rows: rows, features: Dictionary(columns.map { ($0.name, $0.sample) }, uniquingKeysWith: { $1 }),
            scores: scores, facts: facts)
    }
}

extension TrainingProfile {
    /// Compares `recent` with the profile, feature by feature (in parallel over features).
    public func compare(with recent: RecentData, settings: DriftSettings = DriftSettings()) -> DriftReport {
        let results = Mutex([FeatureDrift?](repeating: nil, count: features.count))
        DispatchQueue.concurrentPerform(iterations: features.count) { index in
            let drift = Self.drift(of: features[index], recent.features[features[index].name], settings)
            results.withLock { $0[index] = drift }
        }
        let drifts = results.withLock { $0.compactMap { $0 } }
        var scoreDrift: FeatureDrift?
        if let profile = scores, let values = recent.scores {
            scoreDrift = Self.scoreDrift(profile, NumericTally(values: values, in: profile), settings)
        }
        let driftedCount = drifts.filter(\.drifted).count
        let share = drifts.isEmpty ? 0 : Double(driftedCount) / Double(drifts.count)
        let drifted = (!drifts.isEmpty && share >= settings.datasetShare) || scoreDrift?.drifted == true
        return DriftReport(
            features: drifts, scores: scoreDrift, driftedFeatures: driftedCount, driftedShare: share,
            drifted: drifted, verdict: drifted ? "drifted" : (driftedCount > 0 ? "partial" : "stable"),
            trainingRows: rows, recentRows: recent.rows, facts: recent.facts, settings: settings)
    }

    static func drift(of feature: FeatureProfile, _ sample: FeatureSample?, _ settings: DriftSettings)
        -> FeatureDrift
    {
        switch (feature.distribution, sample) {
        case (.numeric(let profile), .numbers(let values)?):
            return numericDrift(feature, profile, NumericTally(values: values, in: profile), settings)
        case (.categorical(let profile), .categories(let values)?):
            return categoricalDrift(feature, profile, CategoryTally(values: values, in: profile), settings)
        case (.numeric(let profile), _):
            return absent(feature, kind: "numeric", trainingCount: profile.count)
        case (.categorical(let profile), _):
            return absent(feature, kind: "categorical", trainingCount: profile.total)
        }
    }

    private static func absent(_ feature: FeatureProfile, kind: String, trainingCount: Int) -> FeatureDrift {
        FeatureDrift(
            name: feature.name, group: feature.group, kind: kind, statistic: "absent", value: 1, threshold: 0,
            drifted: true, trainingCount: trainingCount, recentCount: 0, trainingMissingShare: 0,
            recentMissingShare: 1, bins: [])
    }

    static func numericDrift(
        _ feature: FeatureProfile, _ profile: NumericProfile, _ tally: NumericTally, _ settings: DriftSettings
    ) -> FeatureDrift {
        let size = DriftStatistics.effectiveSize(profile.count, tally.count)
        let bins = stabilityBins(profile, tally)
        let psi = populationStability(of: bins)
        var drift = FeatureDrift(
            name: feature.name, group: feature.group, kind: "numeric", statistic: "wasserstein", value: 0,
            threshold: settings.wasserstein, drifted: false, trainingCount: profile.count, recentCount: tally.count,
            populationStability: psi, trainingMean: profile.count > 0 ? profile.mean : nil, recentMean: tally.mean,
            trainingMissingShare: profile.missingShare, recentMissingShare: tally.missingShare, bins: bins)
        if let distance = DriftStatistics.wasserstein(profile, tally) {
            drift.value = distance / profile.scale
            if settings.noiseGuard {
                drift.threshold = max(drift.threshold, DriftSettings.wassersteinNoise / size.squareRoot())
            }
            drift.drifted = drift.value > drift.threshold
        }
        // The share of missing values, checked against a two-proportion z bound.
        let (p, q) = (profile.missingShare, tally.missingShare)
        let total = DriftStatistics.effectiveSize(profile.count + profile.missing, tally.count + tally.missing)
        var missingThreshold = settings.missingShare
        if settings.noiseGuard, total > 0 {
            let pooled = (p + q) / 2
            let z = DriftStatistics.normalQuantile(1 - (1 - DriftSettings.noiseConfidence) / 2)
            missingThreshold = max(missingThreshold, z * (pooled * (1 - pooled) / total).squareRoot())
        }
        if !drift.drifted, abs(q - p) > missingThreshold || (tally.count == 0 && profile.count > 0) {
            drift.statistic = "missing-share"
            drift.value = abs(q - p)
            drift.threshold = missingThreshold
            drift.drifted = true
        }
        return drift
    }

    static func categoricalDrift(
        _ feature: FeatureProfile, _ profile: CategoryProfile, _ tally: CategoryTally, _ settings: DriftSettings
    ) -> FeatureDrift {
        let training = (profile.counts + [profile.other, profile.missing]).map(Double.init)
        let recent = (tally.counts + [tally.other, tally.missing]).map(Double.init)
        let distance = DriftStatistics.jensenShannonDistance(training, recent)
        var threshold = settings.jensenShannon
        let size = DriftStatistics.effectiveSize(profile.total, tally.total)
        let categories = zip(training, recent).filter { $0 > 0 || $1 > 0 }.count
        if settings.noiseGuard, size > 0, categories > 1 {
            let critical = DriftStatistics.chiSquareQuantile(
                degrees: categories - 1, probability: DriftSettings.noiseConfidence)
            threshold = max(threshold, (critical / (8 * size)).squareRoot())
        }
        let (trainingTotal, recentTotal) = (max(Double(profile.total), 1), max(Double(tally.total), 1))
        let labels = profile.values + ["(other)", "(missing)"]
        let bins = zip(labels, zip(training, recent)).map { label, pair in
            DriftBin(label: label, training: pair.0 / trainingTotal, recent: pair.1 / recentTotal)
        }
        return FeatureDrift(
            name: feature.name, group: feature.group, kind: "categorical", statistic: "jensen-shannon",
            value: distance, threshold: threshold, drifted: tally.total > 0 && distance > threshold,
            trainingCount: profile.total, recentCount: tally.total,
            trainingMissingShare: Double(profile.missing) / trainingTotal,
            recentMissingShare: Double(tally.missing) / recentTotal, bins: bins)
    }

    static func scoreDrift(_ profile: NumericProfile, _ tally: NumericTally, _ settings: DriftSettings) -> FeatureDrift
    {
        let bins = stabilityBins(profile, tally)
        let value = populationStability(of: bins) ?? 0
        var threshold = settings.populationStability
        let size = DriftStatistics.effectiveSize(profile.count, tally.count)
        if settings.noiseGuard, size > 0, bins.count > 1 {
            let critical = DriftStatistics.chiSquareQuantile(
                degrees: bins.count - 1, probability: DriftSettings.noiseConfidence)
            threshold = max(threshold, critical / size)
        }
        return FeatureDrift(
            name: "score", group: "output", kind: "numeric", statistic: "psi", value: value, threshold: threshold,
            drifted: tally.count > 0 && value > threshold, trainingCount: profile.count, recentCount: tally.count,
            populationStability: value, trainingMean: profile.count > 0 ? profile.mean : nil, recentMean: tally.mean,
            trainingMissingShare: profile.missingShare, recentMissingShare: tally.missingShare, bins: bins)
    }

    /// The PSI over the bins' shares, or nil without bins (an empty side).
    static func populationStability(of bins: [DriftBin]) -> Double? {
        bins.isEmpty
            ? nil
            : DriftStatistics.populationStabilityIndex(expected: bins.map(\.training), actual: bins.map(\.recent))
    }

    /// About ten bins of equal training mass built from the profile's cells (cells are never
    /// split, so a heavy value keeps its own bin); the sample's values below or above the
    /// training range join the first or last bin.
    static func stabilityBins(_ profile: NumericProfile, _ tally: NumericTally) -> [DriftBin] {
        guard profile.count > 0, tally.count > 0 else { return [] }
        let target = Double(profile.count) / 10
        var bins: [DriftBin] = []
        var (training, recent, start) = (0, 0, 0)
        let label = { (from: Int, to: Int) -> String in
            let low = profile.edges[from]
            let high = profile.edges[min(to + 1, profile.edges.count - 1)]
            return low == high ? format(low) : "\(format(low)) to \(format(high))"
        }
        for cell in profile.counts.indices {
            training += profile.counts[cell]
            recent += tally.counts[cell]
            if Double(training) >= target || cell == profile.counts.count - 1 {
                bins.append(DriftBin(label: label(start, cell), training: Double(training), recent: Double(recent)))
                (training, recent, start) = (0, 0, cell + 1)
            }
        }
        bins[0].recent += Double(tally.below)
        bins[bins.count - 1].recent += Double(tally.above)
        let (n, m) = (Double(profile.count), Double(tally.count))
        return bins.map { DriftBin(label: $0.label, training: $0.training / n, recent: $0.recent / m) }
    }

    private static func format(_ value: Double) -> String {
        abs(value) >= 1e5 || (abs(value) < 1e-3 && value != 0)
            ? String(format: "%.3g", value) : String(format: "%.4g", value)
    }
}
