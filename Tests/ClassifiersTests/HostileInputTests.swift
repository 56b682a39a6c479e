import Datasets
import Evaluation
import EventData
import Foundation
import NeuralNet
import Randomness
import TensorEngine
import Testing

@testable import Classifiers

/// Careless and hostile input to the table classifier (issue 10): each test failed before its fix.
@Suite(.serialized) struct ClassifierHostileInputTests {
    private static var tinyConfig: ClassifierConfig {
        var config = TableClassifierTests.smallConfig
        config.epochs = 3
        return config
    }

    @Test(.timeLimit(.minutes(1))) func aHugeLearningRateStopsWithDivergenceInsteadOfHanging() throws {
        let scratch = try Scratch()
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 400)), label: "buy")
        var config = Self.tinyConfig
        config.learningRate = 1e30
        config.epochs = 1
        let error = #expect(throws: ClassifierError.self) { try TableClassifier.train(table: table, config: config) }
        guard case .diverged(let divergence) = error else {
            Issue.record("expected a divergence, got \(String(describing: error))")
            return
        }
        #expect(divergence.epoch == 1)
        #expect(error?.localizedDescription.contains("training diverged") == true)
        #expect(error?.localizedDescription.contains("lower the learning rate") == true)
    }

    @Test func anIgnoredColumnBeforeOthersStillTrainsAndScores() throws {
        let scratch = try Scratch()
        let path = try scratch.write("s.csv", plantedSessions(rows: 600))
        let table = try LabelledTable.read(path: path, label: "buy")
        let classifier = try TableClassifier.train(
            table: table, config: Self.tinyConfig, overrides: ["duration": .ignored])
        #expect(!classifier.manifest.encoder.columns.map(\.name).contains("duration"))
        #expect(classifier.manifest.rows["train"] ?? 0 > 300)
        let summary = try classifier.score(file: path, to: scratch.url.appendingPathComponent("out.csv").path)
        #expect(summary.scored == 600 && summary.failed == 0)
    }

    @Test func aRowThatCannotBeEncodedIsNamedAsTheCause() throws {
        let scratch = try Scratch()
        var lines = ["id,amount,buy"]
        for row in 0..<200 { lines.append("\(row),\(row % 7),\(row % 3 == 0 ? "yes" : "no")") }
        let table = try LabelledTable.read(
            path: try scratch.write("t.csv", lines.joined(separator: "\n")), label: "buy")
        // Every training row fails to encode when the numeric column holds text.
        var broken = table
        broken.rows = broken.rows.map { [$0[0], "many"] }
        let error = #expect(throws: ClassifierError.self) {
            try TableClassifier.train(table: broken, config: Self.tinyConfig, overrides: ["amount": .numeric])
        }
        #expect(error?.localizedDescription.contains("column 'amount': 'many' is not a number") == true)
        #expect(error?.localizedDescription.contains("rarer class") == false)
    }

    @Test func nonFiniteProbabilitiesAreReportedPerRowAndTheOutputAppearsOnlyWhenDone() throws {
        let scratch = try Scratch()
        let path = try scratch.write("s.csv", plantedSessions(rows: 300))
        let classifier = try TableClassifier.train(
            table: try LabelledTable.read(path: path, label: "buy"), config: Self.tinyConfig)
        for (_, parameter) in classifier.model.parameters() {
            parameter.withUnsafeMutableScalars { values in
                for index in values.indices { values[index] = .nan }
            }
        }
        let output = scratch.url.appendingPathComponent("scored.csv").path
        var seenEarly = false
        let summary = try classifier.score(file: path, to: output) { _ in
            seenEarly = seenEarly || FileManager.default.fileExists(atPath: output)
        }
        #expect(!seenEarly)
        #expect(summary.scored == 0 && summary.failed == 300)
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 301)
        #expect(rows.dropFirst().allSatisfy { $0.hasSuffix(TableClassifier.nonFiniteScore) })
    }
}

@Suite(.serialized) struct ClassifierModelDirectoryTests {
    @Test func plannedShapesMatchTheBuiltNetworks() {
        var rng = RandomGenerator(seed: 1)
        for (hidden, dropout) in [([32, 16], Float(0.2)), ([7], Float(0))] {
            var config = ClassifierConfig.mlp
            config.hiddenSizes = hidden
            config.dropout = dropout
            for model in [config, .logisticBaseline(for: config)] {
                #expect(
                    tabularNetworkShapes(model, featureCount: 9)
                        == ParameterShapes(of: makeTabularNetwork(model, featureCount: 9, generator: &rng)))
            }
        }
        let encoder = EventSequenceEncoder.fit([], itemIDs: Vocabulary(externalIDs: []))
        for kind in [SequenceEncoderKind.lstm, .gru, .cnn] {
            #expect(
                EventSequenceClassifier.parameterShapes(kind: kind, encoder: encoder)
                    == ParameterShapes(of: EventSequenceClassifier(kind: kind, encoder: encoder, generator: &rng)))
        }
    }

    @Test(.timeLimit(.minutes(1))) func anAbsurdLayerWidthInConfigJSONIsRefusedBeforeAllocating() throws {
        let scratch = try Scratch()
        let path = try scratch.write("s.csv", plantedSessions(rows: 300))
        var config = TableClassifierTests.smallConfig
        config.epochs = 1
        let directory = scratch.url.appendingPathComponent("model")
        try TableClassifier.train(table: try LabelledTable.read(path: path, label: "buy"), config: config).save(
            to: directory)
        let url = directory.appendingPathComponent("config.json")
        for (widths, fragment) in [
            ("[1000000000]", "hidden-layers is 1000000000; it must be up to 64 widths"),
            ("[1000000, 16]", "expects [1000000]"),
        ] {
            let text = try String(contentsOf: url, encoding: .utf8)
            let edited = text.replacingOccurrences(
                of: #""hiddenSizes" : \[[^\]]*\]"#, with: "\"hiddenSizes\" : \(widths)", options: .regularExpression)
            try edited.write(to: url, atomically: true, encoding: .utf8)
            let error = #expect(throws: ClassifierError.self) { try TableClassifier.load(from: directory) }
            #expect(error?.localizedDescription.contains(fragment) == true, "\(String(describing: error))")
        }
    }
}
