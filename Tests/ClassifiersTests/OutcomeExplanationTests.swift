import EventData
import Explanations
import Foundation
import Testing

@testable import Classifiers

@Suite("Explaining a purchase model's score for one user")
struct OutcomeExplanationTests {
    @Test("Per feature, from the average training user, within 1% of the change; sequence models are refused")
    func explainUser() throws {
        let store = UserOutcomeTests.store
        let last = try #require(try store.describe().lastTimestamp)
        let data = try UserOutcomeData.load(
            from: store, task: .purchase, window: .seconds(5 * 86_400), cutoff: last - 12 * 86_400_000)
        var config = ClassifierConfig.mlp
        config.epochs = 3
        config.hiddenSizes = [16]
        let classifier = try UserOutcomeClassifier.train(data: data, model: .mlp, config: config)
        var history: UserHistory?
        try store.forEachUserHistory { if history == nil, $0.events.count > 20 { history = $0 } }
        let user = try #require(history)
        let explanation = try classifier.explain(user, at: data.cutoff)
        #expect(explanation.user == user.userID && explanation.referenceTime == data.cutoff)
        #expect(explanation.relativeGap <= 0.01, "gap \(explanation.relativeGap)")
        #expect(explanation.features.map(\.feature).sorted() == classifier.manifest.featureColumns.sorted())
        let predicted = classifier.predict([user], itemIDs: try store.itemIDs(), at: data.cutoff)[0]
        #expect(abs(explanation.probability - predicted) < 1e-5)
        let sizes = explanation.features.map { abs($0.attribution) }
        #expect(sizes == sizes.sorted(by: >))

        let gru = try UserOutcomeClassifier.train(data: data, model: .gru, config: config)
        #expect(throws: ClassifierError.self) { _ = try gru.explain(user, at: data.cutoff) }
    }
}
