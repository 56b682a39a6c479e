import ArgumentParser
import Embeddings
import EventData
import Foundation
import Settings
import TensorEngine

/// `--threads`, the same in every command that multiplies matrices.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for matrix products.")
    var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }

    /// Sets the engine's thread count.
    func apply() {
        Engine.threadCount = threads
    }
}

/// The flags of the shared training loop, for every model that trains. Only the flags given
/// override the model's defaults; each one is a configuration key of the same name.
struct TrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "The most passes over the training data.")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Training examples per step.")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Adam's learning rate.")
    var learningRate: Double?
    @Option(parsing: .unconditional, help: "L2 penalty on the weights.")
    var weightDecay: Double?
    @Option(parsing: .unconditional, help: "Dropout probability.")
    var dropout: Double?
    @Option(
        parsing: .unconditional,
        help: "Stop after this many validations without a sufficient gain; 0 never stops early.")
    var patience: Int?
    @Option(
        parsing: .unconditional,
        help: "The relative validation gain that counts as progress for --patience (0.01: 1%; 0: any gain).")
    var minimumImprovement: Double?
    @Option(parsing: .unconditional, help: "Stop after this many seconds of training steps.")
    var timeBudget: Double?
    @Option(parsing: .unconditional, help: "Seeds the split, initial weights, shuffling and dropout.")
    var seed: Int?

    /// The given flags by configuration key.
    var settings: [String: Any] {
        let given: [String: Any?] = [
            "epochs": epochs, "batch-size": batchSize, "learning-rate": learningRate, "weight-decay": weightDecay,
            "dropout": dropout, "patience": patience, "minimum-improvement": minimumImprovement,
            "time-budget": timeBudget, "seed": seed,
        ]
        return given.compactMapValues { $0 }
    }
}

/// A library's complaint about a setting, in the command line's words: the key is the flag.
func flagError(_ problem: InvalidParameter) -> ValidationError {
    ValidationError("--\(problem.parameter) \(problem.value): must be \(problem.allowed).")
}

/// Milliseconds since 1970 of an ISO 8601 date or time given to `option`.
func parseISOTime(_ text: String, option: String) throws -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    guard let date = formatter.date(from: text) ?? day.date(from: text) else {
        throw ValidationError("\(option) \(text): write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z.")
    }
    return Int64((date.timeIntervalSince1970 * 1_000).rounded())
}

/// Column kinds given as `--kind name=kind` (repeatable), by column name.
func columnKindOverrides(_ settings: [String]) throws -> [String: ColumnKind] {
    var result: [String: ColumnKind] = [:]
    for setting in settings {
        let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw ValidationError("--kind \(setting): write name=kind, e.g. --kind Month=month.")
        }
        guard let kind = ColumnKind(rawValue: parts[1]) else {
            throw ValidationError(
                "--kind \(setting): '\(parts[1])' is not a kind; use "
                    + ColumnKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
        result[parts[0]] = kind
    }
    return result
}

/// The autoencoder flags `behave embed` and `behave anomalies` share.
struct AutoencoderOptions: ParsableArguments {
    @Option(
        help:
            "Autoencoder: encoder widths, input side first (default 64,32; a seq-vae takes one, its GRUs' width, default 64)."
    )
    var hiddenLayers: String?

    @Option(
        parsing: .unconditional,
        help: "Autoencoder: the code's width (default: a third of the inputs, 2 to 16; seq-vae 16).")
    var latentSize: Int?

    @Option(parsing: .unconditional, help: "Autoencoder: the most passes over the rows.")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Autoencoder: Adam's learning rate (default 0.001; seq-vae 0.002).")
    var learningRate: Float?

    @Option(parsing: .unconditional, help: "Autoencoder: rows per step (default 128; seq-vae 64).")
    var batchSize: Int?

    /// `config` with the given flags applied (not validated).
    func apply(to config: inout AutoencoderConfig) throws {
        if let widths = try widths() { config.hiddenSizes = widths }
        if let latentSize { config.latentSize = latentSize }
        if let epochs { config.epochs = epochs }
        if let learningRate { config.learningRate = learningRate }
        if let batchSize { config.batchSize = batchSize }
    }

    /// A sequence VAE's `config` with the given flags applied (not validated): one width, the GRUs'.
    func apply(to config: inout SequenceAutoencoderConfig) throws {
        if let widths = try widths() {
            guard widths.count == 1, let width = widths.first else {
                throw ValidationError(
                    "--hidden-layers \(hiddenLayers ?? ""): a sequence VAE takes one width (its GRUs'), like 64.")
            }
            config.hiddenSize = width
        }
        if let latentSize { config.latentSize = latentSize }
        if let epochs { config.epochs = epochs }
        if let learningRate { config.learningRate = learningRate }
        if let batchSize { config.batchSize = batchSize }
    }

    private func widths() throws -> [Int]? {
        guard let hiddenLayers else { return nil }
        let parts = hiddenLayers.split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard widths.count == parts.count else {
            throw ValidationError("--hidden-layers \(hiddenLayers): write widths separated by commas, like 64,32.")
        }
        return widths
    }
}
