import ArgumentParser
import Embeddings
import EventData
import Foundation

extension AutoencoderKind: ExpressibleByArgument {}

/// `behave embed`: a vector per user from an autoencoder of their behaviour features.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Train an autoencoder (ae) or VAE (vae) on users' behaviour features and export a vector per user.",
        discussion: """
            Computes the per-user features of the store (as `behave features` does, from the \
            events up to --at), scales them (log for skewed counts, then z-scores; the scaling is \
            saved with the model), and trains the autoencoder with early stopping on a held-out \
            10% of the users (the VAE with a KL warm-up over 10 epochs). Writes the model to --out \
            and --out/embeddings.csv (user, e0, e1, ...: the code, the VAE's posterior mean), and \
            stores the vectors in the event store as the user vector set NAME (--name; default \
            embed-MODEL-DATE) for other models and queries.

            Examples:
              behave embed --store behavior.db --model vae --out models/embed
              behave embed --store behavior.db --model ae --latent-size 8 --at 2024-01-21 --out models/embed-jan
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only events up to this time (ISO 8601; default: all).")
    var at: String?

    @Option(help: "The model: ae (autoencoder) or vae (variational autoencoder).")
    var model: AutoencoderKind = .variational

    @Option(help: "The model directory to write.")
    var out: String = "models/embed"

    @Option(help: "The name of the vector set stored with the users (default: embed-MODEL-DATE).")
    var name: String?

    @OptionGroup(title: "Autoencoder") var autoencoder: AutoencoderOptions

    @Option(parsing: .unconditional, help: "Seeds the split, weights, shuffling and sampling.")
    var seed: Int = 42

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print a summary as JSON.")
    var json = false

    /// What --json prints.
    struct Summary: Encodable {
        var directory: String
        var users: Int
        var features: Int
        var dimensions: Int
        var bestEpoch: Int
        var validationLoss: Double?
        var storedAs: String
    }

    func validate() throws {
        if let at { _ = try parseISOTime(at, option: "--at") }
        _ = try config()
    }

    func config() throws -> AutoencoderConfig {
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed)).") }
        var config = AutoencoderConfig(kind: model, seed: UInt64(seed))
        try autoencoder.apply(to: &config)
        do {
            try config.validate()
        } catch {
            throw flagError(error)
        }
        return config
    }

    func run() throws {
        threads.apply()
        let config = try config()
        try checkOutputDirectory(out, option: "--out")
        let store = try StoreOptions.openForReading(path: storeOptions.store)
        let asOf = try at.map { try parseISOTime($0, option: "--at") }
        let table = try UserFeatureExtractor.table(from: store, referenceTime: asOf, topCategories: 20)
            .foldingTimeProfile()
        note(
            "Training a \(model.rawValue) on \(ProgressReporter.grouped(table.rows.count)) users x \(table.columns.count) features."
        )
        let reporter = ProgressReporter(label: "embed", total: nil, unit: "epochs")
        let trained = try UserEmbeddingModel.train(
            table: table, config: config, trainedOn: storeOptions.store, asOf: asOf
        ) {
            reporter.log(
                "epoch \($0.epoch)  loss \(String(format: "%.4f", $0.loss))  val loss "
                    + String(format: "%.4f", $0.validation?.report ?? .nan) + ($0.isBest ? "  (best)" : ""))
        }
        let directory = URL(fileURLWithPath: out)
        try trained.save(to: directory)
        let codes = trained.embeddings(of: table.rows)
        try UserEmbeddingModel.writeCSV(
            users: table.userIDs, embeddings: codes, to: directory.appendingPathComponent("embeddings.csv").path)
        let width = trained.latentSize
        let setName = storedSetName(name, prefix: "embed-\(model.rawValue)", at: at)
        try SQLiteEventStore(path: storeOptions.store).storeUserVectors(
            UserEmbeddingModel.vectors(users: table.userIDs, embeddings: codes), name: setName)
        let summary = Summary(
            directory: out, users: table.rows.count, features: table.columns.count, dimensions: width,
            bestEpoch: trained.manifest.bestEpoch, validationLoss: trained.manifest.validationLoss, storedAs: setName)
        if json {
            try printJSON(summary)
            return
        }
        say(
            "Embedded \(ProgressReporter.grouped(summary.users)) users in \(width) dimensions (best epoch \(summary.bestEpoch), "
                + "validation loss \(String(format: "%.4f", summary.validationLoss ?? .nan))): model and embeddings.csv in \(out); "
                + "vectors stored in \(storeOptions.store) as '\(setName)'.")
    }
}
