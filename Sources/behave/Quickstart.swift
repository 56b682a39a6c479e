import ArgumentParser
import EventData
import Foundation
import Recommenders
import TensorEngine

/// `behave quickstart`: the whole next-item path on a simulated shop in a few minutes.
struct Quickstart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a small shop, ingest its log, train SASRec against popularity, and recommend.",
        discussion: """
            Writes everything under --dir: shop.csv (the simulated event log), behavior.db (the \
            event store) and models/pop, models/sasrec (model directories). Training stops at \
            --time-budget seconds. Afterwards, try:
              behave describe --store quickstart/behavior.db
              behave evaluate quickstart/models/sasrec
              behave recommend quickstart/models/sasrec --user u17 -k 10
            """
    )

    @Option(help: "Directory for the log, the store and the models.")
    var dir: String = "quickstart"

    @Option(parsing: .unconditional, help: "Simulated users.")
    var users: Int = 2_000

    @Option(parsing: .unconditional, help: "Simulated catalogue size.")
    var items: Int = 500

    @Option(parsing: .unconditional, help: "Seconds of SASRec training.")
    var timeBudget: Double = 30

    @Option(parsing: .unconditional, help: "Random seed for the simulation and training.")
    var seed: UInt64 = 42

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        guard users >= 50 else { throw ValidationError("--users must be at least 50 (got \(users)).") }
        guard items >= 20 else { throw ValidationError("--items must be at least 20 (got \(items)).") }
        guard timeBudget > 0 else { throw ValidationError("--time-budget must be positive (got \(timeBudget)).") }
    }

    func run() throws {
        threads.apply()
        let start = Date()
        let folder = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let logPath = folder.appendingPathComponent("shop.csv").path
        let storePath = folder.appendingPathComponent("behavior.db").path

        say("1. Simulating \(users) shoppers over \(items) items -> \(logPath)")
        let simulation = SimulationConfig(users: users, items: items, days: 30, seed: seed)
        let summary = try BehaviorSimulator(config: simulation).write(
            eventsTo: logPath, format: .csv, groundTruthTo: folder.appendingPathComponent("shop.truth.json").path)
        say("   \(ProgressReporter.grouped(summary.events)) events, \(summary.sessions) sessions")

        say("2. Ingesting into \(storePath)")
        let store = try SQLiteEventStore(path: storePath)
        let ingest = try store.ingest(
            try EventFileReader.open(path: logPath, schema: ReaderSchema()),
            options: IngestOptions(plausibility: .standard), progress: nil)
        say(
            "   \(ProgressReporter.grouped(ingest.stored)) stored, \(ProgressReporter.grouped(ingest.duplicates)) "
                + "already there, \(ingest.rejected) rejected")

        let data = try NextItemData.load(from: store)
        say("3. Training on \(ProgressReporter.grouped(data.users.count)) users' sequences (leave-one-out by time)")
        var packages: [NextItemPackage] = []
        for kind in [NextItemModelKind.pop, .sasrec] {
            var config = NextItemConfig.defaults(for: kind)
            config.seed = seed
            if case .sasrec(var sasrec) = config.architecture {
                // Short histories and a time budget: a quick look, not the benchmark setting.
                sasrec.maxLength = 50
                config.architecture = .sasrec(sasrec)
                config.evaluateEvery = 2
                config.monitor = .full
                config.timeBudget = timeBudget
            }
            let outcome = try trainReportingProgress(config: config, data: data)
            var package = NextItemPackage(trained: outcome, store: storePath)
            package.profile = try package.trainingProfile(store: store, data: data)
            try package.save(to: folder.appendingPathComponent("models/\(kind.rawValue)"), log: outcome.logLines)
            packages.append(package)
        }

        say("4. Validation metrics (each user's second-to-last item):")
        say("   model    full ndcg@10  full hr@10  sampled ndcg@10  sampled hr@10")
        for package in packages {
            guard let validation = package.metrics.validation else { continue }
            say(
                "   " + package.manifest.config.model.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(
                        format: "%-13.4f %-11.4f %-16.4f %.4f", validation.full.ndcg(at: 10) ?? 0,
                        validation.full.hitRate(at: 10) ?? 0, validation.sampled.ndcg(at: 10) ?? 0,
                        validation.sampled.hitRate(at: 10) ?? 0))
        }

        guard let sasrec = packages.last else { return }
        say("5. SASRec's next items for three users (items they already saw left out):")
        for user in data.users.filter({ $0.test != nil }).prefix(3) {
            let id = data.userIDs[user.user]
            let found = try sasrec.recommend(forUser: id, in: store, count: 5, excludeSeen: true)
            say(
                "   user \(id) (last items \(found.history.suffix(3).joined(separator: ", "))) -> "
                    + found.items.map(\.id).joined(separator: ", "))
        }
        say(
            String(format: "Done in %.0f s. ", Date().timeIntervalSince(start))
                + "Next: behave recommend \(folder.appendingPathComponent("models/sasrec").path) --user \(data.userIDs[0]) -k 10"
        )
    }
}
