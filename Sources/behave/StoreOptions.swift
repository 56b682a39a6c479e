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

    static func requireFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError(
                "No event store at \(path). Ingest events first (`behave ingest FILE --store \(path)`) or pass --store PATH."
            )
        }
    }
}

/// The event store a model directory reads: `--store` when given, otherwise the one the model
/// recorded at training; says on standard error which one when it is the recorded one.
func modelStore(option: String?, recorded: String, modelDirectory: String) throws -> SQLiteEventStore {
    if let option { return try StoreOptions.openForReading(path: option) }
    guard FileManager.default.fileExists(atPath: recorded) else {
        throw ValidationError(
            "\(modelDirectory) was trained on the event store \(recorded), which is not there (moved, or the model "
                + "was copied from elsewhere); pass --store PATH.")
    }
    note("Using the event store the model was trained on: \(recorded) (pass --store to use another).")
    return try StoreOptions.openForReading(path: recorded)
}

/// Prints a value as pretty JSON with sorted keys (for `--json`).
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
