import ArgumentParser
import Foundation
import Serving
import Testing

@testable import behave

@Suite("behave train --registry / behave models / behave keys")
struct ModelsCommandTests {
    @Test("training into a registry adds versions; list, promote and rollback manage the live one")
    func registryFromTheCommandLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-reg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines = ["a,b,label"]
        for row in 0..<80 { lines.append("\(row % 7),\(row % 5),\(row % 7 > 3 ? "1" : "0")") }
        let data = directory.appendingPathComponent("t.csv").path
        try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let registry = directory.appendingPathComponent("registry").path
        for _ in 0..<2 {
            try TrainClassify.parse([
                "--data", data, "--label", "label", "--registry", registry, "--name", "intent", "--epochs", "2",
                "--json",
            ]).run()
        }
        let models = ModelRegistry(root: URL(fileURLWithPath: registry))
        var entry = try models.entry("intent")
        #expect(entry.versions.map(\.version) == ["1", "2"] && entry.live == "1")
        #expect(entry.versions.allSatisfy { $0.task == "classify" && $0.metrics != nil })
        try ModelsList.parse(["--registry", registry, "--json"]).run()
        try ModelsList.parse(["--registry", registry]).run()
        try ModelsPromote.parse(["intent", "2", "--registry", registry]).run()
        #expect(try models.entry("intent").live == "2")
        try ModelsRollback.parse(["intent", "--registry", registry]).run()
        entry = try models.entry("intent")
        #expect(entry.live == "1" && entry.history == ["1"])
        #expect {
            try ModelsPromote.parse(["intent", "9", "--registry", registry]).run()
        } throws: { error in
            error.localizedDescription.contains("no version 9 of \"intent\" (versions: 1, 2)")
        }
        for (arguments, message) in [
            (["--registry", registry], "--registry and --name go together"),
            (["--registry", registry, "--name", "../up"], "--name ../up: use 1 to 64 letters"),
            (["--registry", registry, "--name", "x", "--out", "m"], "either --out or --registry"),
        ] {
            #expect {
                try TrainClassify.parse(["--data", data, "--label", "label", "--epochs", "1"] + arguments).run()
            } throws: { error in
                TrainClassify.message(for: error).contains(message)
            }
        }
        #expect(try models.entry("intent").versions.count == 2, "failed runs register nothing")
    }

    @Test("serve: a missing registry or key file and bad limits are named before anything starts")
    func serveFlags() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = directory.appendingPathComponent("keys.json").path
        try KeysAdd.parse(["--file", keys, "--scope", "score"]).run()
        let registry = directory.path
        for (arguments, message) in [
            (["--registry", directory.appendingPathComponent("none").path, "--keys", keys], "no such folder"),
            (["--registry", registry, "--keys", keys + ".missing"], "--keys"),
            (["--registry", registry, "--keys", keys, "--port", "0"], "--port must be 1 to 65535"),
            (["--registry", registry, "--keys", keys, "--max-body", "10"], "--max-body must be at least 1024"),
            (["--registry", registry, "--keys", keys, "--slots", "0"], "--slots must be at least 1"),
            (["--registry", registry, "--keys", keys, "--reload-interval", "0"], "--reload-interval must be"),
            (["--registry", registry, "--keys", keys, "--threads", "0"], "--threads must be at least 1"),
        ] {
            #expect(parseFailure(["serve"] + arguments)?.contains(message) == true, "\(arguments)")
        }
    }

    @Test("keys: add with scopes, list, revoke; bad scopes are named")
    func keysFromTheCommandLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-keys-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try KeysAdd.parse(["--file", file.path, "--scope", "score,ingest", "--label", "shop"]).run()
        let entries = try APIKeyFile(url: file).load().entries
        #expect(entries.count == 1 && entries[0].scopes == [.score, .ingest] && entries[0].label == "shop")
        try KeysList.parse(["--file", file.path]).run()
        try KeysRevoke.parse([entries[0].id, "--file", file.path]).run()
        #expect(try APIKeyFile(url: file).load().entries[0].revoked != nil)
        #expect(
            parseFailure(["keys", "add", "--file", file.path, "--scope", "read"])?.contains("--scope read") == true)
        #expect(parseFailure(["keys", "add", "--file", file.path])?.contains("--scope is required") == true)
    }
}
