import EventData
import Foundation
import Monitoring
import Pseudonyms
import Serving
import Testing

@testable import behave

@Suite("behave forget")
struct ForgetCommandTests {
    /// Registers a bundle whose profile says it learned from events `first...last` (ms).
    private func register(_ name: String, in registry: URL, first: Int64?, last: Int64?) throws {
        let models = ModelRegistry(root: registry)
        let staged = try models.stagingDirectory(for: name)
        try Data(#"{"task": "purchase", "created": "2024-03-01T00:00:00Z"}"#.utf8)
            .write(to: staged.appendingPathComponent("config.json"))
        try TrainingProfile(unit: "users", rows: 2, firstEvent: first, lastEvent: last, watermark: last, features: [])
            .save(in: staged)
        try models.register(staged: staged, as: name)
    }

    @Test("Forgets a user by clear id through the key file, logs it and names the models that learned from them")
    func forget() throws {
        let (folder, key, store, log) = try privacyWorkspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        user_id,timestamp,event_type,item_id
        alice,2024-01-01T10:00:00Z,view,i1
        alice,2024-01-02T10:00:00Z,purchase,i2
        bob,2024-01-03T10:00:00Z,view,i1

        """.write(toFile: log, atomically: true, encoding: .utf8)
        try PseudonymsCreate.parse(["--key-file", key]).run()
        try Ingest.parse([log, "--store", store, "--pseudonymize", key, "--json"]).run()
        let registry = folder.appendingPathComponent("models")
        let january = Int64(1_704_067_200_000)  // 2024-01-01
        try register("purchase", in: registry, first: january, last: january + 5 * 86_400_000)
        try register("old", in: registry, first: january - 60 * 86_400_000, last: january - 30 * 86_400_000)

        try Forget.parse(["alice", "--store", store, "--key-file", key, "--registry", registry.path, "--json"]).run()
        let opened = try SQLiteEventStore(path: store)
        #expect(try opened.describe().events == 1)
        let pseudonymizer = try PseudonymKeyFile(url: URL(fileURLWithPath: key)).load()
        #expect(try opened.events(forUser: pseudonymizer.pseudonym(of: "alice")).isEmpty)
        #expect(try opened.events(forUser: pseudonymizer.pseudonym(of: "bob")).count == 1)
        #expect(try opened.erasures().map(\.users) == [1])

        // The report, checked through the same function the command prints from.
        let erasure = Erasure(
            at: "", users: 1, events: 2, attributes: 0, vectors: 0, rejects: 0, firstEvent: january,
            lastEvent: january + 86_400_000)
        let affected = try Forget.parse(["alice", "--store", store]).affectedModels(in: registry.path, erasure: erasure)
        #expect(affected.map(\.name) == ["purchase"])
        #expect(affected.first?.reason.contains("2024-01-01 to 2024-01-06") == true)

        #expect(parseFailure(["forget", "--store", store])?.contains("at least one user id") == true)
        let missing = folder.appendingPathComponent("missing.db").path
        #expect(parseFailure(["forget", "u1", "--store", missing]) != nil)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
