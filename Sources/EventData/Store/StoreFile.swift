import Foundation
import GRDB

/// Looks at a store file before it is opened, without writing to it.
enum StoreFile {
    /// The first 16 bytes of every SQLite 3 database file.
    static let sqliteHeader = Array("SQLite format 3\0".utf8)

    /// The migrations recorded in the BehaviorKit store at `path`, or nil when there is no
    /// store yet (no file, an empty file, or an SQLite database without tables).
    ///
    /// - Throws: ``EventDataError/store(path:detail:)`` when the path is a directory, the file
    ///   cannot be read, is not an SQLite database, or is an SQLite database of another
    ///   application; with `mustExist`, also when there is no file.
    static func inspect(path: String, mustExist: Bool) throws -> Set<String>? {
        guard path != ":memory:", !path.isEmpty else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            guard !mustExist else {
                throw EventDataError.store(
                    path: path, detail: "does not exist; ingest events into it first")
            }
            return nil
        }
        guard !isDirectory.boolValue else {
            throw EventDataError.store(path: path, detail: "is a directory; pass the path of a store file in it")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EventDataError.store(
                path: path, detail: "cannot be read (no permission); fix its permissions or use another store path")
        }
        let header = (try? handle.read(upToCount: sqliteHeader.count)) ?? nil
        try? handle.close()
        guard let header, !header.isEmpty else { return nil }
        guard Array(header) == sqliteHeader else {
            throw EventDataError.store(
                path: path,
                detail: "is not an SQLite database (it was left unchanged); use another store path, or move "
                    + "this file away")
        }
        return try readMigrations(path: path)
    }

    /// Reads the tables and applied migrations of the SQLite database at `path` on a
    /// read-only connection.
    private static func readMigrations(path: String) throws -> Set<String>? {
        let (tables, migrations) = try SQLiteEventStore.withStoreErrors(path: path) {
            try SQLiteEventStore.makeQueue(path: path, readonly: true).read { db in
                let tables = try Set(
                    String.fetchAll(
                        db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
                let migrations =
                    tables.contains("grdb_migrations")
                    ? try Set(String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
                return (tables, migrations)
            }
        }
        if tables.subtracting(["grdb_migrations"]).isEmpty, migrations.isEmpty { return nil }
        guard migrations.contains("v1"), tables.isSuperset(of: StoreSchema.v1Tables) else {
            let names = tables.sorted()
            let listed = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", ..." : "")
            throw EventDataError.store(
                path: path,
                detail: "is an SQLite database but not a BehaviorKit event store (its tables: \(listed)); it was "
                    + "left unchanged; use another store path")
        }
        return migrations
    }
}
