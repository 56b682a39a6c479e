import EventData
import Foundation
import Settings
import Testing

@testable import Recommenders

@Suite struct NextItemConfigTests {
    @Test func presetsAreValidAndDiffer() throws {
        for kind in NextItemModelKind.allCases {
            for preset in NextItemPreset.allCases {
                try NextItemConfig.defaults(for: kind, preset: preset).validate()
            }
        }
        let recommended = NextItemConfig.defaults(for: .sasrec)
        let paper = NextItemConfig.defaults(for: .sasrec, preset: .paper)
        #expect(recommended.architecture == .sasrec(.fittedPaper) && paper.architecture == .sasrec(.paper))
        #expect(recommended.loss == .sampledCE && recommended.negatives == 20 && recommended.minimumImprovement > 0)
        #expect(paper.loss == .bce && paper.minimumImprovement == 0 && paper.epochs == 200)
        #expect(NextItemConfig.defaults(for: .gru4rec).architecture == .gru4rec(.recBole))
    }

    @Test func settingsOverrideTheNamedKeys() throws {
        let config = try NextItemConfig.defaults(for: .sasrec).applying(
            yaml:
                "max-length: 50\nhidden: 64\nloss: ce\nlearning-rate: 0.002\ntime-budget: 30\nfeed-forward-size: 256\n",
            source: "c.yaml")
        #expect(config.maxLength == 50 && config.loss == .ce)
        #expect(config.learningRate == 0.002 && config.timeBudget == 30)
        #expect(
            config.architecture
                == .sasrec(
                    SASRecConfig(maxLength: 50, hidden: 64, blocks: 2, heads: 1, feedForwardSize: 256, dropout: 0.2)))
        let gru = try NextItemConfig.defaults(for: .gru4rec).applying(settings: ["state-size": 32, "layers": 2])
        #expect(
            gru.architecture
                == .gru4rec(GRU4RecConfig(maxLength: 50, hidden: 64, stateSize: 32, layers: 2, dropout: 0.3)))
    }

    @Test func aKeyOfAnotherModelIsNamedAsSuch() {
        let base = NextItemConfig.defaults(for: .gru4rec)
        #expect(
            throws: InvalidParameter("blocks", value: "3", allowed: "left out: it applies to sasrec, not gru4rec")
        ) { try base.applying(settings: ["blocks": 3]) }
        #expect(throws: InvalidParameter.self) { try base.applying(settings: ["epochz": 3]) }
        #expect(throws: InvalidParameter("epochs", value: "many", allowed: "a whole number")) {
            try base.applying(settings: ["epochs": "many"])
        }
        #expect(throws: InvalidParameter.self) { try base.applying(settings: ["loss": "hinge"]) }
    }

    @Test func yamlErrorsNameTheFileAndKey() {
        let base = NextItemConfig.defaults(for: .sasrec)
        let error = #expect(throws: RecommenderError.self) { try base.applying(yaml: "epochz: 3", source: "c.yaml") }
        #expect(error?.localizedDescription.contains("c.yaml: epochz") == true)
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "- 1\n- 2", source: "c.yaml") }
        #expect(throws: RecommenderError.self) { try base.applying(yaml: "model: gru4rec", source: "c.yaml") }
    }

    @Test func validationNamesTheKeyTheValueAndWhatIsAllowed() {
        var config = NextItemConfig.defaults(for: .sasrec)
        config.architecture = .sasrec(
            SASRecConfig(maxLength: 200, hidden: 50, blocks: 2, heads: 3, feedForwardSize: nil, dropout: 0.2))
        #expect(throws: InvalidParameter("heads", value: "3", allowed: "at least 1 and a divisor of hidden (50)")) {
            try config.validate()
        }
        config = .defaults(for: .gru4rec)
        config.timeBudget = -1
        #expect(throws: InvalidParameter("time-budget", value: "-1.0", allowed: "a positive number of seconds")) {
            try config.validate()
        }
    }

    @Test func configFilesWrittenBeforePerModelKeysStillLoad() throws {
        let sasrec =
            #"{"model":"sasrec","loss":"bce","max-length":200,"hidden":50,"blocks":2,"heads":1,"inner-size":50,"recurrent-layers":1,"dropout":0.2,"learning-rate":0.001,"weight-decay":0,"batch-size":128,"epochs":200,"evaluate-every":5,"patience":10,"monitor":"sampled","negatives":100,"sliding-windows":false,"seed":42}"#
        let decoded = try JSONDecoder().decode(NextItemConfig.self, from: Data(sasrec.utf8))
        #expect(
            decoded.architecture
                == .sasrec(
                    SASRecConfig(maxLength: 200, hidden: 50, blocks: 2, heads: 1, feedForwardSize: 50, dropout: 0.2)))
        #expect(decoded.loss == .bce && decoded.negatives == 100 && decoded.minimumImprovement == 0.01)
        let gru = #"{"model":"gru4rec","hidden":64,"inner-size":128,"recurrent-layers":2,"max-length":50}"#
        let decodedGRU = try JSONDecoder().decode(NextItemConfig.self, from: Data(gru.utf8))
        #expect(
            decodedGRU.architecture
                == .gru4rec(GRU4RecConfig(maxLength: 50, hidden: 64, stateSize: 128, layers: 2, dropout: 0.3)))
        let again = try JSONDecoder().decode(NextItemConfig.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }

    @Test func anUnsetSASRecLengthIsFittedToTheUsersHistories() {
        func data(lengths: [Int]) -> NextItemData {
            NextItemData(
                users: lengths.enumerated().map { user, length in
                    LeaveOneOutUser(user: user, train: Array(repeating: 0, count: length), validation: nil, test: nil)
                },
                items: Vocabulary(externalIDs: ["i0"]),
                userIDs: Vocabulary(externalIDs: lengths.indices.map { "u\($0)" }))
        }
        let config = NextItemConfig.defaults(for: .sasrec)
        // The 99th percentile of 200 users (lengths 1...200) is 199 -> 200; of short ones, 43 -> 50.
        #expect(config.fitted(to: data(lengths: Array(1...200))).maxLength == 200)
        #expect(
            config.fitted(to: data(lengths: Array(repeating: 5, count: 150) + Array(repeating: 43, count: 50)))
                .maxLength == 50)
        #expect(config.fitted(to: data(lengths: [2, 3])).maxLength == 10)
        #expect(config.fitted(to: data(lengths: Array(repeating: 5_000, count: 10))).maxLength == 200)
        let set = try? config.applying(settings: ["max-length": 30])
        #expect(set?.fitted(to: data(lengths: Array(1...200))).maxLength == 30, "a length given is kept")
    }
}
