import ArgumentParser
import EventData
import Foundation
import PostgresStore

/// An open event store of either backend.
typealias OpenedStore = any EventStore & Sendable

/// The `--store` option shared by every command that reads or writes the event store.
struct StoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Event store: an SQLite file, or a PostgreSQL URL.",
            discussion: "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME] stores the events in PostgreSQL "
                + "(tables created on first use), for stores several servers share."))
    var store: String = "behavior.db"

    /// Opens (creating and migrating as needed) the store.
    func open() throws -> OpenedStore {
        try Self.open(store)
    }

    /// Opens (creating and migrating as needed) the store at `location`: a PostgreSQL URL or
    /// an SQLite file path.
    static func open(_ location: String) throws -> OpenedStore {
        if PostgresLocation.isURL(location) { return try PostgresEventStore(url: location) }
        return try SQLiteEventStore(path: location)
    }

    /// Opens the `--store` file read-only (commands that only read: a store the user may read
    /// but not write works, and nothing in the file changes).
    func openForReading() throws -> OpenedStore {
        try Self.openForReading(path: store)
    }

    /// Opens a store that must already exist, read-only when it is a file (a PostgreSQL
    /// store's rights are the server's business).
    static func openForReading(path: String) throws -> OpenedStore {
        if PostgresLocation.isURL(path) { return try PostgresEventStore(url: path) }
        try requireFile(path)
        return try SQLiteEventStore(path: path, access: .readOnly)
    }

    /// Checks that a store file exists (a PostgreSQL URL always passes).
    static func requireFile(_ path: String) throws {
        guard PostgresLocation.isURL(path) || FileManager.default.fileExists(atPath: path) else {
            throw ValidationError(
                "No event store at \(path). Ingest events first (`behave ingest FILE --store \(path)`) or pass --store PATH."
            )
        }
    }
}

/// The event store a model directory reads: `--store` when given, otherwise the one the model
/// recorded at training; says on standard error which one when it is the recorded one.
func modelStore(option: String?, recorded: String, modelDirectory: String) throws -> OpenedStore {
    if let option { return try StoreOptions.openForReading(path: option) }
    guard PostgresLocation.isURL(recorded) || FileManager.default.fileExists(atPath: recorded) else {
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
