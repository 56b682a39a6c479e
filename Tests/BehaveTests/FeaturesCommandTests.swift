import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave features")
struct FeaturesCommandTests {
    @Test("exports one row per user with the documented columns")
    func exportsTable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("log.csv").path
        let store = folder.appendingPathComponent("behavior.db").path
        let out = folder.appendingPathComponent("features.csv").path
        try """
        user_id,timestamp,event_type,item_id,value
        a,1700000000000,view,i1,
        a,1700000060000,purchase,i1,5
        b,1700000000000,view,i2,

        """.write(toFile: log, atomically: true, encoding: .utf8)
        try Ingest.parse([log, "--store", store, "--json"]).run()
        try Features.parse(["--store", store, "--out", out]).run()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("user_id,recency_days,frequency,monetary,tenure_days"))
        #expect(lines[1].hasPrefix("a,0,2,5,"))
    }

    @Test("bad options say what to write")
    func badOptions() {
        for (arguments, fragment) in [
            (["--session-gap", "0"], "--session-gap must be at least 1 minute."),
            (["--at", "soon"], "--at soon: write an ISO 8601 time"),
        ] {
            do {
                _ = try Features.parse(arguments)
                Issue.record("expected an error for \(arguments)")
            } catch {
                #expect(Features.message(for: error).contains(fragment), "\(Features.message(for: error))")
            }
        }
    }
}
