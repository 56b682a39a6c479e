import ArgumentParser
import EventData
import Foundation
import Monitoring
import Testing

@testable import behave

@Suite("behave monitor")
struct MonitorCommandTests {
    private func folder() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("A purchase model keeps its profile; monitor compares the events after it, JSON, HTML, exit status")
    func purchaseStore() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 150, items: 60, days: 21, seed: 9))
        _ = try SQLiteEventStore(path: store).ingest(simulator)
        let model = directory.appendingPathComponent("purchase").path
        try TrainPurchase.parse([
            "--window", "3d", "--at", "2024-01-10", "--store", store, "--out", model, "--epochs", "2", "--json",
        ]).run()
        let profile = try TrainingProfile.load(from: URL(fileURLWithPath: model))
        #expect(profile.unit == "users" && profile.scores != nil && profile.scoreMeaning == "purchase probability")
        #expect(profile.features.contains { $0.name == "recency_days" && $0.group == "input" })
        #expect(profile.features.contains { $0.name == BehaviourSamples.eventType && $0.group == "events" })
        let watermark = try #require(profile.watermark)
        #expect(watermark == profile.lastEvent.map { $0 + 3 * 86_400_000 })

        let (report, _, window) = try MonitorCommand.parse([model, "--store", store]).makeReport()
        #expect(window?.lowerBound == watermark + 1)
        #expect(report.features.count == profile.features.count)
        #expect(report.scores?.statistic == "psi")
        #expect((report.facts["events"] ?? 0) > 0 && report.facts["new users"] != nil)
        #expect(
            report.features.allSatisfy { ["wasserstein", "jensen-shannon", "missing-share"].contains($0.statistic) })

        // Thresholds near zero and no noise guard: everything drifts, and --fail-on-drift exits with 3.
        let html = directory.appendingPathComponent("drift.html").path
        let strict = try MonitorCommand.parse([
            model, "--store", store, "--wasserstein", "1e-9", "--jensen-shannon", "1e-9", "--no-noise-guard",
            "--html", html, "--fail-on-drift",
        ])
        #expect(throws: ExitCode(3)) { try strict.run() }
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("Verdict: <strong>drifted</strong>") && page.contains("<svg"))
        #expect(page.contains("recency_days"))
    }

    @Test("No events after the training data, a window the wrong way round, a bundle without a profile")
    func storeErrors() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 120, items: 50, days: 14, seed: 4))
        _ = try SQLiteEventStore(path: store).ingest(simulator)
        let model = directory.appendingPathComponent("pop").path
        try TrainNextItem.parse(["--model", "pop", "--store", store, "--out", model, "--json"]).run()
        #expect(
            runFailure { try MonitorCommand.parse([model, "--store", store]).run() }
                .contains("has no events after the model's training data"))
        #expect(
            runFailure { try MonitorCommand.parse([model, "--since", "2024-01-10", "--until", "2024-01-05"]).run() }
                .contains("--since 2024-01-10T00:00:00Z is after --until 2024-01-05T00:00:00Z"))
        let (report, _, _) = try MonitorCommand.parse([model, "--since", "2024-01-08"]).makeReport()
        #expect(report.features.map(\.name).contains(BehaviourSamples.knownItem))
        let registry = directory.appendingPathComponent("registry").path
        try TrainNextItem.parse([
            "--model", "pop", "--store", store, "--registry", registry, "--name", "recs", "--json",
        ]).run()
        let live = try MonitorCommand.parse(["recs", "--registry", registry, "--since", "2024-01-08"]).makeReport()
        #expect(live.report.features.map(\.name) == report.features.map(\.name))
        #expect(
            runFailure { try MonitorCommand.parse(["other", "--registry", registry]).run() }
                .contains("no model named \"other\" in the registry"))
        try FileManager.default.removeItem(atPath: model + "/" + TrainingProfile.fileName)
        #expect(
            runFailure { try MonitorCommand.parse([model, "--since", "2024-01-08"]).run() }
                .contains("has no profile.json: it was trained before models kept their training profile"))
    }

    @Test("A table model: same rows stable, shifted rows drifted by name, a missing column named")
    func table() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ name: String, shift: Double, basicShare: Int) throws -> String {
            var lines = ["id,age,plan,label"]
            for row in 0..<600 {
                let age = Double(row % 50) + 20 + shift
                let plan = row % 10 < basicShare ? "basic" : (row % 2 == 0 ? "pro" : "team")
                lines.append("c\(row),\(age),\(plan),\(row % 3 == 0 ? "yes" : "no")")
            }
            let path = directory.appendingPathComponent(name).path
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let training = try write("train.csv", shift: 0, basicShare: 3)
        let model = directory.appendingPathComponent("table").path
        try TrainClassify.parse(["--data", training, "--label", "label", "--out", model, "--epochs", "2", "--json"])
            .run()
        let same = try MonitorCommand.parse([model, "--data", try write("same.csv", shift: 0, basicShare: 3)])
            .makeReport().report
        #expect(same.verdict == "stable" && same.features.map(\.name) == ["age", "plan"])
        let moved = try MonitorCommand.parse([model, "--data", try write("moved.csv", shift: 8, basicShare: 8)])
            .makeReport().report
        #expect(moved.features.filter(\.drifted).map(\.name) == ["age", "plan"] && moved.verdict == "drifted")
        let partial = directory.appendingPathComponent("partial.csv").path
        try "id,age,label\nc1,30,yes\n".write(toFile: partial, atomically: true, encoding: .utf8)
        #expect(runFailure { try MonitorCommand.parse([model, "--data", partial]).run() }.contains("plan"))
        #expect(
            runFailure { try MonitorCommand.parse([model]).run() }
                .contains("is a table classifier: pass the rows to compare with --data FILE"))
    }

    @Test(
        "Flags that cannot work say what to do",
        arguments: [
            (["monitor", "m", "--wasserstein", "-1"], "--wasserstein is -1.0; it must be a positive number."),
            (["monitor", "m", "--drift-share", "2"], "--drift-share is 2.0; it must be above 0 and at most 1."),
            (["monitor", "m", "--data", "a.csv", "--store", "b.db"], "--data compares a table; --store"),
            (["monitor", "m", "--since", "soon"], "--since soon: write an ISO 8601 time"),
        ])
    func badFlags(arguments: [String], expected: String) {
        #expect(parseFailure(arguments)?.contains(expected) == true, "\(parseFailure(arguments) ?? "parsed")")
    }
}
