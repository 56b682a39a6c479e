import Foundation

/// What a DP-SGD training run guarantees, in a form to store beside the model and to print:
/// ε and δ for one privacy unit, how the accounting was done, and the numbers it used.
///
/// The recorded numbers always reproduce ε: compose
/// `.poissonSampledGaussian(samplingRate:noiseMultiplier:)` `steps` times on the
/// ``accountant`` named (an ``RDPAccountant`` with default orders or a ``PLDAccountant`` with
/// its defaults) and ask for ``epsilon`` at ``delta``. For shuffled,
/// fixed-size batches that means a sampling rate of 1 and one step per epoch (see
/// ``shuffledBatches(unit:noiseMultiplier:epochs:delta:)``).
///
/// ```swift
/// let statement = try PrivacyStatement.poissonSampling(
///     unit: .example, samplingRate: 0.0064, noiseMultiplier: 1.0, steps: 782, delta: 1e-6)
/// print(statement)
/// // (ε = 1.616, δ = 1e-06)-differential privacy per example: RDP accounting of 782 steps of
/// // Poisson sampling at rate 0.0064 with noise multiplier 1
/// ```
///
/// Encoded as JSON, the statement carries its ``description`` too (decoding recomputes it).
/// An infinite ε (noise multiplier 0) needs a `JSONEncoder` with a non-conforming float
/// strategy.
public struct PrivacyStatement: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Whose privacy the guarantee protects: the unit one clipped gradient contribution stands for.
    public enum Unit: String, Codable, Sendable, CaseIterable {
        /// One user: each user's data is clipped together as one contribution (user-level DP-SGD).
        case user
        /// One training example: each example's gradient is clipped on its own.
        case example
    }

    /// How batches were drawn, and so whether amplification by subsampling is claimed.
    public enum Sampling: String, Codable, Sendable, CaseIterable {
        /// Each unit joins each batch independently with probability ``samplingRate``; the
        /// accounting uses the subsampled Gaussian's amplification.
        case poisson
        /// Shuffled, fixed-size batches; no amplification is claimed (one full Gaussian per
        /// epoch, see ``PrivacyStatement/shuffledBatches(unit:noiseMultiplier:epochs:delta:)``).
        case shuffled = "shuffled (no amplification claimed)"
    }

    /// The accounting method.
    public enum Accountant: String, Codable, Sendable, CaseIterable {
        /// Rényi DP with dp_accounting's default orders and conversion (``RDPAccountant``).
        case rdp
        /// The privacy loss distribution, composed exactly up to its grid (``PLDAccountant``):
        /// a smaller ε for the same noise.
        case pld

        /// ε of `count` occurrences of `event` at `delta`.
        public func epsilon(of event: PrivacyEvent, count: Int, delta: Double) throws(PrivacyAccountingError)
            -> Double
        {
            switch self {
            case .rdp:
                var accountant = RDPAccountant()
                try accountant.compose(event, count: count)
                return try accountant.epsilon(delta: delta).epsilon
            case .pld:
                var accountant = PLDAccountant()
                try accountant.compose(event, count: count)
                return try accountant.epsilon(delta: delta)
            }
        }
    }

    /// The privacy unit.
    public var unit: Unit
    /// ε of the (ε, δ) guarantee (`+∞` without noise).
    public var epsilon: Double
    /// δ of the (ε, δ) guarantee.
    public var delta: Double
    /// How ε was computed.
    public var accountant: Accountant
    /// How batches were drawn.
    public var sampling: Sampling
    /// Noise standard deviation over the clipping norm.
    public var noiseMultiplier: Double
    /// The Poisson sampling rate the accounting assumed: 1 for shuffled batches (every unit
    /// counted in every accounted round, no amplification).
    public var samplingRate: Double
    /// Accounted rounds: training steps under Poisson sampling, epochs for shuffled batches.
    public var steps: Int

    /// (ε, δ) for `steps` DP-SGD steps with Poisson sampling at `samplingRate`.
    ///
    /// - Parameters:
    ///   - unit: Whose privacy is protected (the unit that is sampled and clipped).
    ///   - samplingRate: The Poisson rate q, in `0...1` (expected batch size / number of units).
    ///   - noiseMultiplier: σ, at least 0. If gradients were clipped per microbatch of several
    ///     units rather than per unit, the sensitivity doubles under add-or-remove adjacency:
    ///     pass σ / 2 (TensorFlow Privacy's `used_microbatching`).
    ///   - steps: Training steps, at least 1. TensorFlow Privacy counts `ceil(epochs / q)`.
    ///   - delta: δ, strictly between 0 and 1.
    ///   - accountant: How ε is computed (RDP by default).
    /// - Throws: ``PrivacyAccountingError`` naming the parameter out of range.
    public static func poissonSampling(
        unit: Unit, samplingRate: Double, noiseMultiplier: Double, steps: Int, delta: Double,
        accountant: Accountant = .rdp
    ) throws(PrivacyAccountingError) -> PrivacyStatement {
        guard steps >= 1 else { throw .invalidSteps(steps) }
        let epsilon = try accountant.epsilon(
            of: .poissonSampledGaussian(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier), count: steps,
            delta: delta)
        return PrivacyStatement(
            unit: unit, epsilon: epsilon, delta: delta, accountant: accountant, sampling: .poisson,
            noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps)
    }

    /// (ε, δ) for `epochs` passes over shuffled, fixed-size batches, claiming no amplification.
    ///
    /// Each unit lands in exactly one batch per epoch, so in each epoch its clipped gradient
    /// enters one noisy sum: one Gaussian release with noise multiplier σ. The accounting
    /// composes `.gaussian(noiseMultiplier: σ)` `epochs` times (RDP `epochs · α / (2σ²)`), the
    /// conservative "each example occurring once per epoch" figure of TensorFlow Privacy's
    /// `compute_dp_sgd_privacy_statement`. Shuffling may well amplify privacy, but the
    /// Poisson-sampling analysis does not apply to it, so no amplification is claimed. The
    /// statement records a sampling rate of 1 and `steps` = `epochs`.
    ///
    /// - Parameters:
    ///   - unit: Whose privacy is protected.
    ///   - noiseMultiplier: σ, at least 0 (halve it if gradients were clipped per microbatch).
    ///   - epochs: Passes over the data, at least 1; count a partial last pass as a whole one.
    ///   - delta: δ, strictly between 0 and 1.
    /// - Throws: ``PrivacyAccountingError`` naming the parameter out of range.
    public static func shuffledBatches(
        unit: Unit, noiseMultiplier: Double, epochs: Int, delta: Double
    ) throws(PrivacyAccountingError) -> PrivacyStatement {
        guard epochs >= 1 else { throw .invalidEpochs(epochs) }
        var accountant = RDPAccountant()
        try accountant.compose(.gaussian(noiseMultiplier: noiseMultiplier), count: epochs)
        return PrivacyStatement(
            unit: unit, epsilon: try accountant.epsilon(delta: delta).epsilon, delta: delta, accountant: .rdp,
            sampling: .shuffled, noiseMultiplier: noiseMultiplier, samplingRate: 1, steps: epochs)
    }

    private init(
        unit: Unit, epsilon: Double, delta: Double, accountant: Accountant, sampling: Sampling,
        noiseMultiplier: Double, samplingRate: Double, steps: Int
    ) {
        self.unit = unit
        self.epsilon = epsilon
        self.delta = delta
        self.accountant = accountant
        self.sampling = sampling
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.steps = steps
    }

    /// The guarantee in one line of plain English.
    public var description: String {
        let guarantee =
            epsilon.isFinite
            ? "(ε = \(String(format: "%.3f", epsilon)), δ = \(Self.short(delta)))-differential privacy per \(unit.rawValue)"
            : "no finite differential privacy guarantee per \(unit.rawValue) (ε is infinite)"
        let noise = "noise multiplier \(Self.short(noiseMultiplier))"
        switch sampling {
        case .poisson:
            return "\(guarantee): \(accountant.rawValue.uppercased()) accounting of \(steps) "
                + "\(steps == 1 ? "step" : "steps") of Poisson sampling "
                + "at rate \(Self.short(samplingRate)) with \(noise)"
        case .shuffled:
            return "\(guarantee): RDP accounting of \(steps) \(steps == 1 ? "epoch" : "epochs") of shuffled batches, "
                + "each \(unit.rawValue) in one batch per epoch, with \(noise) (no amplification by sampling claimed)"
        }
    }

    /// `%g`: six significant digits, no trailing zeros (0.0064, 1e-06, 1.1).
    private static func short(_ value: Double) -> String { String(format: "%g", value) }

    private enum CodingKeys: String, CodingKey {
        case unit, epsilon, delta, accountant, sampling, noiseMultiplier, samplingRate, steps, description
    }

    /// Reads a statement written by ``encode(to:)``; a stored `description` is ignored (it is
    /// recomputed from the fields).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        unit = try container.decode(Unit.self, forKey: .unit)
        epsilon = try container.decode(Double.self, forKey: .epsilon)
        delta = try container.decode(Double.self, forKey: .delta)
        accountant = try container.decode(Accountant.self, forKey: .accountant)
        sampling = try container.decode(Sampling.self, forKey: .sampling)
        noiseMultiplier = try container.decode(Double.self, forKey: .noiseMultiplier)
        samplingRate = try container.decode(Double.self, forKey: .samplingRate)
        steps = try container.decode(Int.self, forKey: .steps)
    }

    /// Writes the fields and, for readers of the file, the one-line ``description``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(unit, forKey: .unit)
        try container.encode(epsilon, forKey: .epsilon)
        try container.encode(delta, forKey: .delta)
        try container.encode(accountant, forKey: .accountant)
        try container.encode(sampling, forKey: .sampling)
        try container.encode(noiseMultiplier, forKey: .noiseMultiplier)
        try container.encode(samplingRate, forKey: .samplingRate)
        try container.encode(steps, forKey: .steps)
        try container.encode(description, forKey: .description)
    }
}
