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
}

/// Prints a value as pretty JSON with sorted keys (for `--json`).
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
