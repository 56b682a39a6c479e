import Foundation

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
    /// Number of user segments (tastes, activity levels and purchase habits differ by segment).
    public var segments: Int
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

    /// 2024-01-01 00:00:00 UTC, the default start of the window.
    public static let defaultStart = Date(timeIntervalSince1970: 1_704_067_200)

    public init(
        users: Int = 1_000, items: Int = 1_000, categories: Int = 12, days: Int = 30,
        start: Date = SimulationConfig.defaultStart, seed: UInt64 = 42, botFraction: Double = 0.01,
        fraudFraction: Double = 0.005, churnFraction: Double = 0.2, segments: Int = 5,
        targetEvents: Int? = nil, successorsPerItem: Int = 3, transitionProbability: Double = 0.5,
        popularityExponent: Double = 1.0
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
        self.segments = segments
        self.targetEvents = targetEvents
        self.successorsPerItem = successorsPerItem
        self.transitionProbability = transitionProbability
        self.popularityExponent = popularityExponent
    }

    /// Checks that the configuration can work.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` naming the `behave simulate`
    ///   flag that sets the offending field (`--users`, `--bot-fraction`, ...) and the valid range.
    public func validate() throws {
        func fail(_ name: String, _ detail: String) -> EventDataError {
            EventDataError.invalidOption(name: name, detail: detail)
        }
        if targetEvents == nil {
            guard users >= 1 else { throw fail("--users", "must be at least 1 (got \(users)).") }
        }
        if let target = targetEvents {
            guard target >= 1 else { throw fail("--events", "must be at least 1 (got \(target)).") }
        }
        guard (1...64).contains(successorsPerItem) else {
            throw fail("--successors", "must be between 1 and 64 (got \(successorsPerItem)).")
        }
        guard items > successorsPerItem, items <= 100_000_000 else {
            throw fail(
                "--items",
                "must be between \(successorsPerItem + 1) (one more than the successors per item) "
                    + "and 100000000 (got \(items)).")
        }
        guard (1...items).contains(categories), categories <= 100_000 else {
            throw fail(
                "--categories", "must be between 1 and the number of items, at most 100000 (got \(categories)).")
        }
        guard (1...36_500).contains(days) else {
            throw fail("--days", "must be between 1 and 36500 (got \(days)).")
        }
        let startSeconds = start.timeIntervalSince1970
        guard startSeconds.isFinite, (0...253_402_300_799).contains(startSeconds) else {
            throw fail("--start", "must be a date between 1970-01-01 and 9999-12-31 UTC.")
        }
        guard (1...1_000).contains(segments) else {
            throw fail("--segments", "must be between 1 and 1000 (got \(segments)).")
        }
        for (name, value) in [
            ("--bot-fraction", botFraction), ("--fraud-fraction", fraudFraction), ("--churn-fraction", churnFraction),
            ("--transition-probability", transitionProbability),
        ] {
            guard (0...1).contains(value) else { throw fail(name, "must be between 0 and 1 (got \(value)).") }
        }
        let roles = botFraction + fraudFraction + churnFraction
        guard roles <= 1 else {
            throw fail(
                "--bot-fraction",
                "with --fraud-fraction and --churn-fraction adds up to \(roles); the three must add up to at most 1.")
        }
        guard popularityExponent.isFinite, (0...10).contains(popularityExponent) else {
            throw fail("--popularity-exponent", "must be between 0 and 10 (got \(popularityExponent)).")
        }
    }
}
