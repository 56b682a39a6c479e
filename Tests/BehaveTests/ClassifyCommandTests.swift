import ArgumentParser
import EventData
import Foundation
import Testing

@testable import behave

@Suite("behave train --task classify / behave predict")
struct ClassifyCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (["--task", "classify"], "--task classify needs --data FILE and --label COLUMN."),
            (
                ["--task", "classify", "--data", "a.csv", "--label", "y", "--model", "sasrec"],
                "--model sasrec does not fit --task classify; classifiers are mlp and logistic."
            ),
            (
                ["--task", "classify", "--data", "a.csv", "--label", "y", "--kind", "x"],
                "--kind x: write name=kind, e.g. --kind Month=month."
            ),
            (
                ["--task", "classify", "--data", "a.csv", "--label", "y", "--layers", "64,0"],
                "--layers 64,0: give positive widths separated by commas, e.g. 128,64."
            ),
            (
                ["--data", "a.csv"],
                "--data and --label belong to --task classify; next-item models read the event store (--store)."
            ),
            (
                ["--model", "mlp"],
                "--model mlp does not fit --task next-item; next-item models are sasrec, gru4rec and pop."
            ),
            (
                ["--task", "purchase", "--window", "7x"],
                "--window 7x: write a positive number and a unit d, h, m or s, like 7d."
            ),
            (
                ["--task", "churn", "--cutoff", "yesterday"],
                "--cutoff yesterday: write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z."
            ),
            (
                ["--task", "purchase", "--model", "sasrec"],
                "--model sasrec does not fit --task purchase; use mlp, lstm, gru or cnn."
            ),
            (
                ["--task", "classify", "--data", "a.csv", "--label", "y", "--max-length", "50"],
                "--max-length applies to --task next-item only; remove it."
            ),
            (["--window", "7d"], "--window applies to --task classify, purchase or churn; remove it."),
            (
                ["--task", "churn", "--data", "a.csv"],
                "--data and --label belong to --task classify; --task churn reads the event store (--store)."
            ),
        ])
    func badFlags(arguments: [String], message: String) {
        #expect { try Train.parse(arguments) } throws: { error in
            Train.message(for: error) == message
        }
    }

    @Test("a kind that does not exist lists the kinds")
    func unknownKind() {
        #expect {
            try Train.parse(["--task", "classify", "--data", "a.csv", "--label", "y", "--kind", "x=date"])
        } throws: { error in
            Train.message(for: error).contains("numeric, boolean, categorical, month, weekday, ignored")
        }
    }

    @Test("train, then predict, from the command line")
    func endToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-clf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = ["a,b,color,label"]
        for row in 0..<120 {
            lines.append("\(row % 7),\(row % 5),\(["red", "blue"][row % 2]),\(row % 7 > 3 ? "1" : "0")")
        }
        let data = directory.appendingPathComponent("t.csv").path
        try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let model = directory.appendingPathComponent("m").path
        let train = try Train.parse([
            "--task", "classify", "--data", data, "--label", "label", "--out", model, "--epochs", "3", "--json",
        ])
        try train.run()
        let scored = directory.appendingPathComponent("s.csv").path
        let predict = try Predict.parse([model, "--data", data, "--out", scored])
        try predict.run()
        let output = try String(contentsOfFile: scored, encoding: .utf8).split(separator: "\n")
        #expect(output.count == 121 && output[0] == "a,b,color,label,probability,decision,error")
        #expect { try Predict.parse([model, "--data", data, "--out", scored, "--threshold", "2"]) } throws: { error in
            Predict.message(for: error).contains("--threshold must be between 0 and 1")
        }
        #expect { try Predict.parse([model, "--store", "behavior.db", "--out", scored]).run() } throws: { error in
            Predict.message(for: error).contains(
                "holds a 'classify' model, which scores a table: use --data instead of --store.")
        }
    }

    @Test(
        "predict needs exactly one of --data and --store",
        arguments: [
            (
                ["m", "--out", "s.csv"],
                "Give --data FILE for a table model or --store FILE for a purchase/churn model (one of them)."
            ),
            (
                ["m", "--data", "a.csv", "--store", "b.db", "--out", "s.csv"],
                "Give --data FILE for a table model or --store FILE for a purchase/churn model (one of them)."
            ),
            (["m", "--data", "a.csv", "--at", "2024-01-01", "--out", "s.csv"], "--at belongs to --store scoring."),
        ])
    func predictSources(arguments: [String], message: String) {
        #expect { try Predict.parse(arguments) } throws: { error in
            Predict.message(for: error) == message
        }
    }

    @Test("train a purchase model on a store, then score its users from the command line")
    func storeEndToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-outcome-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 150, items: 60, days: 21, seed: 9))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let model = directory.appendingPathComponent("purchase").path
        try Train.parse([
            "--task", "purchase", "--window", "5d", "--store", storePath, "--out", model, "--epochs", "2", "--json",
        ]).run()
        let scored = directory.appendingPathComponent("scores.csv").path
        try Predict.parse([model, "--store", storePath, "--at", "2024-01-15", "--out", scored]).run()
        let lines = try String(contentsOfFile: scored, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "user_id,events,last_event,probability,decision,error")
        #expect(lines.count > 50 && lines.count <= 151)
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",")[2] <= "2024-01-15" })
        #expect { try Predict.parse([model, "--data", scored, "--out", scored]).run() } throws: { error in
            Predict.message(for: error).contains(
                "holds a 'purchase' model, which scores an event store: use --store instead of --data.")
        }
        let missingStore = directory.appendingPathComponent("missing.db").path
        #expect { try Predict.parse([model, "--store", missingStore, "--out", scored]).run() } throws: { error in
            Predict.message(for: error).hasPrefix("No event store at \(missingStore).")
        }
        #expect { try Predict.parse([model, "--store", storePath, "--at", "soon", "--out", scored]).run() } throws: {
            error in
            Predict.message(for: error) == "--at soon: write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z."
        }
    }
}
