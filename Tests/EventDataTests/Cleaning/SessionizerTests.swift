import Testing

@testable import EventData

@Suite("Sessionizer")
struct SessionizerTests {
    private let minute: Int64 = 60_000

    @Test("a gap of exactly 30 minutes continues the session, 30 minutes and 1 ms starts a new one")
    func gapBoundary() throws {
        // Given events at 0, +30 min, then +30 min 1 ms after that
        let sessionizer = try Sessionizer()
        let history = cleaningHistory(
            0, [cleaningEvent(0), cleaningEvent(30 * minute), cleaningEvent(60 * minute + 1)])

        // When
        let split = sessionizer.sessionize(history)

        // Then
        #expect(split.sessionOfEvent == [0, 0, 1])
        #expect(split.sessions.count == 2)
        #expect(split.sessions[0].start == 0 && split.sessions[0].end == 30 * minute)
        #expect(split.sessions[0].eventCount == 2)
        #expect(split.sessions[1].start == 60 * minute + 1 && split.sessions[1].eventCount == 1)
    }

    @Test("a custom gap is used at millisecond precision")
    func customGap() throws {
        let sessionizer = try Sessionizer(gap: .milliseconds(1500))
        #expect(sessionizer.gapMilliseconds == 1500)
        let split = sessionizer.sessionize(
            cleaningHistory(0, [cleaningEvent(0), cleaningEvent(1500), cleaningEvent(3001)]))
        #expect(split.sessionOfEvent == [0, 0, 1])
    }

    @Test("source session ids group their events whatever the gap and never mix with gap sessions")
    func sourceIDsRespected() throws {
        // Given: "a" spans two hours; unlabelled events sit between its events, 10 min apart
        let sessionizer = try Sessionizer()
        let history = cleaningHistory(
            0,
            [
                cleaningEvent(0, session: "a"),
                cleaningEvent(10 * minute),
                cleaningEvent(20 * minute, session: "b"),
                cleaningEvent(25 * minute),
                cleaningEvent(120 * minute, session: "a"),
            ])

        // When
        let split = sessionizer.sessionize(history)

        // Then: a = 0, the unlabelled pair = 1 (b in between does not split it), b = 2
        #expect(split.sessionOfEvent == [0, 1, 2, 1, 0])
        #expect(split.sessions.map(\.sourceID) == ["a", nil, "b"])
        #expect(split.sessions.map(\.eventCount) == [2, 2, 1])
        #expect(split.sessions[0].start == 0 && split.sessions[0].end == 120 * minute)
        #expect(split.sessions[1].start == 10 * minute && split.sessions[1].end == 25 * minute)
        #expect(split.sessions.map(\.number) == [0, 1, 2])
    }

    @Test("single-event sessions dwell their duration, or 0 s without one")
    func singleEventSessions() throws {
        let sessionizer = try Sessionizer()
        let history = cleaningHistory(0, [cleaningEvent(0, duration: 12.5), cleaningEvent(90 * minute)])

        let split = sessionizer.sessionize(history)

        #expect(split.sessions.count == 2)
        #expect(split.sessions[0].totalDuration == 12.5 && split.sessions[0].dwell == 12.5)
        #expect(split.sessions[1].totalDuration == nil && split.sessions[1].dwell == 0)
    }

    @Test("dwell sums durations when events carry them, otherwise spans end minus start")
    func dwell() throws {
        let sessionizer = try Sessionizer()
        let withDurations = cleaningHistory(0, [cleaningEvent(0, duration: 4), cleaningEvent(minute, duration: 6)])
        let withoutDurations = cleaningHistory(1, [cleaningEvent(0), cleaningEvent(2 * minute)])

        #expect(sessionizer.sessionize(withDurations).sessions.map(\.dwell) == [10])
        #expect(sessionizer.sessionize(withoutDurations).sessions.map(\.dwell) == [120])
    }

    @Test("an empty history has no sessions")
    func emptyHistory() throws {
        let split = try Sessionizer().sessionize(cleaningHistory(3, []))
        #expect(split.user == 3 && split.sessions.isEmpty && split.sessionOfEvent.isEmpty)
    }

    @Test("a gap that is not positive is refused with its name")
    func invalidGap() {
        #expect(
            throws: EventDataError.invalidOption(
                name: "Sessionizer.gap", detail: "must be a positive duration such as 30 minutes (got 0.0 seconds).")
        ) {
            try Sessionizer(gap: .zero)
        }
    }
}
