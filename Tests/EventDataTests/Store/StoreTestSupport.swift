import Foundation
import TestSupport
import Testing

@testable import EventData
@testable import PostgresStore

/// An in-memory ``EventSource``: the rows as given, optionally failing after some of them.
struct StoreTestSource: EventSource {
    var name: String
    var rows: [SourceRow]
    /// When set, `forEachRow` throws this after yielding `failAfter` rows.
    var failure: EventDataError?
    var failAfter = 0

    init(name: String = "memory", rows: [SourceRow], failure: EventDataError? = nil, failAfter: Int = 0) {
        self.name = name
        self.rows = rows
        self.failure = failure
        self.failAfter = failAfter
    }

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        for (index, row) in rows.enumerated() {
            if let failure, index == failAfter { throw failure }
            try body(row)
        }
    }
}

/// An event with the given fields (``storeRows(_:)`` gives it its line).
func storeEvent(
    _ user: String, _ timestamp: Int64, _ type: EventType = .view, item: String? = nil, session: String? = nil,
    value: Double? = nil, duration: Double? = nil, category: String? = nil, properties: [String: String] = [:]
) -> Event {
    Event(
        userID: user, timestamp: timestamp, type: type, itemID: item, sessionID: session, value: value,
        duration: duration, category: category, properties: properties)
}

/// Source rows from events and rejections, numbered 1, 2, 3, ... in the given order (a
/// rejection gets its position as line too).
func storeRows(_ entries: [StoreRow]) -> [SourceRow] {
    entries.enumerated().map { index, entry in
        switch entry {
        case .event(let event): return .event(event, line: index + 1)
        case .rejection(let kind, let reason):
            return .rejected(RowRejection(line: index + 1, reason: reason, kind: kind, raw: "raw \(index + 1)"))
        }
    }
}

/// A row for ``storeRows(_:)``.
enum StoreRow {
    case event(Event)
    case rejection(kind: String, reason: String)
}

/// A fresh directory under the system's temporary directory, removed by the caller.
func makeStoreTestDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("store-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The event store implementations the contract tests run on.
enum StoreBackend: Sendable {
    case sqlite
    case postgres

    /// A new, empty store.
    func makeStore() throws -> any BatchedIngest {
        switch self {
        case .sqlite: return try SQLiteEventStore.inMemory()
        case .postgres: return try freshPostgresStore()
        }
    }
}

/// A store of its own on the test PostgreSQL server.
func freshPostgresStore() throws -> PostgresEventStore {
    guard let url = TestPostgres.freshURL() else {
        throw EventDataError.store(path: "", detail: "BEHAVIORKIT_TEST_POSTGRES_URL is not set")
    }
    return try PostgresEventStore(url: url)
}

/// A store whose ingest can be cut into small batches (to exercise the batching in tests).
protocol BatchedIngest: EventStore {
    func ingest(
        _ source: any EventSource, options: IngestOptions, batching: IngestBatching,
        progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary
}

extension BatchedIngest {
    func ingest(
        _ source: any EventSource, batching: IngestBatching, progress: ((IngestProgress) -> Void)?
    ) throws -> IngestSummary {
        try ingest(source, options: IngestOptions(), batching: batching, progress: progress)
    }
}

extension SQLiteEventStore: BatchedIngest {}
extension PostgresEventStore: BatchedIngest {}
