import Settings

/// A centroid clustering whose number of clusters can be set: ``KMeans`` and
/// ``MiniBatchKMeans``.
public protocol CentroidClustering: Sendable {
    /// The number of clusters `k`.
    var clusters: Int { get set }
    /// Seeds the fit (and, in ``ClusterCountSelection``, the silhouette sample).
    var seed: UInt64 { get }
    /// Clusters `points`.
    func fit(_ points: Points) throws(InvalidParameter) -> KMeansModel
}

extension KMeans: CentroidClustering {}
extension MiniBatchKMeans: CentroidClustering {}

/// Choosing the number of clusters: fit every count in a range and keep the best, returning
/// every count's numbers so a caller can show the table.
///
/// ```swift
/// let choice = try ClusterCountSelection.kMeans(points, clusters: 2...10, using: KMeans(clusters: 2, seed: 7))
/// for candidate in choice.candidates { print(candidate.clusters, candidate.silhouette, candidate.inertia) }
/// choice.model    // the fit with the highest silhouette
/// ```
public enum ClusterCountSelection {
    /// One k-means fit of the range.
    public struct Candidate: Sendable, Codable, Equatable {
        /// The number of clusters `k`.
        public var clusters: Int
        /// The mean silhouette coefficient of the fit (on the sample).
        public var silhouette: Double
        /// The fit's inertia.
        public var inertia: Double
    }

    /// Every k-means fit's numbers and the chosen fit.
    public struct KMeansChoice: Sendable {
        /// One entry per number of clusters, in increasing order.
        public var candidates: [Candidate]
        /// The fit with the highest silhouette (the fewest clusters on ties).
        public var model: KMeansModel
    }

    /// One mixture fit of the range.
    public struct MixtureCandidate: Sendable, Codable, Equatable {
        /// The number of components.
        public var components: Int
        /// The fit's Bayesian information criterion (lower is better).
        public var bic: Double
        /// The fit's total log-likelihood.
        public var logLikelihood: Double
    }

    /// Every mixture fit's numbers and the chosen fit.
    public struct MixtureChoice: Sendable {
        /// One entry per number of components, in increasing order.
        public var candidates: [MixtureCandidate]
        /// The fit with the lowest BIC (the fewest components on ties).
        public var model: GaussianMixtureModel
    }

    /// Fits `method` with each number of clusters in `clusters` and chooses the highest mean
    /// silhouette, measured on one random sample of `silhouetteSample` points (seeded by the
    /// method's seed, the same sample for every count).
    ///
    /// - Throws: ``InvalidParameter`` (key `k`) when the range does not start at 2 or more or
    ///   ends beyond the number of points minus 1, or what the fits throw.
    public static func kMeans(
        _ points: Points, clusters: ClosedRange<Int>, using method: some CentroidClustering,
        silhouetteSample: Int? = 10_000
    ) throws(InvalidParameter) -> KMeansChoice {
        try InvalidParameter.require(
            clusters.lowerBound >= 2 && clusters.upperBound <= points.count - 1, "k",
            "\(clusters.lowerBound)...\(clusters.upperBound)",
            allowed: "a range from 2 up to the number of points minus 1 (\(points.count - 1))")
        if let silhouetteSample {
            try InvalidParameter.require(
                silhouetteSample >= 2, "silhouette-sample", silhouetteSample, allowed: "at least 2")
        }
        var candidates: [Candidate] = []
        var best: (model: KMeansModel, silhouette: Double)?
        for k in clusters {
            var configured = method
            configured.clusters = k
            let model = try configured.fit(points)
            let silhouette = Silhouette.score(
                points, labels: model.assignments, sampleSize: silhouetteSample, seed: method.seed)
            candidates.append(Candidate(clusters: k, silhouette: silhouette, inertia: model.inertia))
            if best.map({ silhouette > $0.silhouette }) ?? true { best = (model, silhouette) }
        }
        guard let best else { preconditionFailure("ClusterCountSelection: a checked range is never empty") }
        return KMeansChoice(candidates: candidates, model: best.model)
    }

    /// Fits `mixture` with each number of components in `components` and chooses the lowest
    /// BIC.
    ///
    /// - Throws: ``InvalidParameter`` (key `components`) when the range does not start at 1 or
    ///   more or ends beyond the number of points, or what the fits throw.
    public static func gaussianMixture(
        _ points: Points, components: ClosedRange<Int>, using mixture: GaussianMixture
    ) throws(InvalidParameter) -> MixtureChoice {
        try InvalidParameter.require(
            components.lowerBound >= 1 && components.upperBound <= points.count, "components",
            "\(components.lowerBound)...\(components.upperBound)",
            allowed: "a range from 1 up to the number of points (\(points.count))")
        var candidates: [MixtureCandidate] = []
        var best: GaussianMixtureModel?
        for count in components {
            var configured = mixture
            configured.components = count
            let model = try configured.fit(points)
            candidates.append(MixtureCandidate(components: count, bic: model.bic, logLikelihood: model.logLikelihood))
            if best.map({ model.bic < $0.bic }) ?? true { best = model }
        }
        guard let best else { preconditionFailure("ClusterCountSelection: a checked range is never empty") }
        return MixtureChoice(candidates: candidates, model: best)
    }
}
