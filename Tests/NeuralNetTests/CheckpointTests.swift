import Foundation
import NeuralNet
import Randomness
import TensorEngine
import Testing

/// Hyper-parameters of ``CheckpointTests/SequenceModel``, as saved in `config.json`.
private struct SequenceConfig: Codable, Equatable {
    var vocabularySize = 7
    var dimension = 4
    var headCount = 2
    var hiddenSize = 3
    var layerCount = 1
    var dropout: Float = 0.25
    var name = "tiny/ranker"
}

/// A configuration type that needs a key `SequenceConfig` does not write.
private struct DeeperConfig: Decodable {
    var dimension: Int
    var depth: Int
}

/// A small sequence model with every kind of parametered layer a checkpoint has to carry:
/// an embedding, attention, a stacked LSTM and a Sequential head of Linear, LayerNorm and
/// Dropout.
private final class SequenceModel: Layer {
    let embedding: Embedding
    let attention: MultiHeadAttention
    let lstm: LSTM
    let head: Sequential

    init(_ config: SequenceConfig, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        embedding = Embedding(
            count: config.vocabularySize, dimension: config.dimension, paddingIndex: 0, generator: &rng)
        attention = MultiHeadAttention(
            dimension: config.dimension, headCount: config.headCount, dropout: config.dropout, generator: &rng)
        lstm = LSTM(
            inputSize: config.dimension, hiddenSize: config.hiddenSize, layerCount: config.layerCount,
            dropout: config.dropout, generator: &rng)
        head = Sequential([
            .linear(Linear(inputSize: config.hiddenSize, outputSize: config.dimension, generator: &rng)),
            .layerNorm(LayerNorm(dimension: config.dimension)),
            .gelu,
            .dropout(Dropout(probability: config.dropout, seed: rng.next())),
            .linear(Linear(inputSize: config.dimension, outputSize: config.vocabularySize, generator: &rng)),
        ])
    }

    var sublayers: [(name: String, layer: any Layer)] {
        [("embedding", embedding), ("attention", attention), ("lstm", lstm), ("head", head)]
    }

    /// The shapes `init` makes, without building.
    static func parameterShapes(_ config: SequenceConfig) -> ParameterShapes {
        var shapes = ParameterShapes()
        shapes.add(.embedding(count: config.vocabularySize, dimension: config.dimension), under: "embedding")
        shapes.add(.multiHeadAttention(dimension: config.dimension), under: "attention")
        shapes.add(
            .recurrentStack(
                gateCount: 4, inputSize: config.dimension, hiddenSize: config.hiddenSize, layerCount: config.layerCount),
            under: "lstm")
        shapes.add(.linear(inputSize: config.hiddenSize, outputSize: config.dimension), under: "head.0")
        shapes.add(.layerNorm(dimension: config.dimension), under: "head.1")
        shapes.add(.linear(inputSize: config.dimension, outputSize: config.vocabularySize), under: "head.4")
        return shapes
    }

    /// `ids [B, T] -> [B, T, vocabularySize]`.
    func callAsFunction(_ ids: IndexTensor) -> Tensor {
        let x = embedding(ids)
        return head(lstm(x + attention(x, causal: true)).output)
    }
}

@Suite("Checkpoints")
struct CheckpointTests {
    private static let ids = IndexTensor(shape: [2, 5], indices: [1, 4, 6, 0, 2, 3, 3, 5, 1, 0])

    /// A model whose every parameter (LayerNorm scales and attention biases included) is
    /// random, so that a parameter lost in a round trip would change the outputs.
    private static func trainedModel(_ config: SequenceConfig = SequenceConfig(), seed: UInt64 = 1) -> SequenceModel {
        let model = SequenceModel(config, seed: seed)
        var rng = RandomGenerator(seed: seed + 100)
        for (_, tensor) in model.parameters() {
            tensor.assign(.uniform(tensor.shape, in: -0.8...0.8, generator: &rng))
        }
        model.setTraining(false)
        return model
    }

    /// A fresh directory under the system temporary directory; the caller removes it.
    private static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("CheckpointTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every parameter's values by key.
    private static func snapshot(_ layer: any Layer) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: layer.parameters().map { ($0.key, $0.tensor.scalars) })
    }

    /// The error that loading `directory`'s weights into `model` throws, or nil if it loads.
    private static func loadError(into model: any Layer, from directory: URL) -> CheckpointError? {
        do {
            try Checkpoint.loadWeights(into: model, from: directory)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Round trips

    @Test func loadedModelGivesBitIdenticalOutputs() throws {
        // Given a trained model saved to a directory that does not exist yet
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("runs/seed-1", isDirectory: true)
        let config = SequenceConfig()
        let saved = Self.trainedModel(config)
        try Checkpoint.save(saved, config: config, to: directory)
        // When a model built from another seed loads the weights
        let loaded = SequenceModel(try Checkpoint.loadConfig(SequenceConfig.self, from: directory), seed: 2)
        loaded.setTraining(false)
        #expect(loaded(Self.ids).scalars != saved(Self.ids).scalars)
        try Checkpoint.loadWeights(into: loaded, from: directory)
        // Then every parameter and every output is bit-identical
        #expect(Self.snapshot(loaded) == Self.snapshot(saved))
        #expect(loaded(Self.ids).scalars == saved(Self.ids).scalars)
        #expect(loaded(Self.ids).shape == [2, 5, 7])
    }

    @Test func loadBuildsTheModelFromTheConfigAndFillsIt() throws {
        // Given a checkpoint of a two-layer LSTM model
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = SequenceConfig(hiddenSize: 5, layerCount: 2)
        let saved = Self.trainedModel(config)
        try Checkpoint.save(saved, config: config, to: root)
        // When
        let (loadedConfig, model) = try Checkpoint.load(from: root, shapes: SequenceModel.parameterShapes) {
            (config: SequenceConfig) in SequenceModel(config, seed: 3)
        }
        model.setTraining(false)
        // Then
        #expect(loadedConfig == config)
        #expect(model.lstm.layers.count == 2)
        #expect(model(Self.ids).scalars == saved(Self.ids).scalars)
    }

    @Test func configIsPrettyPrintedWithSortedKeysAndRoundTrips() throws {
        // Given
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = SequenceConfig(vocabularySize: 9, dropout: 0.5)
        // When
        try Checkpoint.save(Self.trainedModel(), config: config, to: root)
        // Then
        let text = try String(contentsOf: root.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(
            text == """
                {
                  "dimension" : 4,
                  "dropout" : 0.5,
                  "headCount" : 2,
                  "hiddenSize" : 3,
                  "layerCount" : 1,
                  "name" : "tiny/ranker",
                  "vocabularySize" : 9
                }

                """)
        #expect(try Checkpoint.loadConfig(SequenceConfig.self, from: root) == config)
    }

    @Test func savingAgainReplacesTheCheckpoint() throws {
        // Given a checkpoint of one model
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(seed: 1), config: SequenceConfig(), to: root)
        // When another model is saved over it
        let second = Self.trainedModel(seed: 5)
        try Checkpoint.save(second, config: SequenceConfig(name: "second"), to: root)
        // Then the directory holds only the second checkpoint
        let loaded = SequenceModel(SequenceConfig(), seed: 1)
        try Checkpoint.loadWeights(into: loaded, from: root)
        #expect(Self.snapshot(loaded) == Self.snapshot(second))
        #expect(try Checkpoint.loadConfig(SequenceConfig.self, from: root).name == "second")
        let files = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(files == ["config.json", "weights.safetensors"])
    }

    // MARK: - The weights file is plain safetensors

    @Test func weightsFileIsAPlainSafeTensorsArchiveWithDottedKeys() throws {
        // Given
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let model = Self.trainedModel()
        try Checkpoint.save(model, config: SequenceConfig(), to: root, metadata: ["step": "120"])
        let url = root.appendingPathComponent("weights.safetensors")
        // When read as an ordinary archive
        let archive = try SafeTensorsArchive(contentsOf: url)
        // Then it holds every parameter under its dotted key, and the metadata
        #expect(
            archive.metadata.filter { $0.key != Checkpoint.checksumKey } == [
                "format": "pt", "checkpoint_version": "1", "step": "120",
            ])
        #expect(archive.metadata[Checkpoint.checksumKey]?.count == 64)
        #expect(archive.entries.keys.sorted() == model.parameters().map(\.key).sorted())
        #expect(archive.entries["head.0.weight"]?.shape == [4, 3])
        #expect(archive.entries["lstm.layers.0.hiddenWeight"]?.shape == [12, 3])
        for (key, tensor) in model.parameters() {
            #expect(
                archive.entries[key] == SafeTensorsArchive.Entry(shape: tensor.shape, values: tensor.scalars), "\(key)")
        }
        // And its header, read with a general JSON parser as PyTorch's reader would, lists
        // F32 tensors that tile an 8-byte-aligned data section
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + headerLength) % 8 == 0)
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        #expect(Set(header.keys) == Set(model.parameters().map(\.key) + ["__metadata__"]))
        var dataByteCount = 0
        for (key, tensor) in model.parameters() {
            let entry = try #require(header[key] as? [String: Any], "\(key)")
            #expect(entry["dtype"] as? String == "F32")
            #expect(entry["shape"] as? [Int] == tensor.shape)
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets[1] - offsets[0] == 4 * tensor.count)
            dataByteCount += 4 * tensor.count
        }
        #expect(bytes.count == 8 + headerLength + dataByteCount)
    }

    // MARK: - Errors

    @Test func missingDirectoryIsReportedAsSuch() throws {
        // Given a path where nothing exists, and one that is a file
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let missing = root.appendingPathComponent("no-such-checkpoint")
        let file = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: file)
        // Then
        for directory in [missing, file] {
            let weightsError = Self.loadError(into: Self.trainedModel(), from: directory)
            guard case .io(path: directory.path, _) = weightsError else {
                Issue.record("expected .io for \(directory.path), got \(String(describing: weightsError))")
                continue
            }
            #expect(weightsError?.errorDescription?.hasPrefix(directory.path + ": ") == true)
            let configError = #expect(throws: CheckpointError.self) {
                try Checkpoint.loadConfig(SequenceConfig.self, from: directory)
            }
            #expect(configError == weightsError)
        }
    }

    @Test func missingWeightsFileIsAnIOErrorNamingTheFile() throws {
        // Given a checkpoint whose weights file was deleted
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: root)
        let weights = root.appendingPathComponent("weights.safetensors")
        try FileManager.default.removeItem(at: weights)
        // When
        let error = Self.loadError(into: Self.trainedModel(), from: root)
        // Then
        guard case .io(path: weights.path, _) = error else {
            Issue.record("expected .io naming \(weights.path), got \(String(describing: error))")
            return
        }
    }

    @Test func nonFileURLsAreRejected() throws {
        let url = try #require(URL(string: "https://example.com/checkpoints/run-1"))
        #expect(
            throws: CheckpointError.io(path: url.absoluteString, message: "checkpoints can only be stored at file URLs")
        ) {
            try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: url)
        }
        #expect(
            Self.loadError(into: Self.trainedModel(), from: url)
                == .io(path: url.absoluteString, message: "checkpoints can only be stored at file URLs"))
    }

    @Test func truncatedOrCorruptedWeightsAreMalformedAndLoadNothing() throws {
        // Given a valid weights file
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: root)
        let weights = root.appendingPathComponent("weights.safetensors")
        let valid = try Data(contentsOf: weights)
        let headerLength = valid[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        var corruptHeader = valid
        corruptHeader[8] = UInt8(ascii: "[")
        let cases: [(String, Data, (CheckpointError.Malformation) -> Bool)] = [
            ("shorter than the length prefix", valid.prefix(5), { $0 == .fileTooShort(byteCount: 5) }),
            (
                "cut inside the header", valid.prefix(8 + headerLength / 2),
                {
                    if case .headerLengthExceedsFile = $0 { true } else { false }
                }
            ),
            (
                "cut inside the data", valid.prefix(valid.count - 10),
                {
                    if case .offsetsOutOfRange = $0 { true } else { false }
                }
            ),
            (
                "header not JSON", corruptHeader,
                {
                    if case .invalidHeaderJSON = $0 { true } else { false }
                }
            ),
        ]
        let model = SequenceModel(SequenceConfig(), seed: 9)
        let before = Self.snapshot(model)
        for (name, bytes, isExpected) in cases {
            try bytes.write(to: weights)
            // When
            let error = Self.loadError(into: model, from: root)
            // Then
            guard case .malformed(path: weights.path, let reason) = error else {
                Issue.record("\(name): expected .malformed naming the file, got \(String(describing: error))")
                continue
            }
            #expect(isExpected(reason), "\(name): \(reason)")
            #expect(error?.errorDescription?.hasPrefix(weights.path + ": ") == true)
            #expect(Self.snapshot(model) == before, "\(name): nothing is loaded")
        }
    }

    @Test func configThatDoesNotDecodeNamesTheFileAndTheKey() throws {
        // Given a checkpoint
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: root)
        let configPath = root.appendingPathComponent("config.json").path

        func detail<Config: Decodable>(loading type: Config.Type) -> String? {
            do {
                _ = try Checkpoint.loadConfig(type, from: root)
                return nil
            } catch {
                guard case .invalidConfig(configPath, let detail) = error else {
                    Issue.record("expected .invalidConfig naming \(configPath), got \(error)")
                    return nil
                }
                #expect(error.errorDescription == "\(configPath): \(detail)")
                return detail
            }
        }

        // When read as a type with a key the file lacks
        let missingKey = detail(loading: DeeperConfig.self)
        #expect(missingKey?.contains("the key \"depth\" is missing") == true, "\(missingKey ?? "")")
        #expect(missingKey?.contains("load it with the configuration type it was saved from") == true)

        // When a value has the wrong type
        try Data(#"{"dimension": "four", "depth": 2}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let wrongType = detail(loading: DeeperConfig.self)
        #expect(wrongType?.contains("\"dimension\" is not of type Int") == true, "\(wrongType ?? "")")

        // When the file is not JSON
        try Data("dimension = 4\n".utf8).write(to: URL(fileURLWithPath: configPath))
        let notJSON = detail(loading: SequenceConfig.self)
        #expect(notJSON?.hasPrefix("is not valid JSON (") == true, "\(notJSON ?? "")")

        // When a number overflows its field, in valid JSON or beyond what JSON numbers hold here
        try Data(#"{"dimension": 99999999999999999999, "depth": 2}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let tooLarge = detail(loading: DeeperConfig.self)
        #expect(
            tooLarge?.hasPrefix("holds numbers too large for their fields: \"dimension\"") == true, "\(tooLarge ?? "")")
        try Data(#"{"dimension": 1e400, "depth": 2}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let unrepresentable = detail(loading: DeeperConfig.self)
        #expect(
            unrepresentable?.hasPrefix("holds a number out of range (Number 1e400") == true, "\(unrepresentable ?? "")")
    }

    @Test func configThatCannotBeEncodedLeavesTheDirectoryUntouched() throws {
        // Given a configuration holding a NaN, which JSON cannot represent
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("checkpoint")
        // When
        let error = #expect(throws: CheckpointError.self) {
            try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(dropout: .nan), to: directory)
        }
        // Then
        guard case .invalidConfig(let path, let detail) = error else {
            Issue.record("expected .invalidConfig, got \(String(describing: error))")
            return
        }
        #expect(path == directory.appendingPathComponent("config.json").path)
        #expect(detail.contains("\"dropout\""), "\(detail)")
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func weightsFromAnotherArchitectureAreRejectedByKeyAndLoadNothing() throws {
        // Given checkpoints of a one-layer and a two-layer LSTM model
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let oneLayer = root.appendingPathComponent("one-layer")
        let twoLayers = root.appendingPathComponent("two-layers")
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: oneLayer)
        try Checkpoint.save(Self.trainedModel(SequenceConfig(layerCount: 2)), config: SequenceConfig(), to: twoLayers)
        let file = { (directory: URL) in directory.appendingPathComponent("weights.safetensors").path }
        let cases: [(SequenceConfig, URL, CheckpointError, [String])] = [
            // A parameter the file lacks: the first in name order.
            (
                SequenceConfig(layerCount: 2), oneLayer,
                .missingTensor(name: "lstm.layers.1.hiddenBias", file: file(oneLayer)),
                ["\"lstm.layers.1.hiddenBias\"", "no tensor named"]
            ),
            // A tensor the model lacks: the first in name order.
            (
                SequenceConfig(), twoLayers,
                .unexpectedTensor(name: "lstm.layers.1.hiddenBias", file: file(twoLayers)),
                ["\"lstm.layers.1.hiddenBias\"", "no parameter for"]
            ),
            // A wider LSTM: the head's first linear layer (H inputs) is the first tensor in
            // name order whose shape differs.
            (
                SequenceConfig(hiddenSize: 5), oneLayer,
                .shapeMismatch(name: "head.0.weight", expected: [4, 5], found: [4, 3], file: file(oneLayer)),
                ["\"head.0.weight\"", "shape [4, 3]", "expects [4, 5]"]
            ),
        ]
        for (config, directory, expected, fragments) in cases {
            let model = SequenceModel(config, seed: 4)
            let before = Self.snapshot(model)
            // When
            let error = Self.loadError(into: model, from: directory)
            // Then
            #expect(error == expected)
            let message = error?.errorDescription ?? ""
            for fragment in [file(directory) + ": "] + fragments {
                #expect(message.contains(fragment), "\(message) should contain \(fragment)")
            }
            #expect(Self.snapshot(model) == before, "\(expected): nothing is loaded")
        }
    }

    // MARK: - Damaged and hostile files

    @Test func parameterShapesMatchTheBuiltLayers() {
        for config in [
            SequenceConfig(), SequenceConfig(vocabularySize: 11, dimension: 6, hiddenSize: 5, layerCount: 3),
        ] {
            #expect(SequenceModel.parameterShapes(config) == ParameterShapes(of: SequenceModel(config, seed: 1)))
        }
    }

    @Test func absurdSizesInTheConfigAreNamedBeforeAnythingIsBuilt() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: root)
        let hostile = SequenceConfig(dimension: 1_000_000_000, hiddenSize: Int.max / 2, layerCount: 3)
        let error = #expect(throws: CheckpointError.self) {
            try Checkpoint.readWeights(expecting: SequenceModel.parameterShapes(hostile), from: root)
        }
        guard case .shapeMismatch(let name, _, let found, _) = error else {
            Issue.record("expected a shape mismatch, got \(String(describing: error))")
            return
        }
        #expect(name == "attention.inputBias" && found == [12])
    }

    @Test func flippedWeightBytesFailTheChecksum() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Checkpoint.save(Self.trainedModel(), config: SequenceConfig(), to: root)
        let url = root.appendingPathComponent(Checkpoint.weightsFileName)
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: url)
        let model = SequenceModel(SequenceConfig(), seed: 4)
        let before = Self.snapshot(model)
        #expect(Self.loadError(into: model, from: root) == .checksumMismatch(file: url.path))
        #expect(Self.snapshot(model) == before)
    }

    @Test func nonFiniteWeightsAreRefused() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let model = Self.trainedModel()
        model.embedding.weight.withUnsafeMutableScalars { $0[5] = .infinity }
        try Checkpoint.save(model, config: SequenceConfig(), to: root)
        let error = Self.loadError(into: SequenceModel(SequenceConfig(), seed: 4), from: root)
        let file = root.appendingPathComponent(Checkpoint.weightsFileName).path
        #expect(error == .nonFiniteValue(name: "embedding.weight", file: file))
        #expect(error?.errorDescription?.contains("retrain") == true)
    }
}
