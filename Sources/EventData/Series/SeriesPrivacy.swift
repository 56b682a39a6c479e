import Foundation
import PrivacyAccounting
import Settings

/// A privacy budget for activity series (`behave series --dp-epsilon`): each user's
/// contribution is bounded, then Gaussian noise is added to every period's sum, so the
/// released series is (ε, δ)-differentially private per user.
///
/// DP-SGD cannot protect users in a forecast: a forecaster learns from series summed over all
/// users, and clipping windows of a summed series bounds nothing about one user. The series
/// itself is what must be private; any forecaster fitted to it is post-processing and keeps
/// the guarantee.
///
/// How one user is bounded, per metric and period: active users count 1 (as they always do);
/// sessions, events and purchases count at most ``maxPerPeriod``; revenue is clipped to
/// `-maxRevenue...maxRevenue`; and a user counts in at most ``maxPeriods`` periods (a random
/// choice among the periods they were active in, when there are more). A bound not given is
/// chosen privately, with ``boundShare`` of ε: AboveThreshold picks, from a grid, about the
/// ``boundQuantile`` of users' values per period, or of the number of periods users were
/// active in (each user weighs 1, however many periods they were active in). The series' span must be given, not read from the data (the first and last
/// event's times would tell who was active when), and so must the groups: grouped series
/// are refused.
///
/// ```swift
/// let privacy = SeriesPrivacy(epsilon: 3)
/// let series = try ActivitySeries.compute(
///     from: store, metrics: [.activeUsers], from: january1, until: march31, privacy: privacy)
/// print(series.privacy?.description ?? "")
/// ```
public struct SeriesPrivacy: Sendable, Equatable {
    /// ε for the whole release (every metric and period together).
    public var epsilon: Double
    /// δ; keep it below one over the number of users.
    public var delta: Double
    /// How the noise is calibrated: PLD by default, which is exact for one Gaussian release
    /// (RDP's conversion to (ε, δ) asks for about 15% more noise at ε 3).
    public var accountant: PrivacyStatement.Accountant
    /// The most one user counts in one period for sessions, events and purchases; nil to
    /// choose it privately.
    public var maxPerPeriod: Double?
    /// The most one user's revenue in one period counts (either sign); nil to choose it
    /// privately.
    public var maxRevenue: Double?
    /// Which quantile of users' values per period a bound chosen privately aims at.
    public var boundQuantile: Double
    /// The most periods one user counts in; nil to choose it privately.
    public var maxPeriods: Int?
    /// A fixed noise seed for reproducible experiments; nil (the default) draws a secret one.
    /// Never publish a series made with a known seed: the noise could be regenerated.
    public var noiseSeed: UInt64?

    /// The default δ.
    public static let defaultDelta = 1e-5
    /// The default quantile a bound chosen privately aims at.
    public static let defaultBoundQuantile = 0.99
    /// The share of ε spent on choosing the bounds not given (split evenly among them); the
    /// rest calibrates the noise.
    public static let boundShare = 0.1

    public init(
        epsilon: Double, delta: Double = defaultDelta, accountant: PrivacyStatement.Accountant = .pld,
        maxPerPeriod: Double? = nil, maxRevenue: Double? = nil, boundQuantile: Double = defaultBoundQuantile,
        maxPeriods: Int? = nil, noiseSeed: UInt64? = nil
    ) {
        self.epsilon = epsilon
        self.delta = delta
        self.accountant = accountant
        self.maxPerPeriod = maxPerPeriod
        self.maxRevenue = maxRevenue
        self.boundQuantile = boundQuantile
        self.maxPeriods = maxPeriods
        self.noiseSeed = noiseSeed
    }

    /// Throws ``InvalidParameter`` naming the setting out of range.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(
            epsilon > 0 && epsilon.isFinite, "dp-epsilon", epsilon, allowed: "a positive number, like 3")
        try InvalidParameter.require(delta > 0 && delta < 1, "dp-delta", delta, allowed: "in (0, 1), like 1e-5")
        if let maxPerPeriod {
            try InvalidParameter.require(
                maxPerPeriod >= 1 && maxPerPeriod.isFinite, "dp-max-per-period", maxPerPeriod,
                allowed: "a count of at least 1, like 20")
        }
        if let maxRevenue {
            try InvalidParameter.require(
                maxRevenue > 0 && maxRevenue.isFinite, "dp-max-revenue", maxRevenue,
                allowed: "a positive amount, like 200")
        }
        try InvalidParameter.require(
            boundQuantile > 0 && boundQuantile < 1, "dp-bound-quantile", boundQuantile, allowed: "in (0, 1), like 0.9")
        if let maxPeriods {
            try InvalidParameter.require(maxPeriods >= 1, "dp-max-periods", maxPeriods, allowed: "at least 1")
        }
    }

    /// The numbers of periods a user may count in, of a span of `count`: the one given (at
    /// most `count`), or 1, 2, 3, 4, 6, 8, 12 and so on, then `count`.
    func periodCandidates(count: Int) -> [Int] {
        if let maxPeriods { return [min(maxPeriods, count)] }
        return Self.countGrid.map(Int.init).filter { $0 < count } + [count]
    }

    /// 1, 2, 3, 4, 6, 8, 12 and so on to 4,096.
    private static let countGrid: [Double] =
        [1]
        + (1...12).flatMap { power in
            let base = Double(1 << power)
            return power == 12 ? [base] : [base, base * 1.5]
        }

    /// The bounds `metric` may take per user and period: the one given (1 for active users),
    /// or the grid a bound is chosen from: counts 1, 2, 3, 4, 6, 8, 12 and so on to 4,096, amounts
    /// from 1 to 2²⁰ in steps of √2.
    func candidates(of metric: ActivityMetric) -> [Double] {
        switch metric {
        case .activeUsers: [1]
        case .sessions, .events, .purchases:
            maxPerPeriod.map { [$0] } ?? Self.countGrid
        case .revenue: maxRevenue.map { [$0] } ?? (0...40).map { pow(2, Double($0) / 2) }
        }
    }
}

/// What a private activity series guarantees, and the noise it carries.
public struct SeriesPrivacyStatement: Sendable, Equatable, Codable, CustomStringConvertible {
    public var epsilon: Double
    public var delta: Double
    public var accountant: PrivacyStatement.Accountant
    /// The noise's standard deviation over the release's L2 sensitivity (all metrics
    /// scaled to a bound of 1 per period).
    public var noiseMultiplier: Double
    /// Periods in the span, the most of them one user counts in, and whether that was chosen
    /// privately.
    public var periods: Int
    public var maxPeriods: Int
    public var maxPeriodsChosen: Bool
    public var period: SeriesPeriod
    /// Per column: its name, the most one user adds to one period, and the noise's standard
    /// deviation in every period.
    public var columns: [Column]
    /// The part of ε spent on choosing bounds (0 when all were given), and the quantile aimed at.
    public var boundEpsilon: Double
    public var boundQuantile: Double

    public struct Column: Sendable, Equatable, Codable {
        public var name: String
        public var bound: Double
        /// Whether the bound was chosen privately from the data rather than given.
        public var chosen: Bool
        public var noise: Double
    }

    /// The guarantee and the noise in plain English.
    public var description: String {
        let unit = period.rawValue + "s"
        let bounds = columns.map { "\($0.name) \(Self.short($0.bound))\($0.chosen ? " (chosen)" : "")" }
            .joined(separator: ", ")
        let chosen =
            boundEpsilon > 0
            ? "; bounds marked chosen were picked privately (ε \(Self.short(boundEpsilon)), AboveThreshold "
                + "aiming at the \(Self.short(boundQuantile * 100))th percentile of users' values per \(period.rawValue) "
                + "or of their \(period.rawValue)s active)"
            : ""
        let noise = columns.map { "\($0.name) \(Self.short($0.noise))" }.joined(separator: ", ")
        return "(ε = \(String(format: "%.3f", epsilon)), δ = \(Self.short(delta)))-differential privacy per user: "
            + "each user counted in at most \(maxPeriods)\(maxPeriodsChosen ? " (chosen)" : "") of the \(periods) \(unit), "
            + "adding at most \(bounds) to one; "
            + "Gaussian noise of standard deviation \(noise) in every \(period.rawValue) (noise multiplier "
            + "\(Self.short(noiseMultiplier)), \(accountant.rawValue.uppercased()) accounting of one release)" + chosen
    }

    private static func short(_ value: Double) -> String { String(format: "%.4g", value) }
}
