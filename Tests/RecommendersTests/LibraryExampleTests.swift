import EventData
import Foundation
import Testing

@testable import Recommenders

/// The README's library example, line for line (smaller, and in a scratch folder).
@Suite(.serialized) struct LibraryExampleTests {
    @Test func theReadmeQuickstartRunsAsWritten() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("shop.csv").path

        let simulation = SimulationConfig(users: 50, items: 40, days: 14, seed: 7)
        _ = try BehaviorSimulator(config: simulation).write(eventsTo: log, format: .csv)
        let store = try SQLiteEventStore(path: folder.appendingPathComponent("shop.db").path)
        _ = try store.ingest(try EventFileReader.open(path: log, schema: ReaderSchema()))

        let data = try NextItemData.load(from: store)
        var config = NextItemConfig.defaults(for: .sasrec)
        config.epochs = 1
        let outcome = try NextItemTrainer(config: config, data: data).train()
        #expect(outcome.metrics.test?.full.ndcg(at: 10) != nil)

        let package = NextItemPackage(trained: outcome, store: store.location)
        try package.save(to: folder.appendingPathComponent("models/sasrec"), log: outcome.logLines)
        let top = try package.recommend(forUser: data.userIDs[0], in: store, count: 10, excludeSeen: true)
        #expect(top.items.count == 10 && Set(top.items.map(\.id)).isDisjoint(with: top.history))
    }
}
