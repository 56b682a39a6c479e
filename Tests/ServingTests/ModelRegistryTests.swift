import FileIO
import Foundation
import Synchronization
import Testing

@testable import Serving

@Suite struct ModelRegistryTests {
    /// A fresh registry folder, removed by the caller's `defer`.
    static func temporaryRegistry() -> ModelRegistry {
        ModelRegistry(
            root: FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)"))
    }

    /// Writes a minimal bundle (what every `behave train` model directory has) into `directory`.
    static func writeBundle(to directory: URL, task: String = "next-item", model: String = "sasrec") throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = #"{"task": "\#(task)", "created": "2026-12-04T10:00:00Z", "config": {"model": "\#(model)"}}"#
        try Data(config.utf8).write(to: directory.appendingPathComponent("config.json"))
        try Data(#"{"validation": {"ndcg@10": 0.31}}"#.utf8).write(to: directory.appendingPathComponent("metrics.json"))
    }

    static func registerBundle(_ registry: ModelRegistry, _ name: String, task: String = "next-item") throws -> String {
        let staging = try registry.stagingDirectory(for: name)
        try writeBundle(to: staging, task: task)
        return try registry.register(staged: staging, as: name)
    }

    @Test func theFirstVersionIsLiveLaterOnesWhenPromotedAndRollbackReturns() throws {
        let registry = Self.temporaryRegistry()
        defer { try? FileManager.default.removeItem(at: registry.root) }
        #expect(try registry.entries().isEmpty)
        #expect(try Self.registerBundle(registry, "shop-recs") == "1")
        #expect(try Self.registerBundle(registry, "shop-recs") == "2")
        var entry = try registry.entry("shop-recs")
        #expect(entry.versions.map(\.version) == ["1", "2"] && entry.live == "1")
        let version = try #require(entry.versions.first)
        #expect(version.task == "next-item" && version.model == "sasrec" && version.created == "2026-12-04T10:00:00Z")
        #expect(version.metrics.map { String(decoding: $0, as: UTF8.self) }?.contains("ndcg@10") == true)

        #expect(try registry.promote("shop-recs", version: "2") == .init(name: "shop-recs", previous: "1", live: "2"))
        #expect(try registry.liveVersion(of: "shop-recs")?.version == "2")
        // Promoting the live version again changes nothing.
        #expect(try registry.promote("shop-recs", version: "2").previous == "2")
        #expect(try registry.entry("shop-recs").history == ["1", "2"])
        #expect(try registry.rollback("shop-recs") == .init(name: "shop-recs", previous: "2", live: "1"))
        entry = try registry.entry("shop-recs")
        #expect(entry.live == "1" && entry.history == ["1"])
        #expect(throws: FileError.self) { try registry.rollback("shop-recs") }
        // No staging folder is left, and none is listed as a version.
        let contents = try FileManager.default.contentsOfDirectory(
            atPath: registry.root.appendingPathComponent("shop-recs").path)
        #expect(!contents.contains { $0.hasPrefix(".staging") })
    }

    @Test func unknownModelsAndVersionsBadNamesAndNonBundlesAreNamedErrors() throws {
        let registry = Self.temporaryRegistry()
        defer { try? FileManager.default.removeItem(at: registry.root) }
        _ = try Self.registerBundle(registry, "churn")
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return ""
            } catch {
                return error.localizedDescription
            }
        }
        #expect(
            message { try registry.promote("churn", version: "7") }.contains("no version 7 of \"churn\" (versions: 1)"))
        #expect(message { _ = try registry.entry("nope") }.contains("no model named \"nope\""))
        #expect(message { _ = try registry.stagingDirectory(for: "../escape") }.contains("is not a model name"))
        #expect(
            !ModelRegistry.isValidName(".hidden") && !ModelRegistry.isValidName("a/b") && !ModelRegistry.isValidName("")
        )
        #expect(ModelRegistry.isValidName("shop-recs_v2.1"))
        let empty = try registry.stagingDirectory(for: "churn")
        #expect(message { try registry.register(staged: empty, as: "churn") }.contains("is not a model directory"))
        #expect(try registry.entry("churn").versions.count == 1)
        // A version whose config.json went missing is listed but cannot be promoted.
        _ = try Self.registerBundle(registry, "churn")
        try FileManager.default.removeItem(at: registry.root.appendingPathComponent("churn/2/config.json"))
        #expect(try registry.entry("churn").versions.last?.task == nil)
        #expect(message { try registry.promote("churn", version: "2") }.contains("cannot be served"))
        // A damaged live.json is named, with the fix.
        try Data("{".utf8).write(to: registry.root.appendingPathComponent("churn/live.json"))
        #expect(message { _ = try registry.entry("churn") }.contains("live.json: is not a live-version file"))
    }

    @Test func concurrentRegistrationsNeverShareAVersion() throws {
        let registry = Self.temporaryRegistry()
        defer { try? FileManager.default.removeItem(at: registry.root) }
        let versions = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            if let version = try? Self.registerBundle(registry, "busy") { versions.withLock { $0.append(version) } }
        }
        let registered = versions.withLock { $0 }.compactMap { Int($0) }.sorted()
        #expect(registered == Array(1...12))
        #expect(try registry.entry("busy").live == "1")
    }

    @Test func aSavedForecastModelIsListedAsAForecast() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"format": 1, "kind": "arima"}"#.utf8).write(
            to: directory.appendingPathComponent("forecast-model.json"))
        let version = ModelVersion(version: "1", directory: directory)
        #expect(version.task == "forecast" && version.model == "arima" && version.metrics == nil)
    }
}
