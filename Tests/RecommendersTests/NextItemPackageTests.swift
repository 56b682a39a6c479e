import EventData
import Foundation
import NeuralNet
import Testing

@testable import Recommenders

@Suite(.serialized) struct NextItemPackageTests {
    /// A briefly trained model of each kind, saved to a fresh directory.
    func savedModel(_ kind: NextItemModelKind) throws -> (URL, NextItemPackage) {
        var config = NextItemTrainingTests.smallConfig(kind)
        config.epochs = 1
        let data = NextItemTrainingTests.data
        let outcome = try NextItemTrainer(config: config, data: data).train()
        let package = NextItemPackage(trained: outcome, store: "memory")
        let directory = try temporaryDirectory().appendingPathComponent("model")
        try package.save(to: directory, log: outcome.logLines)
        return (directory, package)
    }

    @Test func aSavedModelRecommendsExactlyTheSameAfterLoading() throws {
        for kind in NextItemModelKind.allCases {
            let (directory, package) = try savedModel(kind)
            defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
            let loaded = try NextItemPackage.load(from: directory)
            let history = try package.itemIndexes(of: ["i3", "i4", "i5"])
            let before = try package.recommend(after: history, count: 10, excludeSeen: false)
            let after = try loaded.recommend(after: history, count: 10, excludeSeen: false)
            #expect(before.map(\.id) == after.map(\.id), "\(kind)")
            #expect(before.map(\.score) == after.map(\.score), "\(kind)")
            #expect(loaded.metrics == package.metrics)
            #expect(loaded.manifest == package.manifest)
            for file in ["config.json", "weights.safetensors", "items.json", "metrics.json", "training.log"] {
                #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file)")
            }
        }
    }

    @Test func excludeSeenLeavesTheHistoryOut() throws {
        let (directory, package) = try savedModel(.pop)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let top = try package.recommend(after: [], count: 3, excludeSeen: true)
        let history = try package.itemIndexes(of: top.map(\.id))
        let next = try package.recommend(after: history, count: 3, excludeSeen: true)
        #expect(Set(next.map(\.id)).isDisjoint(with: top.map(\.id)))
    }

    @Test func badRequestsGiveClearErrors() throws {
        let (directory, package) = try savedModel(.sasrec)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        #expect(throws: RecommenderError.unknownItems(ids: ["nope"])) { try package.itemIndexes(of: ["i1", "nope"]) }
        #expect(throws: RecommenderError.self) { try package.recommend(after: [], count: 5, excludeSeen: false) }
    }

    @Test func missingOrCorruptedFilesAreNamed() throws {
        let (directory, _) = try savedModel(.sasrec)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let missing = directory.deletingLastPathComponent().appendingPathComponent("absent")
        #expect(throws: RecommenderError.self) { try NextItemPackage.load(from: missing) }

        let weights = directory.appendingPathComponent("weights.safetensors")
        let original = try Data(contentsOf: weights)
        try original.prefix(original.count / 2).write(to: weights)
        expectBadModel(directory, mentioning: "weights.safetensors")
        try original.write(to: weights)

        let items = directory.appendingPathComponent("items.json")
        let ids = try Data(contentsOf: items)
        try Data("[\"only-one\"]".utf8).write(to: items)
        expectBadModel(directory, mentioning: "items.json")
        try FileManager.default.removeItem(at: items)
        expectBadModel(directory, mentioning: "items.json")
        try ids.write(to: items)

        let config = directory.appendingPathComponent("config.json")
        try Data("{ not json".utf8).write(to: config)
        expectBadModel(directory, mentioning: "config.json")
    }

    private func expectBadModel(_ directory: URL, mentioning text: String) {
        do {
            _ = try NextItemPackage.load(from: directory)
            Issue.record("loading a damaged model succeeded (\(text))")
        } catch {
            #expect(error.localizedDescription.contains(text), "\(error.localizedDescription)")
        }
    }
}
