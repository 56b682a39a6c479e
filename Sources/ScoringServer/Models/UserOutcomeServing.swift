import Classifiers
import EventData
import Foundation
import Monitoring
import Synchronization

/// A purchase or churn model (`behave train purchase | churn`) behind `score`: users of the
/// event store, each scored on their events up to `at` (default: now), as `behave predict
/// --store --at` scores them.
final class UserOutcomeServing: ServedModel {
    static let tasks = ["purchase", "churn"]

    private let classifier: Mutex<UserOutcomeClassifier>
    private let threshold: Double
    let driftWindow: DriftWindow?

    init(directory: URL) throws {
        let loaded = try UserOutcomeClassifier.load(from: directory)
        driftWindow = Self.driftWindow(forBundle: directory)
        threshold = loaded.manifest.threshold
        classifier = Mutex(loaded)
    }

    /// The most users one explain request may hold.
    static let maximumExplainedUsers = 100

    /// The request's users, their histories in the store, the scoring time and the store's items.
    private func histories(of request: ScoreRequest, context: ServingContext, limit: Int) throws(APIError) -> (
        users: [String], histories: [UserHistory], at: Int64, items: Vocabulary
    ) {
        guard request.rows == nil else {
            throw .badRequest("this model scores users of the event store, not table rows; send users", field: "rows")
        }
        guard let users = request.users, !users.isEmpty else {
            throw .badRequest("users is required: ids of the event store", field: "users")
        }
        guard users.count <= limit else {
            throw .badRequest("users holds \(users.count) ids; at most \(limit) per request", field: "users")
        }
        guard let store = context.store else {
            throw .badRequest(
                "this server has no event store to look users up in (start it with --store)", field: "users")
        }
        let at = request.at ?? Int64((Date().timeIntervalSince1970 * 1_000).rounded())
        var histories: [UserHistory] = []
        let items: Vocabulary
        do {
            for (index, user) in users.enumerated() {
                let events = try store.events(forUser: user)
                guard !events.isEmpty else {
                    throw APIError.notFound("no events of user \(user) in the event store", field: "users[\(index)]")
                }
                histories.append(UserHistory(user: index, userID: user, events: events))
            }
            items = try store.itemIDs()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.serviceUnavailable, code: "store_unavailable", "the event store failed: \(error)")
        }
        return (users, histories, at, items)
    }

    func explain(_ request: ScoreRequest, context: ServingContext) throws(APIError) -> ExplainResult {
        let (_, histories, at, items) = try histories(
            of: request, context: context, limit: min(context.maximumRows, Self.maximumExplainedUsers))
        let explanations = try classifier.withLock { classifier throws(APIError) -> [UserExplanation] in
            do {
                return try histories.map { try classifier.explain($0, at: at, itemIDs: items) }
            } catch {
                throw .badRequest("\(error.localizedDescription)")
            }
        }
        return ExplainResult(users: explanations)
    }

    func score(_ request: ScoreRequest, context: ServingContext) throws(APIError) -> ScoreResult {
        let (users, histories, at, items) = try histories(of: request, context: context, limit: context.maximumRows)
        let probabilities = classifier.withLock { $0.predict(histories, itemIDs: items, at: at) }
        if let bad = probabilities.firstIndex(where: { !$0.isFinite }) {
            throw .badRequest("the model's output for \(users[bad]) is not a number", field: "users[\(bad)]")
        }
        if let driftWindow {
            let lengths = histories.map { Double($0.events.lazy.filter { $0.timestamp <= at }.count) }
            let columns = classifier.withLock { $0.inputColumns(histories, at: at) }
            driftWindow.record(
                rows: histories.count,
                columns: columns
                    + [
                        FeatureColumn(
                            name: BehaviourSamples.historyLength, group: "users", sample: .numbers(lengths))
                    ],
                scores: probabilities)
        }
        return ScoreResult(
            scores: probabilities.map { .init(probability: $0, decision: $0 >= threshold) }, threshold: threshold)
    }
}
