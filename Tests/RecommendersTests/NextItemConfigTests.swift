import Testing

@testable import Recommenders

@Suite struct NextItemConfigTests {
    @Test func defaultsAreValid() throws {
        for kind in NextItemModelKind.allCases {
            try NextItemConfig.defaults(for: kind).validate()
        }
        let sasrec = NextItemConfig.defaults(for: .sasrec)
        #expect(sasrec.maxLength == 200 && sasrec.hidden == 50 && sasrec.blocks == 2 && sasrec.loss == .bce)
    }

    @Test func yamlOverridesTheNamedKeys() throws {
        let config = try NextItemConfig.defaults(for: .sasrec).applying(
            yaml: "max-length: 50\nhidden: 64\nloss: ce\nlearning-rate: 0.002\ntime-budget: 30\n", source: "c.yaml")
        #expect(config.maxLength == 50 && config.hidden == 64 && config.loss == .ce)
        #expect(config.learningRate == 0.002 && config.timeBudget == 30)
        #expect(config.blocks == 2)
    }

    @Test func yamlErrorsNameTheFileAndKey() {
        let base = NextItemConfig.defaults(for: .sasrec)
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "epochz: 3", source: "c.yaml") }
        do {
            _ = try base.applying(yaml: "epochz: 3", source: "c.yaml")
        } catch {
            #expect(error.localizedDescription.contains("c.yaml: epochz"))
            #expect(error.localizedDescription.contains("epochs"))
        }
        do {
            _ = try base.applying(yaml: "epochs: many", source: "c.yaml")
            Issue.record("a string for epochs was accepted")
        } catch {
            #expect(error.localizedDescription.contains("c.yaml: epochs"))
        }
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "- 1\n- 2", source: "c.yaml") }
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "model: gru4rec", source: "c.yaml") }
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "loss: hinge", source: "c.yaml") }
    }

    @Test func validationNamesTheBadKey() {
        var config = NextItemConfig.defaults(for: .sasrec)
        config.heads = 3
        #expect(
            throws: RecommenderError.invalidConfig(
                key: "heads", detail: "must be at least 1 and divide hidden = 50 (got 3)")
        ) {
            try config.validate()
        }
        config = .defaults(for: .gru4rec)
        config.dropout = 1
        #expect(throws: RecommenderError.self) { try config.validate() }
        config = .defaults(for: .gru4rec)
        config.timeBudget = -1
        #expect(throws: RecommenderError.self) { try config.validate() }
    }
}
