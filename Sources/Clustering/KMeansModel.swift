/// A fitted k-means clustering (from ``KMeans`` or ``MiniBatchKMeans``).
///
/// Clusters are numbered by size, largest first (ties: the cluster holding the lower first
/// point), so the same partition always gets the same labels and cluster 0 is the biggest
/// segment. Every fitted point's assignment is its nearest centroid, and ``inertia`` is the
/// sum of those squared distances.
///
/// Decoding checks the centroids (finite, at least one) and the assignments (each a cluster),
/// so a model read from a file cannot index outside its centroids.
public struct KMeansModel: Sendable, Codable, Equatable {
    /// One centroid per cluster, `clusters x dimension`.
    public let centroids: Points
    /// The cluster of each point the model was fitted on.
    public let assignments: [Int]
    /// The sum of squared Euclidean distances from each fitted point to its centroid.
    public let inertia: Double
    /// The winning run's Lloyd iterations (``KMeans``) or mini-batch steps (``MiniBatchKMeans``).
    public let iterations: Int
    /// The inertia of each restart, in the order they ran (for ``MiniBatchKMeans``, each
    /// seeding's inertia on the validation sample).
    public let restartInertias: [Double]

    /// The number of clusters `k`.
    public var clusters: Int { centroids.count }

    /// The number of fitted points in each cluster (non-increasing).
    public var clusterSizes: [Int] {
        var sizes = [Int](repeating: 0, count: clusters)
        for label in assignments { sizes[label] += 1 }
        return sizes
    }

    /// A model from centroids in shifted coordinates (`k x dimension`) and the labels of the
    /// fitted points, renumbered by size.
    init(
        shiftedCentroids: [Float], shift: [Float], labels: [Int], inertia: Double, iterations: Int,
        restartInertias: [Double]
    ) {
        let d = shift.count
        let k = shiftedCentroids.count / d
        var sizes = [Int](repeating: 0, count: k)
        var firstPoint = [Int](repeating: Int.max, count: k)
        for (index, label) in labels.enumerated() {
            sizes[label] += 1
            firstPoint[label] = min(firstPoint[label], index)
        }
        let order = (0..<k).sorted {
            (sizes[$0], -firstPoint[$0], -$0) > (sizes[$1], -firstPoint[$1], -$1)
        }
        var newLabel = [Int](repeating: 0, count: k)
        var values = [Float](repeating: 0, count: k * d)
        for (new, old) in order.enumerated() {
            newLabel[old] = new
            for c in 0..<d { values[new * d + c] = shiftedCentroids[old * d + c] + shift[c] }
        }
        centroids = Points(values: values, dimension: d)
        assignments = labels.map { newLabel[$0] }
        self.inertia = inertia
        self.iterations = iterations
        self.restartInertias = restartInertias
    }

    /// The nearest centroid of each of `points` (the lower cluster on ties).
    ///
    /// A point with a NaN or infinite value gets cluster 0.
    ///
    /// - Precondition: the points have the centroids' dimension.
    public func assign(_ points: Points, threads: Int = 1) -> [Int] {
        let nearest = prepared(for: points, threads: threads)
        var labels = [Int](repeating: 0, count: points.count)
        var distances = [Float](repeating: 0, count: points.count)
        _ = nearest.search.assign(nearest.block, labels: &labels, distances: &distances, summing: false)
        return labels
    }

    /// The Euclidean distance from each of `points` to every centroid: a `count x clusters`
    /// matrix (scikit-learn's `transform`).
    ///
    /// - Precondition: the points have the centroids' dimension.
    public func distances(_ points: Points, threads: Int = 1) -> Points {
        let nearest = prepared(for: points, threads: threads)
        let k = clusters
        let block = nearest.block
        var result = [Float](repeating: 0, count: points.count * k)
        points.withUnsafeValues { base in
            nearest.search.shift.withUnsafeBufferPointer { shiftBuffer in
                result.withUnsafeMutableBufferPointer { resultBuffer in
                    guard let shift = shiftBuffer.baseAddress, let output = resultBuffer.baseAddress else { return }
                    let workspaces = nearest.search.workspaces
                    forEachPart(points.count, parts: workspaces.count) { part, range in
                        let workspace = workspaces[part]
                        for start in stride(from: range.lowerBound, to: range.upperBound, by: workspace.rowCapacity) {
                            let rows = start..<min(start + workspace.rowCapacity, range.upperBound)
                            workspace.load(base, rows: rows, shift: shift)
                            workspace.multiply(by: block)
                            for i in 0..<rows.count {
                                for j in 0..<k {
                                    output[(start + i) * k + j] =
                                        workspace.squaredDistance(row: i, centroid: j, centroidNorm: block.norms[j])
                                        .squareRoot()
                                }
                            }
                        }
                    }
                }
            }
        }
        return Points(values: result, dimension: k)
    }

    /// The centroids shifted by their mean (so distances keep their precision far from the
    /// origin) and a search over `points` with that shift.
    private func prepared(for points: Points, threads: Int) -> (block: CentroidBlock, search: NearestCentroids) {
        precondition(
            points.dimension == centroids.dimension,
            "KMeansModel: points of \(points.dimension) values for centroids of \(centroids.dimension)")
        let d = centroids.dimension
        let k = clusters
        var means = [Double](repeating: 0, count: d)
        for j in 0..<k {
            for c in 0..<d { means[c] += Double(centroids.values[j * d + c]) }
        }
        let shift = means.map { Float($0 / Double(k)) }
        var shifted = centroids.values
        for j in 0..<k {
            for c in 0..<d { shifted[j * d + c] -= shift[c] }
        }
        let workspaces = makeWorkspaces(points: points, threads: threads, centroids: k)
        return (
            CentroidBlock(values: shifted, dimension: d),
            NearestCentroids(points: points, shift: shift, workspaces: workspaces)
        )
    }

    private enum CodingKeys: String, CodingKey {
        case centroids, assignments, inertia, iterations, restartInertias
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        centroids = try container.decode(Points.self, forKey: .centroids)
        assignments = try container.decode([Int].self, forKey: .assignments)
        inertia = try container.decode(Double.self, forKey: .inertia)
        iterations = try container.decode(Int.self, forKey: .iterations)
        restartInertias = try container.decode([Double].self, forKey: .restartInertias)
        let k = centroids.count
        guard k >= 1, centroids.values.allSatisfy(\.isFinite), assignments.allSatisfy({ (0..<k).contains($0) }),
            inertia.isFinite, inertia >= 0, iterations >= 0, restartInertias.allSatisfy(\.isFinite)
        else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "KMeansModel: centroids must be finite and at least one, assignments between 0 and \(k - 1), inertia finite and 0 or more"
                ))
        }
    }
}
