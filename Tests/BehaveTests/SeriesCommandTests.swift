import ArgumentParser
import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave series")
struct SeriesCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (
                ["series", "--metrics", "dau,visits", "--out", "s.csv"],
                "--metrics dau,visits: 'visits' is not a metric; use dau, sessions, events, events:TYPE, purchases, revenue."
            ),
            (["series", "--period", "week", "--out", "s.csv"], "The value 'week' is invalid for '--period <period>'"),
            (["series", "--by", " ", "--out", "s.csv"], "--by: name category or a user attribute"),
            (["series", "--at", "soon", "--out", "s.csv"], "--at soon: write an ISO 8601 time"),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    @Test("a simulated shop's daily series: every day present, one row per day, groups by category")
    func simulatedShop() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-series-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 80, items: 40, days: 10, seed: 3))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)

        let out = directory.appendingPathComponent("daily.csv").path
        try SeriesCommand.parse(["--store", storePath, "--out", out]).run()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "date,dau,sessions,events,purchases,revenue")
        #expect(lines.count >= 10 && lines.count <= 12, "\(lines.count - 1) days")
        let users = lines.dropFirst().compactMap { Int($0.split(separator: ",")[1]) }
        #expect(users.count == lines.count - 1 && users.allSatisfy { $0 <= 80 } && users.contains { $0 > 0 })

        let grouped = directory.appendingPathComponent("by-category.csv").path
        try SeriesCommand.parse(["--store", storePath, "--metrics", "dau", "--by", "category", "--out", grouped]).run()
        let header = try String(contentsOfFile: grouped, encoding: .utf8).split(separator: "\n")[0]
        #expect(header.hasPrefix("date,dau:") && header.split(separator: ",").count > 3)
        #expect(throws: ValidationError.self) {
            try SeriesCommand.parse(["--store", storePath, "--by", "segment:none", "--out", grouped]).run()
        }
    }
}
