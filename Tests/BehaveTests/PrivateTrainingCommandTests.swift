import Classifiers
import EventData
import Foundation
import NeuralNet
import Recommenders
import Testing

@testable import behave

@Suite("behave train ... --dp-epsilon / behave evaluate of a private model")
struct PrivateTrainingCommandTests {
    @Test(
        "privacy flags that cannot work say what to do",
        arguments: [
            (["train", "purchase", "--dp-epsilon", "0"], "--dp-epsilon 0.0: must be a positive number, like 3."),
            (["train", "purchase", "--dp-epsilon", "3", "--dp-delta", "1"], "--dp-delta 1.0: must be in (0, 1)"),
            (
                ["train", "churn", "--dp-delta", "1e-6"],
                "--dp-delta given without dp-epsilon: must be only with a budget: add dp-epsilon (for example 3)."
            ),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--dp-epsilon", "2", "--dp-clip-norm", "-1"],
                "--dp-clip-norm -1.0: must be a positive number, like 5."
            ),
            (
                ["train", "purchase", "--dp-epsilon", "3", "--dp-accountant", "moments"],
                "--dp-accountant moments: must be rdp or pld."
            ),
            (
                ["train", "purchase", "--dp-accountant", "pld"],
                "--dp-accountant given without dp-epsilon: must be only with a budget: add dp-epsilon (for example 3)."
            ),
            (
                ["train", "purchase", "--dp-noise-seed", "4"],
                "--dp-noise-seed 4: give a seed of 0 or more, and only with --dp-epsilon."
            ),
            (["train", "next-item", "--dp-epsilon", "-2"], "--dp-epsilon -2.0: must be a positive number, like 3."),
            (
                ["train", "next-item", "--dp-clip-norm", "2"],
                "--dp-clip-norm given without dp-epsilon: must be only with a budget: add dp-epsilon (for example 3)."
            ),
            (
                ["train", "next-item", "--model", "pop", "--dp-epsilon", "3"],
                "--dp-epsilon 3.0: must be left out: it applies to sasrec and gru4rec, not pop."
            ),
            (
                ["train", "next-item", "--model", "gru4rec", "--dp-epsilon", "3", "--sliding-windows"],
                "--sliding-windows true: must be false with dp-epsilon"
            ),
            (
                ["train", "next-item", "--dp-noise-seed", "1"],
                "--dp-noise-seed 1: give a seed of 0 or more, and only with --dp-epsilon."
            ),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    @Test("A budget brings the private defaults for what no flag gives; the flags land in the configuration")
    func configuration() throws {
        let options = try TrainPurchase.parse(["--dp-epsilon", "3", "--dp-noise-seed", "5"]).options
        let config = try options.resolvedConfig()
        #expect(config.epochs == 20 && config.hiddenSizes == [32] && config.learningRate == 0.01)
        #expect(config.privacy == PrivacyBudget(epsilon: 3, delta: 1e-5, clipNorm: 5, noiseSeed: 5))
        let given = try TrainPurchase.parse([
            "--dp-epsilon", "3", "--epochs", "7", "--hidden-layers", "64", "--learning-rate", "0.002",
            "--dp-clip-norm", "2",
        ]).options.resolvedConfig()
        #expect(given.epochs == 7 && given.hiddenSizes == [64] && given.learningRate == 0.002)
        #expect(given.privacy?.clipNorm == 2 && given.privacy?.noiseSeed == nil)
        let sequence = try TrainPurchase.parse(["--dp-epsilon", "3", "--model", "gru"]).options.resolvedConfig()
        #expect(sequence.learningRate == ClassifierConfig.mlp.learningRate && sequence.batchSize == 128)
        let pld = try TrainPurchase.parse(["--dp-epsilon", "3", "--dp-accountant", "pld"]).options.resolvedConfig()
        #expect(pld.privacy?.accountant == .pld && config.privacy?.accountant == .rdp)
        let plain = try TrainPurchase.parse([]).options.resolvedConfig()
        #expect(plain == ClassifierConfig.mlp)
    }

    @Test("A private purchase model keeps its statement, and behave evaluate prints it")
    func endToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-private-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 300, items: 60, days: 21, seed: 9))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let model = directory.appendingPathComponent("purchase").path
        try TrainPurchase.parse([
            "--window", "5d", "--store", storePath, "--out", model, "--epochs", "3", "--batch-size", "64",
            "--dp-epsilon", "4", "--dp-noise-seed", "1", "--json",
        ]).run()
        let trained = try UserOutcomeClassifier.load(from: URL(fileURLWithPath: model))
        let statement = try #require(trained.manifest.privacy)
        #expect(statement.unit == .user && statement.delta == 1e-5)
        #expect(statement.epsilon <= 4 && statement.epsilon > 1)
        let log = try String(contentsOfFile: model + "/training.log", encoding: .utf8)
        #expect(log.contains("model private training: (ε = "))
        #expect(log.contains("gradients split by the engine in one pass per step"))
        try Evaluate.parse([model]).run()
        try Evaluate.parse([model, "--json"]).run()
        let line = privacyLine(trained.manifest.privacy)
        #expect(line.hasPrefix("Privacy: (ε = \(String(format: "%.3f", statement.epsilon)), δ = 1e-05)"))
        #expect(line.contains("per user: RDP accounting of \(statement.steps) steps of Poisson sampling"))
        #expect(privacyLine(nil).contains("no differential privacy guarantee (add --dp-epsilon)"))
        let store = try SQLiteEventStore(path: storePath)
        #expect(
            runFailure { _ = try trained.updated(store: store, watermark: .max) }
                .contains("retrain a private model with behave train and --dp-epsilon"))
    }

    @Test("A budget on train next-item brings its private defaults; a private recommender states its guarantee")
    func nextItem() throws {
        let config = try TrainNextItem.parse(["--dp-epsilon", "3", "--dp-noise-seed", "2"]).resolvedConfig()
        #expect(config.epochs == NextItemConfig.privateEpochs && !config.slidingWindows)
        #expect(config.privacy == PrivacyBudget(epsilon: 3, clipNorm: NextItemConfig.privateClipNorm, noiseSeed: 2))
        let given = try TrainNextItem.parse(["--model", "gru4rec", "--dp-epsilon", "3", "--epochs", "4"])
            .resolvedConfig()
        #expect(given.epochs == 4 && !given.slidingWindows && given.privacy?.noiseSeed == nil)
        #expect(try TrainNextItem.parse([]).resolvedConfig().privacy == nil)
        // A budget in the --config file brings the private defaults too; the file's settings win.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dp-\(UUID().uuidString).yaml")
        try "dp-epsilon: 4\nepochs: 5\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try TrainNextItem.parse(["--config", file.path]).resolvedConfig()
        #expect(fromFile.epochs == 5 && fromFile.learningRate == NextItemConfig.privateLearningRate)
        #expect(fromFile.privacy?.epsilon == 4 && fromFile.privacy?.clipNorm == NextItemConfig.privateClipNorm)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-private-next-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 300, items: 60, days: 14, seed: 9))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let model = directory.appendingPathComponent("gru4rec").path
        try TrainNextItem.parse([
            "--model", "gru4rec", "--store", storePath, "--out", model, "--epochs", "2", "--batch-size", "64",
            "--hidden", "8", "--state-size", "8", "--max-length", "10", "--dp-epsilon", "5", "--dp-noise-seed", "1",
        ]).run()
        let trained = try NextItemPackage.load(from: URL(fileURLWithPath: model))
        let statement = try #require(trained.manifest.privacy)
        #expect(statement.unit == .user && statement.epsilon <= 5 && statement.epsilon > 1)
        let log = try String(contentsOfFile: model + "/training.log", encoding: .utf8)
        #expect(log.contains("private training: (ε = ") && log.contains("gradients split by the engine"))
        #expect(!log.contains("loss"))
        try Evaluate.parse([model]).run()
        try Evaluate.parse([model, "--json"]).run()
        #expect(
            runFailure {
                _ = try NextItemUpdate(live: trained, watermark: 0).run(store: SQLiteEventStore(path: storePath))
            }
            .contains("retrain a private model with behave train and --dp-epsilon"))
    }
}
