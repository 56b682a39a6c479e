import Foundation
import Recommenders
import Synchronization

/// A next-item recommender (SASRec, GRU4Rec, popularity) behind `recommend`.
///
/// Inference on one model runs one request at a time (the lock); requests to different
/// models run in parallel.
final class NextItemServing: ServedModel {
    static let task = "next-item"

    private let package: Mutex<NextItemPackage>

    init(directory: URL) throws {
        package = Mutex(try NextItemPackage.load(from: directory))
    }

    func recommend(_ request: RecommendRequest, context: ServingContext) throws(APIError) -> RecommendResult {
        let k = request.k ?? 10
        guard (1...context.maximumK).contains(k) else {
            throw .badRequest("k must be between 1 and \(context.maximumK) (got \(k))", field: "k")
        }
        let excludeSeen = request.excludeSeen ?? false
        switch (request.user, request.history) {
        case (.some, .some):
            throw .badRequest("give user or history, not both", field: "history")
        case (nil, let history?):
            guard history.count <= context.maximumHistory else {
                throw .badRequest(
                    "history holds \(history.count) items; at most \(context.maximumHistory) are taken",
                    field: "history")
            }
            return try package.withLock { package throws(APIError) -> RecommendResult in
                let indexes: [Int]
                do {
                    indexes = try package.itemIndexes(of: history)
                } catch {
                    throw .badRequest(error.localizedDescription, field: "history")
                }
                let top = try Self.mapping(field: "history") { () throws(RecommenderError) in
                    try package.recommend(after: indexes, count: k, excludeSeen: excludeSeen)
                }
                return RecommendResult(
                    items: top.map { .init(item: $0.id, score: $0.score) }, historyLength: indexes.count)
            }
        case (let user?, nil):
            guard let store = context.store else {
                throw .badRequest(
                    "this server has no event store to look users up in; send history instead (or start it with --store)",
                    field: "user")
            }
            return try package.withLock { package throws(APIError) -> RecommendResult in
                do {
                    let found = try package.recommend(forUser: user, in: store, count: k, excludeSeen: excludeSeen)
                    return RecommendResult(
                        items: found.items.map { .init(item: $0.id, score: $0.score) },
                        historyLength: found.history.count)
                } catch let error as RecommenderError {
                    if case .unknownUser = error { throw .notFound(error.localizedDescription, field: "user") }
                    throw .badRequest(error.localizedDescription, field: "user")
                } catch {
                    throw APIError(.serviceUnavailable, code: "store_unavailable", "the event store failed: \(error)")
                }
            }
        case (nil, nil):
            throw .badRequest("give user (an id of the event store) or history (item ids, oldest first)", field: "user")
        }
    }

    private static func mapping<T>(field: String, _ body: () throws(RecommenderError) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            throw .badRequest(error.localizedDescription, field: field)
        }
    }
}
