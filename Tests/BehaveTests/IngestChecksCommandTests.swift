import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave ingest and describe: careless input, read-only stores, files that are not stores")
struct IngestChecksCommandTests {
    /// A temporary folder, removed when released.
    final class Folder {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-checks-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }

        /// The folder's files and their bytes.
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                files[name] = try Data(contentsOf: url.appendingPathComponent(name))
            }
            return files
        }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static let log = """
        user_id,timestamp,event_type,item_id,value
        alice,2023-11-14,purchase,i1,5
        alice,2023-11-14,purchase,i1,5
        alice,1900-01-01,view,i1,
        bob,2023-11-14,purchase,i2,-3
        bob,2200-01-01,view,i2,

        """

    @Test("implausible times and negative values are rejected by default, and the flags let them in")
    func plausibilityFlags() throws {
        let folder = try Folder()
        try Self.log.write(toFile: folder.path("log.csv"), atomically: true, encoding: .utf8)
        try Ingest.parse([folder.path("log.csv"), "--store", folder.path("checked.db"), "--json"]).run()
        let checked = try SQLiteEventStore(path: folder.path("checked.db")).describe()
        #expect(checked.events == 1)
        #expect(checked.rejectsByKind == ["implausible_time": 2, "implausible_value": 1])

        try Ingest.parse([
            folder.path("log.csv"), "--store", folder.path("open.db"), "--time-range", "..",
            "--allow-negative-values", "--json",
        ]).run()
        #expect(try SQLiteEventStore(path: folder.path("open.db")).describe().events == 4)

        try Ingest.parse([
            folder.path("log.csv"), "--store", folder.path("narrow.db"), "--time-range", "1800-01-01..2150-01-01",
            "--json",
        ]).run()
        let narrow = try SQLiteEventStore(path: folder.path("narrow.db")).describe()
        #expect(narrow.rejectsByKind == ["implausible_time": 1, "implausible_value": 1])
    }

    @Test("a user-item list without times ingests: its positions are an order, not times to check")
    func userItemListsPassTheTimeChecks() throws {
        let folder = try Folder()
        try "1 10\n1 11\n2 10\n2 12\n1 13\n".write(toFile: folder.path("pairs.txt"), atomically: true, encoding: .utf8)
        try Ingest.parse([
            folder.path("pairs.txt"), "--format", "user-item", "--store", folder.path("pairs.db"), "--json",
        ])
        .run()
        let stored = try SQLiteEventStore(path: folder.path("pairs.db")).describe()
        #expect(stored.events == 5 && stored.rejects == 0)
    }

    @Test("bad --time-range values name the flag and the form to use")
    func badTimeRange() {
        for (value, fragment) in [
            ("2020", "--time-range: '2020' is not a time range; write FROM..TO"),
            ("2020-01-01..tomorrow", "'tomorrow' is not a date or ISO-8601 time"),
            ("2030-01-01..2020-01-01", "ends before it starts; put the earlier date first"),
        ] {
            do {
                _ = try Ingest.parse(["x.csv", "--time-range", value])
                Issue.record("expected an error for --time-range \(value)")
            } catch {
                #expect(Ingest.message(for: error).contains(fragment), "\(Ingest.message(for: error))")
            }
        }
    }

    @Test("--keep-duplicate-rows stores identical rows of a file, and re-ingesting still adds nothing")
    func keepDuplicateRows() throws {
        let folder = try Folder()
        try Self.log.write(toFile: folder.path("log.csv"), atomically: true, encoding: .utf8)
        let arguments = [folder.path("log.csv"), "--store", folder.path("kept.db"), "--keep-duplicate-rows", "--json"]
        try Ingest.parse(arguments).run()
        try Ingest.parse(arguments).run()
        let description = try SQLiteEventStore(path: folder.path("kept.db")).describe()
        #expect(description.events == 2)
        #expect(description.sources.map(\.stored) == [2, 0])
        #expect(description.rejects == 3)
    }

    @Test("the text report says what duplicates are, points at --keep-duplicate-rows, and counts known rejects")
    func summaryWording() {
        let summary = IngestSummary(
            source: "orders.csv", sourceID: 2, rowsRead: 10, stored: 5, duplicates: 4, rejected: 1,
            rejectsByKind: ["bad_id": 1], rejectExamples: [], newUsers: 0, newItems: 0, seconds: 0.1,
            repeatedRows: 3, knownRejects: 1)
        let lines = Ingest.summaryLines(summary)
        #expect(
            lines.contains(
                "  duplicates: 1 already stored by an earlier ingest; 3 rows identical to an earlier row of this "
                    + "file, merged as exact duplicates (--keep-duplicate-rows stores every copy)."))
        #expect(
            lines.contains(
                "  1 of the rejected rows were already kept from an earlier ingest of orders.csv and are not kept twice."
            ))
    }

    @Test("describe names an interrupted ingest and the command that finishes it")
    func interruptedIngestNote() {
        let interrupted = SourceRecord(
            id: 1, name: "clicks.csv.gz", ingestedAt: 1_700_000_000_000, rowsRead: 200_000, stored: 200_000,
            duplicates: 0, rejected: 0, completed: false)
        let description = StoreDescription(
            users: 1, items: 1, events: 1, eventsByType: [:], sessions: 0, firstTimestamp: nil, lastTimestamp: nil,
            sparsity: nil, interactionsPerUser: nil, rejects: 0, rejectsByKind: [:], sources: [interrupted])
        let notes = Describe.interruptedNotes(description, store: "shop.db")
        #expect(notes.count == 1)
        #expect(notes.first?.contains("interrupted ingest: clicks.csv.gz") == true)
        #expect(notes.first?.contains("stopped after 200,000 rows") == true)
        #expect(notes.first?.contains("`behave ingest clicks.csv.gz --store shop.db`") == true)
        var finished = description
        finished.sources.append(
            SourceRecord(
                id: 2, name: "clicks.csv.gz", ingestedAt: 1_700_000_100_000, rowsRead: 300_000, stored: 100_000,
                duplicates: 200_000, rejected: 0, completed: true))
        #expect(Describe.interruptedNotes(finished, store: "shop.db").isEmpty)
    }

    @Test("describe refuses a file that is not a store and leaves it as it was")
    func describeNotAStore() throws {
        let folder = try Folder()
        let path = folder.path("notes.sqlite")
        try "not a database\n".write(toFile: path, atomically: true, encoding: .utf8)
        let before = try folder.snapshot()
        let command = try Describe.parse(["--store", path])
        #expect {
            try command.run()
        } throws: { error in
            (error as? EventDataError)?.localizedDescription.contains("is not an SQLite database") ?? false
        }
        #expect(try folder.snapshot() == before)
    }

    @Test("describe and features open the store read-only and leave its files as they were")
    func readingCommandsWriteNothing() throws {
        let folder = try Folder()
        try Self.log.write(toFile: folder.path("log.csv"), atomically: true, encoding: .utf8)
        try Ingest.parse([folder.path("log.csv"), "--store", folder.path("behavior.db"), "--json"]).run()
        let output = try Folder()
        let before = try folder.snapshot()
        try Describe.parse(["--store", folder.path("behavior.db"), "--json"]).run()
        try Features.parse(["--store", folder.path("behavior.db"), "--out", output.path("features.csv")]).run()
        #expect(try folder.snapshot() == before)
        #expect(before.keys.sorted() == ["behavior.db", "log.csv"])
    }
}
