/// Where events live after ingest: the one interface the CLI and the pipeline (cleaning,
/// sessions, features, sequences) use, so that another backend (PostgreSQL) can be added
/// without touching them. ``SQLiteEventStore`` is the embedded implementation.
///
/// Identifiers are strings on the way in and dense 0-based integers inside: ``userIDs()`` and
/// ``itemIDs()`` map between the two and stay stable across ingests (new ids are appended).
///
/// An event's identity, used for de-duplication, is (user, timestamp, type, item, value,
/// session): ingesting an event equal to a stored one in all six adds nothing and counts as a
/// duplicate, so re-ingesting a file is harmless. Duration, category and properties describe
/// an event but do not identify it; the first stored copy keeps them. With
/// ``IngestOptions/keepDuplicateRows`` the second, third, ... identical row of one source are
/// further copies rather than duplicates. Rejected rows are kept once per source name, line,
/// kind and raw text, so re-ingesting a file does not keep its rejects twice either.
///
/// ```swift
/// let store = try SQLiteEventStore(path: "behavior.db")
/// let summary = try store.ingest(reader)
/// print(summary.stored, summary.duplicates, summary.rejected)
/// try store.forEachUserHistory { history in print(history.userID, history.events.count) }
/// ```
public protocol EventStore: AnyObject {
    /// Where the store lives, for messages (a file path, a connection description).
    var location: String { get }

    /// Reads every row of `source` into the store.
    ///
    /// Every row is accounted for: `rowsRead == stored + duplicates + rejected`. Rejected rows
    /// are kept (see ``rejects(limit:)``) with their line, kind and reason. Rows the store
    /// cannot keep are rejected whatever the options: ids and event types with control
    /// characters (kind `bad_id`), a category with U+0000 or a NaN value (`bad_value`).
    ///
    /// - Parameters:
    ///   - source: The rows to store.
    ///   - options: Plausibility checks and whether identical rows are all kept.
    ///   - progress: Called every 50,000 rows or so and once at the end, on the calling thread;
    ///     it must not call back into the store (which is busy writing).
    /// - Returns: The row accounting of this ingest.
    /// - Throws: ``EventDataError`` when the source cannot be read or the store cannot be
    ///   written. Rows stored before the failure stay stored (re-ingesting after the fix adds
    ///   only the rest).
    func ingest(
        _ source: any EventSource, options: IngestOptions, progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary

    /// Stores a user or item attribute table (age, occupation, genres, price, ...).
    ///
    /// A later value for the same id and attribute name replaces the earlier one. Ids need not
    /// have events.
    ///
    /// - Returns: The number of (id, name, value) entries written.
    func ingestAttributes(_ table: [AttributeRow], kind: EntityKind) throws -> Int

    /// All attributes of users or items, by external id and then attribute name.
    func attributes(kind: EntityKind) throws -> [String: [String: String]]

    /// Counts and shapes of what is stored: users, items, events per type, sessions, date
    /// range, sparsity, interactions-per-user quantiles, rejects, sources.
    func describe() throws -> StoreDescription

    /// The user dictionary: dense index (0-based, as in ``UserHistory/user``) to external id.
    func userIDs() throws -> Vocabulary

    /// The item dictionary: dense index (as in ``StoredEvent/item``) to external id.
    func itemIDs() throws -> Vocabulary

    /// One user's events in time order (ties in input order), or none if the id is unknown.
    func events(forUser userID: String) throws -> [StoredEvent]

    /// Calls `body` once per user with events, in dense-index order, each history in time
    /// order (ties in input order).
    ///
    /// Streams: only a block of users is in memory at a time, and `body` runs outside any
    /// database access, so it may call back into the store.
    func forEachUserHistory(_ body: (UserHistory) throws -> Void) throws

    /// Stored rejected rows, oldest ingest first and by line, at most `limit` of them.
    func rejects(limit: Int) throws -> [StoredRejection]

    /// Stores a named set of per-user vectors (embeddings), replacing any set of that name, so
    /// other models and queries can use them.
    ///
    /// - Parameters:
    ///   - vectors: Vectors by external user id (users need not have events).
    ///   - name: The set's name, like `vae-2024-03-01`.
    func storeUserVectors(_ vectors: [String: [Float]], name: String) throws

    /// The vectors of the set `name` by external user id; empty when there is no such set.
    func userVectors(name: String) throws -> [String: [Float]]

    /// The names of the stored vector sets, sorted.
    func userVectorSetNames() throws -> [String]

    /// Deletes everything the store holds about `users` (external ids, clear or pseudonymous)
    /// and records the erasure, without the ids, in its erasure log.
    ///
    /// Events, user attributes (segment labels and anomaly flags included), stored user vectors
    /// and rejected rows whose raw text names a user as a field are deleted. The user's
    /// dictionary entry is renamed to a random placeholder, so every other dense id stays as
    /// it was. Ids the store does not hold are skipped. Processes that had the store open
    /// keep the old dictionary in memory until they reopen it.
    ///
    /// - Returns: What was removed, with the erased users' first and last event times (which
    ///   are not stored).
    func forget(users: [String]) throws -> Erasure

    /// The erasure log, oldest first.
    func erasures() throws -> [Erasure]
}

extension EventStore {
    /// Reads every row of `source` into the store with default options (no plausibility
    /// checks, identical rows merged) and without progress reports.
    public func ingest(_ source: any EventSource) throws -> IngestSummary {
        try ingest(source, options: IngestOptions(), progress: nil)
    }

    /// Reads every row of `source` into the store with default options (no plausibility
    /// checks, identical rows merged).
    public func ingest(_ source: any EventSource, progress: ((IngestProgress) -> Void)?) throws -> IngestSummary {
        try ingest(source, options: IngestOptions(), progress: progress)
    }

    /// Reads every row of `source` into the store without progress reports.
    public func ingest(_ source: any EventSource, options: IngestOptions) throws -> IngestSummary {
        try ingest(source, options: options, progress: nil)
    }
}

/// Whether an attribute table describes users or items.
public enum EntityKind: String, Sendable, Hashable, Codable, CaseIterable {
    case user
    case item
}

/// One row of an attribute table: an external id and its named values.
public struct AttributeRow: Sendable, Hashable, Codable {
    /// The user's or item's identifier in the source system.
    public var id: String
    /// Attribute values by name (`age`, `genres`, `price`, ...).
    public var values: [String: String]

    public init(id: String, values: [String: String]) {
        self.id = id
        self.values = values
    }
}

/// A dictionary between dense 0-based indexes and external identifiers.
public struct Vocabulary: Sendable, Hashable {
    /// External identifiers by dense index.
    public private(set) var externalIDs: [String]
    /// Dense indexes by external identifier.
    package private(set) var indexes: [String: Int]

    /// Builds the dictionary; `externalIDs[i]` gets index `i`.
    public init(externalIDs: [String]) {
        self.externalIDs = externalIDs
        var indexes = [String: Int](minimumCapacity: externalIDs.count)
        for (index, id) in externalIDs.enumerated() { indexes[id] = index }
        self.indexes = indexes
    }

    /// Number of entries.
    public var count: Int { externalIDs.count }

    /// The external identifier of a dense index (which must be below ``count``).
    public subscript(index: Int) -> String { externalIDs[index] }

    /// The dense index of an external identifier, or nil if it is not in the dictionary.
    public func index(of externalID: String) -> Int? { indexes[externalID] }

    /// The dictionary with `ids` added after the last entry (the next dense indexes).
    package func appending(_ ids: some Collection<String>) -> Vocabulary {
        var extended = self
        extended.externalIDs.append(contentsOf: ids)
        for (offset, id) in ids.enumerated() { extended.indexes[id] = count + offset }
        return extended
    }
}

/// An event as the store returns it: identifiers as dense indexes, plus where it came from.
public struct StoredEvent: Sendable, Hashable {
    /// When it happened, in milliseconds since 1970-01-01 UTC.
    public var timestamp: Int64
    /// What happened.
    public var type: EventType
    /// The item's dense index (see ``EventStore/itemIDs()``), if the event names one.
    public var item: Int?
    /// The session id the source gave, if any.
    public var sessionID: String?
    /// A price, amount or rating.
    public var value: Double?
    /// Dwell time in seconds.
    public var duration: Double?
    /// The item's or page's category.
    public var category: String?
    /// Other columns the source carried.
    public var properties: [String: String]
    /// The ingest that stored the event (see ``SourceRecord/id``).
    public var sourceID: Int64
    /// The event's line in that source.
    public var line: Int

    public init(
        timestamp: Int64, type: EventType, item: Int? = nil, sessionID: String? = nil, value: Double? = nil,
        duration: Double? = nil, category: String? = nil, properties: [String: String] = [:], sourceID: Int64,
        line: Int
    ) {
        self.timestamp = timestamp
        self.type = type
        self.item = item
        self.sessionID = sessionID
        self.value = value
        self.duration = duration
        self.category = category
        self.properties = properties
        self.sourceID = sourceID
        self.line = line
    }
}

/// All events of one user, in time order (ties in input order).
public struct UserHistory: Sendable, Hashable {
    /// The user's dense index (see ``EventStore/userIDs()``).
    public var user: Int
    /// The user's identifier in the source system.
    public var userID: String
    /// The events, oldest first.
    public var events: [StoredEvent]

    public init(user: Int, userID: String, events: [StoredEvent]) {
        self.user = user
        self.userID = userID
        self.events = events
    }
}

/// A rejected row as kept by the store.
public struct StoredRejection: Sendable, Hashable, Codable {
    /// The ingest it came from (see ``SourceRecord/id``).
    public var sourceID: Int64
    /// That ingest's source name (usually the file path).
    public var source: String
    /// The line, kind, reason and raw text.
    public var rejection: RowRejection

    public init(sourceID: Int64, source: String, rejection: RowRejection) {
        self.sourceID = sourceID
        self.source = source
        self.rejection = rejection
    }
}

/// Where an ingest has got to.
public struct IngestProgress: Sendable, Hashable {
    /// Rows read from the source so far.
    public var rowsRead: Int
    /// Events stored among the rows already written (the writer may lag a little behind the
    /// reader).
    public var stored: Int
    /// Duplicates among the rows already written.
    public var duplicates: Int
    /// Rejected rows among the rows already written.
    public var rejected: Int
    /// Seconds since the ingest started.
    public var seconds: Double

    public init(rowsRead: Int, stored: Int, duplicates: Int, rejected: Int, seconds: Double) {
        self.rowsRead = rowsRead
        self.stored = stored
        self.duplicates = duplicates
        self.rejected = rejected
        self.seconds = seconds
    }

    /// Rows read per second so far.
    public var rowsPerSecond: Double { seconds > 0 ? Double(rowsRead) / seconds : 0 }
}

/// The row accounting of one ingest: `rowsRead == stored + duplicates + rejected`.
public struct IngestSummary: Sendable, Hashable, Codable {
    /// The source's name (usually the file path).
    public var source: String
    /// The id the store gave this ingest (see ``SourceRecord/id``).
    public var sourceID: Int64
    /// Input rows, each of which became exactly one of the next three.
    public var rowsRead: Int
    /// Events added to the store.
    public var stored: Int
    /// Events equal to one already stored (from an earlier ingest or earlier in this source),
    /// merged into it.
    public var duplicates: Int
    /// Of ``duplicates``, the rows identical to an earlier row of this same ingest (exact
    /// repeats within the source, which a log without event ids may hold on purpose; see
    /// ``IngestOptions/keepDuplicateRows``). The rest were stored by earlier ingests.
    public var repeatedRows: Int
    /// Rows that could not become events.
    public var rejected: Int
    /// Of ``rejected``, the rows whose rejection an earlier ingest of a source with the same
    /// name already kept (same line, kind and raw text); they are not kept twice.
    public var knownRejects: Int
    /// Rejected rows by kind (`bad_timestamp`, `missing_field`, ...).
    public var rejectsByKind: [String: Int]
    /// The first few rejected rows, to show what went wrong (all are kept in the store).
    public var rejectExamples: [RowRejection]
    /// Users seen for the first time.
    public var newUsers: Int
    /// Items seen for the first time.
    public var newItems: Int
    /// Wall-clock duration of the ingest.
    public var seconds: Double

    public init(
        source: String, sourceID: Int64, rowsRead: Int, stored: Int, duplicates: Int, rejected: Int,
        rejectsByKind: [String: Int], rejectExamples: [RowRejection], newUsers: Int, newItems: Int, seconds: Double,
        repeatedRows: Int = 0, knownRejects: Int = 0
    ) {
        self.source = source
        self.sourceID = sourceID
        self.rowsRead = rowsRead
        self.stored = stored
        self.duplicates = duplicates
        self.repeatedRows = repeatedRows
        self.rejected = rejected
        self.knownRejects = knownRejects
        self.rejectsByKind = rejectsByKind
        self.rejectExamples = rejectExamples
        self.newUsers = newUsers
        self.newItems = newItems
        self.seconds = seconds
    }

    /// Rows read per second.
    public var rowsPerSecond: Double { seconds > 0 ? Double(rowsRead) / seconds : 0 }
}
