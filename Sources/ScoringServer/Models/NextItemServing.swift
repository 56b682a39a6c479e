import EventData
import Foundation
import Monitoring
import Recommenders
import Synchronization

/// A next-item recommender (SASRec, GRU4Rec, popularity) behind `recommend`. Concurrent
/// requests are scored in batches (``ScoringBatcher``).
final class NextItemServing: ServedModel {
    static let task = "next-item"

    private let package: NextItemPackageBox
    private let batcher: ScoringBatcher
    let driftWindow: DriftWindow?

    init(directory: URL) throws {
        driftWindow = Self.driftWindow(forBundle: directory)
        let package = NextItemPackageBox(try NextItemPackage.load(from: directory))
        self.package = package
        batcher = ScoringBatcher { histories in package.scores(after: histories) }
    }

    /// The most users one explain request may hold (each explanation runs the model on tens of
    /// path points).
    static let maximumExplainedUsers = 20

    /// `explain` of store users: each one's top recommendation, per past item.
    func explain(_ request: ScoreRequest, context: ServingContext) throws(APIError) -> ExplainResult {
        guard request.rows == nil, let users = request.users, !users.isEmpty else {
            throw .badRequest("give users (ids of the event store) to explain their top recommendation", field: "users")
        }
        guard users.count <= Self.maximumExplainedUsers else {
            throw .badRequest(
                "users holds \(users.count) ids; at most \(Self.maximumExplainedUsers) are explained per request",
                field: "users")
        }
        guard let store = context.store else {
            throw .badRequest(
                "this server has no event store to look users up in (start it with --store)", field: "users")
        }
        var explanations: [RecommendationExplanation] = []
        for user in users {
            do {
                explanations.append(try package.explain(try package.value.itemEvents(ofUser: user, in: store)))
            } catch let error as RecommenderError {
                if case .unknownUser = error { throw .notFound(error.localizedDescription, field: "users") }
                throw .badRequest(error.localizedDescription, field: "users")
            } catch {
                throw APIError(.serviceUnavailable, code: "store_unavailable", "the event store failed: \(error)")
            }
        }
        return ExplainResult(recommendations: explanations)
    }

    func recommend(_ request: RecommendRequest, context: ServingContext) async throws(APIError) -> RecommendResult {
        let k = request.k ?? 10
        guard (1...context.maximumK).contains(k) else {
            throw .badRequest("k must be between 1 and \(context.maximumK) (got \(k))", field: "k")
        }
        let history: [Int]
        var unknownItems = 0
        switch (request.user, request.history) {
        case (.some, .some):
            throw .badRequest("give user or history, not both", field: "history")
        case (nil, let ids?):
            guard ids.count <= context.maximumHistory else {
                throw .badRequest(
                    "history holds \(ids.count) items; at most \(context.maximumHistory) are taken", field: "history")
            }
            do {
                history = try package.value.itemIndexes(of: ids)
            } catch {
                throw .badRequest(error.localizedDescription, field: "history")
            }
            if history.isEmpty, package.isSequence {
                throw .badRequest("a sequence model needs at least one item in the history", field: "history")
            }
        case (let user?, nil):
            guard let store = context.store else {
                throw .badRequest(
                    "this server has no event store to look users up in; send history instead (or start it with --store)",
                    field: "user")
            }
            do {
                (history, unknownItems) = try package.value.history(ofUser: user, in: store)
            } catch let error as RecommenderError {
                if case .unknownUser = error { throw .notFound(error.localizedDescription, field: "user") }
                throw .badRequest(error.localizedDescription, field: "user")
            } catch {
                throw APIError(.serviceUnavailable, code: "store_unavailable", "the event store failed: \(error)")
            }
        case (nil, nil):
            throw .badRequest("give user (an id of the event store) or history (item ids, oldest first)", field: "user")
        }
        let top = await batcher.top(
            after: history, count: k, excluding: request.excludeSeen == true ? Set(history) : [])
        let items = package.value.items
        if let driftWindow {
            var columns = [
                FeatureColumn(
                    name: BehaviourSamples.historyLength, group: "users",
                    sample: .numbers([Double(history.count + unknownItems)])),
                FeatureColumn(
                    name: BehaviourSamples.knownItem, group: "events",
                    sample: .categories(
                        (0..<(history.count + unknownItems)).map { $0 < history.count ? "known" : "unknown" })),
            ]
            if let last = history.last {
                columns.append(
                    FeatureColumn(name: BehaviourSamples.item, group: "events", sample: .categories([items[last]])))
            }
            // The same best score the training profile holds: the top item with nothing excluded.
            let best = request.excludeSeen == true ? nil : top.first?.score
            driftWindow.record(rows: 1, columns: columns, scores: best.map { [Double($0)] } ?? [])
        }
        return RecommendResult(
            items: top.map { .init(item: items[$0.item], score: $0.score) }, historyLength: history.count)
    }
}

/// The loaded package: its vocabulary and store lookups are read-only and shared; its network
/// runs under the lock (the batcher's one pass at a time takes it, and an explanation, which
/// holds it for tens of passes: recommendations wait behind explanations).
final class NextItemPackageBox: Sendable {
    nonisolated(unsafe) let value: NextItemPackage
    let isSequence: Bool
    private let lock = Mutex(())

    init(_ value: NextItemPackage) {
        self.value = value
        if case .sequence = value.model { isSequence = true } else { isSequence = false }
    }

    func scores(after histories: [[Int]]) -> [[Float]] {
        lock.withLock { _ in value.model.scores(after: histories) }
    }

    /// ``NextItemPackage/explain(_:item:explainer:)`` under the lock (the store was read before).
    func explain(_ found: NextItemPackage.UserItemEvents) throws(RecommenderError) -> RecommendationExplanation {
        try lock.withLock { _ throws(RecommenderError) in try value.explain(found) }
    }
}
