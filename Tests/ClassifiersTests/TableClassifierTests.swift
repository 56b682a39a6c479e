import Evaluation
import EventData
import Foundation
import Testing

@testable import Classifiers

/// A temporary directory removed when the value goes away.
final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("classifiers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Sessions whose purchase depends on an interaction the linear baseline cannot draw: buyers
/// either spend long on a page with value, or arrive in November as new visitors.
func plantedSessions(rows: Int, seed: UInt64 = 3) -> String {
    var state = seed
    func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
    var lines = ["duration,value,month,visitor,weekend,buy"]
    let months = ["Feb", "May", "Nov", "Dec"]
    for row in 0..<rows {
        let duration = uniform() * 10
        let value = uniform() * 10
        let month = months[Int(uniform() * 4)]
        let visitor = uniform() < 0.3 ? "New" : "Returning"
        let buys = (duration > 5 && value > 5) || (month == "Nov" && visitor == "New")
        let noisy = uniform() < 0.05 ? !buys : buys
        let cell = row % 50 == 7 ? "" : String(format: "%.3f", duration)
        lines.append(
            "\(cell),\(String(format: "%.3f", value)),\(month),\(visitor),\(uniform() < 0.5 ? "TRUE" : "FALSE"),\(noisy ? "yes" : "no")"
        )
    }
    return lines.joined(separator: "\n") + "\n"
}

@Suite(.serialized) struct TableClassifierTests {
    static var smallConfig: ClassifierConfig {
        var config = ClassifierConfig.mlp
        config.hiddenSizes = [32, 16]
        config.epochs = 60
        config.batchSize = 64
        config.learningRate = 0.01
        config.patience = 15
        return config
    }

    @Test func theMLPLearnsAnInteractionTheBaselineCannot() throws {
        let scratch = try Scratch()
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 1_200)), label: "buy")
        #expect(table.positiveValue == "yes" && table.columns == ["duration", "value", "month", "visitor", "weekend"])
        let classifier = try TableClassifier.train(table: table, config: Self.smallConfig)
        let model = try #require(classifier.metrics.test?.model.rocAUC)
        let baseline = try #require(classifier.metrics.test?.baseline.rocAUC)
        #expect(model > 0.9, "MLP test ROC-AUC \(model)")
        #expect(model > baseline + 0.03, "MLP \(model) vs logistic regression \(baseline)")
        #expect(classifier.manifest.profiles.map(\.kind) == [.numeric, .numeric, .month, .categorical, .boolean])
        #expect(classifier.manifest.rows["train"] == 840 && classifier.manifest.rows["test"] == 180)
    }

    @Test func theSameSeedGivesTheSameMetricsAndSavedModelsScoreTheSame() throws {
        let scratch = try Scratch()
        let path = try scratch.write("s.csv", plantedSessions(rows: 400))
        var config = Self.smallConfig
        config.epochs = 5
        let table = try LabelledTable.read(path: path, label: "buy")
        let first = try TableClassifier.train(table: table, config: config)
        let second = try TableClassifier.train(table: table, config: config)
        #expect(first.metrics == second.metrics)

        let directory = scratch.url.appendingPathComponent("model")
        try first.save(to: directory)
        let loaded = try TableClassifier.load(from: directory)
        #expect(loaded.manifest == first.manifest)
        let out = scratch.url.appendingPathComponent("a.csv").path
        let again = scratch.url.appendingPathComponent("b.csv").path
        _ = try first.score(file: path, to: out)
        _ = try loaded.score(file: path, to: again)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == String(contentsOfFile: again, encoding: .utf8))
    }

    @Test func scoringKeepsEveryRowAndExplainsTheOnesItCannotScore() throws {
        let scratch = try Scratch()
        var config = Self.smallConfig
        config.epochs = 3
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 300)), label: "buy")
        let classifier = try TableClassifier.train(table: table, config: config)
        let input = try scratch.write(
            "new.csv",
            "visitor,id,duration,value,month,weekend\nTourist,1,3,9,Nov,no\nNew,2,,1,Dec,TRUE\nNew,3,lots,1,Dec,TRUE\nNew,4\n"
        )
        let out = scratch.url.appendingPathComponent("scored.csv").path
        let summary = try classifier.score(file: input, to: out, threshold: 0.5)
        #expect(summary.scored == 2 && summary.failed == 2 && summary.extraColumns == ["id"])
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0] == "visitor,id,duration,value,month,weekend,probability,decision,error")
        #expect(lines[1].hasPrefix("Tourist,1,3,9,Nov,no,0.") || lines[1].hasPrefix("Tourist,1,3,9,Nov,no,1."))
        #expect(lines[3].hasSuffix(",,,line 4: column 'duration': 'lots' is not a number"))
        #expect(lines[4].contains("expected 6 columns, found 2"))

        let missing = try scratch.write("missing.csv", "duration,value\n1,2\n")
        #expect(throws: ClassifierError.missingColumns(path: missing, names: ["month", "visitor", "weekend"])) {
            try classifier.score(file: missing, to: out)
        }
    }

    @Test func badTablesSayWhatToDo() throws {
        let scratch = try Scratch()
        let noLabel = try scratch.write("a.csv", "x,y\n1,2\n")
        #expect { try LabelledTable.read(path: noLabel, label: "buy") } throws: { error in
            error.localizedDescription.contains("no column 'buy'") && error.localizedDescription.contains("'x', 'y'")
        }
        let threeValues = try scratch.write("b.csv", "x,y\n1,a\n2,b\n3,c\n")
        #expect { try LabelledTable.read(path: threeValues, label: "y") } throws: { error in
            error.localizedDescription.contains("3 distinct values")
        }
        let twoWords = try scratch.write("c.csv", "x,y\n1,gold\n2,silver\n,\n")
        #expect { try LabelledTable.read(path: twoWords, label: "y") } throws: { error in
            error.localizedDescription.contains("name the positive value")
        }
        let table = try LabelledTable.read(path: twoWords, label: "y", positive: "gold")
        #expect(table.labels == [1, 0] && table.rejections.map(\.line) == [4])
        let oneClass = try scratch.write("d.csv", "x,y\n1,yes\n2,yes\n")
        #expect(throws: ClassifierError.self) { try LabelledTable.read(path: oneClass, label: "y") }
        #expect(throws: ClassifierError.self) {
            try TableClassifier.train(
                table: try LabelledTable.read(
                    path: try scratch.write("e.csv", plantedSessions(rows: 100)), label: "buy"),
                config: Self.smallConfig, overrides: ["nope": .numeric])
        }
    }

    @Test func missingOrDamagedModelDirectoriesAreNamed() throws {
        let scratch = try Scratch()
        #expect { try TableClassifier.load(from: scratch.url.appendingPathComponent("none")) } throws: { error in
            error.localizedDescription.contains("no model directory here")
        }
        var config = Self.smallConfig
        config.epochs = 1
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 200)), label: "buy")
        let directory = scratch.url.appendingPathComponent("model")
        try TableClassifier.train(table: table, config: config).save(to: directory)
        let weights = directory.appendingPathComponent("weights.safetensors")
        try Data("short".utf8).write(to: weights)
        #expect { try TableClassifier.load(from: directory) } throws: { error in
            error.localizedDescription.contains("weights.safetensors")
        }
    }
}
