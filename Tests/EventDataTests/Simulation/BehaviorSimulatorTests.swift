import Foundation
import Settings
import Testing

@testable import EventData

@Suite("Behaviour simulator")
struct BehaviorSimulatorTests {
    // MARK: - Determinism and volume

    @Test("the same configuration writes byte-identical event and ground-truth files")
    func sameSeedSameBytes() throws {
        try withTemporaryDirectory { directory in
            let config = SimulationConfig(users: 60, items: 80, categories: 5, days: 7, seed: 3)
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
            #expect(files[0].count > 10_000)
        }
    }

    @Test("a different seed gives a different log")
    func differentSeedDifferentBytes() throws {
        try withTemporaryDirectory { directory in
            var files: [Data] = []
            for seed: UInt64 in [3, 4] {
                let path = directory.appendingPathComponent("events\(seed).jsonl").path
                let config = SimulationConfig(users: 30, items: 50, categories: 4, days: 5, seed: seed)
                try BehaviorSimulator(config: config).write(eventsTo: path, format: .jsonl)
                files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            #expect(files[0] != files[1])
        }
    }

    @Test("a target event count is reached exactly, in the file and the summary")
    func targetEventCount() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.csv").path
            let config = SimulationConfig(items: 100, categories: 5, days: 10, seed: 5, targetEvents: 4_321)
            var reported: [Int] = []
            let summary = try BehaviorSimulator(config: config).write(eventsTo: path, format: .csv) {
                reported.append($0)
            }
            let records = parseCSV(try String(contentsOfFile: path, encoding: .utf8))
            #expect(summary.events == 4_321)
            #expect(reported.count == summary.users)
            #expect(reported == reported.sorted() && reported.last == 4_321)
            #expect(records.count == 4_321 + 1)
            #expect(summary.eventsByType.values.reduce(0, +) == 4_321)
        }
    }

    @Test("a volume run is a prefix of a population run with the same seed")
    func volumeRunIsPrefix() throws {
        let population = SimulationConfig(users: 50, items: 60, categories: 4, days: 6, seed: 9)
        var volume = population
        volume.targetEvents = 700
        var all: [Event] = []
        try BehaviorSimulator(config: population).generate { all.append($0) }
        var prefix: [Event] = []
        let truth = try BehaviorSimulator(config: volume).generate { prefix.append($0) }
        #expect(all.count > 700)
        #expect(prefix == Array(all.prefix(700)))
        #expect(truth.users.map(\.events).reduce(0, +) == 700)
    }

    @Test("as an event source it yields every event with its 1-based number")
    func eventSource() throws {
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 10, items: 30, categories: 3, days: 3))
        var lines: [Int] = []
        try simulator.forEachRow { row in
            if case .event(_, let line) = row { lines.append(line) }
        }
        #expect(!lines.isEmpty)
        #expect(lines == Array(1...lines.count))
    }

    // MARK: - Planted structure

    @Test("a purchase follows a view of the same item in the same session")
    func funnelOrder() throws {
        let output = try SimulationFixture.output()
        var purchases = 0
        var viewedFirst = 0
        for (_, events) in output.byUser {
            var viewed: Set<String> = []
            var session: String?
            for event in events {
                if event.sessionID != session {
                    session = event.sessionID
                    viewed = []
                }
                guard let item = event.itemID else { continue }
                if event.type == .view { viewed.insert(item) }
                if event.type == .purchase {
                    purchases += 1
                    if viewed.contains(item) { viewedFirst += 1 }
                    #expect(event.value != nil)
                }
            }
        }
        #expect(purchases > 50)
        #expect(Double(viewedFirst) >= 0.95 * Double(purchases))
    }

    @Test("bots act far faster than regular users")
    func botsAreFast() throws {
        let output = try SimulationFixture.output()
        func medianRate(_ users: [GroundTruth.User]) -> Double {
            var rates: [Double] = []
            for user in users {
                let sessions = Dictionary(grouping: output.byUser[user.id] ?? [], by: { $0.sessionID ?? "" })
                for events in sessions.values where events.count >= 5 {
                    let minutes = Double(events[events.count - 1].timestamp - events[0].timestamp) / 60_000
                    if minutes > 0 { rates.append(Double(events.count - 1) / minutes) }
                }
            }
            return rates.sorted()[rates.count / 2]
        }
        let bots = output.users { $0.isBot }
        #expect(bots.count == 12)
        let botRate = medianRate(bots)
        let regularRate = medianRate(output.users { !$0.isBot && !$0.isFraud })
        #expect(botRate > 15)
        #expect(botRate > 8 * regularRate)
        for bot in bots {
            #expect(output.byUser[bot.id, default: []].allSatisfy { $0.type == .view })
        }
    }

    @Test("churners have no event at or after their churn date")
    func churnersStop() throws {
        let output = try SimulationFixture.output()
        let churners = output.users { $0.churnTimestamp != nil }
        #expect(churners.count == 120)
        for churner in churners {
            let events = output.byUser[churner.id, default: []]
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { $0.timestamp < churner.churnTimestamp ?? .min })
        }
    }

    @Test("sessions are more than 30 minutes apart and events inside them less")
    func sessionGaps() throws {
        let output = try SimulationFixture.output()
        let thirtyMinutes: Int64 = 30 * 60_000
        var sessionStarts = 0
        for (_, events) in output.byUser {
            var seen: Set<String> = []
            for (previous, event) in zip(events, events.dropFirst()) {
                #expect(event.timestamp >= previous.timestamp)
                let gap = event.timestamp - previous.timestamp
                if event.sessionID == previous.sessionID {
                    #expect(gap <= thirtyMinutes)
                } else {
                    sessionStarts += 1
                    #expect(gap > thirtyMinutes)
                    #expect(!seen.contains(event.sessionID ?? ""))
                }
                seen.insert(previous.sessionID ?? "")
            }
        }
        #expect(sessionStarts > 1_000)
        #expect(output.truth.summary.sessions == Set(output.events.compactMap(\.sessionID)).count)
    }

    @Test("item popularity has a long tail: the top tenth of items gets a large share")
    func popularityLongTail() throws {
        let output = try SimulationFixture.output()
        let bots = Set(output.users { $0.isBot }.map(\.id))
        var counts: [String: Int] = [:]
        for event in output.events where event.type == .view && !bots.contains(event.userID) {
            counts[event.itemID ?? "", default: 0] += 1
        }
        let sorted = counts.values.sorted(by: >)
        let total = sorted.reduce(0, +)
        let top = sorted.prefix(SimulationFixture.config.items / 10).reduce(0, +)
        #expect(Double(top) / Double(total) > 0.4)
    }

    @Test("the next item viewed is a planted successor far more often than chance")
    func plantedTransitions() throws {
        let output = try SimulationFixture.output()
        let successors = Dictionary(uniqueKeysWithValues: output.truth.items.map { ($0.id, Set($0.successors)) })
        let regular = Set(output.users { !$0.isBot && !$0.isFraud }.map(\.id))
        var pairs = 0
        var planted = 0
        for (user, events) in output.byUser where regular.contains(user) {
            let views = events.filter { $0.type == .view }
            for (previous, next) in zip(views, views.dropFirst()) where previous.sessionID == next.sessionID {
                pairs += 1
                if successors[previous.itemID ?? ""]?.contains(next.itemID ?? "") == true { planted += 1 }
            }
        }
        let share = Double(planted) / Double(pairs)
        let chance = Double(SimulationFixture.config.successorsPerItem) / Double(SimulationFixture.config.items)
        #expect(pairs > 1_000)
        #expect(share > 0.3)
        #expect(share > 20 * chance)
    }

    @Test("evenings are busier than nights and weekend days busier than weekdays")
    func seasonality() throws {
        let output = try SimulationFixture.output()
        var byHour = [Int](repeating: 0, count: 24)
        var byWeekday = [Int](repeating: 0, count: 7)
        let regular = Set(output.users { !$0.isBot && !$0.isFraud }.map(\.id))
        for event in output.events where regular.contains(event.userID) {
            let seconds = event.timestamp / 1000
            byHour[Int(seconds % 86_400 / 3_600)] += 1
            byWeekday[Int((seconds / 86_400 + 4) % 7)] += 1
        }
        #expect(byHour[19...22].reduce(0, +) > 4 * byHour[1...4].reduce(0, +))
        // 21 days from a Monday: every weekday occurs three times.
        let weekend = byWeekday[0] + byWeekday[6]
        let weekdays = byWeekday[1...5].reduce(0, +)
        #expect(Double(weekend) / 2 > 1.1 * Double(weekdays) / 5)
    }

    @Test("most purchases are of items carted in an earlier session (a mission's checkout)")
    func missionsBuyLater() throws {
        let output = try SimulationFixture.output()
        var purchases = 0
        var cartedEarlier = 0
        for user in output.users(where: { !$0.isBot && !$0.isFraud }) {
            var carted: [String: String] = [:]  // item -> session of its first cart
            for event in output.byUser[user.id, default: []] {
                guard let item = event.itemID, let session = event.sessionID else { continue }
                if event.type == .cart, carted[item] == nil { carted[item] = session }
                if event.type == .purchase {
                    purchases += 1
                    if let cartSession = carted[item], cartSession != session { cartedEarlier += 1 }
                }
            }
        }
        #expect(purchases > 50)
        #expect(Double(cartedEarlier) > 0.5 * Double(purchases), "\(cartedEarlier) of \(purchases)")
    }

    @Test("users with an open cart at a cut-off buy in the following week far more often than others")
    func openCartsPredictPurchases() throws {
        let output = try SimulationFixture.output()
        let start = Int64(SimulationFixture.config.start.timeIntervalSince1970 * 1_000)
        let day: Int64 = 86_400_000
        let cutoff = start + 12 * day
        var groups: [Bool: (users: Int, buyers: Int)] = [true: (0, 0), false: (0, 0)]
        for user in output.users(where: { !$0.isBot && !$0.isFraud }) {
            let events = output.byUser[user.id, default: []]
            let before = events.filter { $0.timestamp <= cutoff }
            guard !before.isEmpty else { continue }
            let lastCart = before.last { $0.type == .cart }?.timestamp ?? .min
            let lastPurchase = before.last { $0.type == .purchase }?.timestamp ?? .min
            let open = lastCart > lastPurchase && cutoff - lastCart < 3 * day
            let buys = events.contains {
                $0.type == .purchase && $0.timestamp > cutoff && $0.timestamp <= cutoff + 7 * day
            }
            groups[open, default: (0, 0)].users += 1
            if buys { groups[open, default: (0, 0)].buyers += 1 }
        }
        let open = groups[true] ?? (0, 0)
        let rest = groups[false] ?? (0, 0)
        #expect(open.users >= 20 && rest.users >= 100, "\(groups)")
        let openRate = Double(open.buyers) / Double(max(open.users, 1))
        let restRate = Double(rest.buyers) / Double(max(rest.users, 1))
        #expect(openRate > 0.5 && openRate > 3 * restRate, "open \(open), rest \(rest)")
    }

    @Test("users with a higher latent propensity buy more per session")
    func propensityDrivesPurchases() throws {
        let output = try SimulationFixture.output()
        let regular = output.users { !$0.isBot && !$0.isFraud }.sorted { $0.propensity < $1.propensity }
        func purchasesPerSession(_ users: ArraySlice<GroundTruth.User>) -> Double {
            var sessions = Set<String>()
            var purchases = 0
            for user in users {
                for event in output.byUser[user.id, default: []] {
                    if let session = event.sessionID { sessions.insert(session) }
                    if event.type == .purchase { purchases += 1 }
                }
            }
            return Double(purchases) / Double(max(sessions.count, 1))
        }
        let quarter = regular.count / 4
        let low = purchasesPerSession(regular.prefix(quarter))
        let high = purchasesPerSession(regular.suffix(quarter))
        #expect(high > 2 * low, "\(high) vs \(low)")
    }

    @Test("fraudulent users buy expensive items in night-time bursts recorded in the ground truth")
    func fraudBursts() throws {
        let output = try SimulationFixture.output()
        let frauds = output.users { $0.isFraud }
        #expect(frauds.count == 12)
        let fraudIDs = Set(frauds.map(\.id))
        let regularValues = output.events.filter { $0.type == .purchase && !fraudIDs.contains($0.userID) }
            .compactMap(\.value)
        let meanValue = regularValues.reduce(0, +) / Double(regularValues.count)
        for fraud in frauds {
            #expect(!fraud.fraudSessions.isEmpty)
            let sessions = Set(fraud.fraudSessions)
            let burst = output.byUser[fraud.id, default: []].filter { sessions.contains($0.sessionID ?? "") }
            let purchases = burst.filter { $0.type == .purchase }
            #expect(purchases.count >= 4)
            #expect(purchases.compactMap(\.value).reduce(0, +) / Double(purchases.count) > 2 * meanValue)
            #expect(burst.allSatisfy { (1...5).contains($0.timestamp / 1000 % 86_400 / 3_600) })
        }
    }

    @Test("the summary counts match the events and the ground truth")
    func summaryMatches() throws {
        let output = try SimulationFixture.output()
        let summary = output.truth.summary
        #expect(summary.events == output.events.count)
        #expect(summary.users == 400)
        #expect(summary.bots == 12)
        #expect(summary.frauds == 12)
        #expect(summary.churners == 120)
        for type in ["view", "click", "search", "cart", "purchase"] {
            #expect(summary.eventsByType[type] == output.events.count { $0.type.rawValue == type })
        }
        for user in output.truth.users {
            #expect(user.events == output.byUser[user.id, default: []].count)
        }
        #expect(summary.firstTimestamp == output.events.map(\.timestamp).min())
        #expect(summary.lastTimestamp == output.events.map(\.timestamp).max())
    }

    // MARK: - Files

    @Test("the CSV parses into the canonical columns and matches the generated events")
    func csvRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let config = SimulationConfig(users: 40, items: 60, categories: 4, days: 5, seed: 2)
            let path = directory.appendingPathComponent("events.csv").path
            let simulator = try BehaviorSimulator(config: config)
            try simulator.write(eventsTo: path, format: .csv)
            var events: [Event] = []
            try simulator.generate { events.append($0) }
            let records = parseCSV(try String(contentsOfFile: path, encoding: .utf8))
            #expect(records.first == EventFileWriter.columns)
            #expect(records.count == events.count + 1)
            #expect(records.contains { $0[7] == "clothing, shoes & jewelry" })
            for (record, event) in zip(records.dropFirst(), events) {
                #expect(record.count == 8)
                #expect(record[0] == event.userID)
                #expect(Int64(record[1]) == event.timestamp)
                #expect(record[2] == event.type.rawValue)
                #expect(record[3] == (event.itemID ?? ""))
                #expect(record[4] == event.sessionID)
                #expect(Double(record[5]) == event.value)
                #expect(Double(record[6]) == event.duration)
                #expect(record[7] == (event.category ?? ""))
            }
        }
    }

    @Test("each JSON Lines row is an object with the canonical fields")
    func jsonLines() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.jsonl").path
            let config = SimulationConfig(users: 20, items: 40, categories: 3, days: 4, seed: 8)
            let summary = try BehaviorSimulator(config: config).write(eventsTo: path, format: .jsonl)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == summary.events)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(Set(object?.keys.map { $0 } ?? []) == Set(EventFileWriter.columns))
                #expect(object?["timestamp"] is NSNumber)
            }
        }
    }

    @Test("the ground-truth file decodes to what the run returned")
    func groundTruthFile() throws {
        try withTemporaryDirectory { directory in
            let config = SimulationConfig(users: 30, items: 50, categories: 4, days: 5, seed: 6, churnFraction: 0.3)
            let simulator = try BehaviorSimulator(config: config)
            let path = directory.appendingPathComponent("truth.json").path
            let summary = try simulator.write(
                eventsTo: directory.appendingPathComponent("events.csv").path, format: .csv, groundTruthTo: path)
            let truth = try GroundTruth.load(from: path)
            let expected = try simulator.generate { _ in }
            #expect(truth == expected)
            #expect(truth.summary == summary)
            #expect(truth.config == config)
            #expect(truth.items.count == 50)
            #expect(truth.items.allSatisfy { $0.successors.count == 3 && !$0.successors.contains($0.id) })
            #expect(Set(truth.items.map(\.popularityRank)) == Set(1...50))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("\"churn_timestamp\""))
        }
    }

    @Test("an unwritable ground-truth path fails before any event is generated")
    func unwritableGroundTruth() throws {
        try withTemporaryDirectory { directory in
            let events = directory.appendingPathComponent("events.csv").path
            let truth = directory.appendingPathComponent("missing/truth.json").path
            let simulator = try BehaviorSimulator(config: SimulationConfig(users: 5, items: 20, categories: 2))
            var progressCalls = 0
            #expect {
                try simulator.write(eventsTo: events, format: .csv, groundTruthTo: truth) { _ in progressCalls += 1 }
            } throws: { error in
                guard case .unwritable(let path, _) = error as? EventDataError else { return false }
                return path == truth
            }
            #expect(progressCalls == 0)
        }
    }

    @Test("a file that is not ground truth is reported with its path")
    func badGroundTruthFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("truth.json").path
            try Data("{\"users\": []}".utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: EventDataError.self) { try GroundTruth.load(from: path) }
            do {
                _ = try GroundTruth.load(from: path)
            } catch {
                #expect(error.localizedDescription.hasPrefix(path))
            }
            #expect(throws: EventDataError.self) { try GroundTruth.load(from: path + ".missing") }
        }
    }

    // MARK: - Configuration

    @Test(
        "invalid configurations name the setting to fix",
        arguments: [
            (SimulationConfig(users: 0), "users"),
            (SimulationConfig(targetEvents: 0), "events"),
            (SimulationConfig(items: 3), "items"),
            (SimulationConfig(items: 10, categories: 11), "categories"),
            (SimulationConfig(days: 0), "days"),
            (SimulationConfig(botFraction: 1.5), "bot-fraction"),
            (SimulationConfig(botFraction: 0.5, fraudFraction: 0.3, churnFraction: 0.3), "bot-fraction"),
            (SimulationConfig(churnFraction: .nan), "churn-fraction"),
            (SimulationConfig(takeoverFraction: 1.5), "takeover-fraction"),
            (SimulationConfig(farmFraction: -0.01), "farm-fraction"),
            (
                SimulationConfig(botFraction: 0.3, fraudFraction: 0.3, churnFraction: 0.3, takeoverFraction: 0.2),
                "takeover-fraction"
            ),
            (SimulationConfig(churnFraction: 0.9, takeoverFraction: 0.05, farmFraction: 0.1), "farm-fraction"),
            (SimulationConfig(segments: 0), "segments"),
            (SimulationConfig(transitionProbability: -0.1), "transition-probability"),
            (SimulationConfig(start: Date(timeIntervalSince1970: -10)), "start"),
        ])
    func invalidConfiguration(config: SimulationConfig, parameter: String) {
        #expect {
            try BehaviorSimulator(config: config)
        } throws: { error in
            guard let problem = error as? InvalidParameter else { return false }
            return problem.parameter == parameter && error.localizedDescription.hasPrefix(parameter + " is ")
        }
    }

    @Test("tiny catalogues still get distinct successors")
    func tinyCatalogue() throws {
        let config = SimulationConfig(users: 5, items: 4, categories: 4, days: 2, successorsPerItem: 3)
        let truth = try BehaviorSimulator(config: config).generate { _ in }
        for item in truth.items {
            #expect(Set(item.successors).count == 3)
            #expect(!item.successors.contains(item.id))
        }
        #expect(truth.summary.events > 0)
    }
}
