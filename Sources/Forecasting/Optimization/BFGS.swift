import Settings

/// Unconstrained minimisation by the BFGS quasi-Newton method with central-difference
/// gradients and a backtracking (Armijo) line search.
///
/// Each iteration moves along `-H g`, where `H` approximates the inverse Hessian and is
/// updated from the step `s` and gradient change `y` by
///
/// ```
/// H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ,   ρ = 1 / (yᵀ s)
/// ```
///
/// (Nocedal and Wright, *Numerical Optimization*, 2nd ed., 2006: Algorithm 6.1, eq. 6.17; the
/// first update is preceded by the scaling `H = (yᵀs / yᵀy) I` of eq. 6.20; the step length by
/// Algorithm 3.1 with `c = 1e-4`). An update is skipped when `yᵀ s` is not positive, and `H` is
/// reset to the identity when its direction is not a descent direction or the line search
/// fails, as R's `optim(method = "BFGS")` does. A non-finite objective value counts as `+∞`,
/// so the line search backs away from it.
///
/// The search stops when the relative decrease of one iteration is at most
/// ``relativeTolerance`` (R's `reltol`), when every gradient entry is at most
/// ``gradientTolerance`` in size, or after ``maximumIterations``.
///
/// ```swift
/// let rosenbrock = { (x: [Double]) in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }
/// let result = BFGS(maximumIterations: 500).minimize(rosenbrock, from: [-1.2, 1])
/// result.point    // ≈ [1, 1]
/// ```
public struct BFGS: Sendable, Equatable {
    /// The most iterations (key `max-iterations`).
    public var maximumIterations: Int
    /// Stop when `f_old - f_new <= relativeTolerance * (|f_old| + relativeTolerance)` (key `relative-tolerance`).
    public var relativeTolerance: Double
    /// Stop when every gradient entry is at most this in size (key `gradient-tolerance`).
    public var gradientTolerance: Double
    /// The central-difference step, relative to `max(1, |x_i|)` (key `difference-step`).
    public var differenceStep: Double

    public init(
        maximumIterations: Int = 100, relativeTolerance: Double = 1e-10, gradientTolerance: Double = 1e-7,
        differenceStep: Double = 1e-5
    ) {
        self.maximumIterations = maximumIterations
        self.relativeTolerance = relativeTolerance
        self.gradientTolerance = gradientTolerance
        self.differenceStep = differenceStep
    }

    /// The outcome of a minimisation.
    public typealias Result = OptimizationResult

    /// Checks every setting.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(maximumIterations >= 0, "max-iterations", maximumIterations, allowed: "0 or more")
        try InvalidParameter.require(
            relativeTolerance >= 0 && relativeTolerance.isFinite, "relative-tolerance", relativeTolerance,
            allowed: "a finite number, 0 or more")
        try InvalidParameter.require(
            gradientTolerance >= 0 && gradientTolerance.isFinite, "gradient-tolerance", gradientTolerance,
            allowed: "a finite number, 0 or more")
        try InvalidParameter.require(
            differenceStep > 0 && differenceStep < 1, "difference-step", differenceStep,
            allowed: "between 0 and 1, exclusive")
    }

    /// Minimises `objective` from `start`.
    ///
    /// - Parameters:
    ///   - objective: The function to minimise; NaN and infinite values count as `+∞`.
    ///   - start: The first point; its value should be finite.
    /// - Returns: The best point found and how the search ended.
    public func minimize(_ objective: ([Double]) -> Double, from start: [Double]) -> Result {
        let n = start.count
        var evaluations = 0
        func f(_ x: [Double]) -> Double {
            evaluations += 1
            let value = objective(x)
            return value.isFinite ? value : .infinity
        }
        var x = start
        var value = f(x)
        guard n > 0, value.isFinite else {
            return Result(point: x, value: value, iterations: 0, evaluations: evaluations, converged: n == 0)
        }
        func gradient(at x: [Double], value: Double) -> [Double] {
            var g = [Double](repeating: 0, count: n)
            var probe = x
            for i in 0..<n {
                let h = differenceStep * max(1, abs(x[i]))
                probe[i] = x[i] + h
                let up = f(probe)
                probe[i] = x[i] - h
                let down = f(probe)
                probe[i] = x[i]
                // One side only when the other is not finite (near a boundary of the domain).
                if up.isFinite && down.isFinite {
                    g[i] = (up - down) / (2 * h)
                } else if up.isFinite {
                    g[i] = (up - value) / h
                } else if down.isFinite {
                    g[i] = (value - down) / h
                }
            }
            return g
        }
        var g = gradient(at: x, value: value)
        var inverseHessian = identity(n)
        var isIdentity = true
        var scaled = false
        var direction = [Double](repeating: 0, count: n)
        var iterations = 0
        var converged = false
        while iterations < maximumIterations {
            if g.allSatisfy({ abs($0) <= gradientTolerance }) {
                converged = true
                break
            }
            iterations += 1
            for i in 0..<n {
                var sum = 0.0
                for j in 0..<n { sum -= inverseHessian[i * n + j] * g[j] }
                direction[i] = sum
            }
            var slope = zip(direction, g).reduce(0) { $0 + $1.0 * $1.1 }
            if !(slope < 0) {
                if isIdentity { break }
                inverseHessian = identity(n)
                isIdentity = true
                direction = g.map { -$0 }
                slope = -g.reduce(0) { $0 + $1 * $1 }
            }
            var step = 1.0
            var next = x
            var nextValue = Double.infinity
            var accepted = false
            while step > 1e-12 {
                for i in 0..<n { next[i] = x[i] + step * direction[i] }
                nextValue = f(next)
                if nextValue <= value + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step *= 0.2
            }
            if !accepted {
                // No decrease along this direction: try steepest descent once, then stop.
                if isIdentity {
                    converged = true
                    break
                }
                inverseHessian = identity(n)
                isIdentity = true
                continue
            }
            let nextGradient = gradient(at: next, value: nextValue)
            let decrease = value - nextValue
            var s = [Double](repeating: 0, count: n)
            var y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                s[i] = next[i] - x[i]
                y[i] = nextGradient[i] - g[i]
            }
            x = next
            value = nextValue
            g = nextGradient
            if decrease <= relativeTolerance * (abs(value + decrease) + relativeTolerance) {
                converged = true
                break
            }
            let sy = zip(s, y).reduce(0) { $0 + $1.0 * $1.1 }
            if sy > 1e-12 * max(1, abs(value)) {
                if !scaled {
                    let yy = y.reduce(0) { $0 + $1 * $1 }
                    inverseHessian = identity(n).map { $0 * sy / yy }
                    scaled = true
                }
                updateInverseHessian(&inverseHessian, s: s, y: y, sy: sy)
                isIdentity = false
            }
        }
        return Result(point: x, value: value, iterations: iterations, evaluations: evaluations, converged: converged)
    }

    private func identity(_ n: Int) -> [Double] {
        var matrix = [Double](repeating: 0, count: n * n)
        for i in 0..<n { matrix[i * n + i] = 1 }
        return matrix
    }

    /// `H ← H - ρ (H y sᵀ + s yᵀ H) + (ρ² yᵀ H y + ρ) s sᵀ`, the expanded form of eq. 6.17.
    private func updateInverseHessian(_ h: inout [Double], s: [Double], y: [Double], sy: Double) {
        let n = s.count
        let rho = 1 / sy
        var hy = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = 0.0
            for j in 0..<n { sum += h[i * n + j] * y[j] }
            hy[i] = sum
        }
        let yhy = zip(y, hy).reduce(0) { $0 + $1.0 * $1.1 }
        let ss = rho * rho * yhy + rho
        for i in 0..<n {
            for j in 0..<n { h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + ss * s[i] * s[j] }
        }
    }
}
