import EventData
import Explanations
import Foundation
import Testing

@testable import Recommenders

@Suite(.serialized) struct NextItemExplanationTests {
    func trained(_ kind: NextItemModelKind) throws -> NextItemPackage {
        var config = NextItemTrainingTests.smallConfig(kind)
        config.epochs = 2
        let data = NextItemTrainingTests.data
        let outcome = try NextItemTrainer(config: config, data: data).train()
        return NextItemPackage(trained: outcome, store: "memory")
    }

    @Test(
        "Per past item, adding up to the probability's change within 1%",
        arguments: [NextItemModelKind.sasrec, .gru4rec])
    func perItem(kind: NextItemModelKind) throws {
        let package = try trained(kind)
        let history = try package.itemIndexes(of: ["i3", "i4", "i5", "i9", "i4"])
        let explanation = try package.explain(after: history)
        let top = try package.recommend(after: history, count: 1, excludeSeen: true)[0]
        #expect(explanation.item == top.id)
        #expect(explanation.events.map(\.item) == ["i3", "i4", "i5", "i9", "i4"])
        #expect(abs(explanation.score - Double(top.score)) < 1e-4 * max(1, abs(explanation.score)))
        let sum = explanation.events.reduce(0.0) { $0 + $1.attribution }
        let change = explanation.score - explanation.baselineScore
        #expect(explanation.relativeGap <= 0.01, "gap \(explanation.relativeGap)")
        #expect(abs(sum - change) <= 0.01 * abs(change) + 1e-7)
        let chosen = try package.explain(after: history, item: try package.itemIndexes(of: ["i6"])[0])
        #expect(chosen.item == "i6")
    }

    @Test("SASRec: attention of the last position per block and head, and a rollout that sums to 1")
    func attention() throws {
        let package = try trained(.sasrec)
        let history = try package.itemIndexes(of: ["i1", "i2", "i3", "i4"])
        let explanation = try package.explain(after: history)
        for event in explanation.events {
            let blocks = try #require(event.attention)
            #expect(!blocks.isEmpty && blocks.allSatisfy { !$0.isEmpty })
            #expect((event.rollout ?? -1) >= 0)
        }
        // The items read hold the attention and rollout the padding does not take.
        let rollout = explanation.events.compactMap(\.rollout).reduce(0, +)
        #expect(rollout > 0 && rollout <= 1 + 1e-9)
        let gru = try trained(.gru4rec).explain(after: history)
        #expect(gru.events.allSatisfy { $0.attention == nil && $0.rollout == nil })
    }

    @Test("The popularity model and an empty history are refused with the reason")
    func refusals() throws {
        let popularity = try trained(.pop)
        #expect(throws: RecommenderError.self) { try popularity.explain(after: [1, 2]) }
        let sasrec = try trained(.sasrec)
        #expect(throws: RecommenderError.self) { try sasrec.explain(after: []) }
    }

    @Test("A user of the store, each event named by time and type")
    func storeUser() throws {
        let events = cyclicShop()
        let shop = try store(with: events)
        let data = try NextItemData.load(from: shop)
        var config = NextItemTrainingTests.smallConfig(.sasrec)
        config.epochs = 1
        let package = NextItemPackage(
            trained: try NextItemTrainer(config: config, data: data).train(), store: shop.location)
        let explanation = try package.explain(forUser: "u3", in: shop)
        let mine = events.filter { $0.userID == "u3" }.suffix(explanation.events.count)
        #expect(explanation.events.map(\.item) == mine.map { $0.itemID ?? "" })
        #expect(explanation.events.map(\.time) == mine.map(\.timestamp))
        #expect(explanation.events.allSatisfy { $0.type == "view" })
    }
}
