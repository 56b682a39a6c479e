import Classifiers
import EventData
import Foundation
import Logging
import Recommenders
import Serving

@testable import ScoringServer

/// A registry with a next-item model (`recs`: version 1 popularity, version 2 a small SASRec),
/// a table classifier (`intent`) and a purchase model (`buyers`), an event store with the users they were trained on, and
/// a key file with a score key, an ingest key and an admin key. Removed by ``remove()``.
struct ServerFixture {
    let root: URL
    let registry: ModelRegistry
    let keyFile: APIKeyFile
    let store: SQLiteEventStore
    let scoreKey: String
    let ingestKey: String
    let adminKey: String
    /// A user of the store and items the models know.
    let user: String
    let items: [String]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        registry = ModelRegistry(root: root.appendingPathComponent("registry"))
        store = try SQLiteEventStore(path: root.appendingPathComponent("shop.db").path)
        _ = try store.ingest(try BehaviorSimulator(config: SimulationConfig(users: 60, items: 30, days: 21, seed: 2)))
        let data = try NextItemData.load(from: store)
        for kind in [NextItemModelKind.pop, .sasrec] {
            var config = NextItemConfig.defaults(for: kind)
            if kind == .sasrec {
                config.architecture = .sasrec(
                    SASRecConfig(maxLength: 12, hidden: 16, blocks: 1, heads: 1, feedForwardSize: 16, dropout: 0.1))
                config.loss = .bce
                config.epochs = 1
            }
            let outcome = try NextItemTrainer(config: config, data: data).train()
            let staging = try registry.stagingDirectory(for: "recs")
            var package = NextItemPackage(trained: outcome, store: store.location)
            package.profile = try package.trainingProfile(store: store, data: data)
            try package.save(to: staging, log: outcome.logLines)
            try registry.register(staged: staging, as: "recs")
        }
        user = try store.userIDs().externalIDs.first ?? "u1"
        items = Array(data.items.externalIDs.suffix(3))

        var lines = ["a,b,color,label"]
        for row in 0..<120 { lines.append("\(row % 7),\(row % 5),\(["red", "blue"][row % 2]),\(row % 7 > 3 ? 1 : 0)") }
        let csv = root.appendingPathComponent("t.csv")
        try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        var config = ClassifierConfig.mlp
        config.hiddenSizes = [8]
        config.epochs = 3
        let classifier = try TableClassifier.train(
            table: try LabelledTable.read(path: csv.path, label: "label"), config: config)
        let staging = try registry.stagingDirectory(for: "intent")
        try classifier.save(to: staging)
        try registry.register(staged: staging, as: "intent")

        let outcomes = try UserOutcomeData.load(from: store, task: .purchase, window: .seconds(7 * 86_400))
        var outcomeConfig = ClassifierConfig.mlp
        outcomeConfig.hiddenSizes = [8]
        outcomeConfig.epochs = 2
        let buyers = try UserOutcomeClassifier.train(data: outcomes, model: .mlp, config: outcomeConfig)
        let outcomeStaging = try registry.stagingDirectory(for: "buyers")
        try buyers.save(to: outcomeStaging)
        try registry.register(staged: outcomeStaging, as: "buyers")

        keyFile = APIKeyFile(url: root.appendingPathComponent("keys.json"))
        scoreKey = try keyFile.add(scopes: [.score]).key
        ingestKey = try keyFile.add(scopes: [.ingest]).key
        adminKey = try keyFile.add(scopes: [.admin]).key
    }

    func server(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> ScoringServer {
        var configuration = ServerConfiguration()
        configuration.serving = ServingContext(store: store, maximumHistory: 50, maximumRows: 100)
        configuration.eventStore = store
        configuration.maximumBodyBytes = 4_096
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try ScoringServer(registry: registry, keyFile: keyFile, configuration: configuration, logger: logger)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}
