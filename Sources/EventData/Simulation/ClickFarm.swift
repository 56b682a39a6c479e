import Foundation

/// A click farm: accounts that act in concert, in the same short windows, on the same few
/// promoted items. Drawn from its own random stream (seed, farm id), so a farm does not depend on
/// the population size.
struct ClickFarm: Sendable {
    /// Index, as in the ground truth.
    let id: Int
    /// How many accounts the farm takes (5 to 20); a population may end before all have joined.
    let size: Int
    /// The first account's number among all farm accounts (see ``RoleDealer/farmAccount(of:)``).
    let firstAccount: Int
    /// Two to five cheap items of one or two categories (fewer in a category that has fewer).
    let promotedItems: [Int32]
    /// Three to eight windows of one to three hours, in time order and at least an hour apart,
    /// one in each equal slice of the simulated period (fewer in periods shorter than two days).
    let windows: [Range<Int64>]

    init(id: Int, firstAccount: Int, world: SimulationWorld, config: SimulationConfig) {
        var random = SimulationRandom(seed: config.seed, stream: 4, index: UInt64(id))
        self.id = id
        self.firstAccount = firstAccount
        size = 5 + random.int(below: 16)

        var categories: [Int] = []
        let categoryCount = min(1 + random.int(below: 2), config.categories)
        while categories.count < categoryCount {
            let category = random.int(below: config.categories)
            if !categories.contains(category) { categories.append(category) }
        }
        // Uniform picks among the categories' items, so mostly long-tail ones; an item must cost
        // at most its category's median price for the first 50 tries, after that anything new
        // goes (so the first try after that always adds one, and the list is never empty).
        let wanted = 2 + random.int(below: 4)
        var promoted: [Int32] = []
        var attempts = 0
        while promoted.count < wanted && attempts < 100 {
            attempts += 1
            let category = categories[random.int(below: categories.count)]
            let members = world.categoryItems[category]
            let item = members[random.int(below: members.count)]
            let cheap = Double(world.itemPriceCents[Int(item)]) <= world.categoryMedianCents[category]
            if (cheap || attempts > 50) && !promoted.contains(item) { promoted.append(item) }
        }
        promotedItems = promoted

        let hour = UserSimulator.hourMs
        let period = config.windowMilliseconds
        let total = period.upperBound - period.lowerBound
        // Slices of at least 6 hours (a period is at least a day), so a window of at most a third
        // of one ends an hour or more before the next slice begins.
        let slices = min(3 + random.int(below: 6), max(1, Int(total / (6 * hour))))
        let slice = total / Int64(slices)
        windows = (0..<slices).map { index in
            let length = min(Int64(random.uniform(1, 3) * Double(hour)), slice / 3)
            let start = period.lowerBound + Int64(index) * slice + Int64(random.unit() * Double(slice - length - hour))
            return start..<(start + length)
        }
    }
}

/// The farms of a run, made as their accounts arrive: farm 0 takes accounts `0..<size`, farm 1
/// the next ones, and so on.
struct FarmRoster {
    private let world: SimulationWorld
    private let config: SimulationConfig
    /// Every farm made so far, by id.
    private(set) var farms: [ClickFarm] = []

    init(world: SimulationWorld, config: SimulationConfig) {
        self.world = world
        self.config = config
    }

    /// The farm of farm account number `account` (at least 0); numbers must come in increasing
    /// order.
    mutating func farm(ofAccount account: Int) -> ClickFarm {
        while account >= nextFirstAccount {
            farms.append(ClickFarm(id: farms.count, firstAccount: nextFirstAccount, world: world, config: config))
        }
        // The loop made at least farm 0; numbers increase, so the newest farm holds `account`.
        return farms[farms.count - 1]
    }

    /// The first account of the farm after the newest one (0 before any farm).
    private var nextFirstAccount: Int { farms.last.map { $0.firstAccount + $0.size } ?? 0 }
}
