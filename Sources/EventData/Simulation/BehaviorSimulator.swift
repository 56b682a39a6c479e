import Foundation

/// A seeded generator of realistic user-behaviour logs with known ground truth.
///
/// What it plants:
/// - **Users** in ``SimulationConfig/segments`` segments that differ in category taste,
///   activity (sessions per day, log-normal per user), session length, cart rate and price
///   sensitivity. Users join at dates spread over the window; churners stop at a recorded date.
/// - **Items** with categories, log-normal prices per category, a Zipf-like popularity long
///   tail, and a few planted successors each: within a session the next item is one of the
///   current item's successors with probability ``SimulationConfig/transitionProbability``,
///   otherwise it follows the user's taste and popularity.
/// - **Sessions** separated by more than 30 minutes, more of them in the evening and at
///   weekends (UTC). A session may start with a search, then items are clicked, viewed
///   (dwell times) and carted. Cart and purchase events carry the item's price as `value`.
/// - **Shopping missions**, the planted purchase intent: a session may start a mission (more
///   likely for users of high latent propensity, and on a newcomer's first visit); for one to
///   ten days the user comes back every 6 to 36 hours, browses mostly the mission's category
///   and carts candidates, then checks out: looks at the candidates again and buys the one
///   with the best price (sometimes another too). Outside missions carting is rare and a carted
///   item is only sometimes bought on impulse. So whether a user is mid-mission, and will buy
///   soon, shows in the order and timing of their latest events more than in their totals.
/// - **Bots**: views only, of uniformly random items, 20 to 120 per minute, in bursts on some days.
/// - **Fraudulent users**: regular users plus one to three night-time (01:00-05:00 UTC) bursts
///   in which expensive items are viewed, carted and bought within seconds.
/// - **Taken-over accounts**: regular users until a recorded night-time takeover; from then on an
///   intruder drives the account: sessions between 00:00 and 05:00 UTC, mostly more of them than
///   the owner had, in two or three expensive categories the owner does not favour, with looks of
///   a few seconds, carts at once and purchases of expensive items. The owner's events before
///   the takeover are the ones the same user has when no takeover is planted.
/// - **Click farms**: groups of 5 to 20 accounts that act in the same three to eight windows of
///   one to three hours: each account, in most windows, clicks and briefly views every one of
///   the farm's two to five promoted items (cheap items of one or two categories), sometimes
///   looks at another item of those categories and sometimes places a fake order of a promoted
///   item; nothing else.
///
/// ``GroundTruth/User/kind`` names each user's role and ``GroundTruth/User/isAnomalous`` says
/// whether a detector should flag it. Roles are dealt in blocks of 100 users at their fractions;
/// takeovers and farm accounts take places that are otherwise regular, and draw from random
/// streams of their own, so with their fractions at 0 the output is the same as before they
/// existed.
///
/// Output order: users one after another (`u1`, `u2`, ...), each user's events in time order;
/// the file as a whole is not sorted by time. Users are generated and written one at a time,
/// so memory does not grow with the number of events (only the ground truth's per-user
/// records are kept, about 200 bytes a user).
///
/// The same configuration gives byte-identical files on every run; each user draws from its
/// own random stream, so user *k*'s events do not depend on the population size.
///
/// ```swift
/// let simulator = try BehaviorSimulator(config: SimulationConfig(seed: 7, targetEvents: 1_000_000))
/// let summary = try simulator.write(eventsTo: "events.csv", format: .csv, groundTruthTo: "truth.json")
/// print(summary.eventsByType)
/// ```
public struct BehaviorSimulator: EventSource, Sendable {
    /// The configuration being simulated.
    public let config: SimulationConfig
    private let world: SimulationWorld

    /// Builds the catalogue and segments for `config`.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when the configuration cannot
    ///   work (see ``SimulationConfig/validate()``).
    public init(config: SimulationConfig) throws {
        try config.validate()
        self.config = config
        world = SimulationWorld(config: config)
    }

    /// `simulator (seed N)`.
    public var name: String { "simulator (seed \(config.seed))" }

    /// Calls `body` with every generated event as ``SourceRow/event(_:line:)``; `line` is the
    /// 1-based event number (the line it would have in a JSON Lines file). Never rejects a row.
    public func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        var line = 0
        try generate { event in
            line += 1
            try body(.event(event, line: line))
        }
    }

    /// Generates every event in file order without writing anything.
    ///
    /// - Parameter body: Called once per event; errors it throws stop the generation and are
    ///   rethrown.
    /// - Returns: The ground truth of what was generated.
    @discardableResult
    public func generate(_ body: (Event) throws -> Void) throws -> GroundTruth {
        let itemIDs = (0..<config.items).map(Self.itemID)
        let categoryNames = world.categoryNames
        var sessionIDs: [String] = []
        return try run { trail in
            let userID = trail.userID
            sessionIDs.removeAll(keepingCapacity: true)
            for number in 0..<trail.sessions { sessionIDs.append(Self.sessionID(user: userID, number: number + 1)) }
            for event in trail.events {
                try body(
                    Event(
                        userID: userID, timestamp: event.timestamp, type: event.kind.eventType,
                        itemID: event.item >= 0 ? itemIDs[Int(event.item)] : nil,
                        sessionID: sessionIDs[Int(event.session) - 1],
                        value: event.valueCents >= 0 ? Double(event.valueCents) / 100 : nil,
                        duration: event.durationDeciseconds >= 0 ? Double(event.durationDeciseconds) / 10 : nil,
                        category: event.category >= 0 ? categoryNames[Int(event.category)] : nil))
            }
        }
    }

    /// Generates the log into a CSV or JSON Lines file (see ``EventFileWriter``), and the
    /// ground truth into a JSON file (see ``GroundTruth``).
    ///
    /// Values are written with two decimals and durations with one.
    ///
    /// - Parameters:
    ///   - path: The event file to create (replaced if it exists).
    ///   - format: CSV or JSON Lines.
    ///   - groundTruthPath: Where to write the ground truth, if anywhere.
    ///   - progress: Called after each user with the number of events written so far.
    /// - Returns: Counts of what was written.
    /// - Throws: ``EventDataError/unwritable(path:reason:)`` when a file cannot be written.
    @discardableResult
    public func write(
        eventsTo path: String, format: EventFileWriter.Format, groundTruthTo groundTruthPath: String? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> SimulationSummary {
        let writer = try EventFileWriter(path: path, format: format)
        // Fail before the long part when the ground truth could not be written at the end.
        if let groundTruthPath, !FileManager.default.createFile(atPath: groundTruthPath, contents: nil) {
            throw EventDataError.unwritable(
                path: groundTruthPath,
                reason: "the file cannot be created; check that its folder exists and is writable")
        }
        let typeTexts = SimulatedEvent.Kind.allCases.map { writer.prepare($0.eventType.rawValue) }
        let itemTexts = (0..<config.items).map { writer.prepare(Self.itemID($0)) }
        let categoryTexts = world.categoryNames.map(writer.prepare)
        var sessionTexts: [EventFileWriter.Text] = []
        let truth = try run { trail in
            let userID = trail.userID
            let userText = writer.prepare(userID)
            sessionTexts.removeAll(keepingCapacity: true)
            for number in 0..<trail.sessions {
                sessionTexts.append(writer.prepare(Self.sessionID(user: userID, number: number + 1)))
            }
            for event in trail.events {
                try writer.writeRow(
                    user: userText, timestamp: event.timestamp, type: typeTexts[Int(event.kind.rawValue)],
                    item: event.item >= 0 ? itemTexts[Int(event.item)] : nil,
                    session: sessionTexts[Int(event.session) - 1],
                    value: event.valueCents >= 0 ? .fixed(event.valueCents, decimals: 2) : .none,
                    duration: event.durationDeciseconds >= 0
                        ? .fixed(Int64(event.durationDeciseconds), decimals: 1) : .none,
                    category: event.category >= 0 ? categoryTexts[Int(event.category)] : nil)
            }
            progress?(writer.eventsWritten)
        }
        try writer.finish()
        if let groundTruthPath { try truth.write(to: groundTruthPath) }
        return truth.summary
    }

    static func itemID(_ index: Int) -> String { "i\(index + 1)" }

    static func sessionID(user: String, number: Int) -> String { "\(user)-s\(number)" }

    /// Generates users in order, hands each trail to `body` and collects the ground truth.
    ///
    /// With a target event count, users continue until the target is reached and the last
    /// trail is cut to hit it exactly.
    private func run(_ body: (UserTrail) throws -> Void) throws -> GroundTruth {
        var dealer = RoleDealer(config: config)
        var roster = FarmRoster(world: world, config: config)
        var farmMembers: [[String]] = []
        var simulator = UserSimulator(world: world, config: config)
        var trail = UserTrail()
        var users: [GroundTruth.User] = []
        var byKind = [Int](repeating: 0, count: SimulatedEvent.Kind.allCases.count)
        var total = 0
        var sessions = 0
        var firstTimestamp: Int64?
        var lastTimestamp: Int64?
        var index = 0
        while config.targetEvents.map({ total < $0 }) ?? (index < config.users) {
            let farm = dealer.farmAccount(of: index).map { roster.farm(ofAccount: $0) }
            simulator.simulate(user: index, role: dealer.role(of: index), farm: farm, into: &trail)
            world.replaceUnreleasedItems(in: &trail.events)
            index += 1
            if let target = config.targetEvents, total + trail.events.count > target {
                trail.events.removeLast(total + trail.events.count - target)
                trail.sessions = Int(trail.events.last?.session ?? 0)
                trail.fraudSessions.removeAll { $0 > trail.sessions }
                trail.takeoverSessions.removeAll { $0 > trail.sessions }
            }
            var purchases = 0
            for event in trail.events {
                byKind[Int(event.kind.rawValue)] += 1
                if event.kind == .purchase { purchases += 1 }
            }
            // Each trail is in time order, so its first and last events are its extremes.
            if let first = trail.events.first?.timestamp, let last = trail.events.last?.timestamp {
                firstTimestamp = min(firstTimestamp ?? first, first)
                lastTimestamp = max(lastTimestamp ?? last, last)
            }
            total += trail.events.count
            sessions += trail.sessions
            let userID = trail.userID
            if let farm = trail.farm {
                farmMembers += [[String]](repeating: [], count: max(0, farm + 1 - farmMembers.count))
                farmMembers[farm].append(userID)
            }
            users.append(
                GroundTruth.User(
                    id: userID, segment: trail.segment, propensity: trail.propensity,
                    sessionsPerDay: trail.sessionsPerDay, firstActive: trail.firstActive,
                    churnTimestamp: trail.churnTimestamp, isBot: trail.role == .bot, isFraud: trail.role == .fraud,
                    fraudSessions: trail.fraudSessions.map { Self.sessionID(user: userID, number: Int($0)) },
                    takeoverTimestamp: trail.takeoverTimestamp,
                    takeoverSessions: trail.takeoverSessions.map { Self.sessionID(user: userID, number: Int($0)) },
                    farm: trail.farm, events: trail.events.count, purchases: purchases))
            try body(trail)
        }
        var eventsByType: [String: Int] = [:]
        for kind in SimulatedEvent.Kind.allCases where byKind[Int(kind.rawValue)] > 0 {
            eventsByType[kind.eventType.rawValue] = byKind[Int(kind.rawValue)]
        }
        // A farm none of whose account numbers was dealt (possible only when full blocks clip the
        // farm quota) is left out.
        let farms = zip(roster.farms, farmMembers).filter { !$0.1.isEmpty }.map { farm, members in
            GroundTruth.Farm(
                id: farm.id, members: members, promotedItems: farm.promotedItems.map { Self.itemID(Int($0)) },
                windows: farm.windows.map { GroundTruth.Farm.Window(start: $0.lowerBound, end: $0.upperBound) })
        }
        let summary = SimulationSummary(
            events: total, eventsByType: eventsByType, users: users.count, items: config.items, sessions: sessions,
            bots: users.count(where: \.isBot), frauds: users.count(where: \.isFraud),
            churners: users.count(where: { $0.churnTimestamp != nil }),
            takeovers: users.count(where: { $0.takeoverTimestamp != nil }),
            farmAccounts: users.count(where: { $0.farm != nil }), farms: farms.count, firstTimestamp: firstTimestamp,
            lastTimestamp: lastTimestamp)
        return GroundTruth(
            config: config, summary: summary, categories: world.categoryNames, segments: segmentTruth(),
            users: users, items: itemTruth(), farms: farms)
    }

    private func segmentTruth() -> [GroundTruth.Segment] {
        world.segments.enumerated().map { index, segment in
            GroundTruth.Segment(
                id: index, weight: segment.weight, categoryTaste: segment.categoryTaste,
                sessionsPerDay: segment.sessionsPerDay, meanItemsPerSession: segment.meanItemsPerSession,
                cartRate: segment.cartRate, priceElasticity: segment.priceElasticity,
                medianPropensity: 1 / (1 + exp(-segment.propensityLogit)))
        }
    }

    private func itemTruth() -> [GroundTruth.Item] {
        let perItem = world.successorsPerItem
        return (0..<config.items).map { item in
            GroundTruth.Item(
                id: Self.itemID(item), category: world.categoryNames[Int(world.itemCategory[item])],
                price: Double(world.itemPriceCents[item]) / 100,
                popularityRank: Int(world.itemPopularityRank[item]) + 1,
                successors: (0..<perItem).map { Self.itemID(Int(world.successors[item * perItem + $0])) },
                successorProbabilities: world.successorProbabilities)
        }
    }
}
