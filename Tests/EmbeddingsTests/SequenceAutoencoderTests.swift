import Datasets
import EventData
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine
import TestSupport
import Testing

@testable import Embeddings

/// `count` users: the even ones browse and buy items 0-4 (category "a"), the odd ones items
/// 5-9 (category "b"), 6 to 12 events each at random gaps.
private func plantedHistories(count: Int, seed: UInt64) -> (histories: [UserHistory], items: Vocabulary) {
    var rng = RandomGenerator(seed: seed)
    let items = Vocabulary(externalIDs: (0..<10).map { "i\($0)" })
    var histories: [UserHistory] = []
    for user in 0..<count {
        let group = user % 2
        var time: Int64 = 1_700_000_000_000
        var events: [StoredEvent] = []
        for line in 0..<(6 + rng.nextInt(below: 7)) {
            time += Int64(1 + rng.nextInt(below: 3_600)) * 1_000
            let item = 5 * group + rng.nextInt(below: 5)
            let type: EventType = rng.nextInt(below: 5) == 0 ? .purchase : .view
            events.append(
                StoredEvent(
                    timestamp: time, type: type, item: item, value: type == .purchase ? 10 : nil,
                    category: group == 0 ? "a" : "b", sourceID: 1, line: line + 1))
        }
        histories.append(UserHistory(user: user, userID: "u\(user)", events: events))
    }
    return (histories, items)
}

private let smallConfig = SequenceAutoencoderConfig(
    maxLength: 12, hiddenSize: 16, latentSize: 2, learningRate: 0.01, batchSize: 16, epochs: 15, patience: 0,
    klWarmupEpochs: 3, seed: 5)

@Suite("Sequence VAE")
struct SequenceAutoencoderTests {
    @Test("the parameter shapes match the built network")
    func shapes() {
        let (histories, items) = plantedHistories(count: 6, seed: 1)
        let vocabularies = EventSequenceEncoder.fit(histories, itemIDs: items, maxLength: 12)
        var rng = RandomGenerator(seed: 2)
        let network = SequenceAutoencoderNetwork(
            vocabularies: vocabularies, hiddenSize: 8, latentSize: 3, generator: &rng)
        #expect(
            SequenceAutoencoderNetwork.parameterShapes(vocabularies: vocabularies, hiddenSize: 8, latentSize: 3)
                == ParameterShapes(of: network))
    }

    @Test("the reconstruction loss's gradient with respect to the code matches finite differences")
    func reconstructionGradient() {
        let (histories, items) = plantedHistories(count: 3, seed: 2)
        let vocabularies = EventSequenceEncoder.fit(histories, itemIDs: items, maxLength: 8)
        var rng = RandomGenerator(seed: 3)
        let network = SequenceAutoencoderNetwork(
            vocabularies: vocabularies, hiddenSize: 5, latentSize: 2, generator: &rng)
        let batch = vocabularies.batch(histories, itemIDs: items, referenceTime: 1_800_000_000_000)
        checkGradients([randomInput([3, 2], seed: 4)]) { network.reconstructionLoss($0[0], of: batch) }
    }

    @Test("padding adds nothing to the reconstruction loss")
    func paddingIsIgnored() {
        let (histories, items) = plantedHistories(count: 2, seed: 3)
        let short = EventSequenceEncoder.fit(histories, itemIDs: items, maxLength: 12)
        var long = short
        long.maxLength = 20
        var rng = RandomGenerator(seed: 3)
        let network = SequenceAutoencoderNetwork(vocabularies: short, hiddenSize: 6, latentSize: 2, generator: &rng)
        let z = Tensor(shape: [2, 2], scalars: [0.3, -0.2, 0.1, 0.5])
        let losses = [short, long].map { encoder in
            Tensor.withoutGradients {
                network.reconstructionLoss(
                    z, of: encoder.batch(histories, itemIDs: items, referenceTime: 1_800_000_000_000))
            }.scalars
        }
        expectClose(losses[1], losses[0], relative: 1e-5, "12 real steps of 12 against 12 of 20")
    }

    @Test("users of two tastes get codes that tell them apart; the same seed gives the same codes")
    func separatesTastes() throws {
        let (histories, items) = plantedHistories(count: 80, seed: 4)
        let now: Int64 = 1_800_000_000_000
        let (model, history, _) = try SequenceAutoencoder.train(
            histories: histories, itemIDs: items, referenceTime: now, config: smallConfig)
        #expect(history.epochs.count == 15)
        let codes = model.embeddings(of: histories, itemIDs: items, referenceTime: now)
        #expect(codes.count == 80 * 2)
        var centroids = [[Double]](repeating: [0, 0], count: 2)
        for user in 0..<80 {
            for d in 0..<2 { centroids[user % 2][d] += Double(codes[2 * user + d]) / 40 }
        }
        let correct = (0..<80).filter { user in
            let distances = centroids.map { c in
                (0..<2).map { pow(Double(codes[2 * user + $0]) - c[$0], 2) }.reduce(0, +)
            }
            return (distances[0] < distances[1] ? 0 : 1) == user % 2
        }.count
        #expect(correct >= 76, "\(correct) of 80 users nearest their own group's centre")
        let (again, _, _) = try SequenceAutoencoder.train(
            histories: histories, itemIDs: items, referenceTime: now, config: smallConfig)
        #expect(again.embeddings(of: histories, itemIDs: items, referenceTime: now) == codes)
        let scores = model.negativeELBO(of: histories, itemIDs: items, referenceTime: now)
        #expect(scores.count == 80 && scores.allSatisfy { $0.isFinite && $0 > 0 })
    }

    @Test("a private sequence VAE: the engine splits each user's loss; vocabularies from held-out users only")
    func privately() throws {
        let (histories, items) = plantedHistories(count: 120, seed: 6)
        var config = smallConfig.privateDefaults(epsilon: 8)
        config.epochs = 3
        config.privacy?.noiseSeed = 2
        let now: Int64 = 1_800_000_000_000
        let (model, _, run) = try SequenceAutoencoder.train(
            histories: histories, itemIDs: items, referenceTime: now, config: config)
        let privateRun = try #require(run)
        #expect(privateRun.perUnitGradients == .engine, "\(privateRun.perUnitGradients)")
        #expect(privateRun.statement.map { $0.unit == .user && $0.epsilon <= 8.001 } == true)
        let heldOut = VariationalTraining.holdOut(
            count: histories.count, fraction: config.validationFraction, seed: config.seed
        ).validation.map { histories[$0] }
        let expected = EventSequenceEncoder.fit(
            heldOut, itemIDs: items, maxLength: config.maxLength, maxItems: config.maxItems,
            maxCategories: config.maxCategories)
        #expect(model.vocabularies == expected)
    }

    @Test("a saved model loads back and gives the same codes; a dense model's directory is refused")
    func saveAndLoad() throws {
        let (histories, items) = plantedHistories(count: 20, seed: 5)
        var config = smallConfig
        config.epochs = 2
        let model = try SequenceEmbeddingModel.train(
            histories: histories, itemIDs: items, referenceTime: 1_800_000_000_000, config: config,
            trainedOn: "test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seq-vae-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory)
        let loaded = try SequenceEmbeddingModel.load(from: directory)
        #expect(loaded.manifest == model.manifest)
        #expect(loaded.embeddings(of: histories, itemIDs: items) == model.embeddings(of: histories, itemIDs: items))

        let dense = try UserEmbeddingModel.train(
            table: FeatureTable(columns: ["a", "b"], userIDs: ["x", "y", "z"], rows: [[1, 2], [3, 1], [0, 5]]),
            config: AutoencoderConfig(epochs: 1), trainedOn: "test")
        let denseDirectory = directory.appendingPathComponent("dense")
        try dense.save(to: denseDirectory)
        #expect {
            try SequenceEmbeddingModel.load(from: denseDirectory)
        } throws: { error in
            error.localizedDescription.contains("holds a 'embed' model, not sequence embeddings")
        }
        #expect {
            try UserEmbeddingModel.load(from: directory)
        } throws: { error in
            error.localizedDescription.contains("holds a 'embed-sequence' model, not user embeddings")
        }
    }

    @Test(
        "bad settings are refused by name",
        arguments: [
            (SequenceAutoencoderConfig(maxLength: 0), "max-events"),
            (SequenceAutoencoderConfig(hiddenSize: 0), "hidden-size"),
            (SequenceAutoencoderConfig(latentSize: 0), "latent-size"),
            (SequenceAutoencoderConfig(learningRate: .nan), "learning-rate"),
            (SequenceAutoencoderConfig(validationFraction: 1), "validation-fraction"),
        ])
    func badSettings(config: SequenceAutoencoderConfig, key: String) {
        #expect {
            try config.validate()
        } throws: { error in
            (error as? InvalidParameter)?.parameter == key
        }
    }

    @Test("fewer than two users with events is a data error, not a crash")
    func tooFewUsers() {
        let (histories, items) = plantedHistories(count: 1, seed: 6)
        let empty = UserHistory(user: 1, userID: "e", events: [])
        #expect(throws: UnsupervisedError.self) {
            try SequenceAutoencoder.train(
                histories: histories + [empty], itemIDs: items, referenceTime: 0, config: smallConfig)
        }
    }
}
