import ArgumentParser
import EventData
import Foundation
import Recommenders
import Testing

@testable import behave

/// A temporary directory with an event store of 40 users cycling through 12 items.
func shopDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-rec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var lines = ["user_id,timestamp,event_type,item_id"]
    for user in 0..<40 {
        for step in 0..<8 { lines.append("u\(user),\(1_000 + step),view,i\((user + step) % 12)") }
    }
    let log = directory.appendingPathComponent("log.csv").path
    try lines.joined(separator: "\n").write(toFile: log, atomically: true, encoding: .utf8)
    let store = try SQLiteEventStore(path: directory.appendingPathComponent("behavior.db").path)
    _ = try store.ingest(try EventFileReader.open(path: log, schema: ReaderSchema()))
    return directory
}

@Suite("behave train / evaluate / recommend", .serialized)
struct RecommendCommandTests {
    @Test("train writes a model directory that evaluate and recommend read")
    func endToEnd() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("behavior.db").path
        let model = directory.appendingPathComponent("model").path
        try TrainNextItem.parse([
            "--store", store, "--model", "sasrec", "--out", model, "--epochs", "2", "--hidden", "8",
            "--max-length", "6", "--blocks", "1", "--feed-forward-size", "8", "--threads", "1", "--json",
        ]).run()
        for file in ["config.json", "weights.safetensors", "items.json", "metrics.json", "training.log"] {
            #expect(FileManager.default.fileExists(atPath: model + "/" + file), "\(file)")
        }
        let metrics = try JSONDecoder().decode(
            [String: [String: [String: Double]]].self,
            from: Data(contentsOf: URL(fileURLWithPath: model + "/metrics.json")))
        #expect(metrics["test"]?["full"]?["ndcg@10"] != nil && metrics["test"]?["sampled"]?["hr@20"] != nil)
        #expect(metrics["validation"]?["full"]?["mrr@5"] != nil)

        let evaluate = try Evaluate.parse([model, "--json", "--threads", "1"])
        try evaluate.run()
        let byUser = try Recommend.parse([model, "--user", "u3", "-k", "5", "--exclude-seen"])
        try byUser.run()
        let byHistory = try Recommend.parse([model, "--history", "i1, i2", "--json"])
        try byHistory.run()

        #expect(
            throws: RecommenderError.unknownUser(
                id: "nobody", detail: "no events in \(store)")
        ) {
            let command = try Recommend.parse([model, "--user", "nobody"])
            try command.run()
        }
        #expect(throws: RecommenderError.unknownItems(ids: ["i99"])) {
            let command = try Recommend.parse([model, "--history", "i1,i99"])
            try command.run()
        }
        #expect(throws: ValidationError.self) {
            let command = try Recommend.parse([model])
            try command.run()
        }
        #expect(throws: ValidationError.self) {
            let command = try Recommend.parse([model, "--history", " , "])
            try command.run()
        }
    }

    @Test("bad flags and missing files say what to do")
    func badInput() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("no-model").path
        #expect {
            let command = try Recommend.parse([missing, "--user", "u1"])
            try command.run()
        } throws: { error in
            error.localizedDescription.contains("no model directory here")
        }
        #expect { try Recommend.parse([missing, "--user", "u1", "--history", "i1"]) } throws: { error in
            Recommend.message(for: error).contains("not both")
        }
        #expect { try Recommend.parse([missing, "--user", "u1", "-k", "0"]) } throws: { error in
            Recommend.message(for: error).contains("-k must be at least 1")
        }
        #expect(parseFailure(["train", "forecast"])?.contains("Unexpected argument 'forecast'") == true)
        #expect(parseFailure(["train", "next-item", "--model", "bert"])?.contains("--model") == true)
        #expect(
            parseFailure(["train", "next-item", "--heads", "7"])?.contains(
                "--heads 7: must be at least 1 and a divisor of hidden (50)") == true)
        let config = directory.appendingPathComponent("bad.yaml").path
        try "epochs: 3\nbogus: 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(parseFailure(["train", "next-item", "--config", config])?.contains("bogus") == true)
        #expect {
            try TrainNextItem.parse(["--store", directory.appendingPathComponent("none.db").path]).run()
        } throws: { error in
            TrainNextItem.message(for: error).contains("No event store")
        }
    }
}
