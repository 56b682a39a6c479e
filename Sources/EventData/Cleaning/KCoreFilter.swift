/// Keeps the k-core of the user–item graph: users with at least `minimumUserInteractions`
/// distinct items and items with at least `minimumItemInteractions` distinct users, repeated
/// until nothing changes.
///
/// An interaction is a distinct (user, item) pair, so viewing one item ten times counts once.
/// Each round removes every user and item below its bound at once; removing them lowers
/// others' counts, so the next round may remove more. The report's `iterations` measure is the
/// number of rounds that removed something.
///
/// Surviving users lose their events on removed items and keep their events without an item.
public struct KCoreFilter: HistoryFilter {
    public let name = "k-core"
    /// Fewest distinct items a kept user has.
    public let minimumUserInteractions: Int
    /// Fewest distinct users a kept item has.
    public let minimumItemInteractions: Int

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a bound is below 1.
    public init(minimumUserInteractions: Int, minimumItemInteractions: Int) throws {
        for (name, bound) in [
            ("minimumUserInteractions", minimumUserInteractions), ("minimumItemInteractions", minimumItemInteractions),
        ] where bound < 1 {
            throw EventDataError.invalidOption(
                name: "KCoreFilter.\(name)", detail: "must be at least 1 (got \(bound)).")
        }
        self.minimumUserInteractions = minimumUserInteractions
        self.minimumItemInteractions = minimumItemInteractions
    }

    public func apply(to histories: [UserHistory]) -> FilterResult {
        // Each user's distinct items, as positions into `histories`.
        let itemsOfUser = histories.map { Set($0.events.compactMap(\.item)) }
        var keptUsers = Set(histories.indices)
        var removedItems = Set<Int>()
        var iterations = 0

        while true {
            var usersOfItem: [Int: Int] = [:]
            var userCounts: [Int: Int] = [:]
            for user in keptUsers {
                var count = 0
                for item in itemsOfUser[user] where !removedItems.contains(item) {
                    usersOfItem[item, default: 0] += 1
                    count += 1
                }
                userCounts[user] = count
            }
            let weakUsers = userCounts.filter { $0.value < minimumUserInteractions }.keys
            let weakItems = usersOfItem.filter { $0.value < minimumItemInteractions }.keys
            if weakUsers.isEmpty && weakItems.isEmpty { break }
            iterations += 1
            keptUsers.subtract(weakUsers)
            removedItems.formUnion(weakItems)
        }

        let kept: [UserHistory] = histories.indices.compactMap { index in
            guard keptUsers.contains(index) else { return nil }
            var history = histories[index]
            history.events.removeAll { event in event.item.map(removedItems.contains) ?? false }
            return history
        }
        return FilterResult(
            histories: kept,
            report: FilterReport(
                name: name, before: histories, after: kept,
                detail: "kept users with ≥ \(minimumUserInteractions) items and items with ≥ "
                    + "\(minimumItemInteractions) users after \(iterations) removal rounds",
                measures: ["iterations": Double(iterations)]))
    }
}
