import Foundation
import TensorEngine

/// Integrated gradients (Sundararajan, Taly and Yan 2017, "Axiomatic Attribution for Deep
/// Networks", arXiv:1703.01365): how much each input feature moved a model's score away from
/// its score at a baseline input.
///
/// The attribution of feature `i` is `(x_i - b_i)` times the average gradient of the score
/// along the straight path from the baseline `b` to the input `x`, here by Gauss-Legendre
/// quadrature over `steps` points (Captum's default; far more accurate than equally spaced
/// points for the same number of gradients when the score is smooth along the path).
/// Attributions add up to `f(x) - f(b)` in the limit (completeness); the gap at a finite
/// number of steps is measured, and the steps double (up to ``maximumSteps``) until it is
/// within ``tolerance`` of `|f(x) - f(b)|`.
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
    /// Path points per forward and backward pass (bounds the memory a pass takes).
    public var chunkSize = 256

    public init(steps: Int = 32, maximumSteps: Int = 1_024, tolerance: Double = 0.01) {
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
        /// The path points used.
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
        let width = input.count
        let ends = Tensor.withoutGradients {
            model(Tensor(shape: [2, width], scalars: input + baseline)).scalars.map(Double.init)
        }
        precondition(ends.count == 2, "integrated gradients: the model gave \(ends.count) scores for 2 rows")
        let difference = zip(input, baseline).map { $0 - $1 }
        var points = steps
        while true {
            let gradient = averageGradient(model, baseline: baseline, difference: difference, points: points)
            let attributions = zip(gradient, difference).map { Float($0 * Double($1)) }
            let total = attributions.reduce(0.0) { $0 + Double($1) }
            let result = Result(
                attributions: attributions, score: ends[0], baselineScore: ends[1], steps: points,
                completenessGap: abs(total - (ends[0] - ends[1])))
            if result.relativeGap <= tolerance || points * 2 > maximumSteps { return result }
            points *= 2
        }
    }

    /// The mean gradient of the score along the path: `Σ_k w_k ∇f(b + α_k (x - b))` over the
    /// Gauss-Legendre nodes `α_k` and weights `w_k` of `[0, 1]` (the weights sum to 1).
    private func averageGradient(
        _ model: (Tensor) -> Tensor, baseline: [Float], difference: [Float], points: Int
    ) -> [Double] {
        let width = baseline.count
        let (nodes, weights) = Self.gaussLegendre(points)
        var sum = [Double](repeating: 0, count: width)
        for start in stride(from: 0, to: points, by: chunkSize) {
            let count = min(chunkSize, points - start)
            var rows = [Float](repeating: 0, count: count * width)
            for row in 0..<count {
                let alpha = Float(nodes[start + row])
                for column in 0..<width {
                    rows[row * width + column] = baseline[column] + alpha * difference[column]
                }
            }
            let path = Tensor(shape: [count, width], scalars: rows, requiresGradient: true)
            let gradients = model(path).sum().gradients()
            guard let gradient = gradients[path] else { continue }  // the score does not depend on the input
            let scalars = gradient.scalars
            for row in 0..<count {
                let weight = weights[start + row]
                for column in 0..<width { sum[column] += weight * Double(scalars[row * width + column]) }
            }
        }
        return sum
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
