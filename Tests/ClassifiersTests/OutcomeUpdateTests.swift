import EventData
import Foundation
import Monitoring
import Testing

@testable import Classifiers

@Suite("behave update of purchase and churn models")
struct OutcomeUpdateTests {
    @Test("The cut-off moves to the newest window; both holdouts are scored; the candidate saves and loads")
    func update() throws {
        let store = UserOutcomeTests.store
        let window = Duration.seconds(5 * 86_400)
        let last = try #require(try store.describe().lastTimestamp)
        let oldCutoff = last - 12 * 86_400_000
        let data = try UserOutcomeData.load(from: store, task: .purchase, window: window, cutoff: oldCutoff)
        var config = ClassifierConfig.mlp
        config.epochs = 3
        config.hiddenSizes = [16]
        let live = try UserOutcomeClassifier.train(data: data, model: .mlp, config: config)
        let watermark = try #require(live.profile?.watermark)
        #expect(watermark == oldCutoff + 5 * 86_400_000)

        var settings = UpdateSettings()
        settings.epochs = 2
        let result = try live.updated(store: store, watermark: watermark, settings: settings)
        let candidate = result.candidate
        #expect(candidate.manifest.cutoff == last - 5 * 86_400_000)
        #expect(candidate.manifest.featureColumns == live.manifest.featureColumns)
        #expect(candidate.manifest.featureMeans == live.manifest.featureMeans)
        #expect(result.decision.metric == "roc-auc" && result.decision.recentExamples > 0)
        #expect(result.decision.oldExamples > 0 && result.decision.replayedExamples > 0)
        #expect((0...1).contains(result.decision.live.recent) && (0...1).contains(result.decision.candidate.old))
        #expect(candidate.profile?.watermark == last)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try candidate.save(to: directory)
        let loaded = try UserOutcomeClassifier.load(from: directory)
        #expect(loaded.manifest.cutoff == candidate.manifest.cutoff)
        #expect(try TrainingProfile.load(from: directory).watermark == last)

        // A model whose window already reaches the newest event has nothing newer to learn from.
        #expect(throws: ClassifierError.self) {
            _ = try candidate.updated(store: store, watermark: last, settings: settings)
        }
    }

    @Test("Sequence models are refused with what to do instead")
    func sequenceRefused() throws {
        let store = UserOutcomeTests.store
        let last = try #require(try store.describe().lastTimestamp)
        let data = try UserOutcomeData.load(
            from: store, task: .churn, window: .seconds(5 * 86_400), cutoff: last - 12 * 86_400_000)
        var config = ClassifierConfig.mlp
        config.epochs = 1
        let gru = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        do {
            _ = try gru.updated(store: store, watermark: last - 7 * 86_400_000)
            Issue.record("a GRU model was updated")
        } catch {
            #expect(error.localizedDescription.contains("mlp to update"))
        }
    }
}
