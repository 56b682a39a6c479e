/// A stream of events read from somewhere (a file, a simulator), row by row.
///
/// Readers never drop a row silently: each input row becomes exactly one ``SourceRow``,
/// either an event or a rejection that says which line and why.
public protocol EventSource {
    /// A short name for summaries and reject records (usually the file path).
    var name: String { get }

    /// Calls `body` once per input row, in input order.
    ///
    /// - Throws: ``EventDataError`` when the source as a whole cannot be read (missing file,
    ///   unreadable compression, no header where one is required); a bad row is reported
    ///   through `body` as ``SourceRow/rejected(_:)`` instead. Errors thrown by `body` are
    ///   rethrown as they are.
    func forEachRow(_ body: (SourceRow) throws -> Void) throws

    /// Whether the events' timestamps only order each user's events (a list of user-item pairs
    /// without times gets positions 0, 1, 2, ...), so checks on plausible times do not apply.
    var timesAreOrderOnly: Bool { get }
}

extension EventSource {
    public var timesAreOrderOnly: Bool { false }
}

/// One input row: an event, or the reason it could not become one.
public enum SourceRow: Sendable, Hashable {
    case event(Event, line: Int)
    case rejected(RowRejection)
}

/// A row that could not become an event.
public struct RowRejection: Sendable, Hashable, Codable {
    /// 1-based line number in the source (for multi-line quoted CSV records, the first line).
    public var line: Int
    /// Why, phrased so a user can fix the data (e.g. "timestamp 'yesterday' is not epoch
    /// seconds, epoch milliseconds or ISO-8601").
    public var reason: String
    /// A short machine-friendly category for counting (e.g. "bad_timestamp", "missing_field").
    public var kind: String
    /// The raw row text (truncated to 1,000 characters).
    public var raw: String

    public init(line: Int, reason: String, kind: String, raw: String) {
        self.line = line
        self.reason = reason
        self.kind = kind
        self.raw = raw.count > 1000 ? String(raw.prefix(1000)) : raw
    }
}

/// The events of another source inside a time range (rejected rows pass through): to ingest
/// a log in parts, as when new events arrive after a model was trained.
public struct TimeRangeSource: EventSource {
    public let source: any EventSource
    /// Event times kept, in milliseconds since 1970-01-01 UTC.
    public let range: Range<Int64>
    /// Called for each event left out (to count them).
    public let skipped: (() -> Void)?

    public init(_ source: any EventSource, range: Range<Int64>, skipped: (() -> Void)? = nil) {
        self.source = source
        self.range = range
        self.skipped = skipped
    }

    public var name: String { source.name }

    public var timesAreOrderOnly: Bool { source.timesAreOrderOnly }

    public func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        try source.forEachRow { row in
            if case .event(let event, _) = row, !range.contains(event.timestamp) {
                skipped?()
                return
            }
            try body(row)
        }
    }
}
