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
            (
                ["series", "--from", "2024-02-01", "--at", "2024-01-01", "--out", "s.csv"],
                "--from 2024-02-01 is not before --at 2024-01-01"
            ),
            (
                ["series", "--dp-epsilon", "3", "--out", "s.csv"],
                "--dp-epsilon needs the series' span as --from and --at"
            ),
            (
                ["series", "--dp-epsilon", "3", "--from", "2024-01-01", "--at", "2024-02-01", "--by", "category"]
                    + ["--out", "s.csv"],
                "--by does not go with --dp-epsilon"
            ),
            (["series", "--dp-max-periods", "5", "--out", "s.csv"], "--dp-max-periods goes with a budget"),
            (
                ["series", "--metrics", "dau,revenue", "--dp-epsilon", "3", "--dp-bound-quantile", "1", "--from"]
                    + ["2024-01-01", "--at", "2024-02-01", "--out", "s.csv"],
                "--dp-bound-quantile is 1.0; it must be in (0, 1)"
            ),
            (
                ["series", "--dp-epsilon", "0", "--from", "2024-01-01", "--at", "2024-02-01", "--out", "s.csv"],
                "--dp-epsilon is 0.0; it must be a positive number"
            ),
            (
                ["series", "--dp-epsilon", "3", "--dp-max-per-period", "0", "--from", "2024-01-01", "--at"]
                    + ["2024-02-01", "--out", "s.csv"],
                "--dp-max-per-period is 0.0; it must be a count of at least 1"
            ),
            (
                ["series", "--dp-epsilon", "3", "--dp-accountant", "moments", "--from", "2024-01-01", "--at"]
                    + ["2024-02-01", "--out", "s.csv"],
                "--dp-accountant moments: use pld or rdp."
            ),
            (
                ["series", "--dp-epsilon", "3", "--dp-noise-seed", "-1", "--from", "2024-01-01", "--at"]
                    + ["2024-02-01", "--out", "s.csv"],
                "--dp-noise-seed -1: give a seed of 0 or more."
            ),
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

    @Test("a private series: the window's days exactly, noisy counts at or above 0, and a forecast made from it")
    func privateSeries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-series-dp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(
            config: SimulationConfig(users: 300, items: 40, days: 28, seed: 3))  // from 2024-01-01
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let window = ["--from", "2023-12-30", "--at", "2024-01-29"]
        let budget = ["--dp-epsilon", "3", "--dp-noise-seed", "1"]

        let out = directory.appendingPathComponent("private.csv").path
        try SeriesCommand.parse(["--store", storePath, "--metrics", "dau,events", "--out", out] + window + budget).run()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "date,dau,events")
        #expect(lines.count == 1 + 30 && lines[1].hasPrefix("2023-12-30,") && lines[30].hasPrefix("2024-01-28,"))
        let values = lines.dropFirst().flatMap { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
        #expect(values.count == 60 && values.allSatisfy { $0 >= 0 })
        try SeriesCommand.parse(["--store", storePath, "--metrics", "dau,events", "--out", out] + window + budget).run()
        #expect(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n") == lines)

        let forecast = directory.appendingPathComponent("forecast.csv").path
        try ForecastCommand.parse(
            ["--store", storePath, "--series", "dau", "--model", "snaive", "--horizon", "7", "--out", forecast]
                + window + budget
        ).run()
        #expect(try String(contentsOfFile: forecast, encoding: .utf8).split(separator: "\n").count == 8)
    }
}
