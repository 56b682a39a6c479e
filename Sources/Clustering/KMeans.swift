import Randomness
import Settings

/// k-means clustering by Lloyd's algorithm from greedy k-means++ seeds, as scikit-learn's
/// `KMeans(algorithm="lloyd")` does it.
///
/// Each of ``restarts`` runs seeds `k` centres with greedy k-means++ and moves them to the
/// mean of their points until they settle; the run with the lowest inertia (the sum of squared
/// distances from each point to its centroid) wins. A run stops when the centres stop moving,
/// when the total squared centre shift of an iteration is at most ``tolerance`` times the mean
/// per-dimension variance of the data, or after ``maximumIterations``. A cluster left empty is
/// given the point farthest from its centroid.
///
/// Distances are computed in float through matrix products on rows shifted by the data's
/// column means (as scikit-learn centres the data), in chunks of at most 4,096 rows split
/// across ``threads`` threads. The result is the same for the same seed and thread count.
///
/// ```swift
/// let model = try KMeans(clusters: 4, seed: 7).fit(points)
/// model.assignments    // cluster of each point, 0 the largest cluster
/// model.inertia
/// let labels = model.assign(newPoints)
/// ```
public struct KMeans: Sendable, Equatable {
    /// The number of clusters `k` (key `k`).
    public var clusters: Int
    /// Seedings tried; the lowest inertia wins (key `restarts`).
    public var restarts: Int
    /// The most Lloyd iterations of one run (key `max-iterations`).
    public var maximumIterations: Int
    /// A run ends when the total squared shift of the centres in one iteration is at most
    /// this times the mean per-dimension variance of the data (key `tolerance`).
    public var tolerance: Double
    /// Seeds the k-means++ draws.
    public var seed: UInt64
    /// Threads for the assignment steps (key `threads`).
    public var threads: Int

    /// - Parameters:
    ///   - clusters: The number of clusters `k`.
    ///   - restarts: Seedings tried (scikit-learn's `n_init`).
    ///   - maximumIterations: Lloyd iterations per run at most (`max_iter`).
    ///   - tolerance: Relative to the mean per-dimension variance (`tol`).
    ///   - seed: Seeds the k-means++ draws.
    ///   - threads: Threads for the assignment steps.
    public init(
        clusters: Int, restarts: Int = 4, maximumIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64,
        threads: Int = 1
    ) {
        self.clusters = clusters
        self.restarts = restarts
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
        self.seed = seed
        self.threads = threads
    }

    /// Checks every value but `k`'s upper bound, which ``fit(_:)`` checks against the data.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(clusters >= 1, "k", clusters, allowed: "at least 1")
        try InvalidParameter.require(restarts >= 1, "restarts", restarts, allowed: "at least 1")
        try InvalidParameter.require(maximumIterations >= 1, "max-iterations", maximumIterations, allowed: "at least 1")
        try InvalidParameter.require(
            tolerance >= 0 && tolerance.isFinite, "tolerance", tolerance, allowed: "a finite number, 0 or more")
        try InvalidParameter.require(threads >= 1, "threads", threads, allowed: "at least 1")
    }

    /// Clusters `points`.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, `k` above the number of points, or a
    ///   point with a NaN or infinite value (key `points`).
    public func fit(_ points: Points) throws(InvalidParameter) -> KMeansModel {
        let data = try prepare(points)
        var generator = RandomGenerator(seed: seed)
        var best: LloydRun?
        var inertias: [Double] = []
        for _ in 0..<restarts {
            let seeds = KMeansPlusPlus.centroids(
                points, shift: data.shift, clusters: clusters, workspaces: data.nearest.workspaces,
                generator: &generator)
            let run = lloyd(data, from: seeds)
            inertias.append(run.inertia)
            if best.map({ run.inertia < $0.inertia }) ?? true { best = run }
        }
        guard let best else { preconditionFailure("KMeans: validate() lets no fit run without a restart") }
        return KMeansModel(
            shiftedCentroids: best.centroids, shift: data.shift, labels: best.labels, inertia: best.inertia,
            iterations: best.iterations, restartInertias: inertias)
    }

    /// Clusters `points` by Lloyd iterations from `initial` centroids (one run, no seeding;
    /// ``restarts`` and ``seed`` are not used).
    ///
    /// - Precondition: `initial` holds ``clusters`` centroids of the points' dimension.
    /// - Throws: as ``fit(_:)``.
    public func fit(_ points: Points, startingFrom initial: Points) throws(InvalidParameter) -> KMeansModel {
        precondition(
            initial.count == clusters && initial.dimension == points.dimension,
            "KMeans: \(initial.count) initial centroids of \(initial.dimension) values for k = \(clusters)")
        let data = try prepare(points)
        let d = points.dimension
        var seeds = [Float](repeating: 0, count: clusters * d)
        for j in 0..<clusters {
            for c in 0..<d { seeds[j * d + c] = initial.values[j * d + c] - data.shift[c] }
        }
        let run = lloyd(data, from: seeds)
        return KMeansModel(
            shiftedCentroids: run.centroids, shift: data.shift, labels: run.labels, inertia: run.inertia,
            iterations: run.iterations, restartInertias: [run.inertia])
    }

    /// The checked data of a fit: the shift, the absolute tolerance, one workspace per thread.
    struct FitData {
        let nearest: NearestCentroids
        let shift: [Float]
        let absoluteTolerance: Double
    }

    private func prepare(_ points: Points) throws(InvalidParameter) -> FitData {
        try validate()
        try InvalidParameter.require(
            clusters <= points.count, "k", clusters, allowed: "between 1 and the number of points (\(points.count))")
        let statistics = try checkedStatistics(points)
        let workspaces = makeWorkspaces(
            points: points, threads: threads,
            centroids: max(clusters, KMeansPlusPlus.trials(forClusters: clusters)))
        return FitData(
            nearest: NearestCentroids(points: points, shift: statistics.shift, workspaces: workspaces),
            shift: statistics.shift, absoluteTolerance: tolerance * statistics.meanVariance)
    }

    /// One Lloyd run's outcome, in shifted coordinates, labels matching the centroids.
    struct LloydRun {
        var centroids: [Float]
        var labels: [Int]
        var inertia: Double
        var iterations: Int
    }

    /// Lloyd iterations from `seeds` (shifted).
    private func lloyd(_ data: FitData, from seeds: [Float]) -> LloydRun {
        let points = data.nearest.points
        let n = points.count
        let d = points.dimension
        let k = clusters
        var centroids = seeds
        var labels = [Int](repeating: -1, count: n)
        var distances = [Float](repeating: 0, count: n)
        var iterations = 0
        var inertia = 0.0
        var labelsMatchCentroids = false
        for iteration in 1...maximumIterations {
            iterations = iteration
            let block = CentroidBlock(values: centroids, dimension: d)
            var totals = data.nearest.assign(block, labels: &labels, distances: &distances, summing: true)
            inertia = totals.inertia
            let relocated = relocateEmptyClusters(
                &totals, labels: labels, distances: distances, points: points, shift: data.shift)
            var next = centroids
            var shift = 0.0
            for j in 0..<k where totals.counts[j] > 0 {
                let scale = 1 / Double(totals.counts[j])
                for c in 0..<d {
                    let value = Float(totals.sums[j * d + c] * scale)
                    let move = Double(value) - Double(centroids[j * d + c])
                    shift += move * move
                    next[j * d + c] = value
                }
            }
            centroids = next
            if shift == 0 && !relocated {
                // Nothing moved: the labels just computed belong to these centroids.
                labelsMatchCentroids = true
                break
            }
            if shift <= data.absoluteTolerance { break }
        }
        if !labelsMatchCentroids {
            let block = CentroidBlock(values: centroids, dimension: d)
            inertia = data.nearest.assign(block, labels: &labels, distances: &distances, summing: false).inertia
        }
        return LloydRun(centroids: centroids, labels: labels, inertia: inertia, iterations: iterations)
    }
}

/// Gives each empty cluster one of the points farthest from their centroids, as scikit-learn
/// does: the farthest point goes to the empty cluster of lowest index, and so on. The sums and
/// counts in `totals` move with the point (its label is left for the next assignment to
/// update). Returns whether any cluster was empty.
func relocateEmptyClusters(
    _ totals: inout NearestCentroids.Totals, labels: [Int], distances: [Float], points: Points, shift: [Float]
) -> Bool {
    let empty = totals.counts.indices.filter { totals.counts[$0] == 0 }
    if empty.isEmpty { return false }
    let d = points.dimension
    // The farthest points, farthest first (the lower index first on ties).
    var farthest: [(distance: Float, index: Int)] = []
    farthest.reserveCapacity(empty.count + 1)
    for (index, distance) in distances.enumerated()
    where farthest.count < empty.count || distance > (farthest.last?.distance ?? 0) {
        let position = farthest.firstIndex { $0.distance < distance } ?? farthest.count
        farthest.insert((distance, index), at: position)
        if farthest.count > empty.count { farthest.removeLast() }
    }
    for (cluster, far) in zip(empty, farthest) {
        let old = labels[far.index]
        totals.counts[old] -= 1
        totals.counts[cluster] = 1
        for c in 0..<d {
            let value = Double(points.values[far.index * d + c] - shift[c])
            totals.sums[old * d + c] -= value
            totals.sums[cluster * d + c] = value
        }
    }
    return true
}

/// The column means as a shift and the mean per-dimension variance of `points`.
///
/// - Throws: ``InvalidParameter`` (key `points`) naming the first row with a NaN or infinite
///   value.
func checkedStatistics(_ points: Points) throws(InvalidParameter) -> (shift: [Float], meanVariance: Double) {
    guard let statistics = points.columnStatistics() else {
        throw InvalidParameter(
            "points", value: "a NaN or infinite value in row \(points.firstNonFiniteRow() ?? 0)",
            allowed: "finite numbers")
    }
    return (statistics.means.map { Float($0) }, statistics.meanVariance)
}

/// One distance workspace per thread (at most one thread per 1024 points) for products with
/// up to `centroids` centroids.
func makeWorkspaces(points: Points, threads: Int, centroids: Int) -> [DistanceWorkspace] {
    let parts = max(1, min(threads, points.count / 1024))
    let rows = DistanceWorkspace.chunkRows(centroids: centroids, dimension: points.dimension)
    return (0..<parts).map { _ in
        DistanceWorkspace(rowCapacity: rows, dimension: points.dimension, centroidCapacity: centroids)
    }
}
