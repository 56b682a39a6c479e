import Foundation
import Testing

@testable import EventData

@Suite("Activity series")
struct ActivitySeriesTests {
    static let day: Int64 = 86_400_000
    /// 2024-01-01T00:00:00Z.
    static let monday: Int64 = 1_704_067_200_000

    /// Three days of a tiny shop; nothing happens on the second day.
    static func store() throws -> SQLiteEventStore {
        let d = Self.day
        let t = Self.monday
        let store = try SQLiteEventStore.inMemory()
        let events = [
            storeEvent("a", t + 3_600_000, .view, item: "i1", category: "books"),
            storeEvent("a", t + 3_660_000, .purchase, item: "i1", value: 12.5, category: "books"),
            storeEvent("a", t + 7 * 3_600_000, .view, item: "i2", category: "toys"),  // a second session
            storeEvent("b", t + 2 * 3_600_000, .view, item: "i2", category: "toys"),
            storeEvent("b", t + 2 * d + 60_000, .purchase, item: "i2", value: 30, category: "toys"),
            storeEvent("c", t + 2 * d + 23 * 3_600_000, .search),
        ]
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map { .event($0) })))
        _ = try store.ingestAttributes(
            [AttributeRow(id: "a", values: ["segment:s": "1"]), AttributeRow(id: "b", values: ["segment:s": "2"])],
            kind: .user)
        return store
    }

    @Test("daily counts by hand, with the empty day as zeros, and the CSV")
    func daily() throws {
        let series = try ActivitySeries.compute(
            from: Self.store(), metrics: [.activeUsers, .sessions, .events(nil), .events("view"), .purchases, .revenue])
        #expect(series.start == Self.monday && series.count == 3)
        #expect(series.columns == ["dau", "sessions", "events", "events:view", "purchases", "revenue"])
        #expect(series.values[0] == [2, 0, 2])  // a and b, then b and c
        #expect(series.values[1] == [3, 0, 2])  // a twice (6 hours apart), b; then b, c
        #expect(series.values[2] == [4, 0, 2])
        #expect(series.values[3] == [3, 0, 0])
        #expect(series.values[4] == [1, 0, 1])
        #expect(series.values[5] == [12.5, 0, 30])
        #expect(
            series.csv()
                == "date,dau,sessions,events,events:view,purchases,revenue\n2024-01-01,2,3,4,3,1,12.5\n"
                + "2024-01-02,0,0,0,0,0,0\n2024-01-03,2,2,2,0,1,30\n")
    }

    @Test("per category and per user attribute; users without it form (none)")
    func grouped() throws {
        let store = try Self.store()
        let byCategory = try ActivitySeries.compute(
            from: store, metrics: [.activeUsers, .revenue], grouping: .category)
        #expect(
            byCategory.columns == [
                "dau:(none)", "dau:books", "dau:toys", "revenue:(none)", "revenue:books", "revenue:toys",
            ])
        #expect(byCategory.values[2] == [2, 0, 1])  // a and b touched toys on day 1
        #expect(byCategory.values[4] == [12.5, 0, 0])
        let bySegment = try ActivitySeries.compute(
            from: store, metrics: [.activeUsers], grouping: .userAttribute("segment:s"))
        #expect(bySegment.columns == ["dau:(none)", "dau:1", "dau:2"])
        #expect(bySegment.values == [[0, 0, 1], [1, 0, 0], [1, 0, 1]])
    }

    @Test("hourly periods, a cut-off time, and an empty result named as such")
    func hourlyAndUntil() throws {
        let store = try Self.store()
        let hourly = try ActivitySeries.compute(
            from: store, metrics: [.events(nil)], period: .hour, until: Self.monday + 3 * 3_600_000)
        #expect(hourly.start == Self.monday + 3_600_000 && hourly.values == [[2, 1]])
        #expect(SeriesPeriod.hour.label(hourly.periodStart(1)) == "2024-01-01T02:00:00Z")
        #expect(throws: EventDataError.self) {
            try ActivitySeries.compute(from: store, metrics: [.events(nil)], until: Self.monday - 1)
        }
        #expect(throws: EventDataError.self) { try ActivitySeries.compute(from: store, metrics: []) }
    }

    @Test("metric names read back and unknown ones are refused")
    func parsing() {
        for name in ["dau", "sessions", "events", "events:cart", "purchases", "revenue"] {
            #expect(ActivityMetric(parsing: name)?.description == name)
        }
        #expect(ActivityMetric(parsing: "active-users") == .activeUsers)
        #expect(ActivityMetric(parsing: "events:") == nil && ActivityMetric(parsing: "visits") == nil)
        #expect(SeriesPeriod.day.floor(Self.monday + 5) == Self.monday && SeriesPeriod.day.floor(-1) == -Self.day)
    }
}
