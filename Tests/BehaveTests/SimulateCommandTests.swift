import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave simulate")
struct SimulateCommandTests {
    @Test("bad options name the flag and the valid range")
    func badOptions() {
        for (arguments, message) in [
            (["--users", "0"], "--users 0: must be at least 1."),
            (["--bot-fraction", "2"], "--bot-fraction 2.0: must be between 0.0 and 1.0."),
            (["--takeover-fraction", "2"], "--takeover-fraction 2.0: must be between 0.0 and 1.0."),
            (["--farm-fraction", "-0.5"], "--farm-fraction -0.5: must be between 0.0 and 1.0."),
            (
                ["--churn-fraction", "0.5", "--farm-fraction", "0.5"],
                "--farm-fraction 0.5 (with bot-, fraud-, churn- and takeover-fraction: 1.02): must be at most 1 "
                    + "together with bot-fraction, fraud-fraction, churn-fraction and takeover-fraction."
            ),
        ] {
            #expect(throws: (any Error).self) { try Simulate.parse(arguments) }
            do {
                _ = try Simulate.parse(arguments)
            } catch {
                #expect(Simulate.message(for: error) == message)
            }
        }
    }

    @Test("bad growth and campaign options name the flag")
    func badTrendOptions() {
        for (arguments, message) in [
            (["--growth", "-1"], "--growth -1.0: must be between -0.9 and 10"),
            (["--days", "30", "--campaign-day", "30"], "--campaign-day 30: must be a day of the simulation, 0 to 29"),
            (["--campaign-day", "3", "--campaign-lift", "-2"], "--campaign-lift -2.0: must be between 0 and 100"),
        ] {
            do {
                _ = try Simulate.parse(arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                let text = Simulate.message(for: error)
                #expect(text.hasPrefix(message), "\(arguments): \(text)")
            }
        }
    }

    @Test("writes the event file and its ground truth next to it")
    func writesFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("shop.csv").path
        let command = try Simulate.parse(["--events", "500", "--seed", "3", "--out", out, "--json"])
        try command.run()
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "user_id,timestamp,event_type,item_id,session_id,value,duration,category")
        #expect(lines.count == 501)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("shop.truth.json").path))
        #expect(command.resolvedFormat == .csv)
    }

    @Test("the new roles have flags, and the summary counts them")
    func takeoverAndFarmFlags() throws {
        let command = try Simulate.parse(["--takeover-fraction", "0.02", "--farm-fraction", "0"])
        #expect(command.config.takeoverFraction == 0.02 && command.config.farmFraction == 0)
        let defaults = try Simulate.parse([]).config
        #expect(defaults.takeoverFraction == 0.005 && defaults.farmFraction == 0.01)
        let summary = try BehaviorSimulator(
            config: SimulationConfig(
                users: 300, items: 60, categories: 4, days: 4, seed: 2, takeoverFraction: 0.02, farmFraction: 0.05)
        ).generate { _ in }.summary
        #expect(summary.takeovers == 6 && summary.farmAccounts == 15)
        let line = Simulate.population(summary)
        #expect(line.contains("6 taken over, 15 in \(summary.farms) click farm"), "\(line)")
    }

    @Test("the format follows the extension unless given")
    func formatFromExtension() throws {
        #expect(try Simulate.parse(["--out", "x.jsonl"]).resolvedFormat == .jsonl)
        #expect(try Simulate.parse(["--out", "x.jsonl", "--format", "csv"]).resolvedFormat == .csv)
        #expect(try Simulate.parse(["--out", "x.jsonl"]).resolvedGroundTruth == "x.truth.json")
    }
}
