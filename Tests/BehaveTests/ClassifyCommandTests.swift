import ArgumentParser
import EventData
import Foundation
import Testing

@testable import behave

/// The message `behave ARGUMENTS` fails with while parsing, or nil when it parses.
func parseFailure(_ arguments: [String]) -> String? {
    do {
        _ = try Behave.parseAsRoot(arguments)
        return nil
    } catch {
        return Behave.message(for: error)
    }
}

/// The message a command run fails with, as `behave` prints it, or "no error".
func runFailure(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch {
        return Behave.message(for: error)
    }
}

@Suite("behave train classify | purchase | churn / behave predict")
struct ClassifyCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (["train", "classify", "--label", "y"], "Missing expected argument '--data <data>'"),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--model", "sasrec"],
                "The value 'sasrec' is invalid for '--model <model>'"
            ),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--kind", "x"],
                "--kind x: write name=kind, e.g. --kind Month=month."
            ),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--hidden-layers", "64,0"],
                "--hidden-layers 64,0: must be up to 64 widths between 1 and 1048576, like 128,64."
            ),
            (["train", "next-item", "--data", "a.csv"], "Unknown option '--data'"),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--max-length", "50"],
                "Unknown option '--max-length'"
            ),
            (["train", "purchase", "--model", "sasrec"], "The value 'sasrec' is invalid for '--model <model>'"),
            (
                ["train", "purchase", "--window", "7x"],
                "--window 7x: write a positive number and a unit d, h, m or s, like 7d."
            ),
            (
                ["train", "churn", "--at", "yesterday"],
                "--at yesterday: write an ISO 8601 time like 2024-03-01 or 2024-03-01T12:00:00Z."
            ),
            (
                ["train", "next-item", "--model", "gru4rec", "--blocks", "3"],
                "--blocks 3: must be left out: it applies to sasrec, not gru4rec."
            ),
            (["train", "next-item", "--sliding-windows", "true"], "Unexpected argument 'true'"),
            (["train", "next-item", "--preset", "best"], "The value 'best' is invalid for '--preset <preset>'"),
            (
                ["train", "next-item", "--minimum-improvement", "-0.5"],
                "--minimum-improvement -0.5: must be in [0, 1)."
            ),
            (
                ["train", "classify", "--data", "a.csv", "--label", "y", "--minimum-improvement", "1.5"],
                "--minimum-improvement 1.5: must be in [0, 1)."
            ),
            (["train", "purchase", "--patience", "-1"], "--patience -1: must be 0 (never stop early) or more."),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    @Test("a kind that does not exist lists the kinds")
    func unknownKind() {
        let failure = parseFailure(["train", "classify", "--data", "a.csv", "--label", "y", "--kind", "x=date"])
        #expect(failure?.contains("numeric, boolean, categorical, month, weekday, ignored") == true)
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
        try TrainClassify.parse(["--data", data, "--label", "label", "--out", model, "--epochs", "3", "--json"]).run()
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
        try TrainPurchase.parse(["--window", "5d", "--store", storePath, "--out", model, "--epochs", "2", "--json"])
            .run()
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
