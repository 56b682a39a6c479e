import Foundation

/// One generated event in compact form: ids as indices, money in cents, durations in tenths of
/// a second (so writing needs no floating-point formatting).
struct SimulatedEvent: Sendable {
    enum Kind: UInt8, CaseIterable, Sendable {
        case search, click, view, cart, purchase

        var eventType: EventType {
            switch self {
            case .search: return .search
            case .click: return .click
            case .view: return .view
            case .cart: return .cart
            case .purchase: return .purchase
            }
        }
    }

    var timestamp: Int64
    var kind: Kind
    /// Item index, or -1.
    var item: Int32
    /// Category index, or -1.
    var category: Int32
    /// The user's session number, from 1.
    var session: Int32
    /// Tenths of a second, or -1.
    var durationDeciseconds: Int32
    /// Cents, or -1.
    var valueCents: Int64
}

/// The role a user is dealt.
enum UserRole: Sendable {
    case regular, churner, bot, fraud, takeover, farm
}

/// Deals roles in blocks of 100 consecutive users: each block gets its quota of bots, frauds,
/// churners, taken-over accounts and farm accounts (so counts track the fractions closely at any
/// population size, and a volume run that stops part-way has the same roles as a population run)
/// at random positions.
///
/// One permutation of the block's positions, drawn from the block's own stream, gives the roles
/// in that order: bots first, then frauds, churners, takeovers and farm accounts. The later roles
/// take positions that are otherwise regular, so planting them moves no bot, fraud or churner.
struct RoleDealer {
    static let blockSize = 100
    private let config: SimulationConfig
    private var block = -1
    private var roles: [UserRole] = []
    /// Per position of the block: the farm account's number, or -1.
    private var farmAccounts: [Int] = []

    init(config: SimulationConfig) { self.config = config }

    mutating func role(of user: Int) -> UserRole {
        if user / Self.blockSize != block { deal(block: user / Self.blockSize) }
        return roles[user % Self.blockSize]
    }

    /// A farm account's number among all farm accounts (increasing with the user index, from 0,
    /// perhaps skipping some); `nil` for other users.
    mutating func farmAccount(of user: Int) -> Int? {
        if user / Self.blockSize != block { deal(block: user / Self.blockSize) }
        let account = farmAccounts[user % Self.blockSize]
        return account >= 0 ? account : nil
    }

    private mutating func deal(block: Int) {
        let size = Self.blockSize
        // Cumulative rounding: the first b blocks together hold round(b * size * fraction).
        func nominal(_ fraction: Double, blocks: Int) -> Int { Int((Double(blocks * size) * fraction).rounded()) }
        func quota(_ fraction: Double) -> Int {
            nominal(fraction, blocks: block + 1) - nominal(fraction, blocks: block)
        }
        let bots = min(quota(config.botFraction), size)
        let frauds = min(quota(config.fraudFraction), size - bots)
        let churners = min(quota(config.churnFraction), size - bots - frauds)
        let takeovers = min(quota(config.takeoverFraction), size - bots - frauds - churners)
        let farmers = min(quota(config.farmFraction), size - bots - frauds - churners - takeovers)
        var random = SimulationRandom(seed: config.seed, stream: 2, index: UInt64(block))
        roles = [UserRole](repeating: .regular, count: size)
        let dealt: [UserRole] = [
            (.bot, bots), (.fraud, frauds), (.churner, churners), (.takeover, takeovers), (.farm, farmers),
        ].flatMap { role, count in [UserRole](repeating: role, count: count) }
        for (role, position) in zip(dealt, random.permutation(size)) { roles[position] = role }
        // Farm accounts are numbered in user order, after those the earlier blocks may hold (when a
        // full block clips its quota, a few numbers go unused).
        var account = nominal(config.farmFraction, blocks: block)
        farmAccounts = roles.map { role in
            guard role == .farm else { return -1 }
            account += 1
            return account - 1
        }
        self.block = block
    }
}

/// One user's traits and generated events.
struct UserTrail {
    var index = 0
    var role = UserRole.regular
    var segment: Int?
    var propensity = 0.0
    var sessionsPerDay = 0.0
    var favouriteCategory = 0
    var firstActive: Int64 = 0
    var churnTimestamp: Int64?
    /// Events stop before this time (the churn date or the end of the window).
    var limit: Int64 = 0
    /// Sessions started (numbered from 1).
    var sessions = 0
    var fraudSessions: [Int32] = []
    /// For a taken-over account: when the intruder takes it over.
    var takeoverTimestamp: Int64?
    var takeoverSessions: [Int32] = []
    /// For a farm account: its farm's id.
    var farm: Int?
    var events: [SimulatedEvent] = []

    var userID: String { "u\(index + 1)" }
}

/// Generates one user's trail: traits first, then a plan of session start times, then the
/// events of each session.
struct UserSimulator {
    static let minuteMs: Int64 = 60_000
    static let hourMs: Int64 = 3_600_000
    static let dayMs: Int64 = 86_400_000
    /// Sessions start at least this long after the previous session's last event ends, so any
    /// 30-minute inactivity sessionizer recovers them exactly.
    static let sessionGapMs: Int64 = 31 * minuteMs
    /// Relative activity by day of week, Sunday first.
    static let weekdayFactors = [1.3, 0.9, 0.9, 0.95, 1.0, 1.05, 1.35]
    /// Relative activity by hour of day (UTC) on weekdays and at weekends: quiet nights, a lunch
    /// bump and an evening peak.
    static let weekdayHours: [Double] = [
        0.3, 0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.8, 1.0, 1.0, 1.0, 1.1, 1.4, 1.3, 1.0, 1.0, 1.1, 1.3, 1.7, 2.2, 2.6,
        2.5, 1.8, 0.9,
    ]
    static let weekendHours: [Double] = [
        0.5, 0.3, 0.15, 0.1, 0.08, 0.1, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6, 1.6, 1.5, 1.5, 1.5, 1.6, 1.7, 1.9, 2.2, 2.4,
        2.3, 1.7, 1.0,
    ]
    /// A bot is active on about this share of days, one or two sessions a day.
    static let botActiveDayProbability = 0.12

    private enum SessionKind: UInt8 { case regular, fraudBurst, bot }

    /// A shopping mission: research sessions focused on one category for one to ten days, whose
    /// carted items are bought at the first session after the deadline (purchase intent that
    /// shows in the order and timing of a user's recent events more than in their totals).
    private struct Mission {
        var category: Int
        /// The first session at or after this time is the checkout.
        var checkout: Int64
        var candidates: [Int]
    }

    private let world: SimulationWorld
    private let config: SimulationConfig
    private let windowStart: Int64
    private let windowEnd: Int64
    private let hourTables: [AliasTable]
    private var plan: [(start: Int64, kind: SessionKind)] = []
    private var cart: [Int] = []
    private var mission: Mission?

    init(world: SimulationWorld, config: SimulationConfig) {
        self.world = world
        self.config = config
        windowStart = config.windowMilliseconds.lowerBound
        windowEnd = config.windowMilliseconds.upperBound
        hourTables = [AliasTable(weights: Self.weekdayHours), AliasTable(weights: Self.weekendHours)]
    }

    /// Fills `trail` (reusing its buffers) with user `index`'s traits and events; a farm account
    /// (role `.farm`) acts for `farm`.
    ///
    /// Each role draws from its own streams: regular users, churners, bots and frauds from stream
    /// 1; a taken-over account's owner from stream 1 too (so the owner's events before the
    /// takeover are those the user would have as a regular user) and its intruder from stream 3;
    /// farm accounts from stream 5.
    mutating func simulate(user index: Int, role: UserRole, farm: ClickFarm?, into trail: inout UserTrail) {
        var random = SimulationRandom(seed: config.seed, stream: 1, index: UInt64(index))
        trail.index = index
        trail.role = role
        trail.sessions = 0
        trail.fraudSessions.removeAll(keepingCapacity: true)
        trail.takeoverTimestamp = nil
        trail.takeoverSessions.removeAll(keepingCapacity: true)
        trail.farm = nil
        trail.events.removeAll(keepingCapacity: true)
        mission = nil
        if role == .farm, let farm {
            farmAccount(&trail, farm)
            return
        }
        drawTraits(&trail, &random)
        planSessions(trail, &random)
        guard role == .takeover else {
            playSessions(&trail, &random)
            return
        }
        var intruder = SimulationRandom(seed: config.seed, stream: 3, index: UInt64(index))
        let takeover = takeoverTime(trail, &intruder)
        trail.takeoverTimestamp = takeover
        // The owner's own activity ends where the intruder's begins.
        trail.limit = takeover
        playSessions(&trail, &random)
        trail.limit = windowEnd
        intruderSessions(&trail, &intruder)
    }

    // MARK: - Traits

    private func drawTraits(_ trail: inout UserTrail, _ random: inout SimulationRandom) {
        let window = Double(windowEnd - windowStart)
        trail.churnTimestamp = nil
        trail.limit = windowEnd
        if trail.role == .bot {
            trail.segment = nil
            trail.propensity = 0
            trail.favouriteCategory = 0
            trail.firstActive = windowStart + Int64(random.uniform(0, 0.9) * window)
            trail.sessionsPerDay = Self.botActiveDayProbability * 1.4
            return
        }
        let segmentIndex = world.segmentTable.sample(&random)
        let segment = world.segments[segmentIndex]
        trail.segment = segmentIndex
        // Log-normal around the segment's rate: exp(0.8 z) has median 1.
        trail.sessionsPerDay = min(segment.sessionsPerDay * exp(0.8 * random.normal()), 12)
        trail.propensity = 1 / (1 + exp(-(segment.propensityLogit + 0.9 * random.normal())))
        let ownTaste = random.chance(0.5)
        trail.favouriteCategory =
            ownTaste || config.distinctSegments
            ? world.segmentCategoryTables[segmentIndex].sample(&random) : random.int(below: config.categories)
        if trail.role == .churner {
            // Churners join early enough to have a life before they leave.
            let joined = random.chance(0.5) ? 0 : random.uniform(0, 0.4)
            trail.firstActive = windowStart + Int64(joined * window)
            let churn = trail.firstActive + Int64(random.uniform(0.2, 0.8) * Double(windowEnd - trail.firstActive))
            trail.churnTimestamp = churn
            trail.limit = churn
        } else {
            let joined = random.chance(0.4) ? 0 : random.uniform(0, 0.85)
            trail.firstActive = windowStart + Int64(joined * window)
        }
    }

    // MARK: - Session plan

    private static func floorDay(_ time: Int64) -> Int64 {
        time >= 0 ? time / dayMs : (time - dayMs + 1) / dayMs
    }

    /// Session start times with weekly and daily seasonality (bots: any hour, some days).
    private mutating func planSessions(_ trail: UserTrail, _ random: inout SimulationRandom) {
        plan.removeAll(keepingCapacity: true)
        let first = trail.firstActive
        let limit = trail.limit
        for day in Self.floorDay(first)...Self.floorDay(limit - 1) {
            let midnight = day * Self.dayMs
            let weekday = Int(((day + 4) % 7 + 7) % 7)
            var count: Int
            if trail.role == .bot {
                count = random.chance(Self.botActiveDayProbability) ? (random.chance(0.4) ? 2 : 1) : 0
            } else {
                let factor = config.activityFactor(dayIndex: Int(day - Self.floorDay(windowStart)))
                count = random.poisson(trail.sessionsPerDay * Self.weekdayFactors[weekday] * factor)
            }
            while count > 0 {
                count -= 1
                let start: Int64
                if trail.role == .bot {
                    start = midnight + Int64(random.unit() * Double(Self.dayMs))
                } else {
                    let hour = hourTables[weekday == 0 || weekday == 6 ? 1 : 0].sample(&random)
                    start = midnight + Int64(hour) * Self.hourMs + Int64(random.unit() * Double(Self.hourMs))
                }
                if start >= first && start < limit { plan.append((start, trail.role == .bot ? .bot : .regular)) }
            }
        }
        if trail.role == .fraud {
            // One to three bursts between 01:00 and 05:00 UTC on active days.
            let firstDay = Self.floorDay(first)
            let dayCount = Int(Self.floorDay(limit - 1) - firstDay) + 1
            for _ in 0..<(1 + random.int(below: 3)) {
                var placed = false
                for _ in 0..<20 where !placed {
                    let day = firstDay + Int64(random.int(below: dayCount))
                    let start = day * Self.dayMs + Self.hourMs + Int64(random.unit() * Double(4 * Self.hourMs))
                    if start >= first && start < limit {
                        plan.append((start, .fraudBurst))
                        placed = true
                    }
                }
                if !placed { plan.append((first, .fraudBurst)) }
            }
        }
        if plan.isEmpty {
            // Everyone in the log did something at least once.
            let start = first + Int64(random.unit() * Double(min(limit - first, Self.dayMs)))
            plan.append((start, trail.role == .bot ? .bot : .regular))
        }
        plan.sort { ($0.start, $0.kind.rawValue) < ($1.start, $1.kind.rawValue) }
    }

    // MARK: - Sessions

    /// Plays the plan in order, pushing a session later when it would start less than
    /// ``sessionGapMs`` after the previous one ended; nothing happens at or after `limit`. A user
    /// on a mission also comes back on their own, 6 to 36 hours after each of its sessions (at
    /// the latest half a day after its deadline, to check out).
    private mutating func playSessions(_ trail: inout UserTrail, _ random: inout SimulationRandom) {
        var previousEnd: Int64?
        var next = 0
        var followUp: Int64?
        while true {
            var start: Int64
            let kind: SessionKind
            if let time = followUp, next == plan.count || time < plan[next].start {
                (start, kind) = (time, .regular)
                followUp = nil
            } else if next < plan.count {
                (start, kind) = plan[next]
                next += 1
            } else {
                break
            }
            if let previousEnd, start < previousEnd + Self.sessionGapMs {
                start = previousEnd + Self.sessionGapMs + Int64(random.unit() * Double(20 * Self.minuteMs))
            }
            guard start < trail.limit else { continue }
            trail.sessions += 1
            var session = SessionBuilder(
                time: start, limit: trail.limit, session: Int32(trail.sessions), events: trail.events)
            trail.events = []
            switch kind {
            case .regular:
                shopperSession(&session, trail, &random)
                followUp = mission.map {
                    let back = session.lastEnd + Self.sessionGapMs + Int64(random.uniform(6, 36) * Double(Self.hourMs))
                    return min(back, $0.checkout + Int64(random.uniform(0, 12) * Double(Self.hourMs)))
                }
            case .fraudBurst:
                fraudBurst(&session, &random)
                trail.fraudSessions.append(Int32(trail.sessions))
            case .bot: botSession(&session, &random)
            }
            trail.events = session.events
            previousEnd = session.lastEnd
        }
    }

    /// The user's taste: the mission's category 80% of the time during a mission; otherwise the
    /// favourite category a quarter of the time, else the segment's.
    private func tasteCategory(_ trail: UserTrail, _ random: inout SimulationRandom) -> Int {
        if let mission, random.chance(0.8) { return mission.category }
        guard let segment = trail.segment, !random.chance(0.25) else { return trail.favouriteCategory }
        return world.segmentCategoryTables[segment].sample(&random)
    }

    /// Chance that a session outside a mission starts one: `0.01 + 0.3 * propensity`.
    static func missionStartProbability(propensity: Double) -> Double { 0.01 + 0.3 * propensity }

    /// A regular user's session: outside a mission it may start one (then it is the mission's
    /// first research session; likelier on the first visit of a user who joined during the
    /// window); the first session after the mission's deadline is its checkout.
    private mutating func shopperSession(
        _ session: inout SessionBuilder, _ trail: UserTrail, _ random: inout SimulationRandom
    ) {
        // A newcomer's first visit often has a purpose: that is how they found the shop.
        let arriving = trail.sessions == 1 && trail.firstActive > windowStart
        let startProbability =
            arriving ? min(0.2 + trail.propensity, 0.9) : Self.missionStartProbability(propensity: trail.propensity)
        if mission == nil, random.chance(startProbability) {
            let category = tasteCategory(trail, &random)
            let days = random.uniform(1, 10)
            mission = Mission(
                category: category, checkout: session.time + Int64(days * Double(Self.dayMs)), candidates: [])
        }
        guard var current = mission else {
            regularSession(&session, trail, &random)
            return
        }
        if session.time >= current.checkout {
            checkoutSession(&session, trail, current, &random)
            mission = nil
            return
        }
        regularSession(&session, trail, &random)
        current.candidates += cart
        mission = current
    }

    /// The end of a mission: the user looks at the carted candidates again and buys one of them;
    /// with no candidate, finds a popular item of the mission's category.
    private mutating func checkoutSession(
        _ session: inout SessionBuilder, _ trail: UserTrail, _ mission: Mission, _ random: inout SimulationRandom
    ) {
        let segment = world.segments[trail.segment ?? 0]
        var candidates = Array(Set(mission.candidates).sorted().prefix(5))
        if candidates.isEmpty { candidates = [world.popularItem(in: mission.category, at: session.time, &random)] }
        for item in candidates {
            let category = world.itemCategory[item]
            let dwell = Int32(min(max(random.logNormal(median: 150, sigma: 0.7), 10), 3_000))
            guard session.emit(.view, item: Int32(item), category: category, duration: dwell) else { return }
            session.advance(deciseconds: dwell, thinkSeconds: random.uniform(1, 4))
        }
        // The user settles on the candidate with the best price for its category, and sometimes
        // takes another one too.
        let chosen = candidates.max { priceFactor($0, segment) < priceFactor($1, segment) } ?? candidates[0]
        for item in candidates where item == chosen || random.chance(0.15 * trail.propensity) {
            if !mission.candidates.contains(item) {
                guard cartItem(item, &session, &random) else { return }
            }
            guard buyItem(item, &session, &random) else { return }
        }
    }

    /// Carts `item` at its price (2 to 8 s) and pauses; `false` past the session's limit.
    private func cartItem(_ item: Int, _ session: inout SessionBuilder, _ random: inout SimulationRandom) -> Bool {
        priced(.cart, item, deciseconds: 20...80, thinkSeconds: 1...4, &session, &random)
    }

    /// Buys `item` at its price (10 to 40 s) and pauses; `false` past the session's limit.
    private func buyItem(_ item: Int, _ session: inout SessionBuilder, _ random: inout SimulationRandom) -> Bool {
        priced(.purchase, item, deciseconds: 100...400, thinkSeconds: 1...3, &session, &random)
    }

    /// An event on `item` at its price lasting a uniform time in `deciseconds`, then a pause;
    /// `false` past the session's limit.
    private func priced(
        _ type: SimulatedEvent.Kind, _ item: Int, deciseconds: ClosedRange<Double>, thinkSeconds: ClosedRange<Double>,
        _ session: inout SessionBuilder, _ random: inout SimulationRandom
    ) -> Bool {
        let duration = Int32(random.uniform(deciseconds.lowerBound, deciseconds.upperBound))
        guard
            session.emit(
                type, item: Int32(item), category: world.itemCategory[item], duration: duration,
                value: world.itemPriceCents[item])
        else { return false }
        session.advance(
            deciseconds: duration, thinkSeconds: random.uniform(thinkSeconds.lowerBound, thinkSeconds.upperBound))
        return true
    }

    /// `(price / category median)^-elasticity`, kept within [0.2, 3].
    private func priceFactor(_ item: Int, _ segment: SegmentModel) -> Double {
        let ratio = Double(world.itemPriceCents[item]) / world.categoryMedianCents[Int(world.itemCategory[item])]
        return min(max(pow(ratio, -segment.priceElasticity), 0.2), 3)
    }

    /// Search, then browse items (planted transitions, taste and popularity), with clicks,
    /// views and carts. During a mission, items of its category are carted more and the cart
    /// waits for the mission's checkout; outside one, carting is rarer and a carted item is
    /// sometimes bought on impulse at the session's end (by propensity and price).
    private mutating func regularSession(
        _ session: inout SessionBuilder, _ trail: UserTrail, _ random: inout SimulationRandom
    ) {
        let segment = world.segments[trail.segment ?? 0]
        var searched: Int?
        cart.removeAll(keepingCapacity: true)
        let steps = min(random.geometric(mean: segment.meanItemsPerSession), 60)
        var current: Int?
        for step in 0..<steps {
            if random.chance(step == 0 ? 0.3 : 0.08) {
                let category = tasteCategory(trail, &random)
                let duration = Int32(random.uniform(20, 150))
                guard session.emit(.search, item: -1, category: Int32(category), duration: duration) else { return }
                session.advance(deciseconds: duration, thinkSeconds: random.uniform(1, 3))
                searched = category
            }
            let item: Int
            if let category = searched {
                item = world.popularItem(in: category, at: session.time, &random)
                searched = nil
            } else if let current, random.chance(config.transitionProbability) {
                item = world.successor(of: current, at: session.time, &random)
            } else {
                item = world.popularItem(in: tasteCategory(trail, &random), at: session.time, &random)
            }
            let category = world.itemCategory[item]
            if random.chance(0.25) {
                guard session.emit(.click, item: Int32(item), category: category) else { return }
                session.advance(deciseconds: 0, thinkSeconds: random.uniform(1, 4))
            }
            let dwell = Int32(min(max(random.logNormal(median: 250, sigma: 0.9), 10), 6_000))
            guard session.emit(.view, item: Int32(item), category: category, duration: dwell) else { return }
            session.advance(deciseconds: dwell, thinkSeconds: random.uniform(1, 6))
            let factor = priceFactor(item, segment)
            let missionFactor = mission.map { world.itemCategory[item] == $0.category ? 3 : 1 } ?? 0.2
            let cartProbability = min(segment.cartRate * (0.4 + 1.2 * trail.propensity) * factor * missionFactor, 0.9)
            if random.chance(cartProbability) {
                guard cartItem(item, &session, &random) else { return }
                cart.append(item)
            }
            current = item
        }
        // During a mission the cart waits for the checkout session; otherwise an impulse buy.
        guard mission == nil else { return }
        for item in cart {
            let buyProbability = min((0.02 + 0.1 * trail.propensity) * priceFactor(item, segment).squareRoot(), 0.95)
            guard random.chance(buyProbability) else { continue }
            guard buyItem(item, &session, &random) else { return }
        }
    }

    /// Four to twelve expensive items, each viewed briefly, carted and bought at once.
    private func fraudBurst(_ session: inout SessionBuilder, _ random: inout SimulationRandom) {
        for _ in 0..<(4 + random.int(below: 9)) {
            let item = Int(world.expensiveItems[random.int(below: world.expensiveItems.count)])
            let category = world.itemCategory[item]
            let price = world.itemPriceCents[item]
            let view = Int32(random.uniform(20, 60))
            guard session.emit(.view, item: Int32(item), category: category, duration: view) else { return }
            session.advance(deciseconds: view, thinkSeconds: 1)
            let cart = Int32(random.uniform(10, 30))
            guard session.emit(.cart, item: Int32(item), category: category, duration: cart, value: price) else {
                return
            }
            session.advance(deciseconds: cart, thinkSeconds: 1)
            let purchase = Int32(random.uniform(30, 80))
            guard session.emit(.purchase, item: Int32(item), category: category, duration: purchase, value: price)
            else { return }
            session.advance(deciseconds: purchase, thinkSeconds: 1)
        }
    }

    /// 20 to 200 views of uniformly random items, 0.5 to 3 seconds apart.
    private func botSession(_ session: inout SessionBuilder, _ random: inout SimulationRandom) {
        for _ in 0..<(20 + random.int(below: 181)) {
            let item = random.int(below: config.items)
            let gap = Int32(random.uniform(5, 30))
            guard session.emit(.view, item: Int32(item), category: world.itemCategory[item], duration: gap) else {
                return
            }
            session.advance(deciseconds: gap, thinkSeconds: 0)
        }
    }

    // MARK: - Takeovers

    /// When the intruder takes the account over: a night hour (00:00 to 04:00 UTC) 30% to 80% of
    /// the way from the owner's arrival to the end of the window, and after the start of the
    /// owner's first session, so the owner has a history.
    private func takeoverTime(_ trail: UserTrail, _ random: inout SimulationRandom) -> Int64 {
        let ownerFirst = plan.first?.start ?? trail.firstActive
        let span = Double(windowEnd - trail.firstActive)
        var day = Self.floorDay(trail.firstActive + Int64(random.uniform(0.3, 0.8) * span))
        var time = day * Self.dayMs + Int64(random.unit() * Double(4 * Self.hourMs))
        if time <= ownerFirst {
            day = Self.floorDay(ownerFirst) + 1
            time = day * Self.dayMs + Int64(random.unit() * Double(4 * Self.hourMs))
        }
        // An owner who first comes on the last day is taken over in the middle of what is left.
        return time < windowEnd ? time : ownerFirst + (windowEnd - ownerFirst) / 2
    }

    /// The intruder: a session at the takeover, then every night until the end of the window a
    /// Poisson number of sessions between 00:00 and 05:00 UTC (mean twice the owner's sessions
    /// per day before the takeover, between 2 and 6), each pushed past the previous session's
    /// end by the session gap.
    private mutating func intruderSessions(_ trail: inout UserTrail, _ random: inout SimulationRandom) {
        guard let takeover = trail.takeoverTimestamp else { return }
        let categories = intruderCategories(trail, &random)
        let ownerDays = max(1, Double(takeover - trail.firstActive) / Double(Self.dayMs))
        let nightly = min(max(2, 2 * Double(trail.sessions) / ownerDays), 6)
        var starts = [takeover]
        for day in Self.floorDay(takeover)...Self.floorDay(windowEnd - 1) {
            for _ in 0..<random.poisson(nightly) {
                let start = day * Self.dayMs + Int64(random.unit() * Double(5 * Self.hourMs))
                if start > takeover && start < windowEnd { starts.append(start) }
            }
        }
        starts.sort()
        var previousEnd = trail.events.last.map { $0.timestamp + Int64(max($0.durationDeciseconds, 0)) * 100 }
        for planned in starts {
            let start = previousEnd.map { max(planned, $0 + Self.sessionGapMs) } ?? planned
            guard start < windowEnd else { break }
            trail.sessions += 1
            var session = SessionBuilder(
                time: start, limit: windowEnd, session: Int32(trail.sessions), events: trail.events)
            trail.events = []
            intruderSession(&session, categories, &random)
            trail.events = session.events
            trail.takeoverSessions.append(Int32(trail.sessions))
            previousEnd = session.lastEnd
        }
    }

    /// Two or three of the categories with the highest median prices, leaving out the owner's
    /// favourite and their segment's two best-liked categories while others remain.
    private func intruderCategories(_ trail: UserTrail, _ random: inout SimulationRandom) -> [Int] {
        var owners: Set<Int> = [trail.favouriteCategory]
        if let segment = trail.segment { owners.formUnion(world.segmentFavourites[segment]) }
        let strange = world.categoriesByPrice.filter { !owners.contains($0) }
        let ranked = strange.isEmpty ? world.categoriesByPrice : strange
        let count = min(2 + random.int(below: 2), ranked.count)
        let candidates = Array(ranked.prefix(max(count, world.categoriesByPrice.count / 3)))
        return random.permutation(candidates.count).prefix(count).map { candidates[$0] }
    }

    /// Three to eight expensive items of the intruder's categories, each looked at for 2 to 10
    /// seconds and carted at once with probability 0.6; then most of the cart is bought.
    private mutating func intruderSession(
        _ session: inout SessionBuilder, _ categories: [Int], _ random: inout SimulationRandom
    ) {
        cart.removeAll(keepingCapacity: true)
        for _ in 0..<(3 + random.int(below: 6)) {
            let expensive = world.categoryExpensiveItems[categories[random.int(below: categories.count)]]
            let item = Int(expensive[random.int(below: expensive.count)])
            let dwell = Int32(random.uniform(20, 100))
            guard session.emit(.view, item: Int32(item), category: world.itemCategory[item], duration: dwell) else {
                return
            }
            session.advance(deciseconds: dwell, thinkSeconds: random.uniform(0.5, 2))
            if random.chance(0.6) {
                guard priced(.cart, item, deciseconds: 10...30, thinkSeconds: 0.5...1.5, &session, &random) else {
                    return
                }
                cart.append(item)
            }
        }
        for item in cart where random.chance(0.8) {
            guard priced(.purchase, item, deciseconds: 30...80, thinkSeconds: 0.5...1.5, &session, &random) else {
                return
            }
        }
    }

    // MARK: - Click farms

    /// A farm account: a session in each of its farm's windows with probability 0.8 (in one of
    /// them at least), starting in the window's first half.
    private func farmAccount(_ trail: inout UserTrail, _ farm: ClickFarm) {
        var random = SimulationRandom(seed: config.seed, stream: 5, index: UInt64(trail.index))
        trail.segment = nil
        trail.propensity = 0
        trail.favouriteCategory = 0
        trail.churnTimestamp = nil
        trail.limit = windowEnd
        trail.farm = farm.id
        var joined: [Range<Int64>] = []
        for window in farm.windows {
            if random.chance(0.8) { joined.append(window) }
        }
        if joined.isEmpty { joined = [farm.windows[random.int(below: farm.windows.count)]] }
        trail.sessionsPerDay = Double(joined.count) / Double(config.days)
        for window in joined {
            let start =
                window.lowerBound + Int64(random.uniform(0, 0.5) * Double(window.upperBound - window.lowerBound))
            trail.sessions += 1
            var session = SessionBuilder(
                time: start, limit: min(window.upperBound, windowEnd), session: Int32(trail.sessions),
                events: trail.events)
            trail.events = []
            farmSession(&session, farm, &random)
            trail.events = session.events
        }
        trail.firstActive = trail.events.first?.timestamp ?? joined[0].lowerBound
    }

    /// One or two passes over the promoted items in random order: a click (probability 0.7) and
    /// a view of 1 to 6 seconds each; sometimes a look at another popular item of their
    /// categories, and sometimes a fake order (cart and purchase) of a promoted item.
    private func farmSession(_ session: inout SessionBuilder, _ farm: ClickFarm, _ random: inout SimulationRandom) {
        let promoted = farm.promotedItems
        for _ in 0..<(1 + random.int(below: 2)) {
            for index in random.permutation(promoted.count) {
                guard look(at: Int(promoted[index]), clickProbability: 0.7, &session, &random) else { return }
            }
        }
        if random.chance(0.3) {
            let category = Int(world.itemCategory[Int(promoted[random.int(below: promoted.count)])])
            guard
                look(
                    at: world.popularItem(in: category, at: session.time, &random), clickProbability: 0, &session,
                    &random)
            else {
                return
            }
        }
        guard random.chance(0.35) else { return }
        let item = Int(promoted[random.int(below: promoted.count)])
        guard priced(.cart, item, deciseconds: 10...30, thinkSeconds: 0.5...1.5, &session, &random) else { return }
        _ = priced(.purchase, item, deciseconds: 20...60, thinkSeconds: 0.5...1.5, &session, &random)
    }

    /// A farm account's look at `item`: perhaps a click, then a view of 1 to 6 seconds; `false`
    /// past the session's limit.
    private func look(
        at item: Int, clickProbability: Double, _ session: inout SessionBuilder, _ random: inout SimulationRandom
    ) -> Bool {
        let category = world.itemCategory[item]
        if random.chance(clickProbability) {
            guard session.emit(.click, item: Int32(item), category: category) else { return false }
            session.advance(deciseconds: 0, thinkSeconds: random.uniform(0.5, 2))
        }
        let dwell = Int32(random.uniform(10, 60))
        guard session.emit(.view, item: Int32(item), category: category, duration: dwell) else { return false }
        session.advance(deciseconds: dwell, thinkSeconds: random.uniform(0.5, 2))
        return true
    }
}

/// Appends a session's events at an advancing clock, refusing any at or after the limit.
struct SessionBuilder {
    var time: Int64
    let limit: Int64
    let session: Int32
    var events: [SimulatedEvent]
    /// End of the last event (its timestamp plus its duration).
    var lastEnd: Int64

    init(time: Int64, limit: Int64, session: Int32, events: [SimulatedEvent]) {
        self.time = time
        self.limit = limit
        self.session = session
        self.events = events
        lastEnd = time
    }

    /// Appends an event at the current time; `false` (and nothing appended) past the limit.
    mutating func emit(
        _ kind: SimulatedEvent.Kind, item: Int32, category: Int32, duration: Int32 = -1, value: Int64 = -1
    ) -> Bool {
        guard time < limit else { return false }
        events.append(
            SimulatedEvent(
                timestamp: time, kind: kind, item: item, category: category, session: session,
                durationDeciseconds: duration, valueCents: value))
        lastEnd = time + Int64(max(duration, 0)) * 100
        return true
    }

    /// Moves the clock past the last event's duration plus a pause.
    mutating func advance(deciseconds: Int32, thinkSeconds: Double) {
        time += Int64(deciseconds) * 100 + Int64(thinkSeconds * 1000)
    }
}
