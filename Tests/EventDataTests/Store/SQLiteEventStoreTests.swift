import Foundation
import GRDB
import Testing

@testable import EventData

@Suite("SQLite event store")
struct SQLiteEventStoreTests {
    @Test("every row is accounted for: read = stored + duplicates + rejected")
    func accountingIdentity() throws {
        // Given a source with five events (one an exact copy of another) and two bad rows
        let store = try SQLiteEventStore.inMemory()
        let source = StoreTestSource(
            rows: storeRows([
                .event(storeEvent("u1", 1_000, .view, item: "i1")),
                .rejection(kind: "bad_timestamp", reason: "timestamp 'x' is not a time"),
                .event(storeEvent("u1", 2_000, .cart, item: "i1", value: 9.5)),
                .event(storeEvent("u2", 1_500, .view, item: "i2")),
                .event(storeEvent("u1", 1_000, .view, item: "i1")),
                .rejection(kind: "missing_field", reason: "user_id is empty"),
                .event(storeEvent("u2", 1_600, .click, item: "i2")),
            ]))

        // When it is ingested
        let summary = try store.ingest(source)

        // Then each row is stored, a duplicate or a rejection, and the store agrees
        #expect(summary.rowsRead == 7)
        #expect(summary.stored == 4)
        #expect(summary.duplicates == 1)
        #expect(summary.rejected == 2)
        #expect(summary.rowsRead == summary.stored + summary.duplicates + summary.rejected)
        #expect(summary.rejectsByKind == ["bad_timestamp": 1, "missing_field": 1])
        #expect(summary.rejectExamples.map(\.line) == [2, 6])
        #expect(summary.newUsers == 2 && summary.newItems == 2)
        let description = try store.describe()
        #expect(description.events == 4)
        #expect(description.sources.count == 1)
        let record = try #require(description.sources.first)
        #expect(record.rowsRead == 7 && record.stored == 4 && record.duplicates == 1 && record.rejected == 2)
        #expect(record.completed)
    }

    @Test("re-ingesting the same source adds nothing and counts every event as a duplicate")
    func idempotentReingest() throws {
        // Given a store that has ingested a source once
        let store = try SQLiteEventStore.inMemory()
        let source = StoreTestSource(
            name: "events.csv",
            rows: storeRows([
                .event(storeEvent("u1", 1_000, .view, item: "i1", session: "s1", properties: ["os": "ios"])),
                .event(storeEvent("u1", 2_000, .purchase, item: "i1", value: 12)),
                .event(storeEvent("u2", 1_000, .search)),
                .rejection(kind: "bad_timestamp", reason: "no time"),
            ]))
        let first = try store.ingest(source)
        let before = try store.describe()

        // When it is ingested again
        let second = try store.ingest(source)

        // Then nothing is added: the events are duplicates, the bad row is rejected again
        #expect(first.stored == 3)
        #expect(second.stored == 0)
        #expect(second.duplicates == 3)
        #expect(second.rejected == 1)
        #expect(second.newUsers == 0 && second.newItems == 0)
        let after = try store.describe()
        #expect(after.events == before.events)
        #expect(after.users == before.users && after.items == before.items)
        #expect(after.sources.map(\.stored) == [3, 0])
    }

    @Test("rejected rows are kept with their source, line, kind, reason and raw text")
    func rejectsPersisted() throws {
        // Given two sources with bad rows
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(
            StoreTestSource(
                name: "a.csv",
                rows: storeRows([
                    .event(storeEvent("u1", 1)),
                    .rejection(kind: "bad_timestamp", reason: "timestamp 'soon' is not a time"),
                ])))
        _ = try store.ingest(
            StoreTestSource(
                name: "b.csv",
                rows: storeRows([
                    .rejection(kind: "missing_field", reason: "user_id is empty"), .event(storeEvent("u2", 2)),
                ])
            ))

        // When the rejects are read back
        let rejects = try store.rejects(limit: 10)
        let limited = try store.rejects(limit: 1)

        // Then they come oldest source first, with what the reader said
        #expect(rejects.map(\.source) == ["a.csv", "b.csv"])
        #expect(rejects.map(\.rejection.line) == [2, 1])
        #expect(rejects.map(\.rejection.kind) == ["bad_timestamp", "missing_field"])
        #expect(rejects[0].rejection.reason == "timestamp 'soon' is not a time")
        #expect(rejects[0].rejection.raw == "raw 2")
        #expect(limited.count == 1)
        let description = try store.describe()
        #expect(description.rejects == 2)
        #expect(description.rejectsByKind == ["bad_timestamp": 1, "missing_field": 1])
    }

    @Test("histories are in time order per user, ties in input order across sources")
    func historyOrder() throws {
        // Given events out of time order, and same-millisecond events whose input order differs
        // from the order of their other fields
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(
            StoreTestSource(
                name: "first",
                rows: storeRows([
                    .event(storeEvent("u1", 300, .view, item: "a")),
                    .event(storeEvent("u2", 50, .view, item: "b")),
                    .event(storeEvent("u1", 100, .view, item: "a", session: "s9")),
                    .event(storeEvent("u1", 100, .view, item: "a", session: "s1")),
                    .event(storeEvent("u1", 100, .view, item: "a", value: 5)),
                    .event(storeEvent("u1", 100, .view, item: "a", value: 1)),
                ])))
        _ = try store.ingest(
            StoreTestSource(name: "second", rows: storeRows([.event(storeEvent("u1", 100, .click, item: "a"))])))

        // When histories are streamed
        var histories: [UserHistory] = []
        try store.forEachUserHistory { histories.append($0) }

        // Then users come in dense order, events by time, ties by source then line
        #expect(histories.map(\.userID) == ["u1", "u2"])
        #expect(histories.map(\.user) == [0, 1])
        let u1 = histories[0].events
        #expect(u1.map(\.timestamp) == [100, 100, 100, 100, 100, 300])
        #expect(u1.map(\.line) == [3, 4, 5, 6, 1, 1])
        #expect(u1.map(\.sessionID) == ["s9", "s1", nil, nil, nil, nil])
        #expect(u1.map(\.value) == [nil, nil, 5, 1, nil, nil])
        #expect(u1[4].type == .click)
        #expect(try store.events(forUser: "u1") == u1)
        #expect(try store.events(forUser: "nobody").isEmpty)
    }

    @Test("dictionary ids are dense, in order of first appearance, and stable across ingests")
    func stableDictionaries() throws {
        // Given two ingests that share some users and items
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("alice", 1, item: "x")), .event(storeEvent("bob", 2, item: "y")),
                ])))
        let second = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("carol", 3, item: "y")), .event(storeEvent("alice", 4, item: "z")),
                ])))

        // When the dictionaries are read
        let users = try store.userIDs()
        let items = try store.itemIDs()

        // Then earlier ids keep their index and new ones are appended
        #expect(users.externalIDs == ["alice", "bob", "carol"])
        #expect(items.externalIDs == ["x", "y", "z"])
        #expect(users.index(of: "carol") == 2 && users[1] == "bob" && users.index(of: "dave") == nil)
        #expect(second.newUsers == 1 && second.newItems == 1)
        var alice: [Int?] = []
        try store.forEachUserHistory { history in
            if history.userID == "alice" { alice = history.events.map(\.item) }
        }
        #expect(alice == [0, 2])
    }

    @Test("describe reports counts, sessions, range, sparsity and quantiles of a hand-computed example")
    func describeExample() throws {
        // Given 4 users, 3 items, 12 events and 3 rejects:
        //   u1: view a, click a, purchase b (session s1)   -> 3 events, items {a, b}
        //   u2: view a (session s2), view c                 -> 2 events, items {a, c}
        //   u3: search (session s1, another user's s1)      -> 1 event,  no item
        //   u4: six views of a                               -> 6 events, items {a}
        let store = try SQLiteEventStore.inMemory()
        var entries: [StoreRow] = [
            .event(storeEvent("u1", 1_000, .view, item: "a", session: "s1")),
            .event(storeEvent("u1", 2_000, .click, item: "a", session: "s1")),
            .event(storeEvent("u1", 3_000, .purchase, item: "b", session: "s1", value: 10)),
            .event(storeEvent("u2", 1_500, .view, item: "a", session: "s2")),
            .event(storeEvent("u2", 500, .view, item: "c")),
            .event(storeEvent("u3", 4_000, .search, session: "s1")),
            .rejection(kind: "bad_timestamp", reason: "bad"),
            .rejection(kind: "missing_field", reason: "missing"),
            .rejection(kind: "missing_field", reason: "missing"),
        ]
        entries += (0..<6).map { .event(storeEvent("u4", 5_000 + Int64($0), .view, item: "a")) }
        _ = try store.ingest(StoreTestSource(rows: storeRows(entries)))

        // When the store is described
        let description = try store.describe()

        // Then:
        #expect(description.users == 4)
        #expect(description.items == 3)
        #expect(description.events == 12)
        #expect(description.eventsByType == ["view": 9, "click": 1, "purchase": 1, "search": 1])
        // (u1, s1), (u2, s2), (u3, s1)
        #expect(description.sessions == 3)
        #expect(description.firstTimestamp == 500)
        #expect(description.lastTimestamp == 5_005)
        // pairs: u1 {a, b}, u2 {a, c}, u4 {a} = 5 of 4 × 3 cells: 1 - 5/12
        let sparsity = try #require(description.sparsity)
        #expect(abs(sparsity - 7.0 / 12.0) < 1e-12)
        // events per user sorted: [1, 2, 3, 6]; h = q·3:
        // p25 h=0.75 -> 1.75; median h=1.5 -> 2.5; p75 h=2.25 -> 3.75; p90 h=2.7 -> 3 + 0.7·3 = 5.1
        let quantiles = try #require(description.interactionsPerUser)
        #expect(quantiles.min == 1 && quantiles.max == 6)
        #expect(abs(quantiles.p25 - 1.75) < 1e-12)
        #expect(abs(quantiles.median - 2.5) < 1e-12)
        #expect(abs(quantiles.p75 - 3.75) < 1e-12)
        #expect(abs(quantiles.p90 - 5.1) < 1e-12)
        #expect(description.rejects == 3)
        #expect(description.rejectsByKind == ["bad_timestamp": 1, "missing_field": 2])
        // It is Codable for --json.
        let decoded = try JSONDecoder().decode(StoreDescription.self, from: JSONEncoder().encode(description))
        #expect(decoded == description)
    }

    @Test("an empty store describes as zeros without sparsity or quantiles")
    func describeEmpty() throws {
        let description = try SQLiteEventStore.inMemory().describe()
        #expect(description.users == 0 && description.events == 0 && description.sessions == 0)
        #expect(description.sparsity == nil && description.interactionsPerUser == nil)
        #expect(description.firstTimestamp == nil && description.sources.isEmpty)
    }

    @Test("optional fields and properties round-trip, absent stays absent")
    func fieldsRoundTrip() throws {
        // Given one event with every field and one with none of the optional ones
        let store = try SQLiteEventStore.inMemory()
        let properties = ["os": "ios", "quote\"key": "line\nbreak\\é", "ctl": "\u{1}"]
        _ = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(
                        storeEvent(
                            "u", 10, .purchase, item: "i", session: "s", value: 0, duration: 2.5, category: "books",
                            properties: properties)),
                    .event(storeEvent("u", 20, "Add To Wishlist", item: "", session: "")),
                ])))

        // When the user's events are read
        let events = try store.events(forUser: "u")

        // Then the values come back as given, and empty item/session ids read as absent
        #expect(events.count == 2)
        #expect(events[0].item == 0 && events[0].sessionID == "s" && events[0].value == 0)
        #expect(events[0].duration == 2.5 && events[0].category == "books" && events[0].type == .purchase)
        #expect(events[0].properties == properties)
        #expect(events[1].item == nil && events[1].sessionID == nil && events[1].value == nil)
        #expect(events[1].duration == nil && events[1].category == nil && events[1].properties.isEmpty)
        #expect(events[1].type.rawValue == "add to wishlist")
    }

    @Test("an event whose value SQLite cannot keep (NaN) is rejected, not dropped")
    func nanValueRejected() throws {
        let store = try SQLiteEventStore.inMemory()
        let summary = try store.ingest(
            StoreTestSource(rows: storeRows([.event(storeEvent("u", 1, value: .nan)), .event(storeEvent("u", 2))])))
        #expect(summary.stored == 1 && summary.rejected == 1)
        #expect(summary.rejectsByKind == ["bad_value": 1])
        #expect(try store.rejects(limit: 5).first?.rejection.line == 1)
    }

    @Test("many batches: progress is reported and time-interleaved users come back per user in order")
    func manyBatches() throws {
        // Given 1,000 events of 7 users interleaved in time, ingested in batches growing from 16 to 128 rows
        let store = try SQLiteEventStore.inMemory()
        let entries: [StoreRow] = (0..<1_000).map { index in
            .event(storeEvent("u\(index % 7)", Int64(10_000 - index), .view, item: "i\(index % 13)"))
        }
        var reports: [IngestProgress] = []

        // When ingested with progress every 100 rows
        let summary = try store.ingest(
            StoreTestSource(rows: storeRows(entries)),
            batching: IngestBatching(firstBatchRows: 16, maxBatchRows: 128, progressInterval: 100)
        ) { reports.append($0) }

        // Then progress grows to the total and every history is in time order
        #expect(summary.stored == 1_000)
        #expect(reports.count >= 10)
        #expect(reports.map(\.rowsRead) == reports.map(\.rowsRead).sorted())
        #expect(reports.last?.rowsRead == 1_000 && reports.last?.stored == 1_000)
        var total = 0
        try store.forEachUserHistory { history in
            total += history.events.count
            #expect(history.events.map(\.timestamp) == history.events.map(\.timestamp).sorted())
        }
        #expect(total == 1_000)
    }

    @Test("a source that fails midway keeps the whole batches before the failure and rethrows")
    func sourceFailure() throws {
        // Given a source that throws after 150 rows, ingested in batches of 64
        let store = try SQLiteEventStore.inMemory()
        let failure = EventDataError.unreadable(path: "broken.csv.gz", reason: "truncated gzip stream")
        let source = StoreTestSource(
            name: "broken.csv.gz", rows: storeRows((0..<200).map { .event(storeEvent("u", Int64($0))) }),
            failure: failure, failAfter: 150)

        // When it is ingested
        #expect(throws: failure) {
            _ = try store.ingest(
                source, batching: IngestBatching(firstBatchRows: 64, maxBatchRows: 64, progressInterval: 1_000),
                progress: nil)
        }

        // Then the two full batches are stored and the source is marked incomplete
        let description = try store.describe()
        #expect(description.events == 128)
        let record = try #require(description.sources.first)
        #expect(record.rowsRead == 128 && !record.completed)
    }

    @Test("an empty source is recorded as a completed ingest of zero rows")
    func emptySource() throws {
        let store = try SQLiteEventStore.inMemory()
        let summary = try store.ingest(StoreTestSource(name: "empty.csv", rows: []))
        #expect(summary.rowsRead == 0 && summary.stored == 0 && summary.rejectExamples.isEmpty)
        let record = try #require(try store.describe().sources.first)
        #expect(record.name == "empty.csv" && record.completed && record.rowsRead == 0)
    }

    @Test("user and item attributes round-trip, later values replace earlier ones")
    func attributesRoundTrip() throws {
        // Given user and item attribute tables, one user updated later
        let store = try SQLiteEventStore.inMemory()
        let written = try store.ingestAttributes(
            [
                AttributeRow(id: "u1", values: ["age": "24", "occupation": "technician"]),
                AttributeRow(id: "u2", values: ["age": "53"]),
            ], kind: .user)
        _ = try store.ingestAttributes([AttributeRow(id: "u2", values: ["age": "54"])], kind: .user)
        _ = try store.ingestAttributes([AttributeRow(id: "i1", values: ["genres": "Comedy|Drama"])], kind: .item)

        // When they are read back
        let users = try store.attributes(kind: .user)
        let items = try store.attributes(kind: .item)

        // Then
        #expect(written == 3)
        #expect(users == ["u1": ["age": "24", "occupation": "technician"], "u2": ["age": "54"]])
        #expect(items == ["i1": ["genres": "Comedy|Drama"]])
    }

    @Test("a file-backed store keeps its events across reopening, in WAL mode")
    func persistsAcrossReopen() throws {
        // Given a store file with events
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try store.ingest(StoreTestSource(rows: storeRows([.event(storeEvent("u1", 1, item: "i"))])))
        }

        // When it is opened again and more is ingested
        let reopened = try SQLiteEventStore(path: path)
        let summary = try reopened.ingest(
            StoreTestSource(rows: storeRows([.event(storeEvent("u1", 1, item: "i")), .event(storeEvent("u2", 2))])))

        // Then the first events are still there and recognised as duplicates
        #expect(summary.stored == 1 && summary.duplicates == 1)
        #expect(try reopened.describe().events == 2)
        #expect(try reopened.userIDs().externalIDs == ["u1", "u2"])
        // and the bulk-load settings are back after the ingest (synchronous = NORMAL, as GRDB
        // sets for WAL).
        let settings = try reopened.queue.read { db in
            try ["journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint"].map {
                try String.fetchOne(db, sql: "PRAGMA \($0)")
            }
        }
        #expect(settings == ["wal", "1", "1", "1000"])
    }

    @Test("opening a file that is not SQLite names the path and the fix")
    func notSQLite() throws {
        // Given a CSV file where the store should be
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.csv").path
        let csv = "user_id,timestamp,event_type\n" + (0..<50).map { "u\($0),17000000\($0),view\n" }.joined()
        try csv.write(toFile: path, atomically: true, encoding: .utf8)

        // When it is opened as a store
        // Then the error names the file and says what to do
        #expect {
            _ = try SQLiteEventStore(path: path)
        } throws: { error in
            guard case .store(let errorPath, let detail) = error as? EventDataError else { return false }
            return errorPath == path && detail.contains("not an SQLite database")
                && detail.contains("another store path")
        }
    }

    @Test("a store in a missing directory cannot be created, and the error says so")
    func missingDirectory() throws {
        let path = "/nonexistent-\(UUID().uuidString)/behavior.db"
        #expect {
            _ = try SQLiteEventStore(path: path)
        } throws: { error in
            guard case .store(let errorPath, let detail) = error as? EventDataError else { return false }
            return errorPath == path && detail.contains("cannot be opened or created")
        }
    }

    @Test("a store written by a newer schema is refused")
    func newerSchema() throws {
        // Given a store whose file records a migration this build does not know
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        let store = try SQLiteEventStore(path: path)
        try store.queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }

        // When it is opened again
        // Then the error says to upgrade
        #expect {
            _ = try SQLiteEventStore(path: path)
        } throws: { error in
            guard case .store(let errorPath, let detail) = error as? EventDataError else { return false }
            return errorPath == path && detail.contains("newer version") && detail.contains("upgrade")
        }
    }
}
