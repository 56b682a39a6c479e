import ArgumentParser
import Embeddings
import EventData
import Foundation
import NeuralNet

extension AutoencoderKind: ExpressibleByArgument {}

/// What `behave embed --model` trains.
enum EmbedModel: String, ExpressibleByArgument, CaseIterable {
    /// A dense autoencoder of the per-user features.
    case ae
    /// A dense VAE of the per-user features.
    case vae
    /// A sequence VAE of each user's events.
    case seqVAE = "seq-vae"
}

/// `behave embed`: a vector per user from an autoencoder of their behaviour features.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract:
            "Train an autoencoder (ae) or VAE (vae) on users' behaviour features, or a sequence VAE (seq-vae) on their events, and export a vector per user.",
        discussion: """
            Computes the per-user features of the store (as `behave features` does, from the \
            events up to --at), scales them (log for skewed counts, then z-scores; the scaling is \
            saved with the model), and trains the autoencoder with early stopping on a held-out \
            10% of the users (the VAE with a KL warm-up over 10 epochs). With --model seq-vae a \
            GRU reads each user's last 50 events (type, item, category, time gap, value, age) \
            into a 16-wide Gaussian code and a second GRU rebuilds the events from the code \
            alone (KL warm-up over 5 epochs). Writes the model to --out \
            and --out/embeddings.csv (user, e0, e1, ...: the code, the VAE's posterior mean), and \
            stores the vectors in the event store as the user vector set NAME (--name; default \
            embed-MODEL-DATE) for other models and queries.

            With --dp-epsilon the weights train with DP-SGD, one user per privacy unit; the \
            held-out users (not protected) fit the scaling and choose the category columns (the \
            sequence VAE's vocabularies) and decide when to stop, and the model keeps its \
            guarantee.

            Examples:
              behave embed --store behavior.db --model vae --out models/embed
              behave embed --store behavior.db --model ae --latent-size 8 --at 2024-01-21 --out models/embed-jan
              behave embed --store behavior.db --model seq-vae --out models/embed-seq
              behave embed --store behavior.db --model vae --dp-epsilon 3 --out models/embed-private
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only events up to this time (ISO 8601; default: all).")
    var at: String?

    @Option(help: "The model: ae (autoencoder), vae (variational autoencoder) or seq-vae (sequence VAE of the events).")
    var model: EmbedModel = .vae

    @Option(help: "The model directory to write.")
    var out: String = "models/embed"

    @Option(help: "The name of the vector set stored with the users (default: embed-MODEL-DATE).")
    var name: String?

    @OptionGroup(title: "Autoencoder") var autoencoder: AutoencoderOptions

    @Option(parsing: .unconditional, help: "seq-vae: the most recent events read per user (default 50).")
    var maxEvents: Int?

    @Option(parsing: .unconditional, help: "Seeds the split, weights, shuffling and sampling.")
    var seed: Int = 42

    @OptionGroup var threads: ThreadOptions

    @OptionGroup(title: "Differential privacy") var privacy: PrivacyOptions

    @Flag(help: "Print a summary as JSON.")
    var json = false

    /// What --json prints.
    struct Summary: Encodable {
        var directory: String
        var users: Int
        /// The feature columns of a dense model; absent for seq-vae.
        var features: Int?
        var dimensions: Int
        var bestEpoch: Int
        var validationLoss: Double?
        var storedAs: String
    }

    func validate() throws {
        if let at { _ = try parseISOTime(at, option: "--at") }
        if model == .seqVAE {
            _ = try sequenceConfig()
        } else {
            if maxEvents != nil { throw ValidationError("--max-events belongs to --model seq-vae.") }
            _ = try config()
        }
    }

    func config() throws -> AutoencoderConfig {
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed)).") }
        var config = AutoencoderConfig(kind: model == .ae ? .autoencoder : .variational, seed: UInt64(seed))
        if let epsilon = privacy.dpEpsilon { config = config.privateDefaults(epsilon: epsilon) }
        try autoencoder.apply(to: &config)
        do {
            config.privacy = try PrivacyBudget.applying(
                privacy.settings, to: config.privacy, defaultClipNorm: AutoencoderConfig.privateClipNorm)
            try config.validate()
        } catch {
            throw flagError(error)
        }
        config.privacy = try privacy.seeded(config.privacy)
        return config
    }

    func sequenceConfig() throws -> SequenceAutoencoderConfig {
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed)).") }
        var config = SequenceAutoencoderConfig(seed: UInt64(seed))
        if let epsilon = privacy.dpEpsilon { config = config.privateDefaults(epsilon: epsilon) }
        try autoencoder.apply(to: &config)
        if let maxEvents { config.maxLength = maxEvents }
        do {
            config.privacy = try PrivacyBudget.applying(
                privacy.settings, to: config.privacy, defaultClipNorm: SequenceAutoencoderConfig.privateClipNorm)
            try config.validate()
        } catch {
            throw flagError(error)
        }
        config.privacy = try privacy.seeded(config.privacy)
        return config
    }

    func run() throws {
        threads.apply()
        try checkOutputDirectory(out, option: "--out")
        let store = try StoreOptions.openForReading(path: storeOptions.store)
        let asOf = try at.map { try parseISOTime($0, option: "--at") }
        if model == .seqVAE {
            try runSequence(store: store, asOf: asOf)
            return
        }
        let config = try config()
        // A private run reads the users first without category columns (it needs only who they
        // are), then with the held-out users' most frequent categories.
        var table = try UserFeatureExtractor.table(
            from: store, referenceTime: asOf, topCategories: config.privacy == nil ? 20 : 0
        ).foldingTimeProfile()
        if config.privacy != nil {
            let heldOut = UserEmbeddingModel.heldOutRows(count: table.rows.count, config: config)
            table = try UserFeatureExtractor.table(
                from: store, referenceTime: asOf, topCategories: 20,
                categoryUsers: Set(heldOut.map { table.userIDs[$0] })
            ).foldingTimeProfile()
        }
        note(
            "Training a \(model.rawValue) on \(ProgressReporter.grouped(table.rows.count)) users x \(table.columns.count) features."
        )
        let reporter = ProgressReporter(label: "embed", total: nil, unit: "epochs")
        let trained = try UserEmbeddingModel.train(
            table: table, config: config, trainedOn: storeOptions.store, asOf: asOf
        ) { reporter.log(Self.epochLine($0)) }
        let directory = URL(fileURLWithPath: out)
        try trained.save(to: directory)
        if let statement = trained.manifest.privacy { printPrivacy(statement) }
        try finish(
            users: table.userIDs, codes: trained.embeddings(of: table.rows), width: trained.latentSize,
            features: table.columns.count, bestEpoch: trained.manifest.bestEpoch,
            validationLoss: trained.manifest.validationLoss)
    }

    /// `--model seq-vae`: the sequence VAE over every user's events up to `asOf`.
    private func runSequence(store: OpenedStore, asOf: Int64?) throws {
        let config = try sequenceConfig()
        var histories: [UserHistory] = []
        var last = Int64.min
        try store.forEachUserHistory { history in
            var history = history
            if let asOf { history.events.removeAll { $0.timestamp > asOf } }
            guard let newest = history.events.last else { return }
            last = max(last, newest.timestamp)
            histories.append(history)
        }
        guard histories.count >= 2 else {
            throw ValidationError(
                "\(storeOptions.store) has \(histories.count) user\(histories.count == 1 ? "" : "s") with events"
                    + (at.map { " up to \($0)" } ?? "") + "; a sequence VAE needs at least 2.")
        }
        let items = try store.itemIDs()
        note(
            "Training a seq-vae on \(ProgressReporter.grouped(histories.count)) users' last \(config.maxLength) events."
        )
        let reporter = ProgressReporter(label: "embed", total: nil, unit: "epochs")
        let trained = try SequenceEmbeddingModel.train(
            histories: histories, itemIDs: items, referenceTime: asOf ?? last, config: config,
            trainedOn: storeOptions.store
        ) { reporter.log(Self.epochLine($0)) }
        try trained.save(to: URL(fileURLWithPath: out))
        if let statement = trained.manifest.privacy { printPrivacy(statement) }
        try finish(
            users: histories.map(\.userID), codes: trained.embeddings(of: histories, itemIDs: items),
            width: trained.latentSize, features: nil, bestEpoch: trained.manifest.bestEpoch,
            validationLoss: trained.manifest.validationLoss)
    }

    static func epochLine(_ record: EpochRecord<Double>) -> String {
        "epoch \(record.epoch)  loss \(String(format: "%.4f", record.loss))  val loss "
            + String(format: "%.4f", record.validation?.report ?? .nan) + (record.isBest ? "  (best)" : "")
    }

    /// Writes embeddings.csv, stores the vectors and prints the summary.
    private func finish(
        users: [String], codes: [Float], width: Int, features: Int?, bestEpoch: Int, validationLoss: Double?
    ) throws {
        try UserEmbeddingModel.writeCSV(
            users: users, embeddings: codes, to: URL(fileURLWithPath: out).appendingPathComponent("embeddings.csv").path
        )
        let setName = storedSetName(name, prefix: "embed-\(model.rawValue)", at: at)
        try StoreOptions.open(storeOptions.store).storeUserVectors(
            UserEmbeddingModel.vectors(users: users, embeddings: codes), name: setName)
        let summary = Summary(
            directory: out, users: users.count, features: features, dimensions: width, bestEpoch: bestEpoch,
            validationLoss: validationLoss, storedAs: setName)
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
