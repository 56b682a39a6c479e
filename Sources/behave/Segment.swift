import ArgumentParser
import Embeddings
import EventData
import FileIO
import Foundation
import Segments

extension SegmentMethod: ExpressibleByArgument {}

/// `behave segment`: users in segments, with a portrait of each.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Put users into segments and describe each one (size, features against everyone, habits).",
        discussion: """
            Reads the per-user features of an event store (as `behave features` computes them, \
            from the events up to --at) or any per-user table (--data FILE --id COLUMN: its \
            numeric and true/false columns), scales them (log for skewed counts, then z-scores) \
            and segments the users:

              kmeans     k-means (k-means++, 4 restarts; mini-batches from 100,000 users)
              gmm        a diagonal Gaussian mixture
              embedding  k-means on the codes of a variational autoencoder of the features
              rfm        the classic RFM groups (champions, loyal, at risk, hibernating, ...)

            Without --k the number of segments is chosen among 2 to 8: the highest silhouette \
            (k-means; measured on a seeded sample of 10,000 users) or the lowest BIC (mixture). \
            Segments are numbered by size. The same seed gives the same segments; stability is \
            the mean adjusted Rand index against two other seeds.

            With --vectors NAME the users are segmented (kmeans or gmm) by a vector set stored \
            in the store, as `behave embed` writes them, taken as they are (no scaling); the \
            portraits still describe the segments by the features.

            Writes --out as user,segment; prints a portrait per segment (or JSON with --json); \
            with --store, also stores each user's segment as the user attribute segment:NAME \
            (NAME from --name, by default METHOD-DATE), so several segmentations coexist and \
            `behave features --attributes segment:NAME` can export them.

            Examples:
              behave segment --store behavior.db --out segments.csv
              behave segment --store behavior.db --method rfm --at 2024-01-21 --out rfm.csv
              behave segment --data customers.csv --id customer_id --k 5 --out segments.csv
              behave embed --store behavior.db --model seq-vae --name seq --out models/seq
              behave segment --store behavior.db --vectors seq --out segments.csv
            """
    )

    @Option(help: "The event store whose users to segment.")
    var store: String?

    @Option(help: "With --store: only events up to this time (ISO 8601; default: all).")
    var at: String?

    @Option(help: "With --store: segment by this stored user vector set (from behave embed) instead of the features.")
    var vectors: String?

    @Option(help: "A per-user table to segment instead of a store.")
    var data: String?

    @Option(help: "With --data: the column holding the user id.")
    var id: String?

    @Option(help: "The method: kmeans, gmm, embedding or rfm.")
    var method: SegmentMethod = .kmeans

    @Option(name: .customLong("k"), parsing: .unconditional, help: "The number of segments (default: chosen, 2 to 8).")
    var segments: Int?

    @Option(help: "Where to write user,segment (CSV).")
    var out: String

    @Option(help: "With --store: the name of the segmentation stored with the users (default: METHOD-DATE).")
    var name: String?

    @Option(parsing: .unconditional, help: "Seeds the clustering and the autoencoder.")
    var seed: Int = 42

    @OptionGroup(title: "Autoencoder (embedding)") var autoencoder: AutoencoderOptions

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "Print the portraits as JSON.")
    var json = false

    func validate() throws {
        guard (store == nil) != (data == nil) else {
            throw ValidationError(
                "Give --store FILE (an event store) or --data FILE --id COLUMN (a table), one of them.")
        }
        if data != nil, id == nil { throw ValidationError("--data needs --id COLUMN, the column holding the user id.") }
        if store != nil, id != nil { throw ValidationError("--id belongs to --data tables.") }
        if data != nil, at != nil || name != nil {
            throw ValidationError("--at and --name belong to --store segmentations.")
        }
        if vectors != nil {
            guard store != nil else { throw ValidationError("--vectors belongs to --store segmentations.") }
            guard method == .kmeans || method == .gmm else {
                throw ValidationError("--vectors are segmented with --method kmeans or gmm, not \(method.rawValue).")
            }
        }
        if let at { _ = try parseISOTime(at, option: "--at") }
        _ = try config()
    }

    func config() throws -> SegmentationConfig {
        guard seed >= 0 else { throw ValidationError("--seed must be 0 or more (got \(seed)).") }
        var config = SegmentationConfig(method: method, segments: segments, seed: UInt64(seed))
        config.threads = threads.threads
        try autoencoder.apply(to: &config.autoencoder)
        do {
            try config.validate()
        } catch {
            throw flagError(error)
        }
        if method == .rfm, segments != nil {
            throw ValidationError("--k does not apply to rfm, whose groups are fixed.")
        }
        return config
    }

    /// What --json prints.
    struct Report: Encodable {
        var method: SegmentMethod
        var users: Int
        var segments: [SegmentPortrait]
        var candidates: [Segmentation.CountCandidate]
        var silhouette: Double?
        var stability: Double?
        var repurchaseAUC: Double?
        var storedAs: String?
    }

    func run() throws {
        threads.apply()
        let config = try config()
        try checkOutputFile(out, option: "--out")
        var table: FeatureTable
        var events: OpenedStore?
        var until: Int64?
        if let store {
            let opened = try StoreOptions.openForReading(path: store)
            until = try at.map { try parseISOTime($0, option: "--at") }
            table = try UserFeatureExtractor.table(from: opened, referenceTime: until, topCategories: 20)
                .foldingTimeProfile()
            events = opened
        } else if let data, let id {
            let file = try SegmentTableFile.read(path: data, id: id)
            for (column, reason) in file.skipped { note("Not used: \(column) (\(reason))") }
            if !file.rejected.isEmpty {
                note(
                    "\(file.rejected.count) rows left out; the first: line \(file.rejected[0].line): \(file.rejected[0].reason)"
                )
            }
            table = file.table
        } else {
            preconditionFailure("validate() requires --store or --data")
        }
        let result: Segmentation
        if let vectors, let events {
            let stored = try storedVectors(vectors, in: events, for: &table)
            note(
                "Segmenting \(ProgressReporter.grouped(table.rows.count)) users on the \(stored.dimension)-wide vectors '\(vectors)' with \(method.rawValue)."
            )
            result = try Segmentation.fit(vectors: stored.values, dimension: stored.dimension, config: config)
        } else {
            note(
                "Segmenting \(ProgressReporter.grouped(table.rows.count)) users on \(table.columns.count) features with \(method.rawValue)."
            )
            let reporter = ProgressReporter(label: "embed", total: nil, unit: "epochs")
            result = try Segmentation.fit(columns: table.columns, rows: table.rows, config: config) {
                reporter.log("epoch \($0.epoch)  loss \(String(format: "%.4f", $0.loss))")
            }
        }
        let activity = try events.map { store in
            let index = Dictionary(uniqueKeysWithValues: table.userIDs.enumerated().map { ($1, result.labels[$0]) })
            return try SegmentActivity.count(store: store, segments: result.names.count, until: until.map { $0 + 1 }) {
                index[$0]
            }
        }
        let portraits = Portraits.build(
            columns: table.columns, rows: table.rows, labels: result.labels, names: result.names, activity: activity)
        try writeSegments(table.userIDs, result)
        var storedAs: String?
        if let store {
            let label = storedSetName(name, prefix: method.rawValue, at: at)
            let writable = try StoreOptions.open(store)
            _ = try writable.ingestAttributes(
                table.userIDs.enumerated().map {
                    AttributeRow(id: $1, values: ["segment:\(label)": result.names[result.labels[$0]]])
                },
                kind: .user)
            if let codes = result.embeddings {
                try writable.storeUserVectors(
                    UserEmbeddingModel.vectors(users: table.userIDs, embeddings: codes), name: "segment:\(label)")
            }
            storedAs = "segment:\(label)"
        }
        if json {
            try printJSON(
                Report(
                    method: method, users: table.rows.count, segments: portraits, candidates: result.candidates,
                    silhouette: result.silhouette, stability: result.stability,
                    repurchaseAUC: activity?.repurchaseAUC, storedAs: storedAs))
            return
        }
        printReport(
            portraits, result: result, users: table.rows.count, repurchaseAUC: activity?.repurchaseAUC,
            storedAs: storedAs)
    }

    /// The vector set `name` in the order of `table`'s users, row-major; users without a
    /// vector leave the table (and are counted in a note).
    private func storedVectors(_ name: String, in store: OpenedStore, for table: inout FeatureTable) throws
        -> (values: [Float], dimension: Int)
    {
        let vectors = try store.userVectors(name: name)
        guard let dimension = vectors.values.first?.count else {
            let names = try store.userVectorSetNames()
            throw ValidationError(
                "--vectors \(name): \(store.location) holds no such vector set"
                    + (names.isEmpty
                        ? "; make one with behave embed --name \(name)."
                        : " (it holds: \(names.joined(separator: ", "))).")
            )
        }
        guard vectors.values.allSatisfy({ $0.count == dimension }) else {
            throw ValidationError(
                "--vectors \(name): the vectors are not all \(dimension) wide; store the set again with behave embed.")
        }
        let kept = table.userIDs.indices.filter { vectors[table.userIDs[$0]] != nil }
        if kept.count < table.userIDs.count {
            note(
                "\(table.userIDs.count - kept.count) users with events have no vector in '\(name)' and are left out.")
        }
        let users = kept.map { table.userIDs[$0] }
        table = FeatureTable(columns: table.columns, userIDs: users, rows: kept.map { table.rows[$0] })
        return (users.flatMap { vectors[$0] ?? [] }, dimension)
    }

    private func writeSegments(_ users: [String], _ result: Segmentation) throws {
        var text = "user,segment\n"
        for (row, user) in users.enumerated() {
            text += CSVText.line([user, result.names[result.labels[row]]])
        }
        try writeOutputText(text, to: out, option: "--out")
    }

    private func printReport(
        _ portraits: [SegmentPortrait], result: Segmentation, users: Int, repurchaseAUC: Double?, storedAs: String?
    ) {
        if !result.candidates.isEmpty {
            let label = method == .gmm ? "BIC" : "silhouette"
            say(
                "Segments chosen by \(label): "
                    + result.candidates.map {
                        "k=\($0.segments) \(String(format: method == .gmm ? "%.0f" : "%.3f", $0.score))"
                    }.joined(separator: ", "))
        }
        var quality: [String] = []
        if let silhouette = result.silhouette { quality.append("silhouette \(String(format: "%.3f", silhouette))") }
        if let stability = result.stability {
            quality.append("stability (adjusted Rand index across seeds) \(String(format: "%.3f", stability))")
        }
        if let repurchaseAUC, let at {
            say(
                "Check: the segments' purchase rates after \(at) rank who bought then with ROC-AUC "
                    + String(format: "%.3f", repurchaseAUC) + " (in-sample; 0.5 is no better than chance).")
        }
        say(
            "\(portraits.count) segments of \(ProgressReporter.grouped(users)) users"
                + (quality.isEmpty ? "" : ": " + quality.joined(separator: ", ")) + ".")
        for portrait in portraits {
            say("")
            say(
                "Segment \(portrait.segment): \(ProgressReporter.grouped(portrait.size)) users (\(String(format: "%.1f", portrait.share * 100))%): \(portrait.description)"
            )
            let key = portrait.features
                .filter { !$0.feature.hasPrefix("hour_") && !$0.feature.hasPrefix("dow_") }
                .sorted { abs($0.standardizedDifference) > abs($1.standardizedDifference) }.prefix(6)
            for feature in key {
                say(
                    "  \(feature.feature.padding(toLength: 22, withPad: " ", startingAt: 0)) mean \(Portraits.number(feature.mean)) (all \(Portraits.number(feature.populationMean))), median \(Portraits.number(feature.median))"
                        + (feature.lift.map { ", lift \(String(format: "%.2f", $0))" } ?? ""))
            }
            if let rate = portrait.purchaseRate {
                say(
                    "  buyers \(String(format: "%.0f", rate * 100))%"
                        + (portrait.meanSpend.map { ", mean spend \(Portraits.number($0))" } ?? ""))
            }
            if let after = portrait.after, let at {
                say(
                    "  after \(at): \(String(format: "%.0f", after.boughtAgain * 100))% bought, mean spend "
                        + Portraits.number(after.meanSpend))
            }
            if !portrait.eventTypes.isEmpty { say("  events: " + shares(portrait.eventTypes)) }
            if !portrait.topCategories.isEmpty { say("  top categories: " + shares(portrait.topCategories)) }
            if !portrait.topItems.isEmpty { say("  top items: " + shares(portrait.topItems)) }
        }
        say("")
        say("Wrote user,segment to \(out)" + (storedAs.map { "; stored as the user attribute \($0)." } ?? "."))
    }

    private func shares(_ values: [NamedShare]) -> String {
        values.map { "\($0.name) \(String(format: $0.share < 0.01 ? "%.1f" : "%.0f", $0.share * 100))%" }
            .joined(separator: ", ")
    }
}
