import ArgumentParser
import EventData
import Foundation

/// The `--store` option shared by every command that reads or writes the event store.
struct StoreOptions: ParsableArguments {
    @Option(help: "Event store file (SQLite).")
    var store: String = "behavior.db"

    /// Opens (creating and migrating as needed) the store.
    func open() throws -> SQLiteEventStore {
        try SQLiteEventStore(path: store)
    }

    /// Opens the `--store` file read-only (commands that only read: a store the user may read
    /// but not write works, and nothing in the file changes).
    func openForReading() throws -> SQLiteEventStore {
        try Self.openForReading(path: store)
    }

    /// Opens a store file that must already exist, read-only.
    static func openForReading(path: String) throws -> SQLiteEventStore {
        try requireFile(path)
        return try SQLiteEventStore(path: path, access: .readOnly)
    }

    private static func requireFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("No event store at \(path). Ingest events first (`behave ingest FILE --store \(path)`) or pass --store PATH.")
        }
    }
}

/// Prints a value as pretty JSON with sorted keys (for `--json`).
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
