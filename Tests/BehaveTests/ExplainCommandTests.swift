import Foundation
import Testing

@testable import behave

@Suite("behave explain")
struct ExplainCommandTests {
    @Test("Bad flags and model kinds it does not explain yet are named")
    func badInput() throws {
        #expect(
            parseFailure(["explain", "m", "--data", "a.csv", "--line", "1"])?.contains("data rows start on line 2")
                == true)
        #expect(
            parseFailure(["explain", "m", "--data", "a.csv", "--first", "0"])?.contains("--first must be at least 1")
                == true)
        #expect(
            parseFailure(["explain", "m", "--data", "a.csv", "--steps", "5000"])?.contains("between 1 and 1024") == true
        )
        #expect(parseFailure(["explain", "m"])?.contains("--data") == true)
        #expect(parseFailure(["explain", "m", "--store", "b.db"])?.contains("--store needs --user") == true)
        #expect(
            parseFailure(["explain", "m", "--data", "a.csv", "--user", "u1"])?.contains("belong to --store") == true)
        #expect(
            parseFailure(["explain", "m", "--store", "b.db", "--user", "u1", "--shapley"])?.contains(
                "--shapley explains table models") == true)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"task": "purchase"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let failure = runFailure { try Explain.parse([folder.path, "--data", "a.csv"]).run() }
        #expect(failure.contains("holds a 'purchase' model") && failure.contains("--store and --user"), "\(failure)")
        try Data(#"{"task": "classify"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let table = runFailure { try Explain.parse([folder.path, "--store", "b.db", "--user", "u1"]).run() }
        #expect(table.contains("holds a 'classify' model") && table.contains("takes --data"), "\(table)")
    }
}
