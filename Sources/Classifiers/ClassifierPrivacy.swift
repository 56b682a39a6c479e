import NeuralNet
import PrivacyAccounting
import Settings

/// A privacy budget for training a classifier with DP-SGD (`--dp-epsilon`, `--dp-delta`).
///
/// The model and its logistic baseline both train on the private rows, so the noise is
/// calibrated for the two runs together: the bundle's statement covers everything trained
/// on them. Whatever else the bundle keeps (feature scaling, encoders, the drift profile, the
/// decision threshold, class weights) is fitted on the validation rows instead, which are
/// held out and not covered by the guarantee.
public struct ClassifierPrivacy: Sendable, Codable, Equatable {
    /// The budget ε for the whole bundle.
    public var epsilon: Double
    /// δ; keep it below one over the number of units.
    public var delta: Double
    /// The per-unit clipping norm C.
    public var clipNorm: Double
    /// A fixed noise seed for reproducible experiments; nil (the default) draws a secret one.
    /// Never saved with a model: with it anyone could regenerate the noise and subtract it.
    public var noiseSeed: UInt64?
    /// How ε is accounted (and the noise calibrated): RDP by default; PLD states a smaller ε
    /// for the same noise, so it calibrates less noise for the same budget.
    public var accountant: PrivacyStatement.Accountant = .rdp

    /// The δ used when only ε is given.
    public static let defaultDelta = 1e-5
    /// The clipping norm used when none is given: the best of 0.3 to 10 on the simulated
    /// purchase task at ε 1, 3 and 8 (benchmarks/README.md, "Differentially private training").
    public static let defaultClipNorm = 5.0
    /// The most epochs a private run is calibrated for when none are given: each extra epoch
    /// spends budget, whether or not early stopping ends training sooner.
    public static let defaultEpochs = 20
    /// The MLP's hidden widths for a private run when none are given: fewer weights take less
    /// noise in total, and 32 beat 128-64, 64-32 and 16 on the simulated purchase task.
    public static let defaultHiddenSizes = [32]
    /// Adam's learning rate for a private MLP when none is given (1e-2 beat 1e-3, 3e-3 and 3e-2).
    public static let defaultLearningRate: Float = 0.01

    public init(
        epsilon: Double, delta: Double = defaultDelta, clipNorm: Double = defaultClipNorm, noiseSeed: UInt64? = nil
    ) {
        self.epsilon = epsilon
        self.delta = delta
        self.clipNorm = clipNorm
        self.noiseSeed = noiseSeed
    }

    enum CodingKeys: String, CodingKey {
        case epsilon, delta, clipNorm, accountant
    }

    /// Reads a budget; one saved before the accountant was recorded is RDP's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epsilon = try container.decode(Double.self, forKey: .epsilon)
        delta = try container.decode(Double.self, forKey: .delta)
        clipNorm = try container.decode(Double.self, forKey: .clipNorm)
        accountant = try container.decodeIfPresent(PrivacyStatement.Accountant.self, forKey: .accountant) ?? .rdp
    }

    /// Throws ``InvalidParameter`` naming the setting out of range.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(
            epsilon > 0 && epsilon.isFinite, "dp-epsilon", epsilon, allowed: "a positive number, like 3")
        try InvalidParameter.require(delta > 0 && delta < 1, "dp-delta", delta, allowed: "in (0, 1), like 1e-5")
        try InvalidParameter.require(
            clipNorm > 0 && clipNorm.isFinite, "dp-clip-norm", clipNorm, allowed: "a positive number, like 5")
    }

    /// The DP-SGD settings of run `run` of the bundle's `runs` runs over `units` private
    /// units. A fixed noise seed is varied by run, so the runs' noise is independent.
    func training(
        unit: PrivacyStatement.Unit, units: Int, batchSize: Int, epochs: Int, runs: Int, run: Int
    ) throws(PrivacyAccountingError) -> PrivateTraining {
        let rate = min(1, Double(max(batchSize, 1)) / Double(max(units, 1)))
        let steps = max(epochs, 1) * PrivateTraining.stepsPerEpoch(samplingRate: rate) * max(runs, 1)
        let noise = try NoiseCalibration.noiseMultiplier(
            targetEpsilon: epsilon, delta: delta, samplingRate: rate, steps: steps, accountant: accountant)
        return PrivateTraining(
            unit: unit, clipNorm: clipNorm, noiseMultiplier: noise, samplingRate: rate, delta: delta,
            noiseSeed: noiseSeed.map { $0 &+ UInt64(run) &* 0x9E37_79B9_7F4A_7C15 }, accountant: accountant)
    }
}
