import Foundation
import Testing

@testable import behave

@Suite("behave explain of a next-item model", .serialized)
struct ExplainRecommendationCommandTests {
    @Test("A user's top recommendation or a chosen item, per past item; flags of other kinds are refused")
    func explainRecommendation() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("behavior.db").path
        let model = directory.appendingPathComponent("model").path
        try TrainNextItem.parse([
            "--store", store, "--model", "sasrec", "--out", model, "--epochs", "1", "--hidden", "8",
            "--max-length", "6", "--blocks", "1", "--feed-forward-size", "8", "--threads", "1", "--json",
        ]).run()
        try Explain.parse([model, "--store", store, "--user", "u3"]).run()
        try Explain.parse([model, "--store", store, "--user", "u3", "--item", "i5", "--json"]).run()
        #expect(
            runFailure { try Explain.parse([model, "--store", store, "--user", "u3", "--item", "nope"]).run() }
                .contains("nope"))
        #expect(
            runFailure { try Explain.parse([model, "--store", store, "--user", "u3", "--at", "2024-01-01"]).run() }
                .contains("--at applies to purchase and churn models"))
        #expect(
            runFailure { try Explain.parse([model, "--store", store, "--user", "nobody"]).run() }.contains("nobody"))
        #expect(
            runFailure { try Explain.parse([model, "--data", "t.csv", "--item", "i5"]).run() }
                .contains("--item belongs to a next-item model"))
        try Explain.parse([model, "--history", "i3, i4,i5", "--item", "i6"]).run()
        try Explain.parse([model, "--history", "i3,i4", "--json"]).run()
        #expect(runFailure { try Explain.parse([model, "--history", "i3,nope"]).run() }.contains("nope"))
        #expect(
            parseFailure(["explain", model, "--history", "i3", "--store", store])?.contains("(one of them)") == true)
    }
}
