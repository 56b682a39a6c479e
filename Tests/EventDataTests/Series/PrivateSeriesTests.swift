import Foundation
import PrivacyAccounting
import Randomness
import Testing

@testable import EventData

@Suite("Private activity series")
struct PrivateSeriesTests {
    static let day = ActivitySeriesTests.day
    static let monday = ActivitySeriesTests.monday

    /// User a: 10 views on day 0 and one on days 1-4; user b: a purchase of 500 on day 2.
    static func store() throws -> SQLiteEventStore {
        let store = try SQLiteEventStore.inMemory()
        var events = (0..<10).map { storeEvent("a", monday + 3_600_000 + Int64($0) * 60_000, .view, item: "i1") }
        events += (1...4).map { storeEvent("a", monday + Int64($0) * day + 3_600_000, .view, item: "i2") }
        events.append(storeEvent("b", monday + 2 * day + 60_000, .purchase, item: "i2", value: 500))
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map { .event($0) })))
        return store
    }

    /// Almost no noise (ε 2000 under RDP), so the bounded sums show through.
    static func nearlyExact(maxPeriods: Int? = nil) -> SeriesPrivacy {
        SeriesPrivacy(
            epsilon: 2000, accountant: .rdp, maxPerPeriod: 3, maxRevenue: 100, maxPeriods: maxPeriods, noiseSeed: 1)
    }

    @Test("a given window fixes both ends of the span, quiet periods included")
    func window() throws {
        let series = try ActivitySeries.compute(
            from: Self.store(), metrics: [.events(nil)], from: Self.monday - 2 * Self.day,
            until: Self.monday + 6 * Self.day + 5)  // ends with day 6
        #expect(series.start == Self.monday - 2 * Self.day && series.count == 9)
        #expect(series.values[0] == [0, 0, 10, 1, 2, 1, 1, 0, 0])
        #expect(series.privacy == nil)
        let tail = try ActivitySeries.compute(from: Self.store(), metrics: [.events(nil)], from: Self.monday + Self.day)
        #expect(tail.start == Self.monday + Self.day && tail.values[0] == [1, 2, 1, 1])
    }

    @Test("each user adds at most the bounds to a period: 1 active, 3 events, revenue clipped")
    func bounds() throws {
        let series = try ActivitySeries.compute(
            from: Self.store(), metrics: [.activeUsers, .events(nil), .revenue], from: Self.monday,
            until: Self.monday + 5 * Self.day, privacy: Self.nearlyExact(maxPeriods: 5))
        let rounded = series.values.map { $0.map { $0.rounded() } }
        #expect(rounded[0] == [1, 1, 2, 1, 1])
        #expect(rounded[1] == [3, 1, 2, 1, 1])  // a's 10 views count 3
        // b's 500 counts 100; the noise of a bound of 100 is about 5 here.
        #expect(zip(series.values[2], [0.0, 0, 100, 0, 0]).allSatisfy { abs($0 - $1) < 25 })
        let statement = try #require(series.privacy)
        #expect(statement.periods == 5 && statement.maxPeriods == 5)
        #expect(statement.columns.map(\.bound) == [1, 3, 100] && statement.columns.allSatisfy { !$0.chosen })
        #expect(statement.boundEpsilon == 0)
        // Three metrics over five periods: sensitivity √15 in units of each column's bound.
        for column in statement.columns {
            #expect(abs(column.noise - statement.noiseMultiplier * 15.0.squareRoot() * column.bound) < 1e-12)
        }
    }

    @Test("a user counts in at most max-periods periods, chosen among their active ones")
    func maxPeriods() throws {
        let series = try ActivitySeries.compute(
            from: Self.store(), metrics: [.activeUsers], from: Self.monday, until: Self.monday + 5 * Self.day,
            privacy: Self.nearlyExact(maxPeriods: 2))
        let rounded = series.values[0].map { $0.rounded() }
        // a keeps 2 of 5 active days, b its one day: 3 in all, and day 2 has b.
        #expect(rounded.reduce(0, +) == 3)
        #expect(rounded[2] >= 1)
        #expect(series.privacy?.maxPeriods == 2)
    }

    @Test("the noise has the stated spread, one Gaussian release calibrated by PLD")
    func noise() throws {
        let privacy = SeriesPrivacy(epsilon: 1, maxRevenue: 1, maxPeriods: 4_000, noiseSeed: 7)
        let store = try SQLiteEventStore.inMemory()
        let series = try ActivitySeries.compute(
            from: store, metrics: [.revenue], from: Self.monday, until: Self.monday + 4_000 * Self.day,
            privacy: privacy)
        let statement = try #require(series.privacy)
        // The analytic Gaussian mechanism (Balle and Wang 2018) needs σ = 3.7306 for ε 1, δ 1e-5.
        #expect(abs(statement.noiseMultiplier / 3.7306 - 1) < 0.005)
        let expected = statement.noiseMultiplier * 4000.0.squareRoot()
        #expect(abs(statement.columns[0].noise - expected) < 1e-9)
        let values = series.values[0]
        let mean = values.reduce(0, +) / Double(values.count)
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        #expect(abs(deviation / expected - 1) < 0.05)
        #expect(abs(mean) < 4 * expected / Double(values.count).squareRoot())
        let rdp = SeriesPrivacy(epsilon: 1, accountant: .rdp, maxRevenue: 1, maxPeriods: 1, noiseSeed: 7)
        let looser = try ActivitySeries.compute(
            from: store, metrics: [.revenue], from: Self.monday, until: Self.monday + 1, privacy: rdp)
        #expect(try #require(looser.privacy).noiseMultiplier > statement.noiseMultiplier)
    }

    @Test("a bound not given is chosen privately: the first of the grid to cover the quantile asked for")
    func chosenBound() throws {
        // 240 users, user i with i % 12 + 1 events on each of three days: a third of the users'
        // days have at most 4 events, half at most 6; the first bound to cover 45% is 6.
        let store = try SQLiteEventStore.inMemory()
        var events: [Event] = []
        for user in 0..<240 {
            for day in 0..<3 {
                for minute in 0...(user % 12) {
                    events.append(
                        storeEvent("u\(user)", Self.monday + Int64(day) * Self.day + Int64(minute) * 60_000, .view))
                }
            }
        }
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map { .event($0) })))
        let privacy = SeriesPrivacy(epsilon: 20, accountant: .rdp, boundQuantile: 0.45, maxPeriods: 3, noiseSeed: 2)
        let series = try ActivitySeries.compute(
            from: store, metrics: [.activeUsers, .events(nil)], from: Self.monday, until: Self.monday + 3 * Self.day,
            privacy: privacy)
        let statement = try #require(series.privacy)
        #expect(statement.columns.map(\.bound) == [1, 6] && statement.columns.map(\.chosen) == [false, true])
        #expect(abs(statement.boundEpsilon - 2) < 1e-12)
        // The rest of ε calibrates the noise; clipped at 6 the daily sum is 240 × 6 - 20 × (5 + 4 + 3 + 2 + 1).
        let rest = try NoiseCalibration.noiseMultiplier(
            targetEpsilon: 18, delta: privacy.delta, samplingRate: 1, steps: 1, accountant: .rdp)
        #expect(abs(statement.noiseMultiplier - rest) < 1e-9)
        #expect(series.values[1].allSatisfy { abs($0 - 1_140) < 5 * statement.columns[1].noise })
        #expect(statement.description.contains("events 6 (chosen)"))
    }

    @Test("the number of periods a user counts in is chosen privately too, near the quantile of users' active periods")
    func chosenPeriods() throws {
        // 200 users: user i active on i % 10 + 1 of ten days, so 40% are active on at most 4 and
        // 60% on at most 6; the first of 1, 2, 3, 4, 6, 8, 10 to cover 55% is 6.
        let store = try SQLiteEventStore.inMemory()
        var events: [Event] = []
        for user in 0..<200 {
            for day in 0...(user % 10) {
                events.append(storeEvent("u\(user)", Self.monday + Int64(day) * Self.day, .view))
            }
        }
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map { .event($0) })))
        let privacy = SeriesPrivacy(epsilon: 40, accountant: .rdp, boundQuantile: 0.55, noiseSeed: 3)
        let series = try ActivitySeries.compute(
            from: store, metrics: [.activeUsers], from: Self.monday, until: Self.monday + 10 * Self.day,
            privacy: privacy)
        let statement = try #require(series.privacy)
        #expect(statement.maxPeriods == 6 && statement.maxPeriodsChosen && statement.periods == 10)
        // Every user keeps up to 6 of their days: 200 × mean(min(i % 10 + 1, 6)) = 200 × 4.5 in all.
        #expect(abs(series.values[0].reduce(0, +) - 900) < 10 * statement.columns[0].noise)
        #expect(statement.description.contains("at most 6 (chosen) of the 10 days"))
    }

    @Test("the choice stops at the first candidate to reach the target, even where many cover everyone")
    func aboveThreshold() {
        let covered: [Double] = [0, 100, 480, 495, 500, 500, 500, 500, 500, 500]
        var generator = RandomGenerator(seed: 5)
        #expect(PrivateSums.choose(covered, target: 495, epsilon: 100, &generator) == 3)
        // With little budget the choice is noisy, but it does not drift to the end of the grid.
        let choices = (0..<400).map { _ in PrivateSums.choose(covered, target: 495, epsilon: 0.15, &generator) }
        #expect(choices.filter { $0 >= 8 }.count < 40)
        #expect(choices.filter { $0 <= 5 }.count > 200)
    }

    @Test("noisy counts stay at or above 0; a seed reproduces the noise; no seed draws a fresh one")
    func seeds() throws {
        let store = try Self.store()
        func make(_ seed: UInt64?) throws -> [Double] {
            var privacy = SeriesPrivacy(epsilon: 1, noiseSeed: seed)
            privacy.maxPeriods = 1
            return try ActivitySeries.compute(
                from: store, metrics: [.activeUsers], from: Self.monday, until: Self.monday + 31 * Self.day,
                privacy: privacy
            ).values[0]
        }
        let seeded = try make(3)
        #expect(seeded.allSatisfy { $0 >= 0 } && seeded.contains { $0 > 0 })
        #expect(try make(3) == seeded)
        #expect(try make(nil) != seeded)
    }

    @Test("refused: no span, a grouping, settings out of range")
    func refusals() throws {
        let store = try Self.store()
        func refuses(_ name: String, _ body: () throws -> ActivitySeries) {
            #expect {
                _ = try body()
            } throws: { error in
                guard case EventDataError.invalidOption(let option, let detail) = error else { return false }
                return option == name && !detail.isEmpty
            }
        }
        let budget = SeriesPrivacy(epsilon: 3)
        refuses("from") {
            try ActivitySeries.compute(from: store, metrics: [.activeUsers], until: Self.monday, privacy: budget)
        }
        refuses("until") {
            try ActivitySeries.compute(from: store, metrics: [.activeUsers], from: Self.monday, privacy: budget)
        }
        refuses("grouping") {
            try ActivitySeries.compute(
                from: store, metrics: [.activeUsers], grouping: .category, from: Self.monday, until: Self.monday + 1,
                privacy: budget)
        }
        for (name, privacy) in [
            ("dp-epsilon", SeriesPrivacy(epsilon: 0)), ("dp-delta", SeriesPrivacy(epsilon: 1, delta: 1)),
            ("dp-max-per-period", SeriesPrivacy(epsilon: 1, maxPerPeriod: 0.5)),
            ("dp-max-periods", SeriesPrivacy(epsilon: 1, maxPeriods: 0)),
            ("dp-max-revenue", SeriesPrivacy(epsilon: 1, maxRevenue: -1)),
            ("dp-bound-quantile", SeriesPrivacy(epsilon: 1, boundQuantile: 1)),
        ] {
            refuses(name) {
                try ActivitySeries.compute(
                    from: store, metrics: [.events(nil)], from: Self.monday, until: Self.monday + 1, privacy: privacy)
            }
        }
        refuses("from") {
            try ActivitySeries.compute(
                from: store, metrics: [.events(nil)], from: Self.monday, until: Self.monday)
        }
    }
}
