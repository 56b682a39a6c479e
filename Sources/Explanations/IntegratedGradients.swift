import Foundation
import TensorEngine

/// Integrated gradients (Sundararajan, Taly and Yan 2017, "Axiomatic Attribution for Deep
/// Networks", arXiv:1703.01365): how much each input feature moved a model's score away from
/// its score at a baseline input.
///
/// The attribution of feature `i` is `(x_i - b_i)` times the average gradient of the score
/// along the straight path from the baseline `b` to the input `x`, here by Gauss-Legendre
/// quadrature on pieces of the path (Captum's rule; far more accurate than equally spaced
/// points for the same number of gradients where the score is smooth along the path).
/// Attributions add up to `f(x) - f(b)` in the limit (completeness); the gap at a finite
/// number of points is measured, and the pieces where it arises are halved (up to
/// ``maximumSteps`` points) until it is within ``tolerance`` of `|f(x) - f(b)|`.
///
/// ```swift
/// let explainer = IntegratedGradients()
/// let result = explainer.explain({ network($0).sigmoid() }, input: features, baseline: zeros)
/// result.attributions        // one per feature, summing to about result.score - result.baselineScore
/// ```
public struct IntegratedGradients: Sendable {
    /// The path points tried first.
    public var steps: Int
    /// The most path points tried before giving the result with its gap.
    public var maximumSteps: Int
    /// The completeness gap allowed, as a share of `|f(x) - f(b)|`.
    public var tolerance: Double
    /// Gauss-Legendre points per piece of the path (see ``explain(_:input:baseline:)``).
    public var pointsPerPiece = 8
    /// Path points per forward and backward pass (bounds the memory a pass takes).
    public var chunkSize = 256

    public init(steps: Int = 16, maximumSteps: Int = 1_024, tolerance: Double = 0.01) {
        precondition(
            steps >= 1 && maximumSteps >= steps, "integrated gradients: steps \(steps), maximum \(maximumSteps)")
        precondition(tolerance >= 0, "integrated gradients: tolerance \(tolerance)")
        self.steps = steps
        self.maximumSteps = maximumSteps
        self.tolerance = tolerance
    }

    /// The attributions of one input, and how well they add up.
    public struct Result: Sendable, Equatable {
        /// One per input feature.
        public var attributions: [Float]
        /// `f(x)` and `f(b)`.
        public var score: Double
        public var baselineScore: Double
        /// The path points whose gradients were taken, those of pieces later halved included.
        public var steps: Int
        /// `|Σ attributions - (f(x) - f(b))|`.
        public var completenessGap: Double

        /// The gap as a share of `|f(x) - f(b)|` (0 when both are 0).
        public var relativeGap: Double {
            let difference = abs(score - baselineScore)
            return difference > 0 ? completenessGap / difference : completenessGap
        }
    }

    /// Explains `model`'s score of `input` against `baseline`.
    ///
    /// The path `[0, 1]` is cut into pieces of ``pointsPerPiece`` Gauss-Legendre points each
    /// (``steps`` points in all at first, rounded down to whole pieces). Every piece has a completeness gap of its own: its
    /// share of the attributions against the score's change between its two ends. While the
    /// total gap is over the tolerance, the pieces with the largest gaps are halved (until the
    /// others' gaps add up to the tolerance), so new
    /// points go where the gradient changes fast (at the kink of a ReLU, say) rather than
    /// everywhere, until the gap is within the tolerance or ``maximumSteps`` would be passed.
    ///
    /// - Parameters:
    ///   - model: Maps a batch `[B, d]` to one score per row (`[B]` or `[B, 1]`); it must be
    ///     differentiable in its input (no gradients are taken for its weights).
    ///   - input: The row to explain, `d` features.
    ///   - baseline: The reference row, `d` features ("nothing special": zeros, the training
    ///     means).
    /// - Precondition: `input` and `baseline` have the same length.
    public func explain(_ model: (Tensor) -> Tensor, input: [Float], baseline: [Float]) -> Result {
        precondition(
            input.count == baseline.count, "integrated gradients: input \(input.count), baseline \(baseline.count)")
        precondition(pointsPerPiece >= 1, "integrated gradients: \(pointsPerPiece) points per piece")
        let width = input.count
        let ends = Tensor.withoutGradients {
            model(Tensor(shape: [2, width], scalars: input + baseline)).scalars.map(Double.init)
        }
        precondition(ends.count == 2, "integrated gradients: the model gave \(ends.count) scores for 2 rows")
        let path = Path(baseline: baseline, difference: zip(input, baseline).map { $0 - $1 })
        let perPiece = min(steps, pointsPerPiece)
        let rule = Self.gaussLegendre(perPiece)
        let cuts = (0...(steps / perPiece)).map { Double($0) / Double(steps / perPiece) }
        var scores: [Double: Double] = [0: ends[1], 1: ends[0]]
        var pieces = path.pieces(
            of: model, Array(zip(cuts.dropLast(), cuts.dropFirst())), rule: rule, scores: &scores, chunkSize: chunkSize)
        var points = pieces.count * perPiece
        // As `Result.relativeGap`: a share of the change, or of 1 when the score does not change.
        let difference = abs(ends[0] - ends[1])
        let allowed = tolerance * (difference > 0 ? difference : 1)
        while abs(pieces.reduce(0.0) { $0 + $1.gap }) > allowed && points + 2 * perPiece <= maximumSteps {
            // Halve the pieces with the largest gaps until the others' add up to the tolerance: the
            // fewest halvings that could finish this round. (Halving until they added up to half
            // of it took more points: SASRec's p95 was 12.0-16.5 ms against 10.3-11.6 ms.)
            var others = pieces.reduce(0.0) { $0 + abs($1.gap) }
            var halved: Set<Int> = []
            for index in pieces.indices.sorted(by: { abs(pieces[$0].gap) > abs(pieces[$1].gap) })
            where others > allowed && points + 2 * perPiece <= maximumSteps {
                halved.insert(index)
                others -= abs(pieces[index].gap)
                points += 2 * perPiece
            }
            let halves = halved.sorted().flatMap { index in
                let (start, end) = (pieces[index].start, pieces[index].end)
                return [(start, (start + end) / 2), ((start + end) / 2, end)]
            }
            pieces =
                pieces.indices.filter { !halved.contains($0) }.map { pieces[$0] }
                + path.pieces(of: model, halves, rule: rule, scores: &scores, chunkSize: chunkSize)
        }
        var sums = [Double](repeating: 0, count: width)
        for piece in pieces {
            for column in 0..<width { sums[column] += piece.attributions[column] }
        }
        let attributions = sums.map { Float($0) }
        return Result(
            attributions: attributions, score: ends[0], baselineScore: ends[1], steps: points,
            completenessGap: abs(attributions.reduce(0.0) { $0 + Double($1) } - (ends[0] - ends[1])))
    }

    /// The straight path from the baseline to the input.
    private struct Path {
        let baseline: [Float]
        let difference: [Float]

        /// A stretch `[start, end]` of the path and what its quadrature found there.
        struct Piece {
            var start: Double
            var end: Double
            /// `(end - start) Σ_k w_k ∇f(b + α_k (x - b)) ⊙ (x - b)` over the stretch's nodes `α_k`.
            var attributions: [Double]
            /// `Σ attributions - (f(end) - f(start))`.
            var gap: Double
        }

        /// Integrates `model`'s gradient over each stretch with `rule`. Every node, and every
        /// stretch end whose score `scores` lacks, goes through the model as one row of batches
        /// of `chunkSize` rows; the new ends' scores are added to `scores`.
        func pieces(
            of model: (Tensor) -> Tensor, _ stretches: [(start: Double, end: Double)],
            rule: (nodes: [Double], weights: [Double]),
            scores: inout [Double: Double], chunkSize: Int
        ) -> [Piece] {
            let width = baseline.count
            // Each row: where on the path, and which stretch it adds to with what weight (nil: an end).
            var rows: [(alpha: Double, stretch: Int?, weight: Double)] = []
            for (index, stretch) in stretches.enumerated() {
                let length = stretch.end - stretch.start
                for (node, weight) in zip(rule.nodes, rule.weights) {
                    rows.append((stretch.start + length * node, index, length * weight))
                }
            }
            let ends = Set(stretches.flatMap { [$0.start, $0.end] }).filter { scores[$0] == nil }
            rows += ends.sorted().map { ($0, nil, 0) }
            var sums = [[Double]](repeating: [Double](repeating: 0, count: width), count: stretches.count)
            for first in stride(from: 0, to: rows.count, by: chunkSize) {
                let chunk = rows[first..<min(first + chunkSize, rows.count)]
                var values = [Float](repeating: 0, count: chunk.count * width)
                for (offset, row) in chunk.enumerated() {
                    let alpha = Float(row.alpha)
                    for column in 0..<width {
                        values[offset * width + column] = baseline[column] + alpha * difference[column]
                    }
                }
                let points = Tensor(shape: [chunk.count, width], scalars: values, requiresGradient: true)
                // Only the points' gradients: the model's weights take none (a third of the work).
                let (outputs, gradient) = Tensor.withGradients(onlyFor: [points]) {
                    let output = model(points)
                    // nil: the score ignores the input
                    return (output.scalars, output.sum().gradients()[points]?.scalars)
                }
                for (offset, row) in chunk.enumerated() {
                    guard let stretch = row.stretch else {
                        scores[row.alpha] = Double(outputs[offset])
                        continue
                    }
                    guard let gradient else { continue }
                    for column in 0..<width {
                        sums[stretch][column] += row.weight * Double(gradient[offset * width + column])
                    }
                }
            }
            return stretches.enumerated().map { index, stretch in
                let attributions = zip(sums[index], difference).map { $0 * Double($1) }
                let change = (scores[stretch.end] ?? 0) - (scores[stretch.start] ?? 0)
                return Piece(
                    start: stretch.start, end: stretch.end, attributions: attributions,
                    gap: attributions.reduce(0, +) - change)
            }
        }
    }

    /// The `n` Gauss-Legendre nodes of `[0, 1]` and their weights (summing to 1), by Newton's
    /// method on the Legendre polynomial from the usual starting guesses.
    static func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<((n + 1) / 2) {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 1.0
            for _ in 0..<100 {
                var (p0, p1) = (1.0, 0.0)
                for j in 1...n {
                    (p0, p1) = (((2 * Double(j) - 1) * z * p0 - (Double(j) - 1) * p1) / Double(j), p0)
                }
                derivative = Double(n) * (z * p0 - p1) / (z * z - 1)
                let step = p0 / derivative
                z -= step
                if abs(step) < 1e-15 { break }
            }
            let weight = 1 / ((1 - z * z) * derivative * derivative)  // 2 / (...) on [-1, 1], halved
            nodes[i] = (1 - z) / 2
            nodes[n - 1 - i] = (1 + z) / 2
            weights[i] = weight
            weights[n - 1 - i] = weight
        }
        return (nodes, weights)
    }
}
