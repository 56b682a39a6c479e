import Foundation
import GRDB
import Testing

@testable import EventData

@Suite("SQLite event store: careless and hostile rows")
struct StoreCarelessInputTests {
    @Test("an id another ingest took meanwhile is named, and only then is a concurrent ingest blamed")
    func concurrentIngestClash() throws {
        // Given a store file with alice, and a second connection that adds carol while the first
        // ingest (which read the dictionaries before) is about to add dave under the same dense id
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        let store = try SQLiteEventStore(path: path)
        _ = try store.ingest(StoreTestSource(rows: storeRows([.event(storeEvent("alice", 1))])))
        let other = try SQLiteEventStore(path: path)
        let source = InterleavedSource(rows: storeRows([.event(storeEvent("dave", 2))])) {
            _ = try other.ingest(StoreTestSource(name: "other.csv", rows: storeRows([.event(storeEvent("carol", 3))])))
        }

        // When the first ingest writes
        // Then the error names both ids and the dense id, and says to run one ingest at a time
        #expect {
            _ = try store.ingest(source)
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("another ingest wrote to this store at the same time")
                && detail.contains("dense id 1 to user id \"carol\"") && detail.contains("\"dave\"")
                && detail.contains("run one ingest at a time")
        }
    }

    @Test("an id another ingest added under the same dense id is no clash")
    func concurrentSameID() throws {
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        let store = try SQLiteEventStore(path: path)
        let other = try SQLiteEventStore(path: path)
        let source = InterleavedSource(rows: storeRows([.event(storeEvent("carol", 2))])) {
            _ = try other.ingest(StoreTestSource(name: "other.csv", rows: storeRows([.event(storeEvent("carol", 3))])))
        }
        let summary = try store.ingest(source)
        #expect(summary.stored == 1)
        #expect(try store.userIDs().externalIDs == ["carol"])
        #expect(try store.events(forUser: "carol").map(\.timestamp) == [2, 3])
    }

    // MARK: - Plausibility

    @Test("time ranges parse from dates with open ends, and bad ones name the option")
    func timeRanges() throws {
        let full = try PlausibilityChecks.parseTimeRange("2000-01-01..2010-01-01T12:00:00Z", option: "--time-range")
        #expect(full.earliest == 946_684_800_000 && full.latest == 1_262_347_200_000)
        let open = try PlausibilityChecks.parseTimeRange("..2030-01-01", option: "--time-range")
        #expect(open.earliest == nil && open.latest == 1_893_456_000_000)
        let none = try PlausibilityChecks.parseTimeRange("..", option: "--time-range")
        #expect(none.earliest == nil && none.latest == nil)
        for (text, fragment) in [
            ("2020", "'2020' is not a time range; write FROM..TO"),
            ("2020-01-01..soon", "'soon' is not a date or ISO-8601 time"),
            ("2010-01-01..2000-01-01", "ends before it starts"),
        ] {
            #expect {
                _ = try PlausibilityChecks.parseTimeRange(text, option: "--time-range")
            } throws: { error in
                guard case .invalidOption(let name, let detail) = error as? EventDataError else { return false }
                return name == "--time-range" && detail.contains(fragment)
            }
        }
        #expect(PlausibilityChecks.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(PlausibilityChecks.format(PlausibilityChecks.standardLatest) == "2100-01-01T00:00:00Z")
    }

    // MARK: - Rejects kept once

    // MARK: - Identical rows

    @Test("the identity filter never misses an identity it was given, exact while small, then as a Bloom filter")
    func identityFilter() {
        var filter = IdentityFilter()
        let hashes = (0..<200_000).map { ($0 &* 0x9E37_79B9_7F4A_7C15).hashValue }
        let small = hashes.prefix(50_000)
        #expect(small.filter { filter.insert($0) }.isEmpty)
        #expect(small.allSatisfy { filter.insert($0) })
        #expect(hashes.dropFirst(50_000).filter { filter.insert($0) }.count < 1_000)
        #expect(hashes.allSatisfy { filter.insert($0) })
    }

    // MARK: - Interrupted ingests

    // MARK: - Migrations

    @Test("a v1 store is migrated: duplicate rejects are removed, events and re-ingest identity are kept")
    func migratesV1Store() throws {
        // Given a store written by the v1 schema, where a source was ingested twice (its reject kept twice)
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        try makeV1Store(path: path)

        // When it is opened by this build
        let store = try SQLiteEventStore(path: path)

        // Then the reject is kept once, the events are intact, and re-ingesting adds nothing
        let description = try store.describe()
        #expect(description.rejects == 1 && description.events == 2)
        #expect(try store.rejects(limit: 5).map(\.source) == ["old.csv"])
        let again = try store.ingest(
            StoreTestSource(
                name: "old.csv",
                rows: storeRows([
                    .event(storeEvent("u1", 1_000, .view, item: "i1")),
                    .rejection(kind: "bad_timestamp", reason: "bad"),
                    .event(storeEvent("u1", 2_000, .view)),
                ])))
        #expect(again.stored == 0 && again.duplicates == 2 && again.knownRejects == 1)
        #expect(try store.describe().rejects == 1)
        let viewRows = try store.queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event_view") }
        #expect(viewRows == 2)
    }
}

/// A source that runs `interleave` before yielding its rows (another ingest in the middle of this one).
struct InterleavedSource: EventSource {
    var name = "interleaved.csv"
    var rows: [SourceRow]
    var interleave: () throws -> Void

    init(rows: [SourceRow], interleave: @escaping () throws -> Void) {
        self.rows = rows
        self.interleave = interleave
    }

    func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        try interleave()
        for row in rows { try body(row) }
    }
}

/// Writes a store with the v1 schema only: users u1, item i1, two events of `old.csv`
/// (ingested twice, so its one reject is stored twice).
func makeV1Store(path: String) throws {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
        for statement in StoreSchema.v1 { try db.execute(sql: statement) }
    }
    let queue = try DatabaseQueue(path: path)
    try migrator.migrate(queue)
    try queue.write { db in
        try db.execute(
            sql: """
                INSERT INTO user (id, external) VALUES (0, 'u1');
                INSERT INTO item (id, external) VALUES (0, 'i1');
                INSERT INTO event_type (id, name) VALUES (0, 'view');
                INSERT INTO source (id, name, ingested_at, rows_read, stored, duplicates, rejected, completed)
                VALUES (1, 'old.csv', 0, 3, 2, 0, 1, 1), (2, 'old.csv', 0, 3, 0, 2, 1, 1);
                INSERT INTO event (user_id, ts, type_id, item_id, value, session, source_id, line)
                VALUES (0, 1000, 0, 0, '', '', 1, 1), (0, 2000, 0, '', '', '', 1, 3);
                INSERT INTO reject (source_id, line, kind, reason, raw)
                VALUES (1, 2, 'bad_timestamp', 'bad', 'raw 2'), (2, 2, 'bad_timestamp', 'bad', 'raw 2');
                """)
    }
}

@Suite("Dictionary cache")
struct DictionaryCacheTests {
    @Test("entries read from the cached counts on are appended once, even when two readers refresh together")
    func appendsOnlyWhatIsNew() {
        let cache = DictionaryCache()
        let first = cache.counts
        _ = cache.append(users: ["a", "b"], items: ["i"], types: [.view], from: first)
        // A second reader that started from the same counts read the same entries plus one more.
        let entries = cache.append(users: ["a", "b", "c"], items: ["i"], types: [.view, .cart], from: first)
        #expect(entries.users.externalIDs == ["a", "b", "c"] && entries.users.index(of: "c") == 2)
        #expect(entries.items.externalIDs == ["i"] && entries.types == [.view, .cart])
        #expect(cache.counts == (3, 1, 2))
        let later = cache.append(users: ["d"], items: [], types: [], from: cache.counts)
        #expect(later.users.externalIDs == ["a", "b", "c", "d"] && later.users.index(of: "d") == 3)
    }
}
