import Foundation
import Settings

/// Derivative-free minimisation of a function of a few variables by the Nelder-Mead simplex
/// method, with bounds by reparametrisation.
///
/// The simplex of `n + 1` points moves by reflection (coefficient 1), expansion (2), outside
/// and inside contraction (1/2) and shrinking towards the best point (1/2), exactly as
/// Lagarias et al. state the algorithm (ties broken in favour of the older point). The first
/// simplex is MATLAB `fminsearch`'s: each coordinate in turn moved by 5% (0.00025 when it is
/// 0). A run stops when every point's value is within ``valueTolerance`` of the best and every
/// coordinate within ``pointTolerance``, or after ``maximumIterations``; each of ``restarts``
/// then builds a fresh simplex at the best point, which frees a simplex collapsed early.
///
/// Bounds: ``minimize(_:from:lower:upper:)`` searches over `u` with
/// `x = lower + (upper - lower) (sin u + 1) / 2` (as J. D'Errico's `fminsearchbnd`), so every
/// point tried lies in the box and the simplex method itself stays unconstrained. A logistic
/// map was tried first and dropped: where the minimum is on a bound, the simplex ran `u` off
/// to ±50, where every other coordinate's slope vanishes too, and stopped on that plateau.
///
/// References: J. A. Nelder and R. Mead, "A simplex method for function minimization",
/// The Computer Journal 7(4), 308-313, 1965. J. C. Lagarias, J. A. Reeds, M. H. Wright and
/// P. E. Wright, "Convergence properties of the Nelder-Mead simplex method in low dimensions",
/// SIAM Journal on Optimization 9(1), 112-147, 1998.
///
/// ```swift
/// let rosenbrock: ([Double]) -> Double = { x in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }
/// let result = NelderMead().minimize(rosenbrock, from: [-1.2, 1])
/// result.point    // ≈ [1, 1]
/// ```
public struct NelderMead: Sendable, Equatable {
    /// Iterations per run at most.
    public var maximumIterations: Int
    /// The spread of values across the simplex at which a run stops.
    public var valueTolerance: Double
    /// The spread of coordinates (largest absolute difference from the best point) at which a run stops.
    public var pointTolerance: Double
    /// Fresh simplexes built at the best point after the first run.
    public var restarts: Int

    /// The outcome of a minimisation.
    public typealias Result = OptimizationResult

    /// - Parameters:
    ///   - maximumIterations: Iterations per run at most.
    ///   - valueTolerance: Stop when the values across the simplex differ by at most this.
    ///   - pointTolerance: Stop when the coordinates across the simplex differ by at most this.
    ///   - restarts: Fresh simplexes at the best point after the first run.
    public init(
        maximumIterations: Int = 2000, valueTolerance: Double = 1e-10, pointTolerance: Double = 1e-8,
        restarts: Int = 1
    ) {
        self.maximumIterations = maximumIterations
        self.valueTolerance = valueTolerance
        self.pointTolerance = pointTolerance
        self.restarts = restarts
    }

    /// Throws unless every setting can work.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad setting.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(maximumIterations >= 1, "max-iterations", maximumIterations, allowed: "at least 1")
        try InvalidParameter.require(
            valueTolerance >= 0, "value-tolerance", valueTolerance, allowed: "a number, 0 or more")
        try InvalidParameter.require(
            pointTolerance >= 0, "point-tolerance", pointTolerance, allowed: "a number, 0 or more")
        try InvalidParameter.require(restarts >= 0, "restarts", restarts, allowed: "0 or more")
    }

    /// Minimises `function` from `start`. A NaN or infinite value counts as `+∞`, so the
    /// function may refuse a point that way.
    ///
    /// - Parameters:
    ///   - function: The objective, of `start.count` variables.
    ///   - start: The first point.
    ///   - steps: The first simplex's step along each coordinate; `nil` takes `fminsearch`'s.
    /// - Precondition: `start` is not empty, and `steps`, if given, has `start.count` non-zero entries.
    public func minimize(
        _ function: ([Double]) -> Double, from start: [Double], steps: [Double]? = nil
    ) -> Result {
        let n = start.count
        precondition(n >= 1, "NelderMead: no variables to minimise over")
        precondition(
            steps.map { $0.count == n && !$0.contains(0) } ?? true,
            "NelderMead: \(steps?.count ?? 0) non-zero steps needed for \(n) variables")
        var evaluations = 0
        func evaluate(_ x: [Double]) -> Double {
            evaluations += 1
            let value = function(x)
            return value.isNaN ? .infinity : value
        }
        var best = start
        var bestValue = evaluate(start)
        var iterations = 0
        var converged = false
        for _ in 0...restarts {
            let run = simplexRun(evaluate, from: best, value: bestValue, steps: steps)
            iterations += run.iterations
            converged = run.converged
            let improved = run.value < bestValue
            if improved || run.value == bestValue {
                best = run.point
                bestValue = run.value
            }
            // A restart that finds nothing better will not find more on the next one.
            if !improved { break }
        }
        return Result(
            point: best, value: bestValue, iterations: iterations, evaluations: evaluations, converged: converged)
    }

    /// Minimises `function` over the box `lower...upper` by searching the sine
    /// reparametrisation described above; `start` is moved into the box if it is outside.
    ///
    /// - Precondition: `start`, `lower` and `upper` have the same length and `lower < upper` everywhere.
    public func minimize(
        _ function: ([Double]) -> Double, from start: [Double], lower: [Double], upper: [Double]
    ) -> Result {
        precondition(
            start.count == lower.count && start.count == upper.count,
            "NelderMead: \(start.count) variables with \(lower.count) lower and \(upper.count) upper bounds")
        precondition(
            zip(lower, upper).allSatisfy { $0 < $1 }, "NelderMead: each lower bound must be below its upper bound")
        func toBox(_ u: [Double]) -> [Double] {
            (0..<u.count).map { i -> Double in
                let width = upper[i] - lower[i]
                return lower[i] + width * (sin(u[i]) + 1) / 2
            }
        }
        let u0 = (0..<start.count).map { i -> Double in
            let fraction = min(max((start[i] - lower[i]) / (upper[i] - lower[i]), 0), 1)
            return asin(2 * fraction - 1)
        }
        // A third of a radian moves a central point by about a sixth of its box.
        var result = minimize({ function(toBox($0)) }, from: u0, steps: [Double](repeating: 0.3, count: start.count))
        result.point = toBox(result.point)
        return result
    }

    private struct Run {
        var point: [Double]
        var value: Double
        var iterations: Int
        var converged: Bool
    }

    private func simplexRun(
        _ evaluate: ([Double]) -> Double, from start: [Double], value startValue: Double, steps: [Double]?
    ) -> Run {
        let n = start.count
        var points = [start]
        var values = [startValue]
        for i in 0..<n {
            var vertex = start
            vertex[i] += steps?[i] ?? (start[i] == 0 ? 0.00025 : 0.05 * start[i])
            points.append(vertex)
            values.append(evaluate(vertex))
        }
        var iterations = 0
        var converged = false
        while true {
            // Stable sort: among equal values the older vertex stays ahead.
            let order = values.indices.sorted { values[$0] < values[$1] }
            points = order.map { points[$0] }
            values = order.map { values[$0] }
            let valueSpread = values.dropFirst().map { abs($0 - values[0]) }.max() ?? 0
            let pointSpread =
                points.dropFirst().map { vertex in
                    zip(vertex, points[0]).map { abs($0 - $1) }.max() ?? 0
                }.max() ?? 0
            if valueSpread <= valueTolerance && pointSpread <= pointTolerance {
                converged = true
                break
            }
            if iterations >= maximumIterations { break }
            iterations += 1

            var centroid = [Double](repeating: 0, count: n)
            for vertex in points.prefix(n) {
                for j in 0..<n { centroid[j] += vertex[j] / Double(n) }
            }
            func along(_ coefficient: Double) -> [Double] {
                (0..<n).map { centroid[$0] + coefficient * (centroid[$0] - points[n][$0]) }
            }
            let reflected = along(1)
            let reflectedValue = evaluate(reflected)
            if reflectedValue < values[0] {
                let expanded = along(2)
                let expandedValue = evaluate(expanded)
                if expandedValue < reflectedValue {
                    points[n] = expanded
                    values[n] = expandedValue
                } else {
                    points[n] = reflected
                    values[n] = reflectedValue
                }
                continue
            }
            if reflectedValue < values[n - 1] {
                points[n] = reflected
                values[n] = reflectedValue
                continue
            }
            if reflectedValue < values[n] {
                let outside = along(0.5)
                let outsideValue = evaluate(outside)
                if outsideValue <= reflectedValue {
                    points[n] = outside
                    values[n] = outsideValue
                    continue
                }
            } else {
                let inside = along(-0.5)
                let insideValue = evaluate(inside)
                if insideValue < values[n] {
                    points[n] = inside
                    values[n] = insideValue
                    continue
                }
            }
            // Shrink every vertex halfway towards the best one.
            for i in 1...n {
                points[i] = (0..<n).map { points[0][$0] + 0.5 * (points[i][$0] - points[0][$0]) }
                values[i] = evaluate(points[i])
            }
        }
        return Run(point: points[0], value: values[0], iterations: iterations, converged: converged)
    }
}
