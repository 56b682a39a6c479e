import ArgumentParser
import Foundation
import Recommenders
import Testing

@testable import behave

/// Careless and hostile use of the command line (issue 10): each test failed before its fix.
@Suite("behave: careless and hostile command lines", .serialized)
struct HostileCommandLineTests {
    @Test func negativeNumbersGetARangeErrorNotMissingValue() throws {
        let cases: [(any ParsableCommand.Type, [String], String)] = [
            (TrainNextItem.self, ["--hidden", "-1"], "--hidden -1: must be between 1 and 1048576."),
            (TrainNextItem.self, ["--epochs", "-5"], "--epochs -5: must be between 1"),
            (Recommend.self, ["m", "--history", "a", "-k", "-3"], "-k must be at least 1 (got -3)"),
            (TrainPurchase.self, ["--window", "-7d"], "--window -7d: write a positive number"),
            (
                TrainPurchase.self, ["--window", "1000000000000d"],
                "--window 1000000000000d: at most 100 years"
            ),
        ]
        for (command, arguments, fragment) in cases {
            do {
                _ = try command.parse(arguments)
                Issue.record("\(arguments) should fail")
            } catch {
                let message = command.message(for: error)
                #expect(message.contains(fragment), "\(arguments): \(message)")
                #expect(!message.contains("Missing value"), "\(arguments): \(message)")
            }
        }
    }

    @Test func anOutputPathThatIsAFileFailsBeforeTraining() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("taken").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let start = Date()
        let command = try TrainNextItem.parse([
            "--store", directory.appendingPathComponent("behavior.db").path, "--out", file, "--epochs", "200",
        ])
        #expect { try command.run() } throws: { error in
            TrainNextItem.message(for: error).contains("--out \(file): this is a file, not a folder")
        }
        #expect(Date().timeIntervalSince(start) < 5, "refused before training")
    }

    @Test func modelsRecordAnAbsoluteStoreAndSayWhichStoreTheyRead() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The store as typed relative to the working directory (without changing it: other
        // suites run at the same time).
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + directory.path.dropFirst()
        let model = directory.appendingPathComponent("model").path
        try TrainNextItem.parse(["--store", relative + "/behavior.db", "--model", "pop", "--out", model]).run()
        let package = try NextItemPackage.load(from: URL(fileURLWithPath: model))
        #expect(package.manifest.store == directory.appendingPathComponent("behavior.db").standardizedFileURL.path)
        // Moved stores are named, with the way out.
        let moved = directory.appendingPathComponent("moved.db").path
        try FileManager.default.moveItem(atPath: directory.appendingPathComponent("behavior.db").path, toPath: moved)
        #expect { try Evaluate.parse([model]).run() } throws: { error in
            Evaluate.message(for: error).contains("which is not there")
                && Evaluate.message(for: error).contains("--store PATH")
        }
        try Evaluate.parse([model, "--store", moved]).run()
    }

    @Test func predictOnANextItemModelPointsToRecommend() throws {
        let directory = try shopDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model").path
        try TrainNextItem.parse([
            "--store", directory.appendingPathComponent("behavior.db").path, "--model", "pop", "--out", model,
        ]).run()
        #expect {
            try Predict.parse([model, "--data", "x.csv", "--out", directory.appendingPathComponent("o.csv").path]).run()
        } throws: { error in
            Predict.message(for: error).contains("holds a next-item recommender")
                && Predict.message(for: error).contains("behave recommend")
        }
    }

    @Test func controlCharactersAreEscapedForTheTerminal() {
        #expect(TerminalText.escaped("plain id 42") == "plain id 42")
        #expect(TerminalText.escaped("u\u{1B}[31mred\u{07}") == "u\\u{1B}[31mred\\u{7}")
        #expect(TerminalText.escaped("a\tb\nc\rd\u{7F}\u{9B}") == "a\tb\nc\\u{D}d\\u{7F}\\u{9B}")
    }

    @Test func foundationFileErrorsReadAsWords() {
        let error = CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: "/root/x"])
        let shown = Behave.plain(error).localizedDescription
        #expect(shown == "/root/x: permission denied")
        #expect(!Behave.plain(CocoaError(.fileWriteUnknown)).localizedDescription.contains("NSCocoaErrorDomain error"))
    }
}
