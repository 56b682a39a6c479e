import EventData
import Randomness

/// The data of a private next-item run (``NextItemConfig/privacy``): the users whose
/// privacy is protected, and held-out users who are not.
///
/// Everything a bundle keeps besides the weights comes from the held-out users, as the
/// private classifiers' does from their validation users: the item vocabulary (an item only
/// one private user touched would otherwise name that user's interaction), the fitted history
/// length, the drift profile, and the validation (early stopping, the kept epoch) and test
/// metrics under the usual leave-one-out protocol. A private user's items are all training
/// data: none of them is held out, since nothing is evaluated on them.
public struct PrivateNextItemData: Sendable {
    /// The held-out users, their items numbered in their own vocabulary (``NextItemData/items``,
    /// the model's catalogue). Their data is used as in any run and is not protected.
    public let heldOut: NextItemData
    /// Each private user's whole item sequence, oldest first, in ``heldOut``'s numbering;
    /// items outside that vocabulary are left out, and users left with fewer than 2 items
    /// (nothing to learn a next item from) are not units.
    public let units: [[Int]]
    /// How many of the private users' item events were left out because no held-out user
    /// touched the item.
    public let itemsLeftOut: Int
}

extension NextItemData {
    /// Splits the users at random (by `seed`) into held-out users, a `heldOutFraction` of
    /// them (at least one), and private users.
    ///
    /// - Precondition: `heldOutFraction` is in (0, 1).
    public func privatePartition(heldOutFraction: Double, seed: UInt64) -> PrivateNextItemData {
        precondition(
            heldOutFraction > 0 && heldOutFraction < 1,
            "privatePartition: the held-out fraction \(heldOutFraction) must be in (0, 1)")
        var generator = RandomGenerator(seed: seed)
        let order = generator.permutation(users.count)
        let heldOutCount = min(users.count, max(1, Int((Double(users.count) * heldOutFraction).rounded())))
        let heldOutUsers = order.prefix(heldOutCount).sorted().map { users[$0] }
        // The held-out users' items, in the store's item order.
        var touched = [Bool](repeating: false, count: itemCount)
        for user in heldOutUsers {
            for item in Self.allItems(of: user) { touched[item] = true }
        }
        var renumber = [Int?](repeating: nil, count: itemCount)
        var externalIDs: [String] = []
        for item in touched.indices where touched[item] {
            renumber[item] = externalIDs.count
            externalIDs.append(items[item])
        }
        func mapped(_ items: [Int]) -> [Int] { items.compactMap { renumber[$0] } }
        func mapped(_ example: NextItemExample) -> NextItemExample {
            // A held-out user's target is in the held-out vocabulary by construction.
            guard let target = renumber[example.target] else {
                preconditionFailure("privatePartition: a held-out item is missing from the held-out vocabulary")
            }
            return NextItemExample(history: mapped(example.history), target: target)
        }
        let heldOut = heldOutUsers.map { user in
            LeaveOneOutUser(
                user: user.user, train: mapped(user.train), validation: user.validation.map(mapped),
                test: user.test.map(mapped))
        }
        var units: [[Int]] = []
        var leftOut = 0
        for index in order.dropFirst(heldOutCount).sorted() {
            let all = Self.allItems(of: users[index])
            let kept = mapped(all)
            leftOut += all.count - kept.count
            if kept.count >= 2 { units.append(kept) }
        }
        return PrivateNextItemData(
            heldOut: NextItemData(users: heldOut, items: Vocabulary(externalIDs: externalIDs), userIDs: userIDs),
            units: units, itemsLeftOut: leftOut)
    }

    /// A user's items in time order: training items, then the validation and test targets.
    private static func allItems(of user: LeaveOneOutUser) -> [Int] {
        user.train + [user.validation?.target, user.test?.target].compactMap { $0 }
    }
}
