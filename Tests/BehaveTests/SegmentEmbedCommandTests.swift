import ArgumentParser
import Embeddings
import EventData
import Foundation
import NeuralNet
import Testing

@testable import behave

@Suite("behave segment / embed / anomalies --store")
struct SegmentEmbedCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (
                ["segment", "--out", "s.csv"],
                "Give --store FILE (an event store) or --data FILE --id COLUMN (a table), one of them."
            ),
            (
                ["segment", "--data", "a.csv", "--out", "s.csv"],
                "--data needs --id COLUMN, the column holding the user id."
            ),
            (["segment", "--store", "b.db", "--k", "1", "--out", "s.csv"], "--k 1: must be between 2 and 1000."),
            (
                ["segment", "--store", "b.db", "--method", "rfm", "--k", "4", "--out", "s.csv"],
                "--k does not apply to rfm"
            ),
            (
                ["segment", "--store", "b.db", "--method", "dbscan", "--out", "s.csv"],
                "The value 'dbscan' is invalid for '--method <method>'"
            ),
            (["embed", "--model", "pca"], "The value 'pca' is invalid for '--model <model>'"),
            (["embed", "--latent-size", "0"], "--latent-size 0: must be between 1 and 1048576."),
            (["embed", "--at", "soon"], "--at soon: write an ISO 8601 time"),
            (
                ["embed", "--model", "seq-vae", "--hidden-layers", "64,32"],
                "--hidden-layers 64,32: a sequence VAE takes one width (its GRUs'), like 64."
            ),
            (["embed", "--model", "seq-vae", "--latent-size", "0"], "--latent-size 0: must be between 1 and 1048576."),
            (["embed", "--model", "seq-vae", "--max-events", "0"], "--max-events 0: must be between 1 and 10000."),
            (["embed", "--model", "vae", "--max-events", "20"], "--max-events belongs to --model seq-vae."),
            (
                ["embed", "--model", "seq-vae", "--dp-clip-norm", "3"],
                "--dp-clip-norm given without dp-epsilon: must be only with a budget: add dp-epsilon (for example 3)."
            ),
            (
                ["embed", "--dp-delta", "1e-6"],
                "--dp-delta given without dp-epsilon: must be only with a budget: add dp-epsilon (for example 3)."
            ),
            (["embed", "--dp-epsilon", "0"], "--dp-epsilon 0.0: must be a positive number, like 3."),
            (["embed", "--learning-rate", "0"], "--learning-rate 0.0: must be a positive number."),
            (
                ["embed", "--model", "seq-vae", "--learning-rate", "-1"],
                "--learning-rate -1.0: must be a positive number."
            ),
            (["embed", "--batch-size", "0"], "--batch-size 0: must be between 1 and 1048576."),
            (["embed", "--model", "seq-vae", "--batch-size", "0"], "--batch-size 0: must be between 1 and 1048576."),
            (
                ["segment", "--data", "a.csv", "--id", "u", "--vectors", "v", "--out", "s.csv"],
                "--vectors belongs to --store segmentations."
            ),
            (
                ["segment", "--store", "b.db", "--vectors", "v", "--method", "rfm", "--out", "s.csv"],
                "--vectors are segmented with --method kmeans or gmm, not rfm."
            ),
            (
                ["anomalies", "--data", "a.csv", "--model", "rate", "--out", "s.csv"],
                "--model rate scores an event store's users"
            ),
            (["anomalies", "--store", "b.db", "--fit", "a.csv", "--out", "s.csv"], "--fit belongs to --data tables"),
            (
                ["anomalies", "--data", "a.csv", "--store", "b.db", "--out", "s.csv"],
                "Give --data FILE (a table) or --store FILE"
            ),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    @Test("embed, segment and score a simulated shop's users, writing back to the store")
    func endToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-seg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 120, items: 60, days: 10, seed: 4))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)

        let model = directory.appendingPathComponent("embed").path
        try EmbedCommand.parse(["--store", storePath, "--out", model, "--epochs", "3", "--name", "test", "--json"])
            .run()
        let csv = try String(contentsOfFile: model + "/embeddings.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 121 && csv[0].hasPrefix("user,e0,e1"))
        let loaded = try UserEmbeddingModel.load(from: URL(fileURLWithPath: model))
        let vectors = try SQLiteEventStore(path: storePath, access: .readOnly).userVectors(name: "test")
        #expect(vectors.count == 120 && vectors.values.allSatisfy { $0.count == loaded.latentSize })

        let segments = directory.appendingPathComponent("segments.csv").path
        try SegmentCommand.parse(["--store", storePath, "--k", "3", "--out", segments, "--name", "t", "--json"]).run()
        let lines = try String(contentsOfFile: segments, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 121 && lines[0] == "user,segment")
        let attributes = try SQLiteEventStore(path: storePath, access: .readOnly).attributes(kind: .user)
        #expect(attributes.values.filter { $0["segment:t"] != nil }.count == 120)

        let scored = directory.appendingPathComponent("anomalies.csv").path
        try AnomaliesCommand.parse(["--store", storePath, "--model", "rate", "--out", scored, "--name", "r", "--json"])
            .run()
        let rows = try String(contentsOfFile: scored, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 121 && rows[0] == "user,anomaly_score,flag,reasons")
        let flags = try SQLiteEventStore(path: storePath, access: .readOnly).attributes(kind: .user)
            .values.compactMap { $0["anomaly:r"] }
        #expect(flags.count == 120 && flags.contains("1"))

        let sequenceModel = directory.appendingPathComponent("seq").path
        try EmbedCommand.parse([
            "--store", storePath, "--model", "seq-vae", "--out", sequenceModel, "--epochs", "2", "--name", "seq",
            "--json",
        ]).run()
        #expect(try SequenceEmbeddingModel.load(from: URL(fileURLWithPath: sequenceModel)).latentSize == 16)
        let bySequence = directory.appendingPathComponent("by-seq.csv").path
        try SegmentCommand.parse(["--store", storePath, "--vectors", "seq", "--k", "3", "--out", bySequence, "--json"])
            .run()
        #expect(try String(contentsOfFile: bySequence, encoding: .utf8).split(separator: "\n").count == 121)
        #expect {
            try SegmentCommand.parse(["--store", storePath, "--vectors", "nope", "--out", bySequence]).run()
        } throws: { error in
            "\(error)".contains("holds no such vector set (it holds: seq, test)")
        }

        let sessions = directory.appendingPathComponent("sessions.csv").path
        try AnomaliesCommand.parse(["--store", storePath, "--level", "session", "--out", sessions, "--json"]).run()
        let sessionRows = try String(contentsOfFile: sessions, encoding: .utf8).split(separator: "\n")
        #expect(sessionRows[0] == "user,session,start,anomaly_score,flag,reasons" && sessionRows.count > 121)
        #expect(sessionRows.dropFirst().filter { $0.split(separator: ",")[4] == "1" }.count >= 1)
    }

    @Test("embed --dp-epsilon: a private VAE keeps its guarantee, and its scaling comes from held-out users")
    func privateEmbedding() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-pe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 300, items: 60, days: 10, seed: 4))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let model = directory.appendingPathComponent("embed").path
        let command = try EmbedCommand.parse([
            "--store", storePath, "--out", model, "--epochs", "3", "--dp-epsilon", "5", "--dp-noise-seed", "2",
            "--json",
        ])
        #expect(try command.config().privacy == PrivacyBudget(epsilon: 5, clipNorm: 5, noiseSeed: 2))
        try command.run()
        let loaded = try UserEmbeddingModel.load(from: URL(fileURLWithPath: model))
        let statement = try #require(loaded.manifest.privacy)
        #expect(statement.unit == .user && statement.epsilon <= 5.001 && statement.epsilon > 1)
        #expect(loaded.manifest.config.privacy?.noiseSeed == nil)
        // The scaling is the held-out users' own.
        let store = try SQLiteEventStore(path: storePath, access: .readOnly)
        let heldOut = UserEmbeddingModel.heldOutRows(count: 300, config: loaded.manifest.config)
        let everyone = try UserFeatureExtractor.table(from: store, topCategories: 20).foldingTimeProfile()
        let categories = try UserFeatureExtractor.table(
            from: store, topCategories: 20, categoryUsers: Set(heldOut.map { everyone.userIDs[$0] })
        ).foldingTimeProfile()
        let refit = try TableEncoder.fitNumeric(
            names: categories.columns, rows: heldOut.map { categories.rows[$0] })
        #expect(loaded.manifest.encoder == refit)
    }
}
