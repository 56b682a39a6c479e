import Evaluation
import EventData
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
            for split in EvaluationSplit.allCases {
                let model = try #require(classifier.metrics[split]?.model)
                #expect(model.rocAUC != nil && model.atChosenThreshold != nil, "\(kind) \(split)")
                #expect(classifier.metrics[split]?.baseline.rocAUC != nil)
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

    @Test func aSavedModelScoresTheSameAfterLoadingAndIgnoresLaterEvents() throws {
        let data = try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(7 * 86_400))
        var config = ClassifierConfig.mlp
        config.epochs = 2
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outcome-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var full: [UserHistory] = []
        try Self.store.forEachUserHistory { full.append($0) }
        let inputs = data.examples.map(\.input)
        for kind in [OutcomeModelKind.mlp, .gru] {
            let trained = try UserOutcomeClassifier.train(data: data, model: kind, config: config)
            try trained.save(to: directory)
            let loaded = try UserOutcomeClassifier.load(from: directory)
            #expect(loaded.manifest == trained.manifest)
            let before = trained.predict(inputs, itemIDs: data.items, at: data.cutoff)
            #expect(loaded.predict(inputs, itemIDs: data.items, at: data.cutoff) == before, "\(kind)")
            // The whole histories, events after the cut-off included, score the same as the cut ones.
            let scoredUsers = Set(inputs.map(\.userID))
            let wholeHistories = full.filter { scoredUsers.contains($0.userID) }
            #expect(loaded.predict(wholeHistories, itemIDs: data.items, at: data.cutoff) == before, "\(kind)")
            #expect(before.count == inputs.count && before.allSatisfy { (0...1).contains($0) })
        }
    }

    @Test func scoringAStoreWritesOneRowPerUserActiveByTheScoringTime() throws {
        let data = try UserOutcomeData.load(from: Self.store, task: .churn, window: .seconds(7 * 86_400))
        var config = ClassifierConfig.mlp
        config.epochs = 1
        let classifier = try UserOutcomeClassifier.train(data: data, model: .mlp, config: config)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("scores-\(UUID().uuidString).csv")
            .path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let summary = try classifier.score(store: Self.store, at: data.cutoff, to: output, threshold: 0.5)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first == "user_id,events,last_event,probability,decision,error")
        #expect(summary.users == data.examples.count && lines.count == data.examples.count + 1)
        #expect(summary.positives == lines.dropFirst().filter { $0.hasSuffix(",1,") }.count)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let p = try #require(Double(String(fields[3])))
            #expect((0...1).contains(p) && (p >= 0.5) == (fields[4] == "1"), "\(line)")
        }
        let latest = try classifier.score(store: Self.store, to: output)
        #expect(latest.users >= summary.users && latest.threshold == classifier.manifest.threshold)
        #expect { try classifier.score(store: Self.store, at: 0, to: output) } throws: { error in
            "\(error)".contains("no event at or before the scoring time")
        }
        #expect { try classifier.score(store: Self.store, to: "/nonexistent-directory/scores.csv") } throws: { error in
            "\(error)".contains("the folder /nonexistent-directory does not exist; create it first")
        }
    }

    @Test func loadingSomethingElseNamesTheProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outcome-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { try UserOutcomeClassifier.load(from: directory) } throws: {
            "\($0)".contains("no model directory here")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"task": "classify"}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        #expect { try UserOutcomeClassifier.load(from: directory) } throws: {
            "\($0)".contains("config.json") || "\($0)".contains("classify")
        }
    }

    @Test func aWindowLongerThanTheDataIsAClearError() {
        #expect { try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(90 * 86_400)) } throws: {
            error in
            error.localizedDescription.contains("no more than the 90-day window")
                && error.localizedDescription.contains("shorter window")
        }
    }

    @Test func cutOffsAndWindowsOutsideTheDataSayWhy() throws {
        let week = Duration.seconds(7 * 86_400)
        let early = Int64(-5_364_662_400_000)  // 1800-01-01
        let error = #expect(throws: ClassifierError.self) {
            try UserOutcomeData.load(from: Self.store, task: .purchase, window: week, cutoff: early)
        }
        #expect(
            error?.localizedDescription.contains("the cut-off 1800-01-01T00:00:00Z is at or before the first event")
                == true)
        let late = #expect(throws: ClassifierError.self) {
            try UserOutcomeData.load(from: Self.store, task: .purchase, window: week, cutoff: Int64.max / 2)
        }
        #expect(late?.localizedDescription.contains("at or after the last event") == true)
        let huge = #expect(throws: ClassifierError.self) {
            try UserOutcomeData.load(from: Self.store, task: .purchase, window: .seconds(1_000_000_000_000 * 86_400))
        }
        #expect(huge?.localizedDescription.contains("at most 100 years") == true)
    }
}
