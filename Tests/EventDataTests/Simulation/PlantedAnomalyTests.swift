import Foundation
import Testing

@testable import EventData

/// Taken-over accounts and click farms (issue 12): what unsupervised detectors must find, and
/// that planting them changes nothing else.
@Suite("Simulator: planted takeovers and click farms")
struct PlantedAnomalyTests {
    static let hourMs: Int64 = 3_600_000
    static let dayMs: Int64 = 86_400_000

    // MARK: - Nothing else moves

    /// FNV-1a 64 of a file's bytes.
    private func digest(_ path: String) throws -> UInt64 {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return HashingEncoder.fnv1a64(String(decoding: data, as: UTF8.self))
    }

    @Test("with no takeovers and no farms, the event files are byte for byte the earlier simulator's")
    func unchangedWithoutNewRoles() throws {
        // Digests of files the simulator wrote before it planted takeovers and farms
        // (`behave simulate` at 74ed9be with these settings).
        let cases: [(SimulationConfig, EventFileWriter.Format, UInt64)] = [
            (
                SimulationConfig(
                    users: 300, items: 200, days: 30, seed: 42, botFraction: 0.05, fraudFraction: 0.05,
                    churnFraction: 0.3, takeoverFraction: 0, farmFraction: 0),
                .csv, 0xa970_8e1f_dafc_2a17
            ),
            (
                SimulationConfig(
                    items: 500, days: 14, seed: 7, takeoverFraction: 0, farmFraction: 0, targetEvents: 20_000),
                .jsonl, 0x7608_d112_746b_9955
            ),
        ]
        try withTemporaryDirectory { directory in
            for (index, (config, format, expected)) in cases.enumerated() {
                let path = directory.appendingPathComponent("events\(index)").path
                try BehaviorSimulator(config: config).write(eventsTo: path, format: format)
                #expect(try digest(path) == expected, "case \(index)")
            }
        }
    }

    @Test("new roles take only regular users' places; everyone else keeps every event")
    func otherUsersUnchanged() throws {
        let output = try SimulationFixture.planted()
        let twin = try SimulationFixture.output()
        #expect(output.truth.users.count == twin.truth.users.count)
        for (user, before) in zip(output.truth.users, twin.truth.users) {
            #expect(user.id == before.id)
            switch user.kind {
            case .takeover, .farm:
                #expect(before.kind == .regular, "\(user.id)")
            case .regular, .churner, .bot, .fraud:
                #expect(user == before, "\(user.id)")
                #expect(output.byUser[user.id] == twin.byUser[user.id], "\(user.id)")
            }
        }
        #expect(output.truth.summary.bots == twin.truth.summary.bots)
        #expect(output.truth.summary.frauds == twin.truth.summary.frauds)
        #expect(output.truth.summary.churners == twin.truth.summary.churners)
    }

    @Test("the dealer gives the new roles only positions that are otherwise regular, at their fractions")
    func dealerKeepsEarlierRoles() {
        var with = RoleDealer(config: SimulationConfig())
        var without = RoleDealer(config: SimulationConfig(takeoverFraction: 0, farmFraction: 0))
        var counts: [UserRole: Int] = [:]
        var previousAccount = -1
        for user in 0..<10_000 {
            let role = with.role(of: user)
            let earlier = without.role(of: user)
            counts[role, default: 0] += 1
            if earlier == .regular {
                #expect([.regular, .takeover, .farm].contains(role), "user \(user)")
            } else {
                #expect(role == earlier, "user \(user)")
            }
            let account = with.farmAccount(of: user)
            #expect((account != nil) == (role == .farm), "user \(user)")
            if let account {
                #expect(account > previousAccount)
                previousAccount = account
            }
        }
        #expect(counts == [.bot: 100, .fraud: 50, .churner: 2_000, .takeover: 50, .farm: 100, .regular: 7_700])
    }

    @Test("a volume run is a prefix of a population run with takeovers and farms too")
    func volumeRunIsPrefix() throws {
        let population = SimulationConfig(
            users: 120, items: 80, categories: 5, days: 8, seed: 9, takeoverFraction: 0.1, farmFraction: 0.2)
        var all: [Event] = []
        let full = try BehaviorSimulator(config: population).generate { all.append($0) }
        var volume = population
        volume.targetEvents = all.count * 2 / 3
        var prefix: [Event] = []
        let truth = try BehaviorSimulator(config: volume).generate { prefix.append($0) }
        #expect(prefix == Array(all.prefix(prefix.count)))
        #expect(truth.summary.takeovers > 0 && truth.summary.farms > 0)
        for farm in truth.farms {
            let whole = try #require(full.farms.first { $0.id == farm.id })
            #expect(farm.promotedItems == whole.promotedItems && farm.windows == whole.windows)
            #expect(Array(whole.members.prefix(farm.members.count)) == farm.members)
        }
    }

    @Test("takeovers and farms are written byte-identically on every run and read back whole")
    func sameBytesAndRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let config = SimulationConfig(
                users: 200, items: 80, categories: 6, days: 10, seed: 5, takeoverFraction: 0.1, farmFraction: 0.2)
            var files: [Data] = []
            for run in 0..<2 {
                let events = directory.appendingPathComponent("events\(run).csv").path
                let truth = directory.appendingPathComponent("truth\(run).json").path
                try BehaviorSimulator(config: config).write(eventsTo: events, format: .csv, groundTruthTo: truth)
                files.append(try Data(contentsOf: URL(fileURLWithPath: events)))
                files.append(try Data(contentsOf: URL(fileURLWithPath: truth)))
            }
            #expect(files[0] == files[2])
            #expect(files[1] == files[3])
            let loaded = try GroundTruth.load(from: directory.appendingPathComponent("truth0.json").path)
            #expect(loaded == (try BehaviorSimulator(config: config).generate { _ in }))
            #expect(loaded.summary.takeovers == 20 && loaded.summary.farmAccounts == 40)
            #expect(loaded.users.contains { !$0.takeoverSessions.isEmpty })
            let text = String(decoding: files[1], as: UTF8.self)
            for key in ["\"takeover_timestamp\"", "\"takeover_sessions\"", "\"farm\"", "\"promoted_items\""] {
                #expect(text.contains(key), "\(key)")
            }
        }
    }

    // MARK: - Counts and kinds

    @Test("counts and kinds match the fractions, and only the planted roles are anomalous")
    func countsAndKinds() throws {
        let truth = try SimulationFixture.planted().truth
        let kinds = Dictionary(grouping: truth.users, by: \.kind).mapValues(\.count)
        #expect(kinds == [.bot: 12, .fraud: 12, .churner: 120, .takeover: 12, .farm: 24, .regular: 220])
        #expect(truth.summary.takeovers == 12)
        #expect(truth.summary.farmAccounts == 24)
        #expect(truth.summary.farms == truth.farms.count)
        #expect(truth.farms.count >= 2)
        #expect(truth.farms.map(\.members.count).reduce(0, +) == 24)
        #expect(truth.users.count(where: \.isAnomalous) == 12 + 12 + 12 + 24)
        for farm in truth.farms {
            for member in farm.members {
                let user = try #require(truth.users.first { $0.id == member })
                #expect(user.farm == farm.id && user.segment == nil && user.propensity == 0)
            }
        }
    }

    // MARK: - Takeovers

    @Test("a taken-over account is its owner's before the recorded time and an intruder's after it")
    func takeoverSplitsAtTheRecordedTime() throws {
        let output = try SimulationFixture.planted()
        let twin = try SimulationFixture.output()
        let takeovers = output.users { $0.kind == .takeover }
        #expect(takeovers.count == 12)
        for user in takeovers {
            let time = try #require(user.takeoverTimestamp)
            let events = output.byUser[user.id, default: []]
            let owner = events.filter { $0.timestamp < time }
            let intruder = events.filter { $0.timestamp >= time }
            #expect(!owner.isEmpty && !intruder.isEmpty, "\(user.id)")
            // The owner's part is exactly what the same user does when no takeover is planted.
            #expect(owner == twin.byUser[user.id, default: []].filter { $0.timestamp < time }, "\(user.id)")
            #expect(Set(intruder.compactMap(\.sessionID)) == Set(user.takeoverSessions), "\(user.id)")
            #expect(Set(owner.compactMap(\.sessionID)).isDisjoint(with: user.takeoverSessions), "\(user.id)")
        }
    }

    @Test("after a takeover: night hours, other categories, short looks, fast carts, dear purchases, more sessions")
    func takeoverChangesBehaviour() throws {
        let output = try SimulationFixture.planted()
        let windowEnd = SimulationFixture.plantedConfig.windowMilliseconds.upperBound
        var night = (before: 0, after: 0)
        var counted = (before: 0, after: 0)
        var distances: [Double] = []
        var dwells: (before: [Double], after: [Double]) = ([], [])
        var carts = (before: 0, after: 0)
        var views = (before: 0, after: 0)
        var values: [Double] = []
        var sessions = (before: 0.0, after: 0.0)
        var days = (before: 0.0, after: 0.0)
        for user in output.users(where: { $0.kind == .takeover }) {
            let time = try #require(user.takeoverTimestamp)
            let events = output.byUser[user.id, default: []]
            let owner = events.filter { $0.timestamp < time }
            let intruder = events.filter { $0.timestamp >= time }
            func isNight(_ event: Event) -> Bool { event.timestamp % Self.dayMs < 6 * Self.hourMs }
            night.before += owner.count(where: isNight)
            night.after += intruder.count(where: isNight)
            counted.before += owner.count
            counted.after += intruder.count
            func categoryShares(_ events: [Event]) -> [String: Double] {
                let viewed = events.filter { $0.type == .view }.compactMap(\.category)
                return Dictionary(grouping: viewed, by: { $0 }).mapValues { Double($0.count) / Double(viewed.count) }
            }
            let (shareBefore, shareAfter) = (categoryShares(owner), categoryShares(intruder))
            let categories = Set(shareBefore.keys).union(shareAfter.keys)
            distances.append(
                categories.reduce(0) { $0 + abs(shareBefore[$1, default: 0] - shareAfter[$1, default: 0]) } / 2)
            dwells.before += owner.filter { $0.type == .view }.compactMap(\.duration)
            dwells.after += intruder.filter { $0.type == .view }.compactMap(\.duration)
            carts.before += owner.count { $0.type == .cart }
            carts.after += intruder.count { $0.type == .cart }
            views.before += owner.count { $0.type == .view }
            views.after += intruder.count { $0.type == .view }
            values += intruder.filter { $0.type == .purchase }.compactMap(\.value)
            sessions.before += Double(Set(owner.compactMap(\.sessionID)).count)
            sessions.after += Double(user.takeoverSessions.count)
            days.before += Double(time - user.firstActive) / Double(Self.dayMs)
            days.after += Double(windowEnd - time) / Double(Self.dayMs)
        }
        let shareBefore = Double(night.before) / Double(counted.before)
        let shareAfter = Double(night.after) / Double(counted.after)
        #expect(shareBefore < 0.3 && shareAfter > 0.85, "night share \(shareBefore) -> \(shareAfter)")
        let meanDistance = distances.reduce(0, +) / Double(distances.count)
        #expect(meanDistance > 0.6, "category distance \(distances)")
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        #expect(
            median(dwells.after) < 0.4 * median(dwells.before),
            "dwell \(median(dwells.before)) -> \(median(dwells.after))")
        let cartRates = (Double(carts.before) / Double(views.before), Double(carts.after) / Double(views.after))
        #expect(cartRates.1 > 0.4 && cartRates.1 > 2 * cartRates.0, "carts per view \(cartRates)")
        let anomalous = Set(output.users { $0.isAnomalous }.map(\.id))
        let regularValues = output.events.filter { $0.type == .purchase && !anomalous.contains($0.userID) }
            .compactMap(\.value)
        let regularMean = regularValues.reduce(0, +) / Double(regularValues.count)
        #expect(values.count >= 20 && values.reduce(0, +) / Double(values.count) > 2 * regularMean)
        let rates = (sessions.before / days.before, sessions.after / days.after)
        #expect(rates.1 > 1.5 * rates.0, "sessions per day \(rates)")
    }

    // MARK: - Click farms

    @Test("farm accounts act only in their farm's windows, on its promoted items, all of them each time")
    func farmsActInConcert() throws {
        let output = try SimulationFixture.planted()
        let windowRange = SimulationFixture.plantedConfig.windowMilliseconds
        for farm in output.truth.farms {
            #expect((1...5).contains(farm.promotedItems.count))
            #expect((3...8).contains(farm.windows.count))
            for window in farm.windows {
                #expect(window.start >= windowRange.lowerBound && window.end <= windowRange.upperBound)
                #expect((Self.hourMs...(3 * Self.hourMs)).contains(window.end - window.start))
            }
            for (earlier, later) in zip(farm.windows, farm.windows.dropFirst()) {
                #expect(earlier.end + Self.hourMs <= later.start)
            }
            let promoted = Set(farm.promotedItems)
            var membersByWindow = [Set<String>](repeating: [], count: farm.windows.count)
            var events = 0
            var onPromoted = 0
            var categories: Set<String> = []
            for member in farm.members {
                let trail = output.byUser[member, default: []]
                #expect(!trail.isEmpty)
                for event in trail {
                    let window = farm.windows.firstIndex { $0.contains(event.timestamp) }
                    #expect(window != nil, "\(member) at \(event.timestamp)")
                    if let window { membersByWindow[window].insert(member) }
                    events += 1
                    if promoted.contains(event.itemID ?? "") { onPromoted += 1 }
                    if let category = event.category { categories.insert(category) }
                    if event.type == .view { #expect((event.duration ?? 0) <= 6) }
                    if event.type == .purchase { #expect(promoted.contains(event.itemID ?? "")) }
                }
                for session in Dictionary(grouping: trail, by: { $0.sessionID ?? "" }).values {
                    let viewed = Set(session.filter { $0.type == .view }.compactMap(\.itemID))
                    #expect(viewed.isSuperset(of: promoted), "\(member) viewed \(viewed)")
                }
            }
            #expect(Double(onPromoted) >= 0.9 * Double(events))
            #expect(categories.count <= 2)
            // Most members turn up in each window (each joins it with probability 0.8).
            let turnout =
                Double(membersByWindow.map(\.count).reduce(0, +))
                / Double(farm.windows.count * farm.members.count)
            #expect(turnout > 0.6, "farm \(farm.id): \(membersByWindow.map(\.count))")
        }
        let fakeOrders = output.truth.farms.flatMap(\.members).reduce(0) { total, member in
            total + output.byUser[member, default: []].count { $0.type == .purchase }
        }
        #expect(fakeOrders >= 10)
    }

    // MARK: - Older files

    @Test("a ground-truth file written before takeovers and farms reads as having none")
    func olderGroundTruthReads() throws {
        // Cut down from a file the simulator wrote at 74ed9be (no takeover or farm keys).
        let older = """
            {"categories": ["electronics", "books"], "config": {"bot_fraction": 0.05, "categories": 12,
            "churn_fraction": 0.3, "days": 30, "fraud_fraction": 0.05, "items": 200, "popularity_exponent": 1,
            "seed": 42, "segments": 5, "start": 1704067200000, "successors_per_item": 3, "transition_probability":
            0.5, "users": 300}, "items": [{"category": "grocery", "id": "i1", "popularity_rank": 127, "price":
            24.82, "successor_probabilities": [0.5454545454545455, 0.27272727272727276, 0.18181818181818182],
            "successors": ["i163", "i96", "i10"]}], "segments": [{"cart_rate": 0.07136051687530774,
            "category_taste": [0.08091700879963815, 0.06391328931905225, 0.06063709170634763, 0.10074022212278887,
            0.23005157114666205, 0.02332192832765822, 0.041071156467326606, 0.06009829259136048,
            0.18825518574633024, 0.03901592580592554, 0.08556132460853635, 0.02641700335837357], "id": 0,
            "mean_items_per_session": 7.1358162271211505, "median_propensity": 0.13589766999253391,
            "price_elasticity": 0.7567141112212239, "sessions_per_day": 0.6398801243365577, "weight":
            0.2788215051854679}], "summary": {"bots": 15, "churners": 90, "events": 94443, "events_by_type":
            {"cart": 10011, "click": 13954, "purchase": 516, "search": 6207, "view": 63755}, "first_timestamp":
            1704069071471, "frauds": 15, "items": 200, "last_timestamp": 1706658518071, "sessions": 7638, "users":
            300}, "users": [{"churn_timestamp": 1705607227516, "events": 13, "first_active": 1704570310100,
            "fraud_sessions": [], "id": "u6", "is_bot": false, "is_fraud": false, "propensity": 0.16693766799572096,
            "purchases": 0, "segment": 0, "sessions_per_day": 0.16700341655099343}, {"events": 609, "first_active":
            1704377833720, "fraud_sessions": ["u17-s19", "u17-s40"], "id": "u17", "is_bot": false, "is_fraud": true,
            "propensity": 0.22901102574860002, "purchases": 22, "segment": 2, "sessions_per_day":
            0.9368940371046343}, {"events": 284, "first_active": 1705613082020, "fraud_sessions": [], "id": "u4",
            "is_bot": true, "is_fraud": false, "propensity": 0, "purchases": 0, "sessions_per_day":
            0.16799999999999998}]}
            """
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("older.truth.json").path
            try Data(older.utf8).write(to: URL(fileURLWithPath: path))
            let truth = try GroundTruth.load(from: path)
            #expect(truth.config.takeoverFraction == 0 && truth.config.farmFraction == 0)
            #expect(truth.config.botFraction == 0.05 && truth.config.users == 300)
            #expect(truth.summary.takeovers == 0 && truth.summary.farmAccounts == 0 && truth.summary.farms == 0)
            #expect(truth.summary.bots == 15 && truth.summary.events == 94_443)
            #expect(truth.farms.isEmpty)
            #expect(truth.users.map(\.kind) == [.churner, .fraud, .bot])
            #expect(truth.users.allSatisfy { $0.takeoverTimestamp == nil && $0.takeoverSessions.isEmpty })
            #expect(truth.users.allSatisfy { $0.farm == nil })
            #expect(truth.users[1].fraudSessions == ["u17-s19", "u17-s40"])
        }
    }
}
