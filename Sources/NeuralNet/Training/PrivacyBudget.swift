import PrivacyAccounting
import Settings

/// A privacy budget for training with DP-SGD (`--dp-epsilon`, `--dp-delta`, `--dp-clip-norm`):
/// what a model kind keeps in its configuration, from which each private run's settings
/// (``PrivateTraining``) are calibrated.
///
/// Where several runs train on the same private units (a classifier and its baseline), the
/// noise is calibrated for them together, so the bundle's statement covers everything trained
/// on the units.
public struct PrivacyBudget: Sendable, Codable, Equatable {
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

    /// - Parameter clipNorm: C; no default here, since the best value depends on the model and
    ///   its loss (each model kind measures its own).
    public init(epsilon: Double, delta: Double = defaultDelta, clipNorm: Double, noiseSeed: UInt64? = nil) {
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

    /// The settings keys a budget is given by (YAML files and flags).
    public static let keys = ["dp-accountant", "dp-clip-norm", "dp-delta", "dp-epsilon"]

    /// `current` with the budget's keys among `settings` applied: `dp-epsilon` starts a budget
    /// (clipping at `defaultClipNorm` unless `dp-clip-norm` says otherwise); the other keys
    /// change one. Values as YAML or JSON give them (numbers, or text of numbers).
    ///
    /// - Throws: ``InvalidParameter`` for a value of the wrong type, or `dp-delta`,
    ///   `dp-clip-norm` or `dp-accountant` without a budget.
    public static func applying(
        _ settings: [String: Any], to current: PrivacyBudget?, defaultClipNorm: Double
    ) throws(InvalidParameter) -> PrivacyBudget? {
        func number(_ key: String) throws(InvalidParameter) -> Double? {
            guard let value = settings[key] else { return nil }
            if let number = value as? Double { return number }
            if let number = value as? Int { return Double(number) }
            if let text = value as? String, let number = Double(text) { return number }
            throw InvalidParameter(key, value: "\(value)", allowed: "a number")
        }
        var accountant: PrivacyStatement.Accountant?
        if let value = settings["dp-accountant"] {
            guard let chosen = PrivacyStatement.Accountant(rawValue: "\(value)") else {
                throw InvalidParameter("dp-accountant", value: "\(value)", allowed: "rdp or pld")
            }
            accountant = chosen
        }
        let delta = try number("dp-delta")
        let clipNorm = try number("dp-clip-norm")
        guard let epsilon = try number("dp-epsilon") ?? current?.epsilon else {
            if let key = ["dp-delta", "dp-clip-norm", "dp-accountant"].first(where: { settings[$0] != nil }) {
                throw InvalidParameter(
                    key, value: "given without dp-epsilon",
                    allowed: "only with a budget: add dp-epsilon (for example 3)")
            }
            return nil
        }
        var budget = current ?? PrivacyBudget(epsilon: epsilon, clipNorm: defaultClipNorm)
        budget.epsilon = epsilon
        if let delta { budget.delta = delta }
        if let clipNorm { budget.clipNorm = clipNorm }
        if let accountant { budget.accountant = accountant }
        return budget
    }

    /// The DP-SGD settings of run `run` of the bundle's `runs` runs over `units` private
    /// units, each run at most `epochs` epochs of expected batch `batchSize`. A fixed noise
    /// seed is varied by run, so the runs' noise is independent.
    ///
    /// - Throws: ``PrivacyAccountingError`` when the budget is out of reach or a setting out
    ///   of range.
    public func training(
        unit: PrivacyStatement.Unit, units: Int, batchSize: Int, epochs: Int, runs: Int = 1, run: Int = 0
    ) throws(PrivacyAccountingError) -> PrivateTraining {
        try PrivateTraining.calibrated(
            epsilon: epsilon, delta: delta, unit: unit, units: units, expectedBatchSize: batchSize,
            epochs: max(epochs, 1) * max(runs, 1), clipNorm: clipNorm,
            noiseSeed: noiseSeed.map { $0 &+ UInt64(run) &* 0x9E37_79B9_7F4A_7C15 }, accountant: accountant)
    }
}
