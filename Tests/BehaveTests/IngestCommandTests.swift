import EventData
import Foundation
import TestSupport
import Testing

@testable import behave

@Suite("behave ingest and describe")
struct IngestCommandTests {
    /// A temporary folder with a small CSV log holding one bad timestamp and one duplicate.
    final class Workspace {
        let folder: URL
        var store: String { folder.appendingPathComponent("behavior.db").path }
        var log: String { folder.appendingPathComponent("shop.csv").path }

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let csv = """
                customer,ts,action,sku,price
                alice,1700000000,view,i1,
                alice,1700000060,purchase,i1,9.5
                bob,yesterday,view,i2,
                bob,1700000100,view,i2,
                bob,1700000100,view,i2,

                """
            try csv.write(toFile: log, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    @Test("every row is stored, a duplicate or rejected, and a second ingest adds nothing")
    func accounting() throws {
        let workspace = try Workspace()
        let arguments = [
            workspace.log, "--store", workspace.store, "--set", "user_id=customer", "--set", "timestamp=ts",
            "--set", "event_type=action", "--set", "item_id=sku", "--set", "value=price", "--json",
        ]
        try Ingest.parse(arguments).run()
        let store = try SQLiteEventStore(path: workspace.store)
        let first = try store.describe()
        #expect(first.events == 3)
        #expect(first.users == 2)
        #expect(first.rejects == 1)
        #expect(first.rejectsByKind == ["bad_timestamp": 1])
        try Ingest.parse(arguments).run()
        let second = try store.describe()
        #expect(second.events == 3)
        #expect(second.sources.count == 2)
    }

    @Test("describe needs an existing store and says how to make one")
    func describeMissingStore() {
        do {
            _ = try Describe.parse(["--store", "/nonexistent/behavior.db"])
            Issue.record("expected a validation error")
        } catch {
            #expect(
                Describe.message(for: error).contains(
                    "Ingest events first (`behave ingest FILE --store /nonexistent/behavior.db`)")
            )
        }
    }

    @Test("a malformed PostgreSQL store URL is refused naming what is wrong and the form to write")
    func badStoreURL() throws {
        let workspace = try Workspace()
        #expect {
            try Ingest.parse([workspace.log, "--store", "postgres://:secret@db.internal/events"]).run()
        } throws: { error in
            let message = Ingest.message(for: error)
            return message.contains("names no user") && message.contains("postgres://USER")
                && !message.contains("secret")
        }
    }

    @Test("bad ingest options are named")
    func badOptions() {
        for (arguments, fragment) in [
            ([String](), "Give at least one event log file"),
            (["x.csv", "--set", "nonsense"], "--set nonsense: write key=value"),
            (["x.csv", "--format", "parquet"], "--format parquet: unknown format"),
            (["x.csv", "--schema", "a.yaml", "--set", "user_id=u"], "Use --schema or --set, not both"),
        ] {
            do {
                _ = try Ingest.parse(arguments)
                Issue.record("expected an error for \(arguments)")
            } catch {
                #expect(Ingest.message(for: error).contains(fragment), "\(arguments): \(Ingest.message(for: error))")
            }
        }
    }

    @Test("a mapping that names a missing column is a clear error")
    func missingColumn() throws {
        let workspace = try Workspace()
        let command = try Ingest.parse([workspace.log, "--store", workspace.store, "--set", "user_id=client"])
        #expect {
            try command.run()
        } throws: { error in
            (error as? EventDataError)?.localizedDescription.contains("client") ?? false
        }
    }
}

@Suite("behave ingest and describe on PostgreSQL", .enabled(if: TestPostgres.url != nil, TestPostgres.skipped))
struct PostgresIngestCommandTests {
    @Test("--store postgres://... ingests and describes as the SQLite file does")
    func sameAsSQLite() throws {
        let workspace = try IngestCommandTests.Workspace()
        let url = try #require(TestPostgres.freshURL())
        let mapping = [
            "--set", "user_id=customer", "--set", "timestamp=ts", "--set", "event_type=action", "--set", "item_id=sku",
            "--set", "value=price", "--json",
        ]
        try Ingest.parse([workspace.log, "--store", url] + mapping).run()
        try Ingest.parse([workspace.log, "--store", workspace.store] + mapping).run()
        var postgres = try StoreOptions.openForReading(path: url).describe()
        var sqlite = try StoreOptions.openForReading(path: workspace.store).describe()
        #expect(postgres.events == 3 && postgres.rejects == 1)
        for index in postgres.sources.indices {
            postgres.sources[index].ingestedAt = 0
            sqlite.sources[index].ingestedAt = 0
        }
        #expect(postgres == sqlite)
        _ = try Describe.parse(["--store", url])
    }
}
