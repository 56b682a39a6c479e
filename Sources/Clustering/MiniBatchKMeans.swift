import Randomness
import Settings

/// k-means on random mini-batches, as scikit-learn's `MiniBatchKMeans` does it: for data too
/// large for full Lloyd iterations (meant for tables above about 100,000 points).
///
/// Each of ``restarts`` seedings runs greedy k-means++ on a random sample of
/// `3 x batchSize` points (at least `3 k`) and is scored by its inertia on one random
/// validation batch; the best seeds are refined one batch at a time. A step draws
/// ``batchSize`` points (with replacement), assigns each to its nearest centroid, and moves
/// every centroid that received points to the running mean of all points it has received
/// (each centroid's learning rate is `1 / count`). Centroids that received fewer than
/// ``reassignmentRatio`` of the busiest centroid's points are moved to random points of the
/// batch now and then, as scikit-learn does, so no cluster stays empty.
///
/// The run stops after ``maximumSteps``, when a step moves the centroids by at most
/// ``tolerance`` times the mean per-dimension variance (squared, summed; off at 0), or when
/// the smoothed batch inertia has not improved for ``maximumNoImprovement`` steps. The model's
/// assignments and inertia then come from one pass over every point.
///
/// ```swift
/// let model = try MiniBatchKMeans(clusters: 8, seed: 7, threads: 2).fit(points)
/// ```
public struct MiniBatchKMeans: Sendable, Equatable {
    /// A centroid that has received fewer than this share of the busiest centroid's points is
    /// moved to a random point (scikit-learn's `reassignment_ratio`).
    public static let reassignmentRatio = 0.01

    /// The number of clusters `k` (key `k`).
    public var clusters: Int
    /// Points per step (key `batch-size`); the number of points when there are fewer.
    public var batchSize: Int
    /// The most steps, or nil for 100 passes' worth of batches (scikit-learn's `max_iter`
    /// 100), at most 100,000 steps (key `max-steps`).
    public var maximumSteps: Int?
    /// Seedings tried on samples; the lowest validation inertia wins (key `restarts`).
    public var restarts: Int
    /// Stop when one step's total squared centroid shift is at most this times the mean
    /// per-dimension variance; 0 turns the test off (key `tolerance`).
    public var tolerance: Double
    /// Stop after this many steps without a better smoothed batch inertia; 0 never stops
    /// early this way (key `max-no-improvement`).
    public var maximumNoImprovement: Int
    /// Seeds the samples, the batches and the seedings.
    public var seed: UInt64
    /// Threads for the final assignment of every point (key `threads`).
    public var threads: Int

    /// - Parameters:
    ///   - clusters: The number of clusters `k`.
    ///   - batchSize: Points per step.
    ///   - maximumSteps: The most steps, nil for 100 passes over the data (at most 100,000).
    ///   - restarts: Seedings tried on samples.
    ///   - tolerance: Relative to the mean per-dimension variance; 0 turns it off.
    ///   - maximumNoImprovement: Steps without a better smoothed inertia before stopping.
    ///   - seed: Seeds every random draw.
    ///   - threads: Threads for the final assignment.
    public init(
        clusters: Int, batchSize: Int = 1024, maximumSteps: Int? = nil, restarts: Int = 3, tolerance: Double = 0,
        maximumNoImprovement: Int = 10, seed: UInt64, threads: Int = 1
    ) {
        self.clusters = clusters
        self.batchSize = batchSize
        self.maximumSteps = maximumSteps
        self.restarts = restarts
        self.tolerance = tolerance
        self.maximumNoImprovement = maximumNoImprovement
        self.seed = seed
        self.threads = threads
    }

    /// The largest batch accepted (2^20 points).
    public static let maximumBatchSize = 1 << 20

    /// Checks every value but `k`'s upper bound, which ``fit(_:)`` checks against the data.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(clusters >= 1, "k", clusters, allowed: "at least 1")
        try InvalidParameter.require("batch-size", batchSize, in: 1...Self.maximumBatchSize)
        if let maximumSteps {
            try InvalidParameter.require(maximumSteps >= 1, "max-steps", maximumSteps, allowed: "at least 1")
        }
        try InvalidParameter.require(restarts >= 1, "restarts", restarts, allowed: "at least 1")
        try InvalidParameter.require(
            tolerance >= 0 && tolerance.isFinite, "tolerance", tolerance, allowed: "a finite number, 0 or more")
        try InvalidParameter.require(
            maximumNoImprovement >= 0, "max-no-improvement", maximumNoImprovement,
            allowed: "0 (never stop early this way) or more")
        try InvalidParameter.require(threads >= 1, "threads", threads, allowed: "at least 1")
    }

    /// Clusters `points`.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, `k` above the number of points, or a
    ///   point with a NaN or infinite value (key `points`).
    public func fit(_ points: Points) throws(InvalidParameter) -> KMeansModel {
        try validate()
        let n = points.count
        let k = clusters
        let d = points.dimension
        try InvalidParameter.require(k <= n, "k", k, allowed: "between 1 and the number of points (\(n))")
        let statistics = try checkedStatistics(points)
        let shift = statistics.shift
        let batch = min(batchSize, n)
        let steps = maximumSteps ?? max(1, min(100 * n / batch, 100_000))
        var generator = RandomGenerator(seed: seed)

        let seeding = bestSeeds(points, shift: shift, batch: batch, generator: &generator)
        var centroids = seeding.centroids

        let workspace = DistanceWorkspace(rowCapacity: batch, dimension: d, centroidCapacity: k)
        var counts = [Double](repeating: 0, count: k)
        var stepSums = [Double](repeating: 0, count: k * d)
        var stepCounts = [Int](repeating: 0, count: k)
        var indexes = [Int](repeating: 0, count: batch)
        var monitor = ConvergenceMonitor(
            batch: batch, count: n, absoluteTolerance: tolerance * statistics.meanVariance,
            patience: maximumNoImprovement)
        var pointsSinceReassignment = 0
        var stepsRun = 0
        points.withUnsafeValues { base in
            shift.withUnsafeBufferPointer { shiftBuffer in
                guard let shiftBase = shiftBuffer.baseAddress else { return }
                for _ in 0..<steps {
                    stepsRun += 1
                    for i in 0..<batch { indexes[i] = generator.nextInt(below: n) }
                    let block = CentroidBlock(values: centroids, dimension: d)
                    indexes.withUnsafeBufferPointer { workspace.load(base, indexes: $0, shift: shiftBase) }
                    workspace.multiply(by: block)
                    workspace.assignNearest(block)

                    var batchInertia = 0.0
                    for j in 0..<(k * d) { stepSums[j] = 0 }
                    for j in 0..<k { stepCounts[j] = 0 }
                    for i in 0..<batch {
                        let label = Int(workspace.nearest[i])
                        batchInertia += Double(workspace.nearestDistances[i])
                        stepCounts[label] += 1
                        for c in 0..<d { stepSums[label * d + c] += Double(workspace.rows[i * d + c]) }
                    }
                    var next = centroids
                    for j in 0..<k where stepCounts[j] > 0 {
                        let total = counts[j] + Double(stepCounts[j])
                        for c in 0..<d {
                            let old = Double(centroids[j * d + c])
                            next[j * d + c] = Float((old * counts[j] + stepSums[j * d + c]) / total)
                        }
                        counts[j] = total
                    }
                    pointsSinceReassignment += batch
                    if counts.contains(0) || pointsSinceReassignment >= 10 * k {
                        pointsSinceReassignment = 0
                        reassignSmallClusters(
                            &next, counts: &counts, workspace: workspace, batch: batch, generator: &generator)
                    }
                    var shiftSquared = 0.0
                    for j in 0..<(k * d) {
                        let move = Double(next[j]) - Double(centroids[j])
                        shiftSquared += move * move
                    }
                    centroids = next
                    if monitor.shouldStop(batchInertia: batchInertia, centroidShift: shiftSquared) { break }
                }
            }
        }

        let workspaces = makeWorkspaces(points: points, threads: threads, centroids: k)
        let search = NearestCentroids(points: points, shift: shift, workspaces: workspaces)
        var labels = [Int](repeating: -1, count: n)
        var distances = [Float](repeating: 0, count: n)
        let totals = search.assign(
            CentroidBlock(values: centroids, dimension: d), labels: &labels, distances: &distances, summing: false)
        return KMeansModel(
            shiftedCentroids: centroids, shift: shift, labels: labels, inertia: totals.inertia, iterations: stepsRun,
            restartInertias: seeding.inertias)
    }

    /// k-means++ seeds from ``restarts`` random samples, the one with the lowest inertia on a
    /// random validation batch, and every seeding's validation inertia.
    private func bestSeeds(
        _ points: Points, shift: [Float], batch: Int, generator: inout RandomGenerator
    ) -> (centroids: [Float], inertias: [Double]) {
        let n = points.count
        let k = clusters
        let sampleSize = min(n, max(3 * batch, 3 * k))
        let validation = points.rows((0..<batch).map { _ in generator.nextInt(below: n) })
        let validationSearch = NearestCentroids(
            points: validation, shift: shift,
            workspaces: makeWorkspaces(points: validation, threads: 1, centroids: k))
        var labels = [Int](repeating: -1, count: batch)
        var distances = [Float](repeating: 0, count: batch)
        var best: (centroids: [Float], inertia: Double)?
        var inertias: [Double] = []
        for _ in 0..<restarts {
            let sample = points.rows((0..<sampleSize).map { _ in generator.nextInt(below: n) })
            let workspaces = makeWorkspaces(
                points: sample, threads: threads, centroids: max(k, KMeansPlusPlus.trials(forClusters: k)))
            let seeds = KMeansPlusPlus.centroids(
                sample, shift: shift, clusters: k, workspaces: workspaces, generator: &generator)
            let inertia = validationSearch.assign(
                CentroidBlock(values: seeds, dimension: points.dimension), labels: &labels, distances: &distances,
                summing: false
            ).inertia
            inertias.append(inertia)
            if best.map({ inertia < $0.inertia }) ?? true { best = (seeds, inertia) }
        }
        return (best?.centroids ?? [], inertias)
    }

    /// Moves the centroids whose counts are below ``reassignmentRatio`` of the largest to
    /// distinct random points of the batch in `workspace` (at most half the batch), and gives
    /// them the smallest count of the others so they are not moved again at once.
    private func reassignSmallClusters(
        _ centroids: inout [Float], counts: inout [Double], workspace: DistanceWorkspace, batch: Int,
        generator: inout RandomGenerator
    ) {
        let k = clusters
        let d = workspace.dimension
        let largest = counts.max() ?? 0
        var small = (0..<k).filter { counts[$0] < Self.reassignmentRatio * largest }
        let limit = batch / 2
        if small.count > limit {
            // Keep the `limit` clusters with the fewest points (stable on ties).
            small = small.sorted { (counts[$0], $0) < (counts[$1], $1) }.prefix(limit).sorted()
        }
        if small.isEmpty { return }
        let kept = (0..<k).filter { !small.contains($0) }
        let restart = kept.map { counts[$0] }.min() ?? 0
        var positions = Array(0..<batch)
        for (offset, cluster) in small.enumerated() {
            // A partial Fisher-Yates shuffle: distinct batch rows.
            positions.swapAt(offset, offset + generator.nextInt(below: batch - offset))
            let row = positions[offset]
            for c in 0..<d { centroids[cluster * d + c] = workspace.rows[row * d + c] }
            counts[cluster] = restart
        }
    }
}

/// scikit-learn's early stopping for mini-batch k-means: a centroid shift at or below the
/// tolerance, or too many steps without a better exponentially smoothed batch inertia.
private struct ConvergenceMonitor {
    let batch: Int
    let count: Int
    let absoluteTolerance: Double
    let patience: Int
    private var step = 0
    private var smoothed: Double?
    private var smoothedMinimum: Double?
    private var stepsWithoutImprovement = 0

    init(batch: Int, count: Int, absoluteTolerance: Double, patience: Int) {
        self.batch = batch
        self.count = count
        self.absoluteTolerance = absoluteTolerance
        self.patience = patience
    }

    /// Records one step; true when the run should end.
    mutating func shouldStop(batchInertia: Double, centroidShift: Double) -> Bool {
        step += 1
        // The first step's inertia belongs to the seeds.
        if step == 1 { return false }
        let inertia = batchInertia / Double(batch)
        let alpha = min(1, Double(batch) * 2 / Double(count + 1))
        let average = smoothed.map { $0 * (1 - alpha) + inertia * alpha } ?? inertia
        smoothed = average
        if absoluteTolerance > 0 && centroidShift <= absoluteTolerance { return true }
        if smoothedMinimum.map({ average < $0 }) ?? true {
            stepsWithoutImprovement = 0
            smoothedMinimum = average
        } else {
            stepsWithoutImprovement += 1
        }
        return patience > 0 && stepsWithoutImprovement >= patience
    }
}
