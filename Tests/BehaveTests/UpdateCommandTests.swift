import ArgumentParser
import EventData
import Foundation
import Serving
import Testing

@testable import behave

@Suite("behave update")
struct UpdateCommandTests {
    @Test("A dry run registers nothing; a refused candidate is registered beside the live version with update.json")
    func nextItem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("shop.db").path
        var config = SimulationConfig(users: 150, items: 60, days: 20, seed: 5)
        config.newItemShare = 0.3
        let simulator = try BehaviorSimulator(config: config)
        let cut = Int64((config.start.timeIntervalSince1970 * 1_000).rounded()) + 15 * 86_400_000
        _ = try SQLiteEventStore(path: store).ingest(TimeRangeSource(simulator, range: Int64.min..<cut))
        let registry = directory.appendingPathComponent("registry").path
        try TrainNextItem.parse([
            "--model", "pop", "--store", store, "--registry", registry, "--name", "recs", "--json",
        ]).run()
        #expect(
            runFailure { try UpdateCommand.parse(["recs", "--registry", registry, "--dry-run"]).run() }
                .contains("no user has an item event after the model's watermark"))

        _ = try SQLiteEventStore(path: store).ingest(TimeRangeSource(simulator, range: cut..<Int64.max))
        try UpdateCommand.parse(["recs", "--registry", registry, "--dry-run", "--json"]).run()
        let models = ModelRegistry(root: URL(fileURLWithPath: registry))
        #expect(try models.entry("recs").versions.map(\.version) == ["1"])

        // A margin no candidate can meet: registered as version 2, version 1 stays live.
        try UpdateCommand.parse(["recs", "--registry", registry, "--margin", "1", "--json"]).run()
        let entry = try models.entry("recs")
        #expect(entry.versions.map(\.version) == ["1", "2"] && entry.live == "1")
        let decisionFile = models.version("2", of: "recs").directory.appendingPathComponent("update.json")
        let decision = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: decisionFile)) as? [String: Any])
        let body = try #require(decision["decision"] as? [String: Any])
        #expect(decision["liveVersion"] as? String == "1" && body["promote"] as? Bool == false)
        #expect((body["reason"] as? String)?.contains("not better enough on the recent holdout") == true)
        #expect((body["newItems"] as? Int ?? 0) > 0)
        // The new version knows the live items at the same indexes, then the new ones.
        let liveItems = try JSONDecoder().decode(
            [String].self,
            from: Data(contentsOf: models.version("1", of: "recs").directory.appendingPathComponent("items.json")))
        let newItems = try JSONDecoder().decode(
            [String].self,
            from: Data(contentsOf: models.version("2", of: "recs").directory.appendingPathComponent("items.json")))
        #expect(Array(newItems.prefix(liveItems.count)) == liveItems && newItems.count > liveItems.count)
    }

    @Test(
        "Flags that cannot work say what to do",
        arguments: [
            (["update", "m", "--registry", "r", "--margin", "2"], "--margin is 2.0; it must be between 0.0 and 1.0."),
            (
                ["update", "m", "--registry", "r", "--replay", "-1"],
                "--replay is -1.0; it must be between 0.0 and 1.0."
            ),
            (["update", "m", "--registry", "r", "--epochs", "0"], "--epochs is 0; it must be between 1 and 10000."),
            (["update", "m"], "Missing expected argument '--registry <registry>'"),
            (
                ["simulate", "--new-item-share", "2"],
                "--new-item-share 2.0: must be between 0 and 0.9 (0.2: a fifth of the catalogue arrives during the period)."
            ),
            (
                ["simulate", "--new-item-share", "0.3", "--drift-start", "1"],
                "--drift-start 1.0: must be between 0 and 0.99 (0.9: the drift happens in the last tenth of the period)."
            ),
            (
                ["ingest", "a.csv", "--until", "yesterday"],
                "--until yesterday: write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z."
            ),
        ])
    func badFlags(arguments: [String], expected: String) {
        #expect(parseFailure(arguments)?.contains(expected) == true, "\(parseFailure(arguments) ?? "parsed")")
    }

    @Test("An unknown model and a model kind update does not handle are named, with what to do")
    func wrongModels() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let registry = directory.appendingPathComponent("registry").path
        #expect(
            runFailure { try UpdateCommand.parse(["nope", "--registry", registry]).run() }
                .contains("no model named \"nope\" in the registry"))
        let table = directory.appendingPathComponent("t.csv").path
        let rows = (0..<90).map { "\($0 % 7),\($0 % 3 == 0 ? "yes" : "no")" }
        try (["a,label"] + rows).joined(separator: "\n").write(toFile: table, atomically: true, encoding: .utf8)
        try TrainClassify.parse([
            "--data", table, "--label", "label", "--registry", registry, "--name", "intent", "--epochs", "2", "--json",
        ]).run()
        #expect(
            runFailure { try UpdateCommand.parse(["intent", "--registry", registry]).run() }
                .contains("is a classify; behave update handles next-item, purchase and churn models"))
    }
}
