import Foundation
import GRDB
import Testing

@testable import EventData

/// Whether `chmod 0444` stops this process from writing a file (not when running as root).
func chmodStopsWrites() -> Bool {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("chmod-probe-\(UUID().uuidString)").path
    guard FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) else { return false }
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard (try? FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)) != nil else {
        return false
    }
    return FileHandle(forWritingAtPath: path) == nil
}

@Suite("SQLite event store: which files it opens, and how")
struct StoreFileAccessTests {
    /// The files in `directory` and their bytes.
    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            files[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return files
    }

    @Test("another application's SQLite database is refused without a byte changed or a -wal file left")
    func foreignDatabase() throws {
        // Given an SQLite database with its own tables (rollback journal, as most applications use)
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("other-app.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
                try db.execute(sql: "INSERT INTO contacts (name) VALUES ('Ada')")
            }
        }
        let before = try Self.snapshot(directory)

        // When it is opened as a store, for reading and for writing
        // Then both are refused with the tables named, and nothing in the directory changed
        for access in [StoreAccess.readOnly, .readWrite] {
            #expect {
                _ = try SQLiteEventStore(path: path, access: access)
            } throws: { error in
                guard case .store(let errorPath, let detail) = error as? EventDataError else { return false }
                return errorPath == path && detail.contains("not a BehaviorKit event store")
                    && detail.contains("contacts") && detail.contains("left unchanged")
            }
        }
        #expect(try Self.snapshot(directory) == before)
    }

    @Test("a file that is not SQLite is refused and left as it was")
    func notSQLiteUnchanged() throws {
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.txt").path
        try "user_id,timestamp\nu1,1700000000\n".write(toFile: path, atomically: true, encoding: .utf8)
        let before = try Self.snapshot(directory)
        for access in [StoreAccess.readOnly, .readWrite] {
            #expect {
                _ = try SQLiteEventStore(path: path, access: access)
            } throws: { error in
                guard case .store(_, let detail) = error as? EventDataError else { return false }
                return detail.contains("not an SQLite database")
            }
        }
        #expect(try Self.snapshot(directory) == before)
    }

    @Test("a read-only open reads everything and writes nothing, not even -wal or -shm files")
    func readOnlyWritesNothing() throws {
        // Given a store file at rest
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try store.ingest(
                StoreTestSource(rows: storeRows([.event(storeEvent("u1", 1, item: "i")), .event(storeEvent("u2", 2))])))
        }
        let before = try Self.snapshot(directory)
        #expect(before.keys.sorted() == ["behavior.db"])

        // When it is opened read-only and read
        let store = try SQLiteEventStore(path: path, access: .readOnly)
        #expect(try store.describe().events == 2)
        var users: [String] = []
        try store.forEachUserHistory { users.append($0.userID) }
        #expect(users == ["u1", "u2"])

        // Then nothing changed, and writing through it fails saying so
        #expect(try Self.snapshot(directory) == before)
        #expect {
            _ = try store.ingest(StoreTestSource(rows: storeRows([.event(storeEvent("u3", 3))])))
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("read-only")
        }
    }

    @Test("a read-only store opened while a writer has the file open sees the writer's later ingests")
    func readOnlyBesideWriter() throws {
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        let writer = try SQLiteEventStore(path: path)
        _ = try writer.ingest(StoreTestSource(name: "a.csv", rows: storeRows([.event(storeEvent("u1", 1))])))
        let reader = try SQLiteEventStore(path: path, access: .readOnly)
        #expect(try reader.describe().events == 1)
        _ = try writer.ingest(StoreTestSource(name: "b.csv", rows: storeRows([.event(storeEvent("u2", 2))])))
        #expect(try reader.describe().events == 2)
    }

    @Test("a read-only open of a missing or empty file says to ingest first")
    func readOnlyNeedsAStore() throws {
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.db").path
        let empty = directory.appendingPathComponent("empty.db").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        for (path, fragment) in [(missing, "does not exist"), (empty, "holds no events yet")] {
            #expect {
                _ = try SQLiteEventStore(path: path, access: .readOnly)
            } throws: { error in
                guard case .store(_, let detail) = error as? EventDataError else { return false }
                return detail.contains(fragment) && detail.contains("ingest events into it first")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)
    }

    @Test("a read-only open of an older, writable store upgrades it first")
    func readOnlyUpgradesWritableStore() throws {
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("behavior.db").path
        try makeV1Store(path: path)
        let store = try SQLiteEventStore(path: path, access: .readOnly)
        #expect(try store.describe().rejects == 1)
    }

    @Test(
        "a store the user may read but not write is read, and one needing an upgrade says so",
        .enabled(if: chmodStopsWrites(), "running as root: chmod 0444 does not stop writes, so nothing to test")
    )
    func readOnlyFile() throws {
        // Given a current store and a v1 store, both chmod 0444
        let directory = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let current = directory.appendingPathComponent("current.db").path
        let old = directory.appendingPathComponent("old.db").path
        _ = try SQLiteEventStore(path: current).ingest(StoreTestSource(rows: storeRows([.event(storeEvent("u", 1))])))
        try makeV1Store(path: old)
        for path in [current, old] {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        }

        // When they are opened read-only
        // Then the current one is read, and the old one's error says it needs an upgrade
        #expect(try SQLiteEventStore(path: current, access: .readOnly).describe().events == 1)
        #expect {
            _ = try SQLiteEventStore(path: old, access: .readOnly)
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("needs a schema upgrade") && detail.contains("v2-reject-identity")
                && detail.contains("read-only")
        }
    }
}
