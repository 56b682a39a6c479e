import EventData
import Evaluation
import Foundation
import Testing

@testable import Classifiers

@Suite(.serialized) struct UserOutcomeTests {
    static let store: SQLiteEventStore = {
        // A seeded simulated shop; building it in memory cannot fail short of a bug.
        guard let store = try? SQLiteEventStore.inMemory(),
            let simulator = try? BehaviorSimulator(config: SimulationConfig(users: 240, items: 80, days: 30, seed: 4)),
            (try? store.ingest(simulator)) != nil
        else { preconditionFailure("could not simulate the test shop") }
        return store
    }()

    @Test func labelsComeFromTheWindowAndInputsStopAtTheCutoff() throws {
        let data = try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(7 * 86_400))
        let last = try #require(try Self.store.describe().lastTimestamp)
        #expect(data.cutoff == last - 7 * 86_400_000)
        #expect(data.examples.allSatisfy { $0.input.events.allSatisfy { $0.timestamp <= data.cutoff } })
        let positives = data.examples.reduce(0) { $0 + $1.label }
        #expect(positives > 0 && positives < data.examples.count)
        let churn = try UserOutcomeData.load(from: Self.store, task: .churn, window: .seconds(7 * 86_400))
        #expect(churn.examples.count == data.examples.count)
    }

    @Test func everyModelTrainsAndIsReportedBesideTheBaseline() throws {
        let data = try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(7 * 86_400))
        var config = ClassifierConfig.mlp
        config.epochs = 3
        config.hiddenSizes = [16]
        for kind in OutcomeModelKind.allCases {
            let classifier = try UserOutcomeClassifier.train(data: data, model: kind, config: config)
            for split in ["validation", "test"] {
                let model = try #require(classifier.metrics[split]?["model"])
                #expect(model.rocAUC != nil && model.atChosenThreshold != nil, "\(kind) \(split)")
                #expect(classifier.metrics[split]?["baseline"]?.rocAUC != nil)
            }
            #expect((classifier.manifest.sequenceEncoder == nil) == (kind == .mlp))
        }
    }

    @Test func theSameSeedGivesTheSameMetricsAndTheDirectoryIsComplete() throws {
        let data = try UserOutcomeData.load(from: Self.store, task: .churn, window: .seconds(5 * 86_400))
        var config = ClassifierConfig.mlp
        config.epochs = 2
        let first = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        let second = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        #expect(first.metrics == second.metrics)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outcome-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try first.save(to: directory)
        for file in ["config.json", "weights.safetensors", "metrics.json", "training.log"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file)")
        }
    }

    @Test func aWindowLongerThanTheDataIsAClearError() {
        #expect { try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(90 * 86_400)) } throws: { error in
            error.localizedDescription.contains("shorter --window")
        }
    }
}
