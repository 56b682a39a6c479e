import Foundation
import NeuralNet
import Testing

@testable import Recommenders

@Suite struct PopularityModelTests {
    @Test func scoresAreTheTrainingCountsWhateverTheHistory() {
        let model = PopularityModel(sequences: [[0, 1, 1], [1, 2, 9]], itemCount: 4)
        #expect(model.scores(after: [[3], []]) == [[1, 3, 1, 0], [1, 3, 1, 0]])
    }
}

/// Every dropout layer in a tree.
func dropoutLayers(in layer: any Layer) -> [Dropout] {
    (layer as? Dropout).map { [$0] } ?? layer.sublayers.flatMap { dropoutLayers(in: $0.layer) }
}

@Suite(.serialized) struct InferenceModeTests {
    @Test func aLoadedModelScoresWithoutDropout() throws {
        for kind in [NextItemModelKind.sasrec, .gru4rec] {
            let (directory, _) = try NextItemPackageTests().savedModel(kind)
            defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
            let loaded = try NextItemPackage.load(from: directory)
            let dropouts = dropoutLayers(in: loaded.model.layer)
            #expect(dropouts.contains { $0.probability > 0 } && dropouts.allSatisfy { !$0.isTraining }, "\(kind)")
            let history = try loaded.itemIndexes(of: ["i3", "i4", "i5"])
            #expect(loaded.model.scores(after: [history]) == loaded.model.scores(after: [history]), "\(kind)")
        }
    }

    @Test func aTrainedModelIsHandedBackInInferenceMode() throws {
        var config = NextItemTrainingTests.smallConfig(.sasrec)
        config.epochs = 1
        let outcome = try NextItemTrainer(config: config, data: NextItemTrainingTests.data).train()
        #expect(dropoutLayers(in: outcome.model.layer).allSatisfy { !$0.isTraining })
    }
}
