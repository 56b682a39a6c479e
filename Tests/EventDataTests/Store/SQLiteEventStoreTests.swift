import Foundation
import GRDB
import Testing

@testable import EventData

@Suite("SQLite event store")
struct SQLiteEventStoreTests {
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
