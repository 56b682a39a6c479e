import Foundation
import Randomness

/// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007), as scikit-learn's
/// `_kmeans_plusplus` does it.
///
/// The first centre is a uniformly drawn point. Each further centre is the best of
/// `2 + ⌊ln k⌋` candidates drawn with probability proportional to their squared distance to
/// the nearest centre so far: the candidate that lowers the potential (the sum of those
/// squared distances) most. Ties keep the candidate drawn first.
///
/// Every value is in the shifted coordinates of the workspaces (points minus `shift`).
enum KMeansPlusPlus {
    /// The number of candidates tried per centre.
    static func trials(forClusters k: Int) -> Int { 2 + Int(log(Double(k))) }

    /// `k` centres (`k x dimension`, row-major, shifted) chosen among `points`.
    ///
    /// - Precondition: `1 <= k <= points.count`; every workspace holds at least
    ///   ``trials(forClusters:)`` centroids.
    static func centroids(
        _ points: Points, shift: [Float], clusters k: Int, workspaces: [DistanceWorkspace],
        generator: inout RandomGenerator
    ) -> [Float] {
        let n = points.count
        let d = points.dimension
        precondition(k >= 1 && k <= n, "KMeansPlusPlus: \(k) clusters for \(n) points")
        let trials = trials(forClusters: k)
        var closest = [Float](repeating: .infinity, count: n)
        var candidateDistances = [Float](repeating: 0, count: trials * n)
        var centres = [Float](repeating: 0, count: k * d)

        let first = generator.nextInt(below: n)
        var potential = evaluate(
            [first], points: points, shift: shift, closest: closest, into: &candidateDistances,
            workspaces: workspaces)[0]
        closest.withUnsafeMutableBufferPointer { c in
            for i in 0..<n { c[i] = candidateDistances[i] }
        }
        copyShiftedRow(first, of: points, shift: shift, into: &centres, at: 0)

        var targets = [(value: Double, candidate: Int)](repeating: (0, 0), count: trials)
        var candidates = [Int](repeating: 0, count: trials)
        for c in 1..<k {
            for t in 0..<trials { targets[t] = (Double.random(in: 0..<1, using: &generator) * potential, t) }
            targets.sort { $0.value < $1.value || ($0.value == $1.value && $0.candidate < $1.candidate) }
            // The first point whose cumulative potential reaches each target (the last point when
            // rounding leaves a target above the total).
            var next = 0
            var cumulative = 0.0
            for i in 0..<n where next < trials {
                cumulative += Double(closest[i])
                while next < trials && targets[next].value <= cumulative {
                    candidates[targets[next].candidate] = i
                    next += 1
                }
            }
            while next < trials {
                candidates[targets[next].candidate] = n - 1
                next += 1
            }

            let potentials = evaluate(
                candidates, points: points, shift: shift, closest: closest, into: &candidateDistances,
                workspaces: workspaces)
            var best = 0
            for t in 1..<trials where potentials[t] < potentials[best] { best = t }
            potential = potentials[best]
            closest.withUnsafeMutableBufferPointer { c in
                for i in 0..<n { c[i] = candidateDistances[best * n + i] }
            }
            copyShiftedRow(candidates[best], of: points, shift: shift, into: &centres, at: c)
        }
        return centres
    }

    /// For each candidate `t`: `distances[t * n + i] = min(closest[i], |x_i - candidate|²)`;
    /// returns each candidate's potential (the sum over `i`).
    private static func evaluate(
        _ candidates: [Int], points: Points, shift: [Float], closest: [Float], into distances: inout [Float],
        workspaces: [DistanceWorkspace]
    ) -> [Double] {
        let n = points.count
        let d = points.dimension
        var values = [Float](repeating: 0, count: candidates.count * d)
        for (t, candidate) in candidates.enumerated() {
            copyShiftedRow(candidate, of: points, shift: shift, into: &values, at: t)
        }
        let block = CentroidBlock(values: values, dimension: d)
        let count = candidates.count
        var partials = [Double](repeating: 0, count: workspaces.count * count)
        points.withUnsafeValues { base in
            shift.withUnsafeBufferPointer { shiftBuffer in
                closest.withUnsafeBufferPointer { closestBuffer in
                    distances.withUnsafeMutableBufferPointer { distanceBuffer in
                        partials.withUnsafeMutableBufferPointer { partialBuffer in
                            guard let shift = shiftBuffer.baseAddress, let closest = closestBuffer.baseAddress,
                                let distances = distanceBuffer.baseAddress, let sums = partialBuffer.baseAddress
                            else { return }
                            forEachPart(n, parts: workspaces.count) { part, range in
                                let workspace = workspaces[part]
                                let sums = sums + part * count
                                for start in stride(
                                    from: range.lowerBound, to: range.upperBound, by: workspace.rowCapacity)
                                {
                                    let rows = start..<min(start + workspace.rowCapacity, range.upperBound)
                                    workspace.load(base, rows: rows, shift: shift)
                                    workspace.multiply(by: block)
                                    for t in 0..<count {
                                        let norm = block.norms[t]
                                        let target = distances + t * n + start
                                        var sum = 0.0
                                        for i in 0..<rows.count {
                                            let distance = min(
                                                closest[start + i],
                                                workspace.squaredDistance(row: i, centroid: t, centroidNorm: norm))
                                            target[i] = distance
                                            sum += Double(distance)
                                        }
                                        sums[t] += sum
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var potentials = [Double](repeating: 0, count: count)
        for part in 0..<workspaces.count {
            for t in 0..<count { potentials[t] += partials[part * count + t] }
        }
        return potentials
    }
}

/// Writes row `index` of `points` minus `shift` into row `slot` of the row-major `target`.
func copyShiftedRow(_ index: Int, of points: Points, shift: [Float], into target: inout [Float], at slot: Int) {
    let d = points.dimension
    for c in 0..<d { target[slot * d + c] = points.values[index * d + c] - shift[c] }
}
