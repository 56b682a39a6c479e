import Testing

@testable import EventData

@Suite("Cleaning filters")
struct FilterTests {
    // MARK: k-core

    @Test("k-core peels users and items over several rounds until stable")
    func kCoreIterates() throws {
        // Given (k = 2 for both): u0 {10, 11}, u1 {10, 11}, u2 {11, 12}, u3 {12}
        // Round 1 removes u3 (1 item); round 2 removes item 12 (now only u2);
        // round 3 removes u2 (only 11 left); round 4 finds u0, u1, 10, 11 all at 2.
        let histories = [
            cleaningHistory(0, items: [10, 11]), cleaningHistory(1, items: [10, 11]),
            cleaningHistory(2, items: [11, 12]), cleaningHistory(3, items: [12]),
        ]
        let filter = try KCoreFilter(minimumUserInteractions: 2, minimumItemInteractions: 2)

        // When
        let result = filter.apply(to: histories)

        // Then
        #expect(result.histories == [histories[0], histories[1]])
        #expect(result.report.name == "k-core")
        #expect(result.report.measures["iterations"] == 3)
        #expect(result.report.usersRemoved == 2)
        #expect(result.report.itemsRemoved == 1)
        #expect(result.report.eventsRemoved == 3)
    }

    @Test("k-core counts distinct items, drops events on removed items and keeps events without an item")
    func kCoreDistinctPairs() throws {
        // u0 views 10 twice: one interaction, so it is removed with k = 2.
        // u1 {10, 20, 21} plus an item-less search; items 20 and 21 have one user and go with k_item = 2,
        // leaving u1 with item 10 (shared with u2) and its search.
        let histories = [
            cleaningHistory(0, items: [10, 10]),
            cleaningHistory(
                1,
                [
                    cleaningEvent(0, item: 10), cleaningEvent(1, item: 20), cleaningEvent(2, .search),
                    cleaningEvent(3, item: 21),
                ]),
            cleaningHistory(2, items: [10]),
        ]
        let filter = try KCoreFilter(minimumUserInteractions: 1, minimumItemInteractions: 2)
        let result = filter.apply(to: histories)
        #expect(result.histories.map(\.user) == [0, 1, 2])
        #expect(result.histories[1].events == [cleaningEvent(0, item: 10), cleaningEvent(2, .search)])
        #expect(result.report.itemsRemoved == 2 && result.report.eventsRemoved == 2)
        #expect(result.report.measures["iterations"] == 1)

        let strict = try KCoreFilter(minimumUserInteractions: 2, minimumItemInteractions: 1).apply(to: histories)
        #expect(strict.histories.map(\.user) == [1])
    }

    @Test("k-core on an already stable set removes nothing in 0 rounds")
    func kCoreStable() throws {
        let histories = [cleaningHistory(0, items: [1, 2]), cleaningHistory(1, items: [1, 2])]
        let result = try KCoreFilter(minimumUserInteractions: 2, minimumItemInteractions: 2).apply(to: histories)
        #expect(result.histories == histories)
        #expect(result.report.measures["iterations"] == 0)
        #expect(result.report.usersRemoved == 0 && result.report.eventsRemoved == 0)
    }

    // MARK: bots

    @Test("a user at exactly the per-minute bound is kept, one event more is removed")
    func botBound() throws {
        // Bound 5. u0: 5 events within 59.999 s. u1: 6 within 59.999 s. u2: 6, the last at exactly
        // +60 s, outside the window [0, 60 s) that holds the first five.
        let seconds: [Int64] = [0, 10_000, 20_000, 30_000, 40_000]
        let histories = [
            cleaningHistory(0, (seconds.dropLast() + [59_999]).map { cleaningEvent($0) }),
            cleaningHistory(1, (seconds + [59_999]).map { cleaningEvent($0) }),
            cleaningHistory(2, (seconds + [60_000]).map { cleaningEvent($0) }),
        ]
        #expect(histories.map { BotFilter.peakEventsPerMinute($0.events) } == [5, 6, 5])

        let result = try BotFilter(maximumEventsPerMinute: 5).apply(to: histories)

        #expect(result.histories.map(\.user) == [0, 2])
        #expect(result.report.usersRemoved == 1 && result.report.eventsRemoved == 6)
        #expect(result.report.measures == ["bots": 1, "highestRemovedPeak": 6])
        #expect(result.report.detail == "removed 1 users with more than 5 events in a minute (highest peak 6)")
    }

    @Test("the bot window slides: a burst across a minute boundary counts")
    func botSlidingWindow() {
        // 4 events at 50-53 s and 4 at 61-64 s: 8 within 14 s although no clock minute holds more than 4.
        let timestamps: [Int64] = [50_000, 51_000, 52_000, 53_000, 61_000, 62_000, 63_000, 64_000, 200_000]
        #expect(BotFilter.peakEventsPerMinute(timestamps.map { cleaningEvent($0) }) == 8)
        #expect(BotFilter.peakEventsPerMinute([]) == 0)
    }

    // MARK: event types

    @Test("event type filter drops other types, reports counts per type and removes emptied users")
    func eventTypes() throws {
        let histories = [
            cleaningHistory(
                0, [cleaningEvent(0), cleaningEvent(1, .click), cleaningEvent(2, .search), cleaningEvent(3, .click)]),
            cleaningHistory(1, [cleaningEvent(0, .search, item: 7)]),
            cleaningHistory(2, [cleaningEvent(0, .purchase, item: 7)]),
        ]
        let result = try EventTypeFilter(allowed: [.view, .purchase]).apply(to: histories)

        #expect(result.histories.map(\.user) == [0, 2])
        #expect(result.histories[0].events == [cleaningEvent(0)])
        #expect(result.report.measures == ["dropped.click": 2, "dropped.search": 2])
        #expect(result.report.detail == "dropped click 2, search 2")
        #expect(result.report.usersRemoved == 1 && result.report.eventsRemoved == 4 && result.report.itemsRemoved == 0)
    }

    // MARK: outlier cap

    @Test("nearest-rank percentile of a known list")
    func nearestRank() {
        // The list 15, 20, 35, 40, 50: the 30th and 40th percentiles are 20, the 50th 35, the 100th 50.
        let values: [Double] = [50, 15, 40, 20, 35]
        #expect(OutlierCap.nearestRank(30, of: values) == 20)
        #expect(OutlierCap.nearestRank(40, of: values) == 20)
        #expect(OutlierCap.nearestRank(50, of: values) == 35)
        #expect(OutlierCap.nearestRank(100, of: values) == 50)
        #expect(OutlierCap.nearestRank(5, of: values) == 15)
        #expect(OutlierCap.nearestRank(50, of: [.nan, .infinity]) == nil)
    }

    @Test("values above the percentile are capped to it and counted; others are untouched")
    func outlierCap() throws {
        // Values 1...10 over two users plus an event without value; the 90th percentile is 9.
        let histories = [
            cleaningHistory(0, [5, 1, 9, 3, 7].map { cleaningEvent(0, .purchase, value: $0) } + [cleaningEvent(1)]),
            cleaningHistory(1, [2, 8, 4, 10, 6].map { cleaningEvent(0, .purchase, value: $0) }),
        ]
        let result = try OutlierCap(percentile: 90).apply(to: histories)

        #expect(result.histories[1].events.map(\.value) == [2, 8, 4, 9, 6])
        #expect(result.histories[0] == histories[0])
        #expect(result.report.measures == ["cap": 9, "capped": 1])
        #expect(result.report.eventsChanged == 1 && result.report.eventsRemoved == 0 && result.report.usersRemoved == 0)

        let median = try OutlierCap(percentile: 50).apply(to: histories)
        #expect(median.report.measures == ["cap": 5, "capped": 5])
    }

    @Test("the cap can be limited to some event types")
    func outlierCapTypes() throws {
        let histories = [
            cleaningHistory(0, [cleaningEvent(0, .rating, value: 5), cleaningEvent(1, .purchase, value: 1000)]),
            cleaningHistory(1, [cleaningEvent(0, .purchase, value: 10), cleaningEvent(1, .purchase, value: 20)]),
        ]
        let result = try OutlierCap(percentile: 50, eventTypes: [.purchase]).apply(to: histories)
        #expect(result.histories.flatMap { $0.events.map(\.value) } == [5, 20, 10, 20])
        #expect(result.report.measures == ["cap": 20, "capped": 1])
    }

    // MARK: options

    @Test("bounds that cannot work are refused, naming the parameter")
    func invalidOptions() {
        #expect(
            throws: EventDataError.invalidOption(
                name: "KCoreFilter.minimumItemInteractions", detail: "must be at least 1 (got 0).")
        ) {
            try KCoreFilter(minimumUserInteractions: 1, minimumItemInteractions: 0)
        }
        #expect(throws: EventDataError.self) { try BotFilter(maximumEventsPerMinute: 0) }
        #expect(throws: EventDataError.self) { try EventTypeFilter(allowed: []) }
        #expect(throws: EventDataError.self) { try OutlierCap(percentile: 0) }
        #expect(throws: EventDataError.self) { try OutlierCap(percentile: 100.5) }
    }

    // MARK: pipeline

    @Test("the pipeline runs filters in order and returns one report each")
    func pipelineOrder() throws {
        // u0 viewed item 1 and clicked item 2; u1 viewed item 1.
        let histories = [
            cleaningHistory(0, [cleaningEvent(0, item: 1), cleaningEvent(1, .click, item: 2)]),
            cleaningHistory(1, [cleaningEvent(0, item: 1)]),
        ]
        let views = try EventTypeFilter(allowed: [.view])
        let kCore = try KCoreFilter(minimumUserInteractions: 2, minimumItemInteractions: 1)

        // Views first: u0 is left with one item and the k-core removes everyone.
        let typesFirst = CleaningPipeline([views, kCore]).run(histories)
        #expect(typesFirst.histories.isEmpty)
        #expect(typesFirst.reports.map(\.name) == ["event-types", "k-core"])
        #expect(typesFirst.reports.map(\.usersRemoved) == [0, 2])

        // k-core first: u0 has two items and stays, then loses its click.
        let kCoreFirst = CleaningPipeline([kCore, views]).run(histories)
        #expect(kCoreFirst.histories == [cleaningHistory(0, [cleaningEvent(0, item: 1)])])
        #expect(kCoreFirst.reports.map(\.name) == ["k-core", "event-types"])
        #expect(kCoreFirst.reports.map(\.eventsRemoved) == [1, 1])
        #expect(kCoreFirst.reports.map(\.itemsRemoved) == [0, 1])
    }

    @Test("an empty pipeline returns its input and no reports")
    func emptyPipeline() {
        let histories = [cleaningHistory(0, items: [1])]
        let result = CleaningPipeline([]).run(histories)
        #expect(result.histories == histories && result.reports.isEmpty)
    }
}
