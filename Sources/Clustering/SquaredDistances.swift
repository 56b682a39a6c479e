import Linalg

/// Centroids ready for distance work, in the same shifted coordinates as the rows they are
/// compared with.
///
/// The product with a chunk of rows is `rows (m x d) · transposed (d x count)`: both operands
/// as stored, which OpenBLAS multiplies without packing them first when the product is small
/// (at most 10^6 multiply-adds); on `m x 8 x 32` products that measured about 25% faster than
/// reading the centroids transposed, and half the time of the centroid-major layout
/// (`centroids · rowsᵀ`), whose packing copied every row again.
struct CentroidBlock {
    /// `count x dimension`, row-major.
    let values: [Float]
    /// `dimension x count`, row-major: column `j` is centroid `j`.
    let transposed: [Float]
    /// The squared norm of each centroid.
    let norms: [Float]
    let count: Int
    let dimension: Int

    init(values: [Float], dimension: Int) {
        let count = values.count / dimension
        var transposed = [Float](repeating: 0, count: dimension * count)
        var norms = [Float](repeating: 0, count: count)
        for j in 0..<count {
            var norm: Float = 0
            for c in 0..<dimension {
                let value = values[j * dimension + c]
                transposed[c * count + j] = value
                norm += value * value
            }
            norms[j] = norm
        }
        self.values = values
        self.transposed = transposed
        self.norms = norms
        self.count = count
        self.dimension = dimension
    }
}

/// One thread's reusable buffers for squared Euclidean distances between a chunk of rows and
/// a set of centroids, through one matrix product:
///
/// ```
/// |x - c|² = |x|² - 2 x·c + |c|²      (clamped at 0)
/// ```
///
/// Rows are copied in minus a shift (the data's column means) before anything is computed,
/// so the expansion does not cancel catastrophically on data far from the origin; the copy
/// also keeps the chunk in cache for whatever the caller does next with its rows (centroid
/// sums). A chunk holds at most ``rowCapacity`` rows, so memory stays bounded whatever the
/// number of points. Nothing is allocated after initialisation.
final class DistanceWorkspace {
    /// The most rows a chunk holds (a multiple of 8).
    let rowCapacity: Int
    let dimension: Int
    /// The most centroids a product is computed with.
    let centroidCapacity: Int
    /// The chunk's rows minus the shift, `rowCapacity x dimension`.
    let rows: UnsafeMutablePointer<Float>
    /// The squared norm of each shifted row.
    let norms: UnsafeMutablePointer<Float>
    /// `products[i * centroids.count + j]` is row `i` dot centroid `j`.
    let products: UnsafeMutablePointer<Float>
    /// Per-chunk centroid sums, `centroidCapacity x dimension`, for the caller's use.
    let sums: UnsafeMutablePointer<Float>
    /// After ``assignNearest(_:)``: each row's nearest centroid (the lowest index on ties).
    let nearest: UnsafeMutablePointer<Int32>
    /// After ``assignNearest(_:)``: each row's squared distance to its nearest centroid.
    let nearestDistances: UnsafeMutablePointer<Float>
    /// The rows loaded now.
    private(set) var rowCount = 0
    /// The centroid count of the last product.
    private var productWidth = 0

    /// The chunk size for products with `centroids` centroids of `dimension` values: as many
    /// rows as keep a product within OpenBLAS's unpacked small-matrix path (10^6
    /// multiply-adds), between 64 and 4096.
    static func chunkRows(centroids: Int, dimension: Int) -> Int {
        min(4096, max(64, 1_000_000 / max(1, centroids * dimension) & ~7))
    }

    init(rowCapacity: Int, dimension: Int, centroidCapacity: Int) {
        self.rowCapacity = max(8, (rowCapacity + 7) & ~7)
        self.dimension = dimension
        self.centroidCapacity = max(1, centroidCapacity)
        rows = .allocate(capacity: self.rowCapacity * dimension)
        norms = .allocate(capacity: self.rowCapacity)
        norms.initialize(repeating: 0, count: self.rowCapacity)
        products = .allocate(capacity: self.rowCapacity * self.centroidCapacity)
        products.initialize(repeating: 0, count: self.rowCapacity * self.centroidCapacity)
        sums = .allocate(capacity: self.centroidCapacity * dimension)
        nearest = .allocate(capacity: self.rowCapacity)
        nearestDistances = .allocate(capacity: self.rowCapacity)
    }

    deinit {
        rows.deallocate()
        norms.deallocate()
        products.deallocate()
        sums.deallocate()
        nearest.deallocate()
        nearestDistances.deallocate()
    }

    /// Loads rows `range` of the row-major matrix `points` minus `shift`.
    func load(_ points: UnsafePointer<Float>, rows range: Range<Int>, shift: UnsafePointer<Float>) {
        precondition(range.count <= rowCapacity, "DistanceWorkspace: \(range.count) rows exceed \(rowCapacity)")
        rowCount = range.count
        for i in 0..<range.count {
            loadRow(points + (range.lowerBound + i) * dimension, into: i, shift: shift)
        }
    }

    /// Loads the rows at `indexes` of the row-major matrix `points` minus `shift`, in order.
    func load(_ points: UnsafePointer<Float>, indexes: UnsafeBufferPointer<Int>, shift: UnsafePointer<Float>) {
        precondition(indexes.count <= rowCapacity, "DistanceWorkspace: \(indexes.count) rows exceed \(rowCapacity)")
        rowCount = indexes.count
        for (i, index) in indexes.enumerated() {
            loadRow(points + index * dimension, into: i, shift: shift)
        }
    }

    @inline(__always)
    private func loadRow(_ source: UnsafePointer<Float>, into i: Int, shift: UnsafePointer<Float>) {
        let target = rows + i * dimension
        var sum = SIMD8<Float>()
        var c = 0
        while c + 8 <= dimension {
            let value =
                UnsafeRawPointer(source + c).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(shift + c).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(target + c).storeBytes(of: value, as: SIMD8<Float>.self)
            sum += value * value
            c += 8
        }
        var tail: Float = 0
        while c < dimension {
            let value = source[c] - shift[c]
            target[c] = value
            tail += value * value
            c += 1
        }
        norms[i] = sum.sum() + tail
    }

    /// Computes ``products`` of the loaded rows with `centroids` (one matrix product).
    func multiply(by centroids: CentroidBlock) {
        precondition(
            centroids.count <= centroidCapacity && centroids.dimension == dimension,
            "DistanceWorkspace: \(centroids.count) centroids of \(centroids.dimension) values do not fit")
        productWidth = centroids.count
        centroids.transposed.withUnsafeBufferPointer { c in
            guard let base = c.baseAddress else { return }
            BLAS.gemm(
                transposeA: false, transposeB: false, m: rowCount, n: centroids.count, k: dimension,
                a: rows, b: base, c: products)
        }
    }

    /// The squared distance between loaded row `i` and centroid `j` of the last product.
    @inline(__always)
    func squaredDistance(row i: Int, centroid j: Int, centroidNorm: Float) -> Float {
        max(0, norms[i] + centroidNorm - 2 * products[i * productWidth + j])
    }

    /// Fills ``nearest`` and ``nearestDistances`` for the loaded rows from the last product
    /// with `centroids`.
    ///
    /// Eight rows at a time: each centroid's eight products are gathered into one vector and
    /// compared lane by lane, so the search has no branches (a per-row search branched on
    /// every comparison and, on random data, mispredicted often enough to cost nearly as much
    /// as the matrix product). Ties keep the lower centroid. A row whose values are not all
    /// finite gets centroid 0.
    func assignNearest(_ centroids: CentroidBlock) {
        let width = centroids.count
        centroids.norms.withUnsafeBufferPointer { centroidNorms in
            var i = 0
            while i < rowCount {
                // Rows past the chunk read zeros (products is zeroed when allocated) and are dropped.
                let block = products + i * width
                var best = SIMD8<Float>(repeating: .infinity)
                var index = SIMD8<Int32>(repeating: 0)
                for j in 0..<width {
                    let product = SIMD8<Float>(
                        block[j], block[width + j], block[2 * width + j], block[3 * width + j],
                        block[4 * width + j], block[5 * width + j], block[6 * width + j], block[7 * width + j])
                    // |c|² - 2 x·c orders the centroids like |x - c|² does.
                    let candidate = centroidNorms[j] - 2 * product
                    let closer = candidate .< best
                    best.replace(with: candidate, where: closer)
                    index.replace(with: Int32(truncatingIfNeeded: j), where: closer)
                }
                var distance = UnsafeRawPointer(norms + i).loadUnaligned(as: SIMD8<Float>.self) + best
                distance.replace(with: 0, where: distance .< 0)
                UnsafeMutableRawPointer(nearest + i).storeBytes(of: index, as: SIMD8<Int32>.self)
                UnsafeMutableRawPointer(nearestDistances + i).storeBytes(of: distance, as: SIMD8<Float>.self)
                i += 8
            }
        }
    }
}

/// Adds `count` contiguous values to `count` sums.
@inline(__always)
func add(_ x: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>, _ count: Int) {
    var c = 0
    while c + 8 <= count {
        let value = UnsafeRawPointer(x + c).loadUnaligned(as: SIMD8<Float>.self)
        let sum = UnsafeRawPointer(sums + c).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(sums + c).storeBytes(of: sum + value, as: SIMD8<Float>.self)
        c += 8
    }
    while c < count {
        sums[c] += x[c]
        c += 1
    }
}

/// Nearest-centroid assignment of every point, in chunks of each workspace's capacity, the
/// points split across one thread per workspace.
struct NearestCentroids {
    let points: Points
    /// Subtracted from every row (and already from the centroids) before distances are taken.
    let shift: [Float]
    let workspaces: [DistanceWorkspace]

    /// What one pass adds up.
    struct Totals {
        /// Per cluster, the sum of its points' shifted values (`k x dimension`), when summing.
        var sums: [Double]
        /// Per cluster, the number of points assigned, when summing.
        var counts: [Int]
        /// The sum of every point's squared distance to its nearest centroid.
        var inertia: Double
        /// The number of labels that differ from what `labels` held before.
        var changed: Int
    }

    /// Writes each point's nearest centroid into `labels` and its squared distance into
    /// `distances`; with `summing`, also adds up each cluster's points for the next centroids.
    ///
    /// Sums are kept per thread and added in thread order, so a pass is deterministic for a
    /// given number of workspaces.
    func assign(
        _ centroids: CentroidBlock, labels: UnsafeMutablePointer<Int>, distances: UnsafeMutablePointer<Float>,
        summing: Bool
    ) -> Totals {
        let k = centroids.count
        let d = points.dimension
        let parts = workspaces.count
        let sumCount = summing ? k * d : 0
        let partSums = UnsafeMutablePointer<Double>.allocate(capacity: max(1, parts * sumCount))
        let partCounts = UnsafeMutablePointer<Int>.allocate(capacity: max(1, parts * k))
        let partTotals = UnsafeMutablePointer<(inertia: Double, changed: Int)>.allocate(capacity: parts)
        defer {
            partSums.deallocate()
            partCounts.deallocate()
            partTotals.deallocate()
        }
        partSums.initialize(repeating: 0, count: max(1, parts * sumCount))
        partCounts.initialize(repeating: 0, count: max(1, parts * k))
        partTotals.initialize(repeating: (0, 0), count: parts)

        points.withUnsafeValues { base in
            shift.withUnsafeBufferPointer { shiftBuffer in
                guard let shift = shiftBuffer.baseAddress else { return }
                forEachPart(points.count, parts: parts) { part, range in
                    let workspace = workspaces[part]
                    let sums = partSums + part * sumCount
                    let counts = partCounts + part * k
                    var inertia = 0.0
                    var changed = 0
                    for start in stride(from: range.lowerBound, to: range.upperBound, by: workspace.rowCapacity) {
                        let rows = start..<min(start + workspace.rowCapacity, range.upperBound)
                        workspace.load(base, rows: rows, shift: shift)
                        workspace.multiply(by: centroids)
                        workspace.assignNearest(centroids)
                        var chunkInertia = 0.0
                        for i in 0..<rows.count {
                            let label = Int(workspace.nearest[i])
                            let distance = workspace.nearestDistances[i]
                            if labels[start + i] != label {
                                changed += 1
                                labels[start + i] = label
                            }
                            distances[start + i] = distance
                            chunkInertia += Double(distance)
                        }
                        inertia += chunkInertia
                        if summing {
                            // Shifted values are small, so a chunk's sums keep their precision in
                            // Float; they are carried on in Double.
                            let chunkSums = workspace.sums
                            chunkSums.update(repeating: 0, count: sumCount)
                            for i in 0..<rows.count {
                                let label = Int(workspace.nearest[i])
                                counts[label] += 1
                                add(workspace.rows + i * d, into: chunkSums + label * d, d)
                            }
                            for j in 0..<sumCount { sums[j] += Double(chunkSums[j]) }
                        }
                    }
                    partTotals[part] = (inertia, changed)
                }
            }
        }

        var totals = Totals(
            sums: [Double](repeating: 0, count: sumCount), counts: [Int](repeating: 0, count: summing ? k : 0),
            inertia: 0, changed: 0)
        for part in 0..<parts {
            totals.inertia += partTotals[part].inertia
            totals.changed += partTotals[part].changed
            for j in 0..<sumCount { totals.sums[j] += partSums[part * sumCount + j] }
            if summing {
                for j in 0..<k { totals.counts[j] += partCounts[part * k + j] }
            }
        }
        return totals
    }
}

extension NearestCentroids {
    /// ``assign(_:labels:distances:summing:)`` into arrays of one entry per point.
    func assign(_ centroids: CentroidBlock, labels: inout [Int], distances: inout [Float], summing: Bool) -> Totals {
        precondition(labels.count == points.count && distances.count == points.count, "NearestCentroids: wrong sizes")
        return labels.withUnsafeMutableBufferPointer { labelBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                guard let labels = labelBuffer.baseAddress, let distances = distanceBuffer.baseAddress else {
                    let k = summing ? centroids.count : 0
                    return Totals(
                        sums: [Double](repeating: 0, count: k * points.dimension),
                        counts: [Int](repeating: 0, count: k), inertia: 0, changed: 0)
                }
                return assign(centroids, labels: labels, distances: distances, summing: summing)
            }
        }
    }
}
