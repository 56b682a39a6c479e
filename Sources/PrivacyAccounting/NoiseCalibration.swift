/// Choosing the noise for a privacy budget: the smallest noise multiplier whose DP-SGD run
/// (Poisson sampling at a rate, for a number of steps) stays within a target ε at a given δ.
///
/// Epsilon falls as the noise multiplier grows, so the search brackets the answer by doubling
/// from 1 (starting below at 0, where ε is infinite) and then bisects. The answer is the upper
/// end of the final bracket, so its ε never exceeds the target, and it is within
/// `tolerance × σ` of the smallest noise multiplier that meets the target (relative tolerance;
/// default 1e-9). dp_accounting's `calibrate_dp_mechanism` solves the same problem with
/// Brent's method and an absolute tolerance; both land on the same point within their
/// tolerances (the tests compare them).
///
/// ```swift
/// let sigma = try NoiseCalibration.noiseMultiplier(
///     targetEpsilon: 3, delta: 1e-5, samplingRate: 0.01, steps: 1000)  // ≈ 0.8646
/// ```
///
/// ### See Also
/// - ``RDPAccountant``
public enum NoiseCalibration {
    /// The default relative tolerance on the noise multiplier under the PLD accountant, whose
    /// every try is a convolution: 0.1% of σ.
    public static let defaultPLDTolerance = 1e-3
    /// The default relative tolerance on the noise multiplier.
    public static let defaultTolerance = 1e-9
    /// The default search limit: a noise multiplier beyond a million means the target cannot be
    /// met in practice (the noise would swamp any gradient).
    public static let defaultMaximumNoiseMultiplier = 1e6

    /// The smallest noise multiplier (within `tolerance`) for which `steps` Poisson-sampled
    /// Gaussian steps at `samplingRate` are (targetEpsilon, delta)-DP by `accountant`.
    ///
    /// - Parameters:
    ///   - targetEpsilon: The privacy budget ε, finite and greater than 0.
    ///   - delta: δ, strictly between 0 and 1.
    ///   - samplingRate: The Poisson sampling rate q (expected batch size / dataset size), in
    ///     `0...1`; 1 is full-batch training (no amplification). At q = 0 nothing is released
    ///     and the answer is 0.
    ///   - steps: Training steps, at least 1.
    ///   - orders: RDP orders (default ``RDPAccountant/defaultOrders``), for the RDP accountant.
    ///   - accountant: Which accountant's ε must meet the target (RDP by default; PLD gives the
    ///     smaller noise for the same budget).
    ///   - tolerance: Relative tolerance on the answer, strictly between 0 and 1 (default
    ///     ``defaultTolerance``, or ``defaultPLDTolerance`` for the PLD accountant).
    ///   - maximumNoiseMultiplier: The largest noise multiplier tried.
    /// - Returns: A noise multiplier σ with ε(σ) ≤ `targetEpsilon` and ε(σ') > `targetEpsilon`
    ///   for some σ' ≥ σ (1 - `tolerance`).
    /// - Throws: ``PrivacyAccountingError`` naming the parameter out of range, or
    ///   ``PrivacyAccountingError/unreachableTarget(targetEpsilon:maximumNoiseMultiplier:epsilonAtMaximum:)``
    ///   when even `maximumNoiseMultiplier` leaves ε above the target.
    public static func noiseMultiplier(
        targetEpsilon: Double, delta: Double, samplingRate: Double, steps: Int,
        orders: [Double] = RDPAccountant.defaultOrders, accountant: PrivacyStatement.Accountant = .rdp,
        tolerance: Double? = nil, maximumNoiseMultiplier: Double = defaultMaximumNoiseMultiplier
    ) throws(PrivacyAccountingError) -> Double {
        guard targetEpsilon.isFinite, targetEpsilon > 0 else { throw .invalidTargetEpsilon(targetEpsilon) }
        guard delta > 0, delta < 1 else { throw .invalidDelta(delta) }
        guard (0...1).contains(samplingRate) else { throw .invalidSamplingRate(samplingRate) }
        guard steps >= 1 else { throw .invalidSteps(steps) }
        let tolerance = tolerance ?? (accountant == .pld ? defaultPLDTolerance : defaultTolerance)
        guard tolerance > 0, tolerance < 1 else { throw .invalidTolerance(tolerance) }
        guard maximumNoiseMultiplier.isFinite, maximumNoiseMultiplier > 0 else {
            throw .invalidMaximumNoiseMultiplier(maximumNoiseMultiplier)
        }
        let empty = try RDPAccountant(orders: orders)
        func epsilon(_ noise: Double) throws(PrivacyAccountingError) -> Double {
            if accountant == .pld {
                return try accountant.epsilon(
                    of: .poissonSampledGaussian(samplingRate: samplingRate, noiseMultiplier: noise), count: steps,
                    delta: delta)
            }
            var accountant = empty
            try accountant.compose(
                .poissonSampledGaussian(samplingRate: samplingRate, noiseMultiplier: noise), count: steps)
            return try accountant.epsilon(delta: delta).epsilon
        }
        if samplingRate == 0 { return 0 }

        // Bracket: ε(lower) > target ≥ ε(upper). ε(0) is infinite.
        var lower = 0.0
        var upper = min(1, maximumNoiseMultiplier)
        while try epsilon(upper) > targetEpsilon {
            guard upper < maximumNoiseMultiplier else {
                throw .unreachableTarget(
                    targetEpsilon: targetEpsilon, maximumNoiseMultiplier: maximumNoiseMultiplier,
                    epsilonAtMaximum: try epsilon(maximumNoiseMultiplier))
            }
            lower = upper
            upper = min(2 * upper, maximumNoiseMultiplier)
        }
        // Bisect, keeping the invariant, until the bracket is within the tolerance.
        while upper - lower > tolerance * upper {
            let middle = lower + (upper - lower) / 2
            guard middle > lower, middle < upper else { break }
            if try epsilon(middle) > targetEpsilon { lower = middle } else { upper = middle }
        }
        return upper
    }
}
