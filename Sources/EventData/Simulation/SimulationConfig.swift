import Foundation
import Settings

/// What the behaviour simulator generates: population, catalogue, time window and the planted
/// anomalies.
///
/// Every field has a default, so `SimulationConfig(users: 500, seed: 7)` is a complete
/// configuration. The same configuration (seed included) always produces byte-identical output.
///
/// Two ways to size the output:
/// - by population: `users` users are generated, each with as many events as their activity
///   gives (about 90 events per regular user over 30 days with the defaults);
/// - by volume: with `targetEvents` set, users are generated one after another (`users` is
///   ignored) until exactly `targetEvents` events exist; the last user's trail is cut at the
///   target. User *k* gets the same events in both modes, so a volume run is a prefix of a
///   large enough population run.
///
/// ```swift
/// let config = SimulationConfig(items: 2_000, days: 60, seed: 7, targetEvents: 1_000_000)
/// ```
public struct SimulationConfig: Sendable, Codable, Equatable {
    /// Number of users (ignored when `targetEvents` is set).
    public var users: Int
    /// Number of items in the catalogue.
    public var items: Int
    /// Number of item categories (at most `items`).
    public var categories: Int
    /// Length of the time window in days.
    public var days: Int
    /// Start of the time window. Days and hours of day are reckoned in UTC.
    public var start: Date
    /// Seed of every random choice.
    public var seed: UInt64
    /// Share of users that are bots: bursts of views of random items, tens per minute.
    public var botFraction: Double
    /// Share of users that are fraudulent: regular users plus bursts of purchases of expensive
    /// items at night.
    public var fraudFraction: Double
    /// Share of users that churn: they stop all activity at a date recorded in the ground truth.
    public var churnFraction: Double
    /// Share of users whose account is taken over: regular until a recorded time, then driven
    /// by an intruder (at night, in a few expensive categories, with short looks, fast carting,
    /// purchases of expensive items and more sessions).
    public var takeoverFraction: Double
    /// Share of users that are click-farm accounts: groups of 5 to 20 that, in the same short
    /// windows, view and click the same few promoted items and place cheap fake orders of them.
    public var farmFraction: Double
    /// Number of user segments (tastes, activity levels and purchase habits differ by segment).
    public var segments: Int
    /// Plant segments that can be told apart from behaviour: each segment gets its own two
    /// favourite departments (shared by no other segment while there are enough departments),
    /// every user's own favourite is one of their segment's, and the segments' session rates
    /// and purchase propensities are spread evenly over their ranges. Off by default: the
    /// default segments overlap (two may share favourites; half the users have a favourite
    /// of their own), which keeps earlier benchmarks' logs unchanged.
    public var distinctSegments: Bool
    /// When set, generate exactly this many events (see the type's overview).
    public var targetEvents: Int?
    /// Number of planted successors of each item (the sequential item-to-item structure).
    public var successorsPerItem: Int
    /// Probability that the next item a user looks at in a session is one of the current
    /// item's planted successors (otherwise it follows the user's taste and item popularity).
    public var transitionProbability: Double
    /// Exponent *s* of the Zipf-like popularity: item of rank *r* (1 = most popular) has
    /// weight `1 / r^s`.
    public var popularityExponent: Double
    /// Yearly growth of every user's activity: day `t` (from 0) has `(1 + growth)^(t / 365)`
    /// times the sessions (0.5: half as many again a year later; negative for a decline). A
    /// trend for forecasting to find; 0 leaves activity flat.
    public var growth: Double
    /// A marketing campaign: days when every user's activity is multiplied, a spike for
    /// forecasting to find; nil for none.
    public var campaign: Campaign?
    /// Catalogue drift: the share of items that are new, each released on a random day of the
    /// drift's second half and unseen before it. New items are the most popular of a second popularity
    /// order, which popular-item draws follow with a chance rising from 0 when the drift starts to 1
    /// on the last day (older items fade); 0 keeps one catalogue and one popularity throughout.
    public var newItemShare: Double = 0
    /// With ``newItemShare``: when the drift starts, as a share of the period (0: on the first
    /// day, so new items are released in the second half; 0.9: the popularity turns in the last
    /// tenth and new items are released in the last twentieth, a launch).
    public var driftStart: Double = 0

    /// Days of raised activity.
    public struct Campaign: Sendable, Codable, Equatable {
        /// The first campaign day, counted from 0 at the start of the simulation.
        public var startDay: Int
        /// How many days it lasts.
        public var days: Int
        /// The multiplier of every user's sessions on those days (2: twice as many).
        public var lift: Double

        public init(startDay: Int, days: Int = 3, lift: Double = 2) {
            self.startDay = startDay
            self.days = days
            self.lift = lift
        }
    }

    /// 2024-01-01 00:00:00 UTC, the default start of the window.
    public static let defaultStart = Date(timeIntervalSince1970: 1_704_067_200)

    public init(
        users: Int = 1_000, items: Int = 1_000, categories: Int = 12, days: Int = 30,
        start: Date = SimulationConfig.defaultStart, seed: UInt64 = 42, botFraction: Double = 0.01,
        fraudFraction: Double = 0.005, churnFraction: Double = 0.2, takeoverFraction: Double = 0.005,
        farmFraction: Double = 0.01, segments: Int = 5, distinctSegments: Bool = false, targetEvents: Int? = nil,
        successorsPerItem: Int = 3, transitionProbability: Double = 0.5, popularityExponent: Double = 1.0,
        growth: Double = 0, campaign: Campaign? = nil
    ) {
        self.users = users
        self.items = items
        self.categories = categories
        self.days = days
        self.start = start
        self.seed = seed
        self.botFraction = botFraction
        self.fraudFraction = fraudFraction
        self.churnFraction = churnFraction
        self.takeoverFraction = takeoverFraction
        self.farmFraction = farmFraction
        self.segments = segments
        self.distinctSegments = distinctSegments
        self.targetEvents = targetEvents
        self.successorsPerItem = successorsPerItem
        self.transitionProbability = transitionProbability
        self.popularityExponent = popularityExponent
        self.growth = growth
        self.campaign = campaign
    }

    /// Checks that the configuration can work.
    ///
    /// - Throws: ``InvalidParameter`` naming the offending setting by its key (`users`,
    ///   `bot-fraction`, ...; `behave simulate` uses them as flags), its value and the valid range.
    public func validate() throws(InvalidParameter) {
        if let target = targetEvents {
            try InvalidParameter.require(target >= 1, "events", target, allowed: "at least 1")
        } else {
            try InvalidParameter.require(users >= 1, "users", users, allowed: "at least 1")
        }
        try InvalidParameter.require("successors", successorsPerItem, in: 1...64)
        try InvalidParameter.require(
            items > successorsPerItem && items <= 100_000_000, "items", items,
            allowed: "between \(successorsPerItem + 1) (one more than the successors per item) and 100000000")
        try InvalidParameter.require(
            (1...items).contains(categories) && categories <= 100_000, "categories", categories,
            allowed: "between 1 and the number of items, at most 100000")
        try InvalidParameter.require("days", days, in: 1...36_500)
        let startSeconds = start.timeIntervalSince1970
        try InvalidParameter.require(
            startSeconds.isFinite && (0...253_402_300_799).contains(startSeconds), "start", start,
            allowed: "a date between 1970-01-01 and 9999-12-31 UTC")
        try InvalidParameter.require("segments", segments, in: 1...1_000)
        for (name, value) in [
            ("bot-fraction", botFraction), ("fraud-fraction", fraudFraction), ("churn-fraction", churnFraction),
            ("takeover-fraction", takeoverFraction), ("farm-fraction", farmFraction),
            ("transition-probability", transitionProbability),
        ] {
            try InvalidParameter.require(name, value, in: 0...1)
        }
        // The roles share the population: the setting that takes the sum past 1 is named.
        let roles = botFraction + fraudFraction + churnFraction
        try InvalidParameter.require(
            roles <= 1, "bot-fraction", "\(botFraction) (with fraud-fraction and churn-fraction: \(roles))",
            allowed: "at most 1 together with fraud-fraction and churn-fraction")
        let withTakeovers = roles + takeoverFraction
        try InvalidParameter.require(
            withTakeovers <= 1, "takeover-fraction",
            "\(takeoverFraction) (with bot-, fraud- and churn-fraction: \(withTakeovers))",
            allowed: "at most 1 together with bot-fraction, fraud-fraction and churn-fraction")
        let withFarms = withTakeovers + farmFraction
        try InvalidParameter.require(
            withFarms <= 1, "farm-fraction",
            "\(farmFraction) (with bot-, fraud-, churn- and takeover-fraction: \(withFarms))",
            allowed: "at most 1 together with bot-fraction, fraud-fraction, churn-fraction and takeover-fraction")
        try InvalidParameter.require(
            popularityExponent.isFinite && (0...10).contains(popularityExponent), "popularity-exponent",
            popularityExponent, allowed: "between 0 and 10")
        try InvalidParameter.require(
            growth.isFinite && (-0.9...10).contains(growth), "growth", growth,
            allowed: "between -0.9 and 10 (0.5: half as much activity again per year)")
        try InvalidParameter.require(
            newItemShare.isFinite && (0...0.9).contains(newItemShare), "new-item-share", newItemShare,
            allowed: "between 0 and 0.9 (0.2: a fifth of the catalogue arrives during the period)")
        try InvalidParameter.require(
            driftStart.isFinite && (0...0.99).contains(driftStart), "drift-start", driftStart,
            allowed: "between 0 and 0.99 (0.9: the drift happens in the last tenth of the period)")
        if let campaign {
            try InvalidParameter.require(
                (0..<days).contains(campaign.startDay), "campaign-day", campaign.startDay,
                allowed: "a day of the simulation, 0 to \(days - 1)")
            try InvalidParameter.require("campaign-days", campaign.days, in: 1...36_500)
            try InvalidParameter.require(
                campaign.lift.isFinite && (0...100).contains(campaign.lift), "campaign-lift", campaign.lift,
                allowed: "between 0 and 100 (2: twice the usual activity)")
        }
    }

    /// The multiplier of every user's sessions on day `index` (from 0): growth, and the campaign.
    public func activityFactor(dayIndex index: Int) -> Double {
        var factor = growth == 0 ? 1 : pow(1 + growth, Double(index) / 365)
        if let campaign, index >= campaign.startDay, index < campaign.startDay + campaign.days {
            factor *= campaign.lift
        }
        return factor
    }
}

extension SimulationConfig {
    /// Reads a configuration; `takeover-fraction`, `farm-fraction`, `growth`, `new-item-share` and
    /// `drift-start` are 0,
    /// `distinct-segments` false and `campaign` nil when absent, as in ground-truth files written before they
    /// existed (whose runs planted none).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        users = try container.decode(Int.self, forKey: .users)
        items = try container.decode(Int.self, forKey: .items)
        categories = try container.decode(Int.self, forKey: .categories)
        days = try container.decode(Int.self, forKey: .days)
        start = try container.decode(Date.self, forKey: .start)
        seed = try container.decode(UInt64.self, forKey: .seed)
        botFraction = try container.decode(Double.self, forKey: .botFraction)
        fraudFraction = try container.decode(Double.self, forKey: .fraudFraction)
        churnFraction = try container.decode(Double.self, forKey: .churnFraction)
        takeoverFraction = try container.decodeIfPresent(Double.self, forKey: .takeoverFraction) ?? 0
        farmFraction = try container.decodeIfPresent(Double.self, forKey: .farmFraction) ?? 0
        segments = try container.decode(Int.self, forKey: .segments)
        distinctSegments = try container.decodeIfPresent(Bool.self, forKey: .distinctSegments) ?? false
        targetEvents = try container.decodeIfPresent(Int.self, forKey: .targetEvents)
        successorsPerItem = try container.decode(Int.self, forKey: .successorsPerItem)
        transitionProbability = try container.decode(Double.self, forKey: .transitionProbability)
        popularityExponent = try container.decode(Double.self, forKey: .popularityExponent)
        growth = try container.decodeIfPresent(Double.self, forKey: .growth) ?? 0
        campaign = try container.decodeIfPresent(Campaign.self, forKey: .campaign)
        newItemShare = try container.decodeIfPresent(Double.self, forKey: .newItemShare) ?? 0
        driftStart = try container.decodeIfPresent(Double.self, forKey: .driftStart) ?? 0
    }

    /// The time window in epoch milliseconds.
    var windowMilliseconds: Range<Int64> {
        let start = Int64((start.timeIntervalSince1970 * 1000).rounded())
        return start..<(start + Int64(days) * 86_400_000)
    }
}
