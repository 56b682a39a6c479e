import Foundation
import NeuralNet
import PrivacyAccounting
import Testing

@testable import Classifiers

@Suite("Table classifiers trained with a privacy budget")
struct PrivateClassifierTests {
    static func config(epsilon: Double) -> ClassifierConfig {
        var config = TableClassifierTests.smallConfig
        config.epochs = 5
        config.batchSize = 128
        config.privacy = PrivacyBudget(epsilon: epsilon, clipNorm: ClassifierPrivacy.defaultClipNorm, noiseSeed: 11)
        return config
    }

    @Test("Rows are the unit; model and baseline compose within the budget; the same seed gives the same model")
    func statementAndReproducibility() throws {
        let scratch = try Scratch()
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 2_000)), label: "buy")
        let first = try TableClassifier.train(table: table, config: Self.config(epsilon: 8))
        let statement = try #require(first.manifest.privacy)
        #expect(statement.unit == .example && statement.sampling == .poisson)
        #expect(statement.epsilon <= 8 && statement.epsilon > 6, "ε \(statement.epsilon)")
        // Both networks ran; the statement composes their steps at one noise multiplier and rate.
        let steps = 5 * PrivateTraining.stepsPerEpoch(samplingRate: statement.samplingRate)
        #expect(statement.steps <= 2 * steps && statement.steps > steps)
        let recomputed = try PrivacyStatement.poissonSampling(
            unit: .example, samplingRate: statement.samplingRate, noiseMultiplier: statement.noiseMultiplier,
            steps: statement.steps, delta: statement.delta)
        #expect(recomputed == statement)
        let second = try TableClassifier.train(table: table, config: Self.config(epsilon: 8))
        #expect(first.metrics == second.metrics)
        // Even at a budget of 8 the planted interaction is learnt.
        let auc = try #require(first.metrics.test?.model.rocAUC)
        #expect(auc > 0.75, "private test ROC-AUC \(auc)")

        let directory = scratch.url.appendingPathComponent("model")
        try first.save(to: directory)
        #expect(try TableClassifier.load(from: directory).manifest.privacy == statement)
    }

    @Test("A budget that cannot be met says what to change")
    func unreachable() {
        let error = ClassifierError.privacy(
            .unreachableTarget(targetEpsilon: 0.01, maximumNoiseMultiplier: 1e6, epsilonAtMaximum: 0.02))
        #expect(error.localizedDescription.hasPrefix("private training: "))
        #expect(error.localizedDescription.hasSuffix("raise --dp-epsilon, lower --epochs or raise --batch-size"))
    }
}
