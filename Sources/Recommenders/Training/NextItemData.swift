import Evaluation
import EventData

/// The leave-one-out view of an event store that next-item models train and evaluate on.
///
/// Per user, items in time order (ties in input order): the last is the test target, the
/// second-to-last the validation target, the rest trains (see ``LeaveOneOutSplit``; users with
/// fewer than 3 items only train). Validation predicts from the training items; test predicts
/// from the training items plus the validation item.
public struct NextItemData: Sendable {
    /// Every user's split, in the store's user order.
    public let users: [LeaveOneOutUser]
    /// External item ids by dense item index: the model's catalogue.
    public let items: Vocabulary
    /// External user ids by dense user index.
    public let userIDs: Vocabulary

    /// - Precondition: every item in `users` is an index into `items`.
    public init(users: [LeaveOneOutUser], items: Vocabulary, userIDs: Vocabulary) {
        self.users = users
        self.items = items
        self.userIDs = userIDs
    }

    /// Reads every user's item events from `store`.
    ///
    /// - Parameters:
    ///   - split: Which events count as items.
    ///   - catalogue: A trained model's item ids: items are numbered as in it and events with
    ///     other items are left out. Nil (the default) takes the store's whole catalogue.
    /// - Throws: ``RecommenderError/notEnoughData(detail:)`` when the store holds no item
    ///   events, or the store's errors.
    public static func load(
        from store: any EventStore, split: LeaveOneOutSplit = LeaveOneOutSplit(), catalogue: Vocabulary? = nil
    ) throws -> NextItemData {
        let storeItems = try store.itemIDs()
        let items = catalogue ?? storeItems
        let renumber: [Int?]? = catalogue.map { catalogue in storeItems.externalIDs.map { catalogue.index(of: $0) } }
        var users: [LeaveOneOutUser] = []
        try store.forEachUserHistory { history in
            var history = history
            if let renumber {
                for index in history.events.indices {
                    history.events[index].item = history.events[index].item.flatMap { renumber[$0] }
                }
            }
            let user = split.split(history)
            if !user.train.isEmpty { users.append(user) }
        }
        guard !users.isEmpty, items.count > 0 else {
            throw RecommenderError.notEnoughData(
                detail: "the event store \(store.location) holds no events with "
                    + (catalogue == nil ? "an item" : "an item the model knows")
                    + "; ingest a log with an item column first")
        }
        return NextItemData(users: users, items: items, userIDs: try store.userIDs())
    }

    /// The number of items in the catalogue.
    public var itemCount: Int { items.count }

    /// Validation examples (history = training items), one per user with 3 or more items.
    public var validationExamples: [RankingExample] { examples(\.validation) }

    /// Test examples (history = training items + the validation item).
    public var testExamples: [RankingExample] { examples(\.test) }

    /// The examples of `part` (validation or test; training has none).
    public func examples(for part: SplitPart) -> [RankingExample] {
        part == .validation ? validationExamples : part == .test ? testExamples : []
    }

    private func examples(_ part: KeyPath<LeaveOneOutUser, NextItemExample?>) -> [RankingExample] {
        users.compactMap { user in
            guard let example = user[keyPath: part], let validation = user.validation, let test = user.test else {
                return nil
            }
            let touched = Set(user.train).union([validation.target, test.target])
            return RankingExample(history: example.history, target: example.target, touched: touched)
        }
    }
}
