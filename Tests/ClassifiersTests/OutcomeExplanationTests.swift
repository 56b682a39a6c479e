import EventData
import Explanations
import Foundation
import Testing

@testable import Classifiers

@Suite("Explaining a purchase model's score for one user")
struct OutcomeExplanationTests {
    /// The purchase task of the shared test store, cut 12 days before its last event.
    static func purchaseData() throws -> UserOutcomeData {
        let last = try #require(try UserOutcomeTests.store.describe().lastTimestamp)
        return try UserOutcomeData.load(
            from: UserOutcomeTests.store, task: .purchase, window: .seconds(5 * 86_400), cutoff: last - 12 * 86_400_000)
    }

    @Test("Per feature, from the average training user, within 1% of the change")
    func explainUser() throws {
        let store = UserOutcomeTests.store
        let data = try Self.purchaseData()
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
        #expect(explanation.events.isEmpty)
    }

    @Test(
        "Sequence models per past event: the events read, in the user's terms, adding up within 1%",
        arguments: [OutcomeModelKind.gru, .lstm, .cnn])
    func explainEvents(kind: OutcomeModelKind) throws {
        let store = UserOutcomeTests.store
        let data = try Self.purchaseData()
        var config = ClassifierConfig.mlp
        config.epochs = 2
        config.batchSize = 64
        let model = try UserOutcomeClassifier.train(data: data, model: kind, config: config)
        var history: UserHistory?
        try store.forEachUserHistory { if history == nil, $0.events.count > 60 { history = $0 } }
        let user = try #require(history)
        let items = try store.itemIDs()
        #expect(throws: ClassifierError.self) { _ = try model.explain(user, at: data.cutoff) }
        let explanation = try model.explain(user, at: data.cutoff, itemIDs: items)
        let known = user.known(at: data.cutoff).events.suffix(50)
        #expect(explanation.features.isEmpty && explanation.events.count == known.count)
        #expect(explanation.events.map(\.time) == known.map(\.timestamp))
        #expect(explanation.events.map(\.type) == known.map(\.type.rawValue))
        #expect(explanation.events.map(\.item) == known.map { $0.item.map { items[$0] } })
        let predicted = model.predict([user], itemIDs: items, at: data.cutoff)[0]
        #expect(abs(explanation.probability - predicted) < 1e-5)
        let total = explanation.events.reduce(0.0) { $0 + $1.attribution }
        let change = explanation.probability - explanation.baselineProbability
        #expect(explanation.relativeGap <= 0.01, "gap \(explanation.relativeGap)")
        #expect(abs(total - change) <= 0.01 * abs(change) + 1e-6, "sum \(total) vs change \(change)")
    }
}
