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
    /// The click farms with at least one account, in id order (empty in files written before farms
    /// were planted).
    public var farms: [Farm]

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
    ///
    /// ``kind`` sums them up; ``isAnomalous`` says whether a detector should flag the user.
    public struct User: Sendable, Codable, Equatable {
        /// The `user_id` in the event file.
        public var id: String
        /// Segment index; `nil` for bots and farm accounts.
        public var segment: Int?
        /// Latent purchase propensity in `[0, 1]`: how often the user starts shopping missions and
        /// how readily they cart and buy (0 for bots, which never buy, and for farm accounts, whose
        /// orders are fake). A taken-over account's is its owner's.
        public var propensity: Double
        /// The user's mean sessions per day (bots: mean over all days, active or not; farm
        /// accounts: their sessions over the days of the window; taken-over accounts: the owner's).
        public var sessionsPerDay: Double
        /// When the user became active (farm accounts: their first session).
        public var firstActive: Int64
        /// For churners: the user has no event at or after this time.
        public var churnTimestamp: Int64?
        /// A bot: bursts of views of random items, tens of events per minute.
        public var isBot: Bool
        /// A fraudulent user: bursts of purchases of expensive items at night.
        public var isFraud: Bool
        /// The `session_id`s of the fraudulent bursts (empty for other users).
        public var fraudSessions: [String]
        /// For taken-over accounts: the account's events before this time are its owner's, and
        /// those at or after it an intruder's (the owner does nothing more).
        public var takeoverTimestamp: Int64?
        /// The `session_id`s of the intruder's sessions (empty for other users).
        public var takeoverSessions: [String]
        /// For click-farm accounts: the farm's id (see ``GroundTruth/farms``).
        public var farm: Int?
        /// Events written for the user.
        public var events: Int
        /// Purchase events written for the user.
        public var purchases: Int

        /// What the user was planted as.
        public enum Kind: String, Sendable, CaseIterable {
            /// A shopper active to the end of the window.
            case regular
            /// A shopper who stops at ``User/churnTimestamp``.
            case churner
            /// A bot.
            case bot
            /// A shopper with fraudulent bursts.
            case fraud
            /// An account taken over at ``User/takeoverTimestamp``.
            case takeover
            /// A click-farm account.
            case farm

            /// Whether an anomaly detector should flag users of this kind: bots, fraud, takeovers
            /// and farm accounts are anomalies; regular users and churners are not.
            public var isAnomalous: Bool {
                switch self {
                case .regular, .churner: return false
                case .bot, .fraud, .takeover, .farm: return true
                }
            }
        }

        /// What the user was planted as (each user has one role).
        public var kind: Kind {
            if isBot { return .bot }
            if isFraud { return .fraud }
            if farm != nil { return .farm }
            if takeoverTimestamp != nil { return .takeover }
            if churnTimestamp != nil { return .churner }
            return .regular
        }

        /// Whether an anomaly detector should flag the user (see ``Kind/isAnomalous``).
        public var isAnomalous: Bool { kind.isAnomalous }
    }

    /// A click farm: accounts acting in concert on a few promoted items.
    public struct Farm: Sendable, Codable, Equatable {
        /// Index, as in ``User/farm``.
        public var id: Int
        /// The `user_id`s of its accounts, in the order written.
        public var members: [String]
        /// The `item_id`s it promotes (cheap items of one or two categories).
        public var promotedItems: [String]
        /// When it acts: every event of its accounts lies in one of these windows.
        public var windows: [Window]

        /// A time window `[start, end)` in epoch milliseconds.
        public struct Window: Sendable, Codable, Equatable {
            /// The window's first millisecond.
            public var start: Int64
            /// The millisecond after the window.
            public var end: Int64

            /// Whether `timestamp` lies in the window.
            public func contains(_ timestamp: Int64) -> Bool { timestamp >= start && timestamp < end }
        }
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
    /// Taken-over accounts among the users.
    public var takeovers: Int
    /// Click-farm accounts among the users.
    public var farmAccounts: Int
    /// Click farms with at least one account among the users.
    public var farms: Int
    /// Earliest event timestamp (epoch milliseconds); `nil` when there are no events.
    public var firstTimestamp: Int64?
    /// Latest event timestamp (epoch milliseconds); `nil` when there are no events.
    public var lastTimestamp: Int64?
}

extension GroundTruth {
    /// Reads a ground truth; one written before click farms were planted (without `farms`) reads
    /// as having none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        config = try container.decode(SimulationConfig.self, forKey: .config)
        summary = try container.decode(SimulationSummary.self, forKey: .summary)
        categories = try container.decode([String].self, forKey: .categories)
        segments = try container.decode([Segment].self, forKey: .segments)
        users = try container.decode([User].self, forKey: .users)
        items = try container.decode([Item].self, forKey: .items)
        farms = try container.decodeIfPresent([Farm].self, forKey: .farms) ?? []
    }
}

extension GroundTruth.User {
    /// Reads a user; one written before takeovers and click farms were planted (without
    /// `takeover_timestamp`, `takeover_sessions` and `farm`) reads as neither.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        segment = try container.decodeIfPresent(Int.self, forKey: .segment)
        propensity = try container.decode(Double.self, forKey: .propensity)
        sessionsPerDay = try container.decode(Double.self, forKey: .sessionsPerDay)
        firstActive = try container.decode(Int64.self, forKey: .firstActive)
        churnTimestamp = try container.decodeIfPresent(Int64.self, forKey: .churnTimestamp)
        isBot = try container.decode(Bool.self, forKey: .isBot)
        isFraud = try container.decode(Bool.self, forKey: .isFraud)
        fraudSessions = try container.decode([String].self, forKey: .fraudSessions)
        takeoverTimestamp = try container.decodeIfPresent(Int64.self, forKey: .takeoverTimestamp)
        takeoverSessions = try container.decodeIfPresent([String].self, forKey: .takeoverSessions) ?? []
        farm = try container.decodeIfPresent(Int.self, forKey: .farm)
        events = try container.decode(Int.self, forKey: .events)
        purchases = try container.decode(Int.self, forKey: .purchases)
    }
}

extension SimulationSummary {
    /// Reads a summary; one written before takeovers and click farms were planted (without
    /// `takeovers`, `farm_accounts` and `farms`) counts none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        events = try container.decode(Int.self, forKey: .events)
        eventsByType = try container.decode([String: Int].self, forKey: .eventsByType)
        users = try container.decode(Int.self, forKey: .users)
        items = try container.decode(Int.self, forKey: .items)
        sessions = try container.decode(Int.self, forKey: .sessions)
        bots = try container.decode(Int.self, forKey: .bots)
        frauds = try container.decode(Int.self, forKey: .frauds)
        churners = try container.decode(Int.self, forKey: .churners)
        takeovers = try container.decodeIfPresent(Int.self, forKey: .takeovers) ?? 0
        farmAccounts = try container.decodeIfPresent(Int.self, forKey: .farmAccounts) ?? 0
        farms = try container.decodeIfPresent(Int.self, forKey: .farms) ?? 0
        firstTimestamp = try container.decodeIfPresent(Int64.self, forKey: .firstTimestamp)
        lastTimestamp = try container.decodeIfPresent(Int64.self, forKey: .lastTimestamp)
    }
}
