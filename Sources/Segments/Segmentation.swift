import Clustering
import Embeddings
import Evaluation
import EventData
import Foundation
import NeuralNet
import Settings

/// How users are put into segments.
public enum SegmentMethod: String, Sendable, Codable, CaseIterable {
    /// k-means on the codes of a variational autoencoder trained on the scaled features.
    case embedding
    /// k-means on the scaled features.
    case kmeans
    /// A diagonal Gaussian mixture on the scaled features.
    case gmm
    /// Classic RFM groups from the purchase recency, frequency and spend columns.
    case rfm
}

/// Everything that decides a segmentation.
public struct SegmentationConfig: Sendable, Equatable {
    public var method: SegmentMethod
    /// The number of segments; nil chooses it (highest silhouette for k-means, lowest BIC for
    /// the mixture) among ``candidateCounts``.
    public var segments: Int?
    public var candidateCounts: ClosedRange<Int>
    /// k-means restarts (k-means++ seedings tried).
    public var restarts: Int
    /// Points in the seeded sample the silhouette is measured on.
    public var silhouetteSample: Int
    /// From this many users up, k-means runs in mini-batches.
    public var miniBatchFrom: Int
    /// Extra seeds the segmentation is repeated with to measure its stability (0: not measured).
    public var stabilitySeeds: Int
    /// The autoencoder of the `embedding` method.
    public var autoencoder: AutoencoderConfig
    public var seed: UInt64
    /// Threads for the clustering's distance work.
    public var threads: Int

    public init(method: SegmentMethod = .kmeans, segments: Int? = nil, seed: UInt64 = 42) {
        self.method = method
        self.segments = segments
        candidateCounts = 2...8
        restarts = 4
        silhouetteSample = 10_000
        miniBatchFrom = 100_000
        stabilitySeeds = 2
        autoencoder = AutoencoderConfig(kind: .variational, seed: seed)
        self.seed = seed
        threads = 1
    }

    /// Checks the settings.
    ///
    /// - Throws: ``InvalidParameter`` naming `k`, `restarts`, `stability-seeds` or an autoencoder key.
    public func validate() throws(InvalidParameter) {
        if let segments { try InvalidParameter.require("k", segments, in: 2...1_000) }
        try InvalidParameter.require(
            candidateCounts.lowerBound >= 2, "k", "\(candidateCounts)", allowed: "a range starting at 2 or more")
        try InvalidParameter.require("restarts", restarts, in: 1...1_000)
        try InvalidParameter.require("stability-seeds", stabilitySeeds, in: 0...100)
        if method == .embedding { try autoencoder.validate() }
    }
}

/// Users in segments, with how the number was chosen and how stable the result is.
public struct Segmentation: Sendable {
    public var method: SegmentMethod
    /// Each user's segment index (into ``names``).
    public var labels: [Int]
    /// Segment names: `1`, `2`, ... by decreasing size, or the RFM group names.
    public var names: [String]
    /// Each candidate number of segments with its silhouette (k-means) or BIC (mixture), when
    /// the number was chosen.
    public var candidates: [CountCandidate]
    /// The mean silhouette of the result on the seeded sample, in the space it was clustered in
    /// (nil for RFM).
    public var silhouette: Double?
    /// The mean adjusted Rand index between this result and the same method run with other
    /// seeds (1 = identical segments); nil when not measured.
    public var stability: Double?
    /// The autoencoder's codes, row-major, for the `embedding` method.
    public var embeddings: [Float]?

    /// One candidate number of segments.
    public struct CountCandidate: Sendable, Codable, Equatable {
        public var segments: Int
        /// k-means: the mean silhouette; mixture: the BIC.
        public var score: Double
    }

    /// Segments the users of a numeric table.
    ///
    /// - Parameters:
    ///   - columns: The feature names (RFM needs `recency_days`, `count_purchase`, `monetary`).
    ///   - rows: One row of raw values per user.
    /// - Throws: ``UnsupervisedError`` for bad settings, missing RFM columns, too few users, or a
    ///   diverged autoencoder.
    public static func fit(
        columns: [String], rows: [[Double]], config: SegmentationConfig,
        epochEnd: ((EpochRecord<Double>) -> Void)? = nil
    ) throws(UnsupervisedError) -> Segmentation {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        if config.method == .rfm { return try rfm(columns: columns, rows: rows) }
        guard rows.count >= 3 else {
            throw .badData(path: "", detail: "\(rows.count) users; segmenting needs at least 3")
        }
        let encoder: TableEncoder
        do {
            encoder = try TableEncoder.fitNumeric(names: columns, rows: rows)
        } catch {
            throw .badData(path: "", detail: error.localizedDescription)
        }
        let scaled = encoder.encode(numberRows: rows)
        var space = Points(values: scaled, dimension: max(1, columns.count))
        var embeddings: [Float]?
        if config.method == .embedding {
            let (model, _, _) = try Autoencoder.train(
                features: scaled, featureCount: columns.count, config: config.autoencoder, epochEnd: epochEnd)
            let codes = model.embeddings(of: scaled)
            embeddings = codes
            space = Points(values: codes, dimension: model.latentSize)
        }
        return try clustering(space, config: config, embeddings: embeddings)
    }

    /// Segments users by vectors they already have (say, embeddings stored by `behave embed`),
    /// as they are: no scaling, since the vectors share one space. The method must be k-means
    /// or the mixture.
    ///
    /// - Parameters:
    ///   - vectors: `users * dimension` values, row-major.
    /// - Throws: ``UnsupervisedError`` for bad settings, another method, or fewer than 3 users.
    public static func fit(vectors: [Float], dimension: Int, config: SegmentationConfig)
        throws(UnsupervisedError) -> Segmentation
    {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        guard config.method == .kmeans || config.method == .gmm else {
            throw .badData(
                path: "",
                detail: "vectors are segmented with kmeans or gmm, not \(config.method.rawValue)")
        }
        precondition(
            dimension >= 1 && vectors.count % dimension == 0,
            "Segmentation.fit: \(vectors.count) values are not rows of \(dimension)")
        guard vectors.count / dimension >= 3 else {
            throw .badData(path: "", detail: "\(vectors.count / dimension) users; segmenting needs at least 3")
        }
        return try clustering(Points(values: vectors, dimension: dimension), config: config, embeddings: nil)
    }

    /// Clusters `space` with the configured method (k chosen unless given), measures stability
    /// across seeds and the silhouette, and numbers the segments by size.
    private static func clustering(_ space: Points, config: SegmentationConfig, embeddings: [Float]?)
        throws(UnsupervisedError) -> Segmentation
    {
        func cluster(seed: UInt64) throws(InvalidParameter) -> (labels: [Int], candidates: [CountCandidate]) {
            let upper = min(config.candidateCounts.upperBound, space.count - 1)
            let counts = config.segments.map { $0...$0 } ?? min(config.candidateCounts.lowerBound, upper)...upper
            switch config.method {
            case .gmm:
                let mixture = GaussianMixture(components: counts.lowerBound, seed: seed, threads: config.threads)
                let choice = try ClusterCountSelection.gaussianMixture(space, components: counts, using: mixture)
                return (
                    choice.model.assignments,
                    choice.candidates.map { CountCandidate(segments: $0.components, score: $0.bic) }
                )
            default:
                let method: any CentroidClustering =
                    space.count >= config.miniBatchFrom
                    ? MiniBatchKMeans(clusters: counts.lowerBound, seed: seed, threads: config.threads)
                    : KMeans(
                        clusters: counts.lowerBound, restarts: config.restarts, seed: seed, threads: config.threads)
                if counts.lowerBound == counts.upperBound {
                    return (try method.fit(space).assignments, [])
                }
                let choice = try ClusterCountSelection.kMeans(
                    space, clusters: counts, using: method, silhouetteSample: config.silhouetteSample)
                return (
                    choice.model.assignments,
                    choice.candidates.map { CountCandidate(segments: $0.clusters, score: $0.silhouette) }
                )
            }
        }
        do {
            let (labels, candidates) = try cluster(seed: config.seed)
            let ordered = bySize(labels)
            var stability: Double?
            if config.stabilitySeeds > 0 {
                var agreement = 0.0
                for offset in 1...config.stabilitySeeds {
                    agreement += adjustedRandIndex(labels, try cluster(seed: config.seed &+ UInt64(offset)).labels)
                }
                stability = agreement / Double(config.stabilitySeeds)
            }
            return Segmentation(
                method: config.method, labels: ordered.labels, names: ordered.names, candidates: candidates,
                silhouette: Silhouette.score(
                    space, labels: labels, sampleSize: config.silhouetteSample, seed: config.seed),
                stability: stability, embeddings: embeddings)
        } catch {
            throw .invalidParameter(error)
        }
    }

    /// Renumbers segments by decreasing size (ties: the segment seen first), named 1, 2, ...
    static func bySize(_ labels: [Int]) -> (labels: [Int], names: [String]) {
        var sizes: [Int: Int] = [:]
        var firstSeen: [Int: Int] = [:]
        for (index, label) in labels.enumerated() {
            sizes[label, default: 0] += 1
            if firstSeen[label] == nil { firstSeen[label] = index }
        }
        let order = sizes.keys.sorted {
            sizes[$0] != sizes[$1] ? (sizes[$0] ?? 0) > (sizes[$1] ?? 0) : (firstSeen[$0] ?? 0) < (firstSeen[$1] ?? 0)
        }
        var rank: [Int: Int] = [:]
        for (position, label) in order.enumerated() { rank[label] = position }
        return (labels.map { rank[$0] ?? 0 }, order.indices.map { String($0 + 1) })
    }

    /// RFM groups from the table's `recency_days`, `count_purchase` and `monetary` columns.
    static func rfm(columns: [String], rows: [[Double]]) throws(UnsupervisedError) -> Segmentation {
        let needed = ["recency_days", "count_purchase", "monetary"]
        let positions = needed.map { columns.firstIndex(of: $0) }
        let found = positions.compactMap { $0 }
        guard found.count == 3 else {
            let missing = zip(needed, positions).filter { $0.1 == nil }.map(\.0)
            throw .badData(
                path: "",
                detail: "RFM needs the columns " + missing.joined(separator: ", ")
                    + "; segment an event store (whose purchases give them) or another method")
        }
        let scores = RFMSegmentation.score(
            recencyDays: rows.map { $0[found[0]] }, purchases: rows.map { $0[found[1]] },
            spend: rows.map { $0[found[2]] })
        let present = RFMSegment.allCases.filter { segment in scores.contains { $0.segment == segment } }
        let index = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
        return Segmentation(
            method: .rfm, labels: scores.map { index[$0.segment] ?? 0 }, names: present.map(\.rawValue),
            candidates: [], silhouette: nil, stability: nil, embeddings: nil)
    }
}
