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

    /// Opens the `--store` file, which must already exist (commands that only read).
    func openExisting() throws -> SQLiteEventStore {
        try Self.openExisting(path: store)
    }

    /// Opens a store file that must already exist.
    static func openExisting(path: String) throws -> SQLiteEventStore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("No event store at \(path). Ingest events first (`behave ingest FILE --store \(path)`) or pass --store PATH.")
        }
        return try SQLiteEventStore(path: path)
    }
}

/// Prints a value as pretty JSON with sorted keys (for `--json`).
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
