import Foundation
import Settings

/// Point forecasts and a prediction interval for each of the next `h` periods.
///
/// `lower[i]...upper[i]` is the central interval that should hold period `i + 1` ahead with
/// probability ``level``.
public struct Forecast: Codable, Sendable, Equatable {
    /// Point forecasts, one per step ahead.
    public var mean: [Double]
    /// Lower interval bounds, one per step ahead.
    public var lower: [Double]
    /// Upper interval bounds, one per step ahead.
    public var upper: [Double]
    /// The intervals' coverage probability (0.8 for 80% intervals).
    public var level: Double
    /// The forecast standard deviations when the intervals are normal (`mean ± z · sd`); nil
    /// for intervals from other distributions or simulations.
    public var standardDeviations: [Double]?

    /// - Precondition: `mean`, `lower` and `upper` have the same length.
    public init(mean: [Double], lower: [Double], upper: [Double], level: Double) {
        precondition(
            mean.count == lower.count && mean.count == upper.count,
            "Forecast: \(mean.count) means, \(lower.count) lower and \(upper.count) upper bounds")
        self.mean = mean
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// Normal intervals `mean ± z · sd` with `z` the standard normal quantile of `(1 + level) / 2`.
    ///
    /// - Precondition: `mean` and `standardDeviations` have the same length.
    public init(mean: [Double], standardDeviations: [Double], level: Double) {
        precondition(
            mean.count == standardDeviations.count,
            "Forecast: \(mean.count) means and \(standardDeviations.count) standard deviations")
        let z = NormalDistribution.quantile((1 + level) / 2)
        self.init(
            mean: mean, lower: zip(mean, standardDeviations).map { $0 - z * $1 },
            upper: zip(mean, standardDeviations).map { $0 + z * $1 }, level: level)
        self.standardDeviations = standardDeviations
    }

    /// The horizon `h`.
    public var horizon: Int { mean.count }

    /// Throws unless `horizon` is at least 1 and `level` lies strictly between 0 and 1.
    ///
    /// - Throws: ``InvalidParameter`` for `horizon` or `level` (0.8, not 80).
    public static func validate(horizon: Int, level: Double) throws(InvalidParameter) {
        try InvalidParameter.require(horizon >= 1, "horizon", horizon, allowed: "at least 1")
        try InvalidParameter.require(
            level > 0 && level < 1, "level", level, allowed: "strictly between 0 and 1 (0.8 for 80% intervals)")
    }
}

/// The standard normal distribution's density, distribution and quantile functions.
public enum NormalDistribution {
    /// The density `exp(-x²/2) / √(2π)`.
    public static func density(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// `P(Z ≤ x)`, through `erfc` (accurate in both tails).
    public static func cumulative(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// The `p`-quantile: the `x` with `P(Z ≤ x) = p`, for `0 < p < 1`.
    ///
    /// Abramowitz & Stegun 26.2.23 gives a start within 4.5e-4, and three Halley steps on
    /// ``cumulative(_:)`` bring it to double precision (`quantile(0.975)` = 1.959963984540054).
    ///
    /// - Precondition: `0 < p < 1`.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "NormalDistribution.quantile: p = \(p) is outside (0, 1)")
        let tail = min(p, 1 - p)
        let t = (-2 * log(tail)).squareRoot()
        let start =
            t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
        var x = p < 0.5 ? -start : start
        for _ in 0..<3 {
            let error = cumulative(x) - p
            let step = error / density(x)
            // Halley: Newton's step corrected by the curvature, f''/f' = -x for the normal CDF.
            x -= step / (1 + 0.5 * x * step)
        }
        return x
    }
}
