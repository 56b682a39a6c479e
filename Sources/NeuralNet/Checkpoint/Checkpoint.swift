import Crypto
import FileIO
import Foundation
import Randomness
import TensorEngine

/// Saves a model's weights and configuration to a directory, and loads them back.
///
/// A checkpoint is a directory with two files:
///
/// - `weights.safetensors`: every parameter of the layer tree as `F32` under its dotted key
///   from ``Layer/parameters()`` (`blocks.0.attention.inputWeight`), plus string metadata.
///   It is a plain safetensors file, so PyTorch reads it with
///   `safetensors.torch.load_file(path)`; the metadata includes `"format": "pt"`, which
///   Hugging Face tools expect of PyTorch weights.
/// - `config.json`: the configuration the model is built from, as pretty-printed JSON with
///   sorted keys, so that two checkpoints diff cleanly.
///
/// Weights are stored exactly, so a model rebuilt from the configuration and loaded from the
/// weights computes bit-identical outputs. Only parameters are saved: not optimizer state,
/// dropout streams or training mode.
///
/// Loading treats both files as untrusted: the weights' SHA-256, recorded in the file's
/// metadata (`weights_sha256`) when it was saved, must match; every value must be finite; and
/// ``load(_:from:shapes:build:)`` compares the shapes the configuration implies with the
/// file's before building anything, so an absurd size in `config.json` is a named error, not
/// an allocation of gigabytes.
///
/// ```swift
/// try Checkpoint.save(model, config: config, to: directory)
/// // Later, or in another process:
/// var rng = RandomGenerator(seed: 0)
/// let (config, model) = try Checkpoint.load(
///     from: directory, shapes: { (config: RankerConfig) in Ranker.parameterShapes(config) }
/// ) { config in Ranker(config, generator: &rng) }
/// ```
///
/// ### See Also
/// ``SafeTensorsArchive``, ``CheckpointError``, ``Layer/load(_:)``
public enum Checkpoint {
    /// The name of the weights file inside a checkpoint directory.
    public static let weightsFileName = "weights.safetensors"
    /// The name of the configuration file inside a checkpoint directory.
    public static let configFileName = "config.json"
    /// The layout version written under the metadata key `"checkpoint_version"`, so that
    /// later layouts can recognise and convert older files.
    public static let formatVersion = "1"

    /// The metadata key of the weights' SHA-256 (lowercase hex over the data section: every
    /// tensor's little-endian `F32` values in the file's name order).
    public static let checksumKey = "weights_sha256"

    /// Metadata keys that ``save(_:config:to:metadata:)`` sets itself.
    private static let reservedMetadataKeys: Set<String> = ["format", "checkpoint_version", checksumKey]

    /// Writes `directory/weights.safetensors` and `directory/config.json`, creating the
    /// directory (and its parents) if needed and replacing an earlier checkpoint there.
    ///
    /// The configuration is encoded before anything is written, so a configuration that
    /// cannot be encoded leaves the directory untouched. Each file is replaced atomically
    /// (written beside the old one, then renamed), so a reader sees either the old or the
    /// new file, never a partial one; the weights are written first.
    ///
    /// - Parameters:
    ///   - model: The layer tree whose parameters are saved.
    ///   - config: What the model is built from (sizes, head counts, dropout rates).
    ///   - directory: A file URL of the checkpoint directory.
    ///   - metadata: Extra strings stored in the weights file's header, such as the
    ///     training step or the data version; the keys `format` and `checkpoint_version`
    ///     are reserved.
    /// - Throws: ``CheckpointError/invalidConfig(path:detail:)`` when `config` cannot be
    ///   encoded as JSON (a NaN, for example), or ``CheckpointError/io(path:message:)`` when
    ///   the directory or a file cannot be written.
    public static func save<Config: Encodable>(
        _ model: any Layer, config: Config, to directory: URL, metadata: [String: String] = [:]
    ) throws(CheckpointError) {
        let reserved = metadata.keys.filter(reservedMetadataKeys.contains).sorted()
        precondition(
            reserved.isEmpty, "Checkpoint.save: metadata keys \(reserved) are reserved for the checkpoint format")
        try requireFileURL(directory)
        let configURL = directory.appendingPathComponent(configFileName)
        let configData = try encode(config, path: configURL.path)

        var archive = SafeTensorsArchive(metadata: metadata)
        archive.metadata["format"] = "pt"
        archive.metadata["checkpoint_version"] = formatVersion
        for (key, tensor) in model.parameters() {
            archive.entries[key] = SafeTensorsArchive.Entry(shape: tensor.shape, values: tensor.scalars)
        }
        archive.metadata[checksumKey] = digest(of: archive.entries)

        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory.path, message: FileError.describe(error))
        }
        try archive.write(to: directory.appendingPathComponent(weightsFileName))
        do {
            try configData.write(to: configURL, options: .atomic)
        } catch {
            throw .io(path: configURL.path, message: FileError.describe(error))
        }
    }

    /// Reads `directory/config.json` as a `Config`.
    ///
    /// - Parameters:
    ///   - type: The configuration type the checkpoint was saved with.
    ///   - directory: A file URL of the checkpoint directory.
    /// - Returns: The decoded configuration.
    /// - Throws: ``CheckpointError/io(path:message:)`` when the directory or the file cannot
    ///   be read, or ``CheckpointError/invalidConfig(path:detail:)`` naming the offending key
    ///   when the JSON does not decode as `Config`.
    public static func loadConfig<Config: Decodable>(
        _ type: Config.Type = Config.self, from directory: URL
    ) throws(CheckpointError) -> Config {
        try requireDirectory(directory)
        let url = directory.appendingPathComponent(configFileName)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, message: FileError.describe(error))
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw .invalidConfig(path: url.path, detail: describeDecodingFailure(error, data: data))
        }
    }

    /// Copies `directory/weights.safetensors` into the parameters of `model`, which must have
    /// been built from the checkpoint's configuration.
    ///
    /// Loading is strict and all-or-nothing: every parameter must be in the file with its
    /// exact shape and the file may hold nothing else; otherwise the error names the tensor
    /// and the file, and no parameter has changed. Tensors stored as another dtype (`F16`,
    /// `BF16`, `F64`, integers) are converted to `Float`.
    ///
    /// - Parameters:
    ///   - model: The layer tree to fill, in place.
    ///   - directory: A file URL of the checkpoint directory.
    /// - Returns: The metadata stored in the weights file, including `format` and
    ///   `checkpoint_version` when it was written by ``save(_:config:to:metadata:)``.
    /// - Throws: ``CheckpointError/io(path:message:)`` when the directory or the file cannot
    ///   be read; ``CheckpointError/malformed(path:reason:)`` or
    ///   ``CheckpointError/unsupportedDType(name:dtype:path:)`` for a corrupt or truncated
    ///   file; ``CheckpointError/missingTensor(name:file:)``,
    ///   ``CheckpointError/unexpectedTensor(name:file:)`` or
    ///   ``CheckpointError/shapeMismatch(name:expected:found:file:)`` when the weights were
    ///   saved from a different architecture or configuration.
    ///   ``CheckpointError/checksumMismatch(file:)`` or ``CheckpointError/nonFiniteValue(name:file:)``
    ///   for damaged weights.
    @discardableResult
    public static func loadWeights(into model: any Layer, from directory: URL) throws(CheckpointError) -> [String:
        String]
    {
        let weights = try readWeights(expecting: ParameterShapes(of: model), from: directory)
        try weights.load(into: model)
        return weights.metadata
    }

    /// Reads and checks the weights file of `directory` against the shapes a configuration
    /// implies, before any model of that configuration is built: every key and every
    /// dimension must match, the recorded SHA-256 must match the data, and every value must be
    /// finite. Build the model afterwards and call ``CheckedWeights/load(into:)``.
    ///
    /// ```swift
    /// let weights = try Checkpoint.readWeights(expecting: Ranker.parameterShapes(config), from: directory)
    /// let model = Ranker(config, generator: &rng)
    /// try weights.load(into: model)
    /// ```
    ///
    /// - Throws: ``CheckpointError/io(path:message:)``, ``CheckpointError/malformed(path:reason:)``,
    ///   ``CheckpointError/checksumMismatch(file:)``, ``CheckpointError/nonFiniteValue(name:file:)``,
    ///   ``CheckpointError/missingTensor(name:file:)``, ``CheckpointError/unexpectedTensor(name:file:)``
    ///   or ``CheckpointError/shapeMismatch(name:expected:found:file:)`` (the first problem in
    ///   tensor-name order).
    public static func readWeights(expecting shapes: ParameterShapes, from directory: URL) throws(CheckpointError)
        -> CheckedWeights
    {
        try requireDirectory(directory)
        let url = directory.appendingPathComponent(weightsFileName)
        let archive = try SafeTensorsArchive(contentsOf: url)
        if let recorded = archive.metadata[checksumKey], recorded != digest(of: archive.entries) {
            throw .checksumMismatch(file: url.path)
        }
        for (key, entry) in archive.entries.sorted(by: { $0.key < $1.key }) where !entry.values.allSatisfy(\.isFinite) {
            throw .nonFiniteValue(name: key, file: url.path)
        }
        for (key, shape) in shapes.shapes.sorted(by: { $0.key < $1.key }) {
            guard let entry = archive.entries[key] else { throw .missingTensor(name: key, file: url.path) }
            guard entry.shape == shape else {
                throw .shapeMismatch(name: key, expected: shape, found: entry.shape, file: url.path)
            }
        }
        if let extra = archive.entries.keys.sorted().first(where: { shapes.shapes[$0] == nil }) {
            throw .unexpectedTensor(name: extra, file: url.path)
        }
        return CheckedWeights(archive: archive, file: url.path)
    }

    /// A weights file that passed ``readWeights(expecting:from:)``, ready to fill a model.
    public struct CheckedWeights: Sendable {
        let archive: SafeTensorsArchive
        let file: String

        /// The string metadata stored in the file.
        public var metadata: [String: String] { archive.metadata }

        /// Copies the weights into `model`'s parameters: all or nothing.
        ///
        /// - Throws: ``CheckpointError/missingTensor(name:file:)``,
        ///   ``CheckpointError/unexpectedTensor(name:file:)`` or
        ///   ``CheckpointError/shapeMismatch(name:expected:found:file:)`` when `model` is not
        ///   the model the shapes described.
        public func load(into model: any Layer) throws(CheckpointError) {
            let values = archive.entries.mapValues { Tensor(shape: $0.shape, scalars: $0.values) }
            do {
                try model.load(values)
            } catch {
                switch error {
                case .missingParameter(let key):
                    throw .missingTensor(name: key, file: file)
                case .shapeMismatch(let key, let expected, let found):
                    throw .shapeMismatch(name: key, expected: expected, found: found, file: file)
                case .unexpectedParameter(let key):
                    throw .unexpectedTensor(name: key, file: file)
                }
            }
        }
    }

    /// The SHA-256 of the entries' values as the file stores them, as lowercase hex.
    static func digest(of entries: [String: SafeTensorsArchive.Entry]) -> String {
        var hasher = SHA256()
        for (_, entry) in entries.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            #if _endian(little)
                entry.values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            #else
                let bytes = entry.values.map(\.bitPattern.littleEndian)
                bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            #endif
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Reads the configuration, checks the weights against the shapes it implies, then builds
    /// the model and loads the weights into it.
    ///
    /// - Parameters:
    ///   - type: The configuration type the checkpoint was saved with.
    ///   - directory: A file URL of the checkpoint directory.
    ///   - shapes: The parameter shapes a configuration implies, computed without building.
    ///   - build: Makes a model of the saved architecture from the configuration; its
    ///     initial weights are then overwritten. Called only once the weights match `shapes`.
    /// - Returns: The configuration and the loaded model.
    /// - Throws: The errors of ``loadConfig(_:from:)`` and ``readWeights(expecting:from:)``.
    public static func load<Config: Decodable, Model: Layer>(
        _ type: Config.Type = Config.self, from directory: URL, shapes: (Config) -> ParameterShapes,
        build: (Config) -> Model
    ) throws(CheckpointError) -> (config: Config, model: Model) {
        let config = try loadConfig(type, from: directory)
        let weights = try readWeights(expecting: shapes(config), from: directory)
        let model = build(config)
        try weights.load(into: model)
        return (config, model)
    }

    /// Writes files that travel with a checkpoint (metrics, logs, vocabularies) into
    /// `directory`, each replaced atomically, in order.
    ///
    /// - Parameter files: File names and the closures that make their bytes.
    /// - Throws: ``CheckpointError/io(path:message:)`` naming the first file that could not be
    ///   encoded or written.
    public static func writeFiles(
        _ files: [(name: String, contents: () throws -> Data)], to directory: URL
    ) throws(CheckpointError) {
        for (name, contents) in files {
            let url = directory.appendingPathComponent(name)
            do {
                try contents().write(to: url, options: .atomic)
            } catch {
                throw .io(path: url.path, message: FileError.describe(error))
            }
        }
    }

    // MARK: - Helpers

    private static func requireFileURL(_ url: URL) throws(CheckpointError) {
        guard url.isFileURL else {
            throw .io(path: url.absoluteString, message: "checkpoints can only be stored at file URLs")
        }
    }

    /// Checks that `directory` exists and is a directory, so that a wrong path is reported
    /// as such rather than as a missing file inside it.
    private static func requireDirectory(_ directory: URL) throws(CheckpointError) {
        try requireFileURL(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw .io(path: directory.path, message: "there is no checkpoint directory at this path")
        }
        guard isDirectory.boolValue else {
            throw .io(path: directory.path, message: "this is a file, not a checkpoint directory")
        }
    }

    /// `config` as pretty-printed JSON with sorted keys and a final newline.
    private static func encode<Config: Encodable>(_ config: Config, path: String) throws(CheckpointError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(config) + Data("\n".utf8)
        } catch {
            let reason: String
            if case .invalidValue(_, let context) = error as? EncodingError {
                reason = "\(describe(context.codingPath)): \(clause(context.debugDescription))"
            } else {
                reason = String(describing: error)
            }
            throw .invalidConfig(
                path: path,
                detail: "the configuration cannot be written as JSON (\(reason)); make every value "
                    + "representable in JSON, for example finite numbers only")
        }
    }

    /// What is wrong with a configuration file, where, and how to fix it.
    private static func describeDecodingFailure(_ error: any Error, data: Data) -> String {
        let fix = "fix the file, or load it with the configuration type it was saved from"
        guard let error = error as? DecodingError else {
            return "the configuration cannot be read (\(error)); \(fix)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "the key \(describe(context.codingPath + [key])) is missing; \(fix)"
        case .valueNotFound(let type, let context):
            return "\(describe(context.codingPath)) is null but must be of type \(type); \(fix)"
        case .typeMismatch(let type, let context):
            return
                "\(describe(context.codingPath)) is not of type \(type) (\(clause(context.debugDescription))); \(fix)"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "\(describeUnparsedJSON(data)); \(fix)"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            return
                "\(describe(context.codingPath)) is invalid (\(clause(context.debugDescription))\(underlying)); \(fix)"
        @unknown default:
            return "the configuration cannot be decoded (\(error)); \(fix)"
        }
    }

    /// Why JSON that the decoder refused as a whole did not decode. The decoder says "not valid
    /// JSON" also for valid JSON with a number its field cannot hold, so the text is parsed again
    /// to tell the two apart and to name the numbers out of range.
    private static func describeUnparsedJSON(_ data: Data) -> String {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            if detail.hasPrefix("Number ") {
                return "holds a number out of range (\(clause(detail)))"
            }
            return "is not valid JSON (\(clause(detail)))"
        }
        var suspects: [String] = []
        func visit(_ value: Any, path: [String]) {
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() { visit(object[key] as Any, path: path + [key]) }
            } else if let array = value as? [Any] {
                for (index, element) in array.enumerated() { visit(element, path: path + [String(index)]) }
            } else if let number = value as? NSNumber, !(value is Bool) {
                let double = number.doubleValue
                if !double.isFinite || abs(double) > Double(Float.greatestFiniteMagnitude) || abs(double) >= 0x1p63 {
                    suspects.append("\"\(path.joined(separator: "."))\" = \(number)")
                }
            }
        }
        visit(parsed, path: [])
        guard suspects.isEmpty else {
            return "holds numbers too large for their fields: " + suspects.prefix(5).joined(separator: ", ")
        }
        return "is valid JSON, but a number does not fit its field (a fraction where a whole number is "
            + "needed, or a value out of range)"
    }

    /// A Foundation message without its final full stop, to embed in a sentence.
    private static func clause(_ message: String) -> String {
        message.hasSuffix(".") ? String(message.dropLast()) : message
    }

    /// A coding path as a quoted dotted key (`"encoder.layers.0.size"`), or "the top level".
    private static func describe(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "the top level" }
        let key = codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return "\"\(key)\""
    }
}
