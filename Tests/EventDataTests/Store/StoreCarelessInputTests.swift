import Foundation
import GRDB
import Testing

@testable import EventData

@Suite("SQLite event store: careless and hostile rows")
struct StoreCarelessInputTests {
    @Test("ids with U+0000 are rejected as bad_id, not cut at the NUL and clashed")
    func nulInUserID() throws {
        // Given two user ids that differ only after a NUL, and a clean one
        let store = try SQLiteEventStore.inMemory()
        let source = StoreTestSource(
            name: "nul.csv",
            rows: storeRows([
                .event(storeEvent("u\u{0}1", 1_000, item: "i")), .event(storeEvent("u\u{0}2", 2_000, item: "i")),
                .event(storeEvent("bob", 3_000, item: "i")),
            ]))

        // When they are ingested
        let summary = try store.ingest(source)

        // Then the NUL ids are counted rejects with a reason naming the field, the character and
        // its position, the raw text is kept whole, and only the clean user is stored
        #expect(summary.stored == 1 && summary.rejected == 2)
        #expect(summary.rejectsByKind == [RejectionKind.badID: 2])
        #expect(
            summary.rejectExamples.first?.reason
                == "user id contains the control character U+0000 at position 2; clean the id")
        #expect(try store.userIDs().externalIDs == ["bob"])
        let rejects = try store.rejects(limit: 10)
        #expect(rejects.map(\.rejection.raw) == ["u\u{0}1,1000,view,i,,,,", "u\u{0}2,2000,view,i,,,,"])
        #expect(rejects.map(\.source) == ["nul.csv", "nul.csv"])
    }

    @Test("control characters in item ids, session ids and event types are bad_id; U+0000 in a category is refused")
    func controlCharactersInOtherFields() throws {
        let store = try SQLiteEventStore.inMemory()
        let summary = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("a", 1, item: "\u{1B}[31mred")),
                    .event(storeEvent("a", 2, session: "s\t1")),
                    .event(storeEvent("a", 3, "view\u{7F}")),
                    .event(storeEvent("a", 4, category: "books\u{0}")),
                    .event(storeEvent("a", 5, category: "tab\tseparated", properties: ["note": "a\u{0}b"])),
                ])))
        #expect(summary.stored == 1)
        #expect(summary.rejectsByKind == [RejectionKind.badID: 3, RejectionKind.badValue: 1])
        #expect(
            summary.rejectExamples.map(\.reason) == [
                "item id contains the control character U+001B at position 1; clean the id",
                "session id contains the control character U+0009 at position 2; clean the id",
                "event type contains the control character U+007F at position 5; clean the id",
                "category contains the control character U+0000 at position 6; remove it",
            ])
        // Properties are stored as escaped JSON, so they keep any character.
        let events = try store.events(forUser: "a")
        #expect(events.map(\.category) == ["tab\tseparated"])
        #expect(events.first?.properties == ["note": "a\u{0}b"])
    }

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

    @Test("standard plausibility checks reject times outside 1990..2100 and negative or infinite values")
    func plausibilityChecks() throws {
        // Given events at and around the bounds, and odd values
        let day: Int64 = 86_400_000
        let rows = storeRows([
            .event(storeEvent("a", -2_208_988_800_000)),  // 1900-01-01
            .event(storeEvent("a", PlausibilityChecks.standardEarliest - 1)),
            .event(storeEvent("a", PlausibilityChecks.standardEarliest)),
            .event(storeEvent("a", PlausibilityChecks.standardLatest - day)),
            .event(storeEvent("a", PlausibilityChecks.standardLatest)),
            .event(storeEvent("a", 7_258_118_400_000)),  // 2200-01-01
            .event(storeEvent("a", 1_700_000_000_000, .purchase, value: -5)),
            .event(storeEvent("a", 1_700_000_001_000, .purchase, value: 0)),
            .event(storeEvent("a", 1_700_000_002_000, .purchase, value: .infinity)),
            .event(storeEvent("a", 1_700_000_003_000, duration: -1)),
        ])

        // When ingested with the standard checks, with refunds allowed, and without checks
        let checked = try SQLiteEventStore.inMemory().ingest(
            StoreTestSource(rows: rows), options: IngestOptions(plausibility: .standard))
        let refunds = try SQLiteEventStore.inMemory().ingest(
            StoreTestSource(rows: rows),
            options: IngestOptions(plausibility: PlausibilityChecks(allowNegativeValues: true)))
        let unchecked = try SQLiteEventStore.inMemory().ingest(StoreTestSource(rows: rows))

        // Then each violation is a counted reject naming the time or value and the fix
        #expect(checked.stored == 3 && checked.rejected == 7)
        #expect(checked.rejectsByKind == [RejectionKind.implausibleTime: 4, RejectionKind.implausibleValue: 3])
        #expect(checked.rejectExamples.map(\.line) == [1, 2, 5, 6, 7, 9, 10])
        let reasons = checked.rejectExamples.map(\.reason)
        #expect(
            reasons[0]
                == "timestamp 1900-01-01T00:00:00Z is before 1990-01-01T00:00:00Z, the earliest plausible time; "
                + "fix the time or its unit, or widen the time range")
        #expect(reasons[1].hasPrefix("timestamp 1989-12-31T23:59:59.999Z is before"))
        #expect(reasons[2].hasPrefix("timestamp 2100-01-01T00:00:00Z is not before 2100-01-01T00:00:00Z"))
        #expect(reasons[4].contains("value -5.0 is negative") && reasons[4].contains("by allowing them"))
        #expect(reasons[5] == "value inf is not a finite number; give a number")
        #expect(reasons[6] == "duration -1.0 is negative; a duration cannot be")
        #expect(refunds.stored == 4 && refunds.rejectsByKind[RejectionKind.implausibleValue] == 2)
        #expect(unchecked.stored == 10)
        #expect(checked.rowsRead == checked.stored + checked.duplicates + checked.rejected)
    }

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

    @Test("re-ingesting a source keeps its rejects once, while each run still accounts for every row")
    func rejectsKeptOnce() throws {
        // Given a source with two bad rows, ingested twice, and once more under another name
        let store = try SQLiteEventStore.inMemory()
        let rows = storeRows([
            .event(storeEvent("u", 1)), .rejection(kind: "bad_timestamp", reason: "no time"),
            .rejection(kind: "missing_field", reason: "no user"),
        ])
        let first = try store.ingest(StoreTestSource(name: "a.csv", rows: rows))
        let second = try store.ingest(StoreTestSource(name: "a.csv", rows: rows))
        let renamed = try store.ingest(StoreTestSource(name: "b.csv", rows: rows))

        // Then the second run counts its rejects as rejected and as already known
        #expect(first.rejected == 2 && first.knownRejects == 0)
        #expect(second.rejected == 2 && second.knownRejects == 2 && second.duplicates == 1)
        #expect(second.rowsRead == second.stored + second.duplicates + second.rejected)
        #expect(renamed.knownRejects == 0)
        let description = try store.describe()
        #expect(description.rejects == 4)
        #expect(description.rejectsByKind == ["bad_timestamp": 2, "missing_field": 2])
        #expect(description.sources.map(\.rejected) == [2, 2, 2])
        #expect(try store.rejects(limit: 10).map(\.source) == ["a.csv", "a.csv", "b.csv", "b.csv"])
    }

    // MARK: - Identical rows

    @Test("identical rows are merged by default and all kept with keepDuplicateRows; re-ingests add nothing")
    func keepDuplicateRows() throws {
        // Given a log without order ids holding three identical same-day orders and one other
        let orders = storeRows([
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "j", value: 7)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
        ])
        let keep = IngestOptions(keepDuplicateRows: true)

        // When ingested by default, the identical rows are merged and counted as repeats
        let merged = try SQLiteEventStore.inMemory()
        let mergedSummary = try merged.ingest(StoreTestSource(name: "orders.csv", rows: orders))
        #expect(mergedSummary.stored == 2 && mergedSummary.duplicates == 2 && mergedSummary.repeatedRows == 2)

        // When the same file is ingested again keeping identical rows, only the merged copies are added
        let upgraded = try merged.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(upgraded.stored == 2 && upgraded.duplicates == 2 && upgraded.repeatedRows == 0)

        // And a store that keeps them from the start holds every row; re-ingesting, in either
        // mode, and an overlapping export under another name add nothing
        let kept = try SQLiteEventStore.inMemory()
        let first = try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(first.stored == 4 && first.duplicates == 0)
        let again = try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(again.stored == 0 && again.duplicates == 4 && again.repeatedRows == 0)
        #expect(try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders)).stored == 0)
        let overlap = try kept.ingest(
            StoreTestSource(name: "export-2.csv", rows: Array(orders.prefix(2))), options: keep)
        #expect(overlap.stored == 0)
        let events = try kept.events(forUser: "u")
        #expect(events.map(\.line) == [1, 2, 3, 4])
        #expect(events.map(\.item) == [0, 0, 1, 0])
        #expect(try merged.events(forUser: "u").count == 4)
    }

    @Test("repeats within a source are told from events of earlier ingests, across batches")
    func repeatsAcrossBatches() throws {
        // Given a source whose identical rows fall into different batches of two rows
        let store = try SQLiteEventStore.inMemory()
        let rows = storeRows([
            .event(storeEvent("u", 1, item: "a")), .event(storeEvent("u", 2, item: "b")),
            .event(storeEvent("u", 1, item: "a")), .event(storeEvent("v", 3)), .event(storeEvent("u", 1, item: "a")),
        ])
        let batching = IngestBatching(firstBatchRows: 2, maxBatchRows: 2, progressInterval: 100)

        // When it is ingested twice
        let first = try store.ingest(StoreTestSource(rows: rows), batching: batching, progress: nil)
        let second = try store.ingest(StoreTestSource(rows: rows), batching: batching, progress: nil)

        // Then the first run's duplicates are repeats, the second run's are earlier events
        #expect(first.stored == 3 && first.duplicates == 2 && first.repeatedRows == 2)
        #expect(second.stored == 0 && second.duplicates == 5 && second.repeatedRows == 0)
    }

    @Test("into a store holding another source's events, only repeats within the source count as repeats")
    func repeatsBesideEarlierEvents() throws {
        // Given a store holding one event, and a source that repeats one of its rows and
        // contains the stored event
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(StoreTestSource(name: "old.csv", rows: storeRows([.event(storeEvent("u", 1))])))
        let rows = storeRows([
            .event(storeEvent("u", 1)), .event(storeEvent("v", 2)), .event(storeEvent("v", 2)),
            .event(storeEvent("w", 3)),
        ])

        // When it is ingested
        let summary = try store.ingest(StoreTestSource(name: "new.csv", rows: rows))

        // Then both duplicates are counted, and only the row repeated within it as a repeat
        #expect(summary.stored == 2 && summary.duplicates == 2 && summary.repeatedRows == 1)
    }

    @Test("the identity filter never misses an identity it was given")
    func identityFilter() {
        var filter = IdentityFilter()
        let hashes = (0..<10_000).map { ($0 &* 0x9E37_79B9_7F4A_7C15).hashValue }
        #expect(hashes.filter { filter.insert($0) }.count < 100)
        #expect(hashes.allSatisfy { filter.insert($0) })
    }

    // MARK: - Interrupted ingests

    @Test("an ingest that stopped early is listed until the same source completes")
    func interruptedSources() throws {
        let store = try SQLiteEventStore.inMemory()
        let rows = storeRows((0..<10).map { .event(storeEvent("u", Int64($0))) })
        let failure = EventDataError.unreadable(path: "log.csv.gz", reason: "truncated gzip stream")
        _ = try? store.ingest(
            StoreTestSource(name: "log.csv.gz", rows: rows, failure: failure, failAfter: 5),
            batching: IngestBatching(firstBatchRows: 2, maxBatchRows: 2, progressInterval: 100), progress: nil)
        _ = try store.ingest(StoreTestSource(name: "other.csv", rows: rows))
        let interrupted = try store.describe().interruptedSources
        #expect(interrupted.map(\.name) == ["log.csv.gz"])
        #expect(interrupted.first?.rowsRead == 4)

        _ = try store.ingest(StoreTestSource(name: "log.csv.gz", rows: rows))
        #expect(try store.describe().interruptedSources.isEmpty)
    }

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
