/// One visit of a user: a run of events the source or the inactivity gap grouped together.
public struct Session: Sendable, Hashable, Codable {
    /// The session's number within its user, 0-based, in order of first event.
    public var number: Int
    /// The session id the source gave, or nil when the inactivity gap made the session.
    public var sourceID: String?
    /// The first event's time, in milliseconds since 1970-01-01 UTC.
    public var start: Int64
    /// The last event's time, in milliseconds since 1970-01-01 UTC.
    public var end: Int64
    /// Number of events in the session.
    public var eventCount: Int
    /// Sum of the events' durations in seconds, or nil when none of them carries one.
    public var totalDuration: Double?

    public init(number: Int, sourceID: String?, start: Int64, end: Int64, eventCount: Int, totalDuration: Double?) {
        self.number = number
        self.sourceID = sourceID
        self.start = start
        self.end = end
        self.eventCount = eventCount
        self.totalDuration = totalDuration
    }

    /// Time in the session, in seconds: ``totalDuration`` when the events carry durations,
    /// otherwise `end - start` (so a single event without a duration dwells 0 s).
    public var dwell: Double { totalDuration ?? Double(end - start) / 1000 }
}

/// One user's events split into sessions.
public struct UserSessions: Sendable, Hashable {
    /// The user's dense index (see ``UserHistory/user``).
    public var user: Int
    /// The sessions, in order of first event (``Session/number`` is the position here).
    public var sessions: [Session]
    /// For each event of the history, in the same order, the number of its session.
    public var sessionOfEvent: [Int]

    public init(user: Int, sessions: [Session], sessionOfEvent: [Int]) {
        self.user = user
        self.sessions = sessions
        self.sessionOfEvent = sessionOfEvent
    }
}

/// Splits a user's events into sessions by inactivity gap, keeping the sessions the source gave.
///
/// The two kinds of session never mix:
/// - Events that carry a source session id form one session per distinct id, whatever the
///   time between them (the source knows better than a gap).
/// - Events without one are sessionized among themselves: an event continues the session of
///   the previous event without a session id when at most ``gap`` separates them, and starts a
///   new session otherwise. Events with a source id in between neither split nor join them.
///
/// A gap of exactly ``gap`` continues the session; one millisecond more starts a new one.
///
/// ```swift
/// let sessionizer = try Sessionizer()  // 30 minutes
/// let split = sessionizer.sessionize(history)
/// print(split.sessions.count, split.sessions.map(\.dwell))
/// ```
public struct Sessionizer: Sendable, Hashable {
    /// The longest inactivity, in milliseconds, that still continues a session.
    public let gapMilliseconds: Int64

    /// - Parameter gap: The longest inactivity that still continues a session (30 minutes by
    ///   default), at millisecond precision.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `gap` is not positive.
    public init(gap: Duration = .seconds(30 * 60)) throws {
        let (seconds, attoseconds) = gap.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard gap > .zero, !milliseconds.overflow else {
            throw EventDataError.invalidOption(
                name: "Sessionizer.gap", detail: "must be a positive duration such as 30 minutes (got \(gap)).")
        }
        gapMilliseconds = milliseconds.partialValue + attoseconds / 1_000_000_000_000_000
    }

    /// Splits one user's time-ordered events into sessions.
    ///
    /// - Parameter history: The user's events, oldest first (as the store returns them).
    /// - Returns: The sessions in order of first event and each event's session number.
    public func sessionize(_ history: UserHistory) -> UserSessions {
        var sessions: [Session] = []
        var sessionOfEvent: [Int] = []
        sessionOfEvent.reserveCapacity(history.events.count)
        var sourceSessions: [String: Int] = [:]
        var lastGapSession: Int?

        for event in history.events {
            let number: Int
            if let sourceID = event.sessionID {
                if let existing = sourceSessions[sourceID] {
                    number = existing
                } else {
                    number = sessions.count
                    sourceSessions[sourceID] = number
                    sessions.append(Self.opening(number: number, sourceID: sourceID, at: event.timestamp))
                }
            } else if let last = lastGapSession, event.timestamp - sessions[last].end <= gapMilliseconds {
                number = last
            } else {
                number = sessions.count
                lastGapSession = number
                sessions.append(Self.opening(number: number, sourceID: nil, at: event.timestamp))
            }
            sessions[number].end = max(sessions[number].end, event.timestamp)
            sessions[number].eventCount += 1
            if let duration = event.duration {
                sessions[number].totalDuration = (sessions[number].totalDuration ?? 0) + duration
            }
            sessionOfEvent.append(number)
        }
        return UserSessions(user: history.user, sessions: sessions, sessionOfEvent: sessionOfEvent)
    }

    private static func opening(number: Int, sourceID: String?, at timestamp: Int64) -> Session {
        Session(number: number, sourceID: sourceID, start: timestamp, end: timestamp, eventCount: 0, totalDuration: nil)
    }
}
