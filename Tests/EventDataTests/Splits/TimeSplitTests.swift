import Testing

@testable import EventData

/// A stored event at `timestamp` (source 1, line `line`).
func splitEvent(_ timestamp: Int64, _ type: EventType = .view, item: Int? = nil, line: Int = 0) -> StoredEvent {
    StoredEvent(timestamp: timestamp, type: type, item: item, sourceID: 1, line: line)
}

/// A history for user `user` (external id `u<user>`).
func splitHistory(_ user: Int, _ events: [StoredEvent]) -> UserHistory {
    UserHistory(user: user, userID: "u\(user)", events: events)
}

@Suite("TimeSplit")
struct TimeSplitTests {
    @Test("an event exactly at a cut point belongs to the later part")
    func boundaries() throws {
        let split = try TimeSplit(validationStart: 100, testStart: 200)
        #expect(split.part(of: 99) == .train)
        #expect(split.part(of: 100) == .validation)
        #expect(split.part(of: 199) == .validation)
        #expect(split.part(of: 200) == .test)
        #expect(split.part(of: Int64.min) == .train)
        #expect(split.part(of: Int64.max) == .test)
    }

    @Test("a history splits into three histories of the same user keeping stored order")
    func historySplit() throws {
        // Given two events tied at 150 in input order (lines 2, 3)
        let split = try TimeSplit(validationStart: 100, testStart: 200)
        let history = splitHistory(
            4,
            [
                splitEvent(10, line: 1), splitEvent(150, .cart, line: 2), splitEvent(150, .view, line: 3),
                splitEvent(200, .purchase, line: 4), splitEvent(250, line: 5),
            ])

        // When
        let parts = split.split(history)

        // Then
        #expect(parts.train.events.map(\.line) == [1])
        #expect(parts.validation.events.map(\.line) == [2, 3])
        #expect(parts.test.events.map(\.line) == [4, 5])
        #expect(parts.test.user == 4 && parts.test.userID == "u4")
        #expect(parts[.validation] == parts.validation)
    }

    @Test("raw events split by time and many histories keep only users with events in the part")
    func eventsAndHistories() throws {
        let split = try TimeSplit(validationStart: 100, testStart: 200)
        let events = [
            Event(userID: "a", timestamp: 300, type: .view), Event(userID: "b", timestamp: 5, type: .view),
            Event(userID: "c", timestamp: 100, type: .view),
        ]
        let parts = split.split(events)
        #expect(parts.train.map(\.userID) == ["b"])
        #expect(parts.validation.map(\.userID) == ["c"])
        #expect(parts.test.map(\.userID) == ["a"])

        let histories = split.split([
            splitHistory(0, [splitEvent(1), splitEvent(250)]), splitHistory(1, [splitEvent(150)]),
        ])
        #expect(histories.train.map(\.user) == [0])
        #expect(histories.validation.map(\.user) == [1])
        #expect(histories.test.map(\.user) == [0])
    }

    @Test("cut points from fractions of the range: 1000 ms at 0.7 / 0.2 / 0.1 cut at 700 and 900")
    func fractionsOfRange() throws {
        // n = 999 - 0 + 1 = 1000 ms; round(1000 * 0.7) = 700; round(1000 * 0.9) = 900
        let fractions = try SplitFractions(train: 0.7, validation: 0.2, test: 0.1)
        let split = try TimeSplit(fractions: fractions, of: 0...999)
        #expect(split.validationStart == 700 && split.testStart == 900)

        // A zero test share puts the test start just past the range.
        let noTest = try TimeSplit(fractions: SplitFractions(train: 0.5, validation: 0.5, test: 0), of: 1000...1999)
        #expect(noTest.validationStart == 1500 && noTest.testStart == 2000)
        #expect(noTest.part(of: 1999) == .validation)
    }

    @Test("cut points from quantiles of event times: 10 times at 0.6 / 0.2 / 0.2")
    func quantiles() throws {
        // Sorted times 0, 10, ..., 90; round(10 * 0.6) = 6 -> 60; round(10 * 0.8) = 8 -> 80
        let times: [Int64] = [90, 0, 50, 10, 80, 20, 70, 30, 60, 40]
        let split = try TimeSplit(quantiles: SplitFractions(train: 0.6, validation: 0.2, test: 0.2), of: times)
        #expect(split.validationStart == 60 && split.testStart == 80)
        let counts = Dictionary(grouping: times, by: split.part(of:)).mapValues(\.count)
        #expect(counts == [.train: 6, .validation: 2, .test: 2])

        // Everything in train: the cut is just past the last time.
        let allTrain = try TimeSplit(quantiles: SplitFractions(train: 1, validation: 0, test: 0), of: times)
        #expect(allTrain.validationStart == 91 && allTrain.testStart == 91)
    }

    @Test("bad cut points and fractions are errors that say what to do")
    func errors() throws {
        #expect(throws: EventDataError.self) { try TimeSplit(validationStart: 200, testStart: 100) }
        #expect(throws: EventDataError.self) { try SplitFractions(train: 0.8, validation: 0.1, test: 0.2) }
        #expect(throws: EventDataError.self) { try SplitFractions(train: -0.1, validation: 0.6, test: 0.5) }
        #expect(throws: EventDataError.self) { try SplitFractions(train: .nan, validation: 0.5, test: 0.5) }
        let fractions = try SplitFractions(train: 0.8, validation: 0.1, test: 0.1)
        #expect(throws: EventDataError.self) { try TimeSplit(quantiles: fractions, of: [Int64]()) }
        #expect(throws: EventDataError.self) { try TimeSplit(fractions: fractions, of: Int64.min...Int64.max) }
        #expect(
            throws: EventDataError.invalidOption(
                name: "SplitFractions",
                detail: "train, validation and test must sum to 1, such as 0.8, 0.1, 0.1 (got 1.5).")
        ) { try SplitFractions(train: 0.5, validation: 0.5, test: 0.5) }
        let message = EventDataError.invalidOption(
            name: "TimeSplit.quantiles", detail: "needs at least one event time; ingest events first.")
        #expect(
            message.localizedDescription == "TimeSplit.quantiles: needs at least one event time; ingest events first.")
    }
}

@Suite("LeaveOneOutSplit")
struct LeaveOneOutSplitTests {
    @Test("last item is the test target, second-to-last the validation target, the rest train")
    func handComputed() {
        // Given items 5, 7, 9, 11 with an event without an item in between
        let history = splitHistory(
            2,
            [
                splitEvent(1, item: 5), splitEvent(2, item: 7), splitEvent(3, .search), splitEvent(4, item: 9),
                splitEvent(5, item: 11),
            ])

        // When
        let user = LeaveOneOutSplit().split(history)

        // Then
        #expect(user.user == 2)
        #expect(user.train == [5, 7])
        #expect(user.validation == NextItemExample(history: [5, 7], target: 9))
        #expect(user.test == NextItemExample(history: [5, 7, 9], target: 11))
    }

    @Test("exactly three items give one training item; fewer than three only train")
    func shortHistories() {
        let split = LeaveOneOutSplit()
        let three = split.split(
            splitHistory(0, [splitEvent(1, item: 1), splitEvent(2, item: 2), splitEvent(3, item: 3)]))
        #expect(three.train == [1])
        #expect(three.validation?.target == 2 && three.test?.target == 3)

        let two = split.split(splitHistory(1, [splitEvent(1, item: 1), splitEvent(2, item: 2)]))
        #expect(two.train == [1, 2] && two.validation == nil && two.test == nil)

        // Users without item events are left out of the batch form.
        let users = split.split([splitHistory(0, [splitEvent(1, .search)]), splitHistory(1, [splitEvent(1, item: 4)])])
        #expect(users.map(\.user) == [1])
    }

    @Test("ties keep stored order and event types can be restricted")
    func tiesAndTypes() {
        // Items 3 and 1 share a timestamp; stored order (3 before 1) decides.
        let history = splitHistory(
            0,
            [
                splitEvent(10, .purchase, item: 8), splitEvent(20, .purchase, item: 3),
                splitEvent(20, .purchase, item: 1),
                splitEvent(30, .view, item: 6),
            ])
        let all = LeaveOneOutSplit().split(history)
        #expect(all.validation?.target == 1 && all.test?.target == 6)
        let purchases = LeaveOneOutSplit(eventTypes: [.purchase]).split(history)
        #expect(purchases.train == [8])
        #expect(purchases.validation?.target == 3 && purchases.test == NextItemExample(history: [8, 3], target: 1))
    }
}
