import FileIO
import Foundation

/// What the simulator planted, for checking models and filters against it.
///
/// Written as one JSON object with snake_case keys (`GroundTruth.write(to:)`) and read back with
/// ``load(from:)``. Timestamps are epoch milliseconds, like the event files; prices are in the
/// same unit as event values.
public struct GroundTruth: Sendable, Codable, Equatable {
    /// The configuration that produced the log.
    public var config: SimulationConfig
    /// Counts of what was generated.
    public var summary: SimulationSummary
    /// Category names, indexed like ``Segment/categoryTaste``.
    public var categories: [String]
    /// The user segments.
    public var segments: [Segment]
    /// Every generated user, in the order written.
    public var users: [User]
    /// Every catalogue item, with its planted successors (the transition table).
    public var items: [Item]

    /// A user segment's habits.
    public struct Segment: Sendable, Codable, Equatable {
        /// Index, as in ``User/segment``.
        public var id: Int
        /// Share of regular users in the segment.
        public var weight: Double
        /// Probability of each category (indexed like ``GroundTruth/categories``) when a user of
        /// the segment browses by taste.
        public var categoryTaste: [Double]
        /// Median sessions per day of the segment's users (each user's rate is log-normal around it).
        public var sessionsPerDay: Double
        /// Mean number of items looked at per session.
        public var meanItemsPerSession: Double
        /// Base probability that a viewed item is put in the cart.
        public var cartRate: Double
        /// How strongly a price above the category's median discourages carting and buying
        /// (probabilities scale with `(price / median)^-elasticity`).
        public var priceElasticity: Double
        /// Median purchase propensity of the segment's users.
        public var medianPropensity: Double
    }

    /// One user's planted traits.
    public struct User: Sendable, Codable, Equatable {
        /// The `user_id` in the event file.
        public var id: String
        /// Segment index; `nil` for bots.
        public var segment: Int?
        /// Latent purchase propensity in `[0, 1]`: how often the user starts shopping missions and
        /// how readily they cart and buy (0 for bots, which never buy).
        public var propensity: Double
        /// The user's mean sessions per day (bots: mean over all days, active or not).
        public var sessionsPerDay: Double
        /// When the user became active.
        public var firstActive: Int64
        /// For churners: the user has no event at or after this time.
        public var churnTimestamp: Int64?
        /// A bot: bursts of views of random items, tens of events per minute.
        public var isBot: Bool
        /// A fraudulent user: bursts of purchases of expensive items at night.
        public var isFraud: Bool
        /// The `session_id`s of the fraudulent bursts (empty for other users).
        public var fraudSessions: [String]
        /// Events written for the user.
        public var events: Int
        /// Purchase events written for the user.
        public var purchases: Int
    }

    /// One catalogue item.
    public struct Item: Sendable, Codable, Equatable {
        /// The `item_id` in the event file.
        public var id: String
        /// Category name.
        public var category: String
        /// Price (the `value` of its cart and purchase events).
        public var price: Double
        /// Popularity rank, 1 = most popular; taste-driven choices weigh items by `1 / rank^s`
        /// with `s` = ``SimulationConfig/popularityExponent``.
        public var popularityRank: Int
        /// Planted successors: after this item, with probability
        /// ``SimulationConfig/transitionProbability`` a user goes to one of these...
        public var successors: [String]
        /// ...with these probabilities (same order, summing to 1).
        public var successorProbabilities: [Double]
    }

    /// Writes the ground truth as pretty-printed JSON with sorted keys (byte-identical for the
    /// same simulation).
    ///
    /// - Throws: ``EventDataError/unwritable(path:reason:)`` when the file cannot be written.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .millisecondsSince1970
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EventDataError.unwritable(path: path, reason: FileError.describe(error))
        }
    }

    /// Reads a ground-truth file written by ``write(to:)``.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file is missing, and
    ///   ``EventDataError/unrecognizedFormat(path:detail:)`` when it is not a ground-truth file.
    public static func load(from path: String) throws -> GroundTruth {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EventDataError.unreadable(path: path, reason: FileError.describe(error))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .millisecondsSince1970
        do {
            return try decoder.decode(GroundTruth.self, from: data)
        } catch {
            throw EventDataError.unrecognizedFormat(
                path: path,
                detail: "not a simulator ground-truth file (\(error)); write one with `behave simulate`")
        }
    }
}

/// Counts of a simulation's output.
public struct SimulationSummary: Sendable, Codable, Equatable {
    /// Events written.
    public var events: Int
    /// Events by event type (`view`, `click`, `search`, `cart`, `purchase`).
    public var eventsByType: [String: Int]
    /// Users with at least one event.
    public var users: Int
    /// Catalogue size.
    public var items: Int
    /// Sessions with at least one event.
    public var sessions: Int
    /// Bots among the users.
    public var bots: Int
    /// Fraudulent users among the users.
    public var frauds: Int
    /// Churners among the users.
    public var churners: Int
    /// Earliest event timestamp (epoch milliseconds); `nil` when there are no events.
    public var firstTimestamp: Int64?
    /// Latest event timestamp (epoch milliseconds); `nil` when there are no events.
    public var lastTimestamp: Int64?
}
