import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave ingest --since / --until")
struct IngestWindowCommandTests {
    @Test("Rows outside the window are skipped and counted; a second ingest adds them")
    func window() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("shop.csv").path
        let store = folder.appendingPathComponent("behavior.db").path
        try """
        user_id,timestamp,event_type,item_id
        alice,2024-01-01T10:00:00Z,view,i1
        alice,2024-01-02T10:00:00Z,view,i2
        bob,2024-01-03T10:00:00Z,view,i1
        bob,not-a-time,view,i3

        """.write(toFile: log, atomically: true, encoding: .utf8)
        try Ingest.parse([log, "--store", store, "--until", "2024-01-02", "--json"]).run()
        var description = try SQLiteEventStore(path: store).describe()
        #expect(description.events == 1)
        // The rest arrives; the rejected row is rejected (and kept) either way.
        try Ingest.parse([log, "--store", store, "--since", "2024-01-02", "--json"]).run()
        description = try SQLiteEventStore(path: store).describe()
        #expect(description.events == 3)
        #expect(
            parseFailure(["ingest", log, "--since", "2024-01-03", "--until", "2024-01-02"])?
                .contains("--since must come before --until.") == true)
    }
}
