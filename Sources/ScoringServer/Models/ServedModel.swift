import Classifiers
import EventData
import Foundation
import Monitoring
import Recommenders

/// A model the server can answer with: the plug-in point for every kind of bundle.
///
/// A kind registers a loader in ``ModelKinds`` under its bundle's task (`next-item`,
/// `classify`, ...); the server loads the live version of each registry entry with it and
/// calls the endpoint's method. A kind implements the endpoints that make sense for it; the
/// others answer 400 naming the endpoint that does.
public protocol ServedModel: Sendable {
    /// `POST /v1/models/{name}/recommend`; the result is written with its `"model"` and
    /// `"version"`.
    func recommend(_ request: RecommendRequest, context: ServingContext) async throws(APIError) -> RecommendResult
    /// `POST /v1/models/{name}/score`.
    func score(_ request: ScoreRequest, context: ServingContext) async throws(APIError) -> ScoreResult
    /// `POST /v1/models/{name}/explain`: the same body as `score`, each row's or user's
    /// probability with every column's, feature's or past event's attribution (integrated
    /// gradients); for a next-item model, `users` and each one's top recommendation.
    func explain(_ request: ScoreRequest, context: ServingContext) async throws(APIError) -> ExplainResult
    /// What the model was asked lately, against its training profile (`GET
    /// /v1/models/{name}/drift`, the drift gauges); nil for a bundle without `profile.json`.
    var driftWindow: DriftWindow? { get }
}

extension ServedModel {
    public var driftWindow: DriftWindow? { nil }

    /// The drift window of the bundle in `directory`: nil when it has no readable
    /// `profile.json` (``LiveModels`` logs an unreadable one; the model serves either way).
    static func driftWindow(forBundle directory: URL) -> DriftWindow? {
        (try? TrainingProfile.load(from: directory)).map { DriftWindow(profile: $0) }
    }

    public func recommend(_ request: RecommendRequest, context: ServingContext) async throws(APIError)
        -> RecommendResult
    {
        throw .badRequest("this model does not recommend items; it scores (POST /v1/models/{name}/score)")
    }

    public func score(_ request: ScoreRequest, context: ServingContext) async throws(APIError) -> ScoreResult {
        throw .badRequest("this model does not score rows; it recommends (POST /v1/models/{name}/recommend)")
    }

    public func explain(_ request: ScoreRequest, context: ServingContext) async throws(APIError) -> ExplainResult {
        throw .badRequest(
            "this model is not explained; table, purchase, churn and next-item models are "
                + "(POST /v1/models/{name}/explain)")
    }
}

/// What `POST /v1/models/{name}/explain` answers: rows for a table model, users for a purchase
/// or churn model, recommendations for a next-item model.
public struct ExplainResult: Sendable, Encodable {
    public var explanations: [RowExplanation]?
    public var users: [UserExplanation]?
    public var recommendations: [RecommendationExplanation]?

    public init(
        explanations: [RowExplanation]? = nil, users: [UserExplanation]? = nil,
        recommendations: [RecommendationExplanation]? = nil
    ) {
        self.explanations = explanations
        self.users = users
        self.recommendations = recommendations
    }
}

/// What every request may use beyond its body: the event store (for store users) and limits.
public struct ServingContext: Sendable {
    /// The event store users are looked up in, or nil (requests must then give histories).
    public var store: (any EventStore & Sendable)?
    /// The longest history a request may give.
    public var maximumHistory: Int
    /// The most items a recommendation may return.
    public var maximumK: Int
    /// The most rows one score request may hold.
    public var maximumRows: Int

    public init(
        store: (any EventStore & Sendable)? = nil, maximumHistory: Int = 1_000, maximumK: Int = 1_000,
        maximumRows: Int = 10_000
    ) {
        self.store = store
        self.maximumHistory = maximumHistory
        self.maximumK = maximumK
        self.maximumRows = maximumRows
    }
}

/// How to load a bundle of each task; ``standard`` holds every kind BehaviorKit serves.
public struct ModelKinds: Sendable {
    public typealias Loader = @Sendable (URL) throws -> any ServedModel

    public private(set) var loaders: [String: Loader]

    public init(loaders: [String: Loader] = [:]) {
        self.loaders = loaders
    }

    /// Adds (or replaces) the loader for bundles whose task is `task`.
    public mutating func register(task: String, loader: @escaping Loader) {
        loaders[task] = loader
    }

    /// Next-item recommenders, table classifiers, and purchase and churn models.
    public static var standard: ModelKinds {
        var kinds = ModelKinds()
        kinds.register(task: NextItemServing.task) { try NextItemServing(directory: $0) }
        kinds.register(task: TableClassifierServing.task) { try TableClassifierServing(directory: $0) }
        for task in UserOutcomeServing.tasks {
            kinds.register(task: task) { try UserOutcomeServing(directory: $0) }
        }
        return kinds
    }
}

/// `POST /v1/models/{name}/recommend`: a user of the event store, or a history of item ids
/// (oldest first).
public struct RecommendRequest: Sendable {
    public var user: String?
    public var history: [String]?
    /// How many items (default 10).
    public var k: Int?
    /// Leave out items already in the history (default false).
    public var excludeSeen: Bool?

    public init(user: String? = nil, history: [String]? = nil, k: Int? = nil, excludeSeen: Bool? = nil) {
        self.user = user
        self.history = history
        self.k = k
        self.excludeSeen = excludeSeen
    }
}

/// The recommended items, best first.
public struct RecommendResult: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var item: String
        public var score: Float
    }
    public var items: [Item]
    /// The history the model saw (its length).
    public var historyLength: Int
}

/// `POST /v1/models/{name}/score`: table rows, each an object of column name to value (table
/// classifiers), or users of the event store as of a time (purchase and churn models).
public struct ScoreRequest: Sendable {
    public var rows: [[String: Cell]]?
    public var users: [String]?
    /// The scoring time for `users` in milliseconds since 1970 (default: now).
    public var at: Int64?

    public init(rows: [[String: Cell]]? = nil, users: [String]? = nil, at: Int64? = nil) {
        self.rows = rows
        self.users = users
        self.at = at
    }

    /// One cell as the CSV text would hold it: a string, a number as written, `true` or
    /// `false`, or empty for null (missing).
    public struct Cell: Sendable {
        public var text: String

        public init(_ text: String) {
            self.text = text
        }
    }
}

/// One probability per row, in order, with the decision at the model's threshold.
public struct ScoreResult: Sendable, Equatable {
    public struct Score: Sendable, Equatable {
        public var probability: Double
        public var decision: Bool
    }
    public var scores: [Score]
    public var threshold: Double
}
