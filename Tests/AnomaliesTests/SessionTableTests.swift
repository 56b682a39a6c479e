import Anomalies
import EventData
import Foundation
import Testing

@Suite("Session table")
struct SessionTableTests {
    @Test("one row per session with what happened in it")
    func rows() throws {
        let store = try SQLiteEventStore.inMemory()
        let start: Int64 = 1_704_067_200_000  // 2024-01-01 00:00 UTC
        let lines = [
            "user_id,timestamp,event_type,item_id,value,duration,category",
            "u1,\(start + 60_000),view,i1,,12,books",
            "u1,\(start + 90_000),cart,i1,,,books",
            "u1,\(start + 120_000),purchase,i1,9.5,,books",
            "u1,\(start + 8 * 3_600_000),view,i2,,30,toys",
            "u2,\(start + 10 * 3_600_000),view,i3,,,garden",
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        _ = try store.ingest(try EventFileReader.open(path: path))
        let sessions = try SessionTable.read(from: store)
        #expect(sessions.table.columns == SessionTable.columns)
        #expect(sessions.keys.map(\.user) == ["u1", "u1", "u2"] && sessions.keys.map(\.session) == ["s0", "s1", "s0"])
        let first = sessions.table.rows[0]
        // events, minutes, peak (2 within [+60 s, +120 s)), items, categories, views, carts, purchases,
        // value, dwell, night, gap, sessions
        #expect(first == [3, 1, 2, 1, 1, 1, 1, 1, 9.5, 12, 1, 0, 2])
        #expect(sessions.table.rows[1][11] == (8 * 60 - 2) / 60.0, "hours since the first session ended")
        #expect(try SessionTable.read(from: store, at: start + 3_600_000).keys.count == 1)
    }
}
