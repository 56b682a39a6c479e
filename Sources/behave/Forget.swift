import ArgumentParser
import EventData
import Foundation
import Monitoring
import Pseudonyms
import Serving

/// `behave forget`: erases users from the event store and names the models that learned from
/// them.
struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase users from the event store, and list the model versions that learned from them.",
        discussion: """
            Deletes the users' events, attributes (segment labels and anomaly flags included), stored \
            vectors and the rejected rows that name them, and renames their dictionary entries to random \
            placeholders so other users keep their ids. The erasure is logged in the store with its time \
            and counts, never the ids (`behave describe` shows the log). SQLite overwrites the deleted \
            rows in the file.

            Ids are as stored. With --key-file, ids in the clear are looked up under every key's \
            pseudonym (pseudonyms given as they are are used as they are).

            With --registry, every model version whose training data spans the users' activity is \
            listed: retrain or update those (`behave update`), then remove the old versions' folders.

            Examples:
              behave forget alice@example.com --store shop.db --key-file shop.key --registry models
              behave forget k1-3b0c2f... --store shop.db --json
            """
    )

    @Argument(help: "User ids (as stored, or in the clear with --key-file).")
    var users: [String] = []

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The pseudonym key file the store was ingested with.")
    var keyFile: String?

    @Option(help: "A model registry whose versions to check for the users' data.")
    var registry: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard !users.isEmpty else { throw ValidationError("Give at least one user id to forget.") }
        try StoreOptions.requireFile(storeOptions.store)
    }

    /// A model version that may have learned from the erased users.
    struct AffectedModel: Encodable {
        var name: String
        var version: String
        var live: Bool
        var directory: String
        /// Why: the training data's span, or that the bundle does not say.
        var reason: String
    }

    struct Report: Encodable {
        var store: String
        var erasure: Erasure
        var models: [AffectedModel]?
    }

    func run() throws {
        var stored = users
        if let keyFile {
            let pseudonymizer = try PseudonymKeyFile(url: URL(fileURLWithPath: keyFile)).load()
            stored = users.flatMap { pseudonymizer.isPseudonym($0) ? [$0] : pseudonymizer.pseudonyms(of: $0) }
        }
        let store = try StoreOptions.open(storeOptions.store)
        let erasure = try store.forget(users: stored)
        let models = try registry.map { try affectedModels(in: $0, erasure: erasure) }
        if json { return try printJSON(Report(store: store.location, erasure: erasure, models: models)) }
        say(
            "Erased \(erasure.users) of \(users.count) users from \(store.location): \(erasure.events) events, "
                + "\(erasure.attributes) attributes, \(erasure.vectors) stored vectors, \(erasure.rejects) rejected rows."
        )
        if erasure.users < users.count {
            say(
                "  \(users.count - erasure.users) of the ids given \(users.count - erasure.users == 1 ? "was" : "were") not in "
                    + "the store"
                    + (keyFile == nil ? " (a pseudonymised store needs --key-file to find ids in the clear)." : "."))
        }
        guard let models else { return }
        if models.isEmpty {
            say("No model version in \(registry ?? "") learned from them.")
            return
        }
        say("Model versions that may have learned from them (retrain or `behave update`, then remove the old ones):")
        for model in models {
            say("  \(model.name) v\(model.version)\(model.live ? " (live)" : "")  \(model.reason)")
        }
    }

    /// The registry's versions whose training data may hold the erased users: those whose
    /// profile's span overlaps the users' first to last event, and those that do not say what
    /// they learned from.
    func affectedModels(in registry: String, erasure: Erasure) throws -> [AffectedModel] {
        guard erasure.users > 0, let first = erasure.firstEvent else { return [] }
        var affected: [AffectedModel] = []
        for entry in try ModelRegistry(root: URL(fileURLWithPath: registry)).entries() {
            for version in entry.versions {
                let found = { (reason: String) in
                    AffectedModel(
                        name: entry.name, version: version.version, live: entry.live == version.version,
                        directory: version.directory.path, reason: reason)
                }
                guard let profile = try? TrainingProfile.load(from: version.directory) else {
                    affected.append(found("its bundle does not say what it learned from (no profile.json)"))
                    continue
                }
                guard let start = profile.firstEvent, let end = profile.watermark ?? profile.lastEvent else {
                    continue  // trained on a table file, not on the store's events
                }
                if first <= end && (erasure.lastEvent ?? first) >= start {
                    affected.append(
                        found("trained on events from \(Self.day(start)) to \(Self.day(end)), when they were active"))
                }
            }
        }
        return affected
    }

    private static func day(_ milliseconds: Int64) -> String {
        String(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)).prefix(10))
    }
}
