import Foundation

/// One user segment's habits.
struct SegmentModel: Sendable {
    var weight: Double
    /// Probability of each category when a user of the segment browses by taste.
    var categoryTaste: [Double]
    var sessionsPerDay: Double
    var meanItemsPerSession: Double
    /// Base probability that a viewed item is put in the cart.
    var cartRate: Double
    /// How strongly price above the category's median price discourages carting and buying.
    var priceElasticity: Double
    /// Logit of the segment's median purchase propensity.
    var propensityLogit: Double
}

/// The fixed part of a simulation: categories, segments and the item catalogue with its
/// popularity and planted transitions. Built once from the configuration's seed.
struct SimulationWorld: Sendable {
    let categoryNames: [String]
    let categoryMedianCents: [Double]
    let segments: [SegmentModel]
    let segmentTable: AliasTable
    /// Per segment: draws a category by the segment's taste.
    let segmentCategoryTables: [AliasTable]
    let itemCategory: [Int32]
    let itemPriceCents: [Int64]
    /// 0 = most popular.
    let itemPopularityRank: [Int32]
    /// Items of each category, and a popularity-weighted draw among them.
    let categoryItems: [[Int32]]
    let categoryItemTables: [AliasTable]
    /// `successors[item * successorsPerItem + k]` is item's k-th planted successor.
    let successors: [Int32]
    let successorsPerItem: Int
    /// Probability of the k-th successor when a transition is followed: proportional to 1 / (k + 1).
    let successorProbabilities: [Double]
    /// The most expensive tenth of the catalogue (what fraudulent bursts buy).
    let expensiveItems: [Int32]
    /// Categories from the highest median price down (intruders shop in the first ones).
    let categoriesByPrice: [Int]
    /// Per category: its most expensive quarter of items, at least one (what intruders buy).
    let categoryExpensiveItems: [[Int32]]
    /// Per segment: its two best-liked categories (fewer with fewer categories).
    let segmentFavourites: [[Int]]
    /// With catalogue drift: each item's release time (epoch milliseconds; the start for the
    /// original catalogue), the later popularity's draw per category, and the drift's span
    /// (from its start to the end of the period).
    let drift: (release: [Int64], tables: [AliasTable], span: Range<Int64>)?

    /// Category names: common shop departments, then `category-N`. One name carries a comma, as
    /// real catalogues do, so every consumer of the CSV meets a quoted field.
    static let departmentNames = [
        "electronics", "clothing, shoes & jewelry", "books", "home & kitchen", "sports & outdoors", "beauty",
        "toys & games", "grocery", "health", "automotive", "garden", "pet supplies", "music", "movies", "office",
        "tools", "baby", "video games", "jewelry", "software", "arts & crafts", "luggage", "appliances", "industrial",
    ]

    init(config: SimulationConfig) {
        var random = SimulationRandom(seed: config.seed, stream: 0, index: 0)
        let categoryCount = config.categories
        let itemCount = config.items
        categoryNames = (0..<categoryCount).map {
            $0 < Self.departmentNames.count ? Self.departmentNames[$0] : "category-\($0 + 1)"
        }
        // Median prices from 5 to 300 (log-uniform), so departments differ in price level.
        categoryMedianCents = (0..<categoryCount).map { _ in 100 * exp(random.uniform(log(5), log(300))) }

        var segments: [SegmentModel] = []
        for index in 0..<config.segments {
            var taste = (0..<categoryCount).map { _ in exp(0.5 * random.normal()) }
            // Two favourite departments dominate each segment's taste.
            var favourites = (0..<min(2, categoryCount)).map { _ in random.int(below: categoryCount) }
            if config.distinctSegments {
                // Departments 2i and 2i + 1 (wrapping when there are fewer than 2 per segment).
                favourites = favourites.indices.map { (2 * index + $0) % categoryCount }
            }
            for favourite in favourites { taste[favourite] *= config.distinctSegments ? 20 : 6 }
            let tasteTotal = taste.reduce(0, +)
            var segment = SegmentModel(
                weight: random.uniform(0.5, 1.5),
                categoryTaste: taste.map { $0 / tasteTotal },
                sessionsPerDay: exp(random.uniform(log(0.15), log(1.2))),
                meanItemsPerSession: random.uniform(3, 9),
                cartRate: random.uniform(0.05, 0.2),
                priceElasticity: random.uniform(0.2, 1.2),
                propensityLogit: random.uniform(-2, 0))
            if config.distinctSegments {
                // Evenly spread over the same ranges, in a seeded order.
                let position = config.segments == 1 ? 0.5 : Double(index) / Double(config.segments - 1)
                segment.sessionsPerDay = exp(log(0.15) + position * (log(1.2) - log(0.15)))
                segment.propensityLogit = -2 + 2 * (1 - position)
            }
            segments.append(segment)
        }
        let segmentTotal = segments.reduce(0) { $0 + $1.weight }
        for index in segments.indices { segments[index].weight /= segmentTotal }
        self.segments = segments
        segmentTable = AliasTable(weights: segments.map(\.weight))
        segmentCategoryTables = segments.map { AliasTable(weights: $0.categoryTaste) }
        segmentFavourites = segments.map { segment in
            let taste = segment.categoryTaste
            return Array(taste.indices.sorted { (taste[$0], $1) > (taste[$1], $0) }.prefix(2))
        }

        // Categories: every category gets one item, the rest follow uneven category sizes.
        let sizeTable = AliasTable(weights: (0..<categoryCount).map { _ in exp(0.6 * random.normal()) })
        var categoryOfSlot = (0..<itemCount).map { $0 < categoryCount ? Int32($0) : Int32(sizeTable.sample(&random)) }
        let shuffle = random.permutation(itemCount)
        categoryOfSlot = shuffle.map { categoryOfSlot[$0] }
        itemCategory = categoryOfSlot
        let medians = categoryMedianCents
        let prices = categoryOfSlot.map { category in
            max(50, Int64(random.logNormal(median: medians[Int(category)], sigma: 0.6).rounded()))
        }
        itemPriceCents = prices
        itemPopularityRank = random.permutation(itemCount).map { Int32($0) }
        let exponent = config.popularityExponent
        var popularity = itemPopularityRank.map { 1 / pow(Double($0) + 1, exponent) }

        var byCategory = [[Int32]](repeating: [], count: categoryCount)
        for item in 0..<itemCount { byCategory[Int(categoryOfSlot[item])].append(Int32(item)) }
        categoryItems = byCategory
        if config.newItemShare > 0 {
            // New items: a random share, never a category's first item (every category keeps an
            // item from the start), released on random days of the drift's second half. They
            // come first in the later popularity order.
            var drift = SimulationRandom(seed: config.seed, stream: 7, index: 0)
            let anchors = Set(byCategory.compactMap(\.first))
            let candidates = drift.permutation(itemCount).filter { !anchors.contains(Int32($0)) }
            let fresh = Array(candidates.prefix(Int((config.newItemShare * Double(itemCount)).rounded())))
            let period = config.windowMilliseconds
            let begin = period.lowerBound + Int64(config.driftStart * Double(period.upperBound - period.lowerBound))
            let span = begin..<period.upperBound
            let length = Double(span.upperBound - span.lowerBound)
            var release = [Int64](repeating: period.lowerBound, count: itemCount)
            for item in fresh { release[item] = span.lowerBound + Int64((0.5 + 0.5 * drift.unit()) * length) }
            let freshSet = Set(fresh)
            let later = fresh + drift.permutation(itemCount).filter { !freshSet.contains($0) }
            var laterPopularity = [Double](repeating: 0, count: itemCount)
            for (rank, item) in later.enumerated() { laterPopularity[item] = 1 / pow(Double(rank) + 1, exponent) }
            for item in fresh { popularity[item] = 0 }
            let tables = byCategory.map { members in AliasTable(weights: members.map { laterPopularity[Int($0)] }) }
            self.drift = (release, tables, span)
        } else {
            drift = nil
        }
        let itemTables = byCategory.map { members in AliasTable(weights: members.map { popularity[Int($0)] }) }
        categoryItemTables = itemTables

        // Planted successors: mostly popular items of the same category, some from anywhere.
        let perItem = config.successorsPerItem
        successorsPerItem = perItem
        let globalTable = AliasTable(weights: popularity)
        var successors = [Int32](repeating: 0, count: itemCount * perItem)
        for item in 0..<itemCount {
            let category = Int(categoryOfSlot[item])
            let base = item * perItem
            var chosen = 0
            var attempts = 0
            while chosen < perItem && attempts < 20 * perItem {
                attempts += 1
                let candidate: Int32
                if byCategory[category].count > perItem && random.chance(0.7) {
                    candidate = byCategory[category][itemTables[category].sample(&random)]
                } else {
                    candidate = Int32(globalTable.sample(&random))
                }
                if Int(candidate) != item && !successors[base..<(base + chosen)].contains(candidate) {
                    successors[base + chosen] = candidate
                    chosen += 1
                }
            }
            // Tiny catalogues can exhaust the attempts: take the next free items in order.
            var next = (item + 1) % itemCount
            while chosen < perItem {
                if !successors[base..<(base + chosen)].contains(Int32(next)) {
                    successors[base + chosen] = Int32(next)
                    chosen += 1
                }
                next = (next + 1) % itemCount
            }
        }
        self.successors = successors
        let harmonic = (0..<perItem).reduce(0) { $0 + 1 / Double($1 + 1) }
        successorProbabilities = (0..<perItem).map { 1 / Double($0 + 1) / harmonic }

        let byPrice = (0..<itemCount).sorted { (prices[$0], $0) > (prices[$1], $1) }
        expensiveItems = byPrice.prefix(max(1, itemCount / 10)).map { Int32($0) }
        // byPrice runs from the most expensive item down, so each category's list does too.
        var expensiveByCategory = [[Int32]](repeating: [], count: categoryCount)
        for item in byPrice {
            let category = Int(categoryOfSlot[item])
            if expensiveByCategory[category].count < max(1, byCategory[category].count / 4) {
                expensiveByCategory[category].append(Int32(item))
            }
        }
        categoryExpensiveItems = expensiveByCategory
        categoriesByPrice = (0..<categoryCount).sorted { (medians[$0], $1) > (medians[$1], $0) }
    }

    /// A successor of `item`, drawn with the planted transition probabilities.
    func successor(of item: Int, _ random: inout SimulationRandom) -> Int {
        var u = random.unit()
        for k in 0..<successorsPerItem {
            u -= successorProbabilities[k]
            if u < 0 { return Int(successors[item * successorsPerItem + k]) }
        }
        return Int(successors[item * successorsPerItem + successorsPerItem - 1])
    }

    /// An item of `category`, drawn by popularity.
    func popularItem(in category: Int, _ random: inout SimulationRandom) -> Int {
        Int(categoryItems[category][categoryItemTables[category].sample(&random)])
    }

    /// An item of `category` at `time` (epoch milliseconds): with catalogue drift, from the
    /// later popularity with a chance rising over the drift's span, and never before its release.
    func popularItem(in category: Int, at time: Int64, _ random: inout SimulationRandom) -> Int {
        guard let drift else { return popularItem(in: category, &random) }
        let elapsed = Double(time - drift.span.lowerBound) / Double(drift.span.upperBound - drift.span.lowerBound)
        if random.chance(min(max(elapsed, 0), 1)) {
            let item = Int(categoryItems[category][drift.tables[category].sample(&random)])
            if drift.release[item] <= time { return item }
        }
        return popularItem(in: category, &random)
    }

    /// With catalogue drift, events on items not yet released (drawn from fixed lists: a
    /// fraudster's expensive items, a farm's promoted ones, a mission's candidates) move to the
    /// first item of the same category, which exists from the start.
    func replaceUnreleasedItems(in events: inout [SimulatedEvent]) {
        guard let drift else { return }
        for index in events.indices where events[index].item >= 0 {
            let item = Int(events[index].item)
            if drift.release[item] > events[index].timestamp {
                events[index].item = categoryItems[Int(itemCategory[item])][0]
            }
        }
    }

    /// A successor of `item` at `time`; with catalogue drift, an unreleased one is replaced by a
    /// popular item of its category.
    func successor(of item: Int, at time: Int64, _ random: inout SimulationRandom) -> Int {
        let next = successor(of: item, &random)
        guard let drift, drift.release[next] > time else { return next }
        return popularItem(in: Int(itemCategory[next]), at: time, &random)
    }
}
