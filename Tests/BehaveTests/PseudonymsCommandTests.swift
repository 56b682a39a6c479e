import EventData
import Foundation
import Pseudonyms
import Testing

@testable import behave

/// A fresh folder and, inside it, the key file, store and log paths the privacy command tests
/// use (the caller removes the folder).
func privacyWorkspace() throws -> (folder: URL, key: String, store: String, log: String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = { (name: String) in folder.appendingPathComponent(name).path }
    return (folder, path("shop.key"), path("behavior.db"), path("shop.csv"))
}

@Suite("behave pseudonyms and ingest --pseudonymize")
struct PseudonymsCommandTests {
    /// Every byte of the store's files (the database and any journal beside it), as text.
    private func storeBytes(_ store: String) throws -> String {
        let folder = URL(fileURLWithPath: store).deletingLastPathComponent()
        let name = URL(fileURLWithPath: store).lastPathComponent
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(name) }
            .map { String(decoding: try Data(contentsOf: folder.appendingPathComponent($0)), as: UTF8.self) }
            .joined()
    }

    @Test("No clear id reaches the store; rotation keeps stored users' pseudonyms; re-ingesting adds nothing")
    func pseudonymizedIngest() throws {
        let (folder, key, store, log) = try privacyWorkspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let users = folder.appendingPathComponent("users.csv").path
        try """
        user_id,timestamp,event_type,item_id,email
        alice,2024-01-01T10:00:00Z,view,i1,alice@example.com
        alice,2024-01-02T10:00:00Z,purchase,i2,alice@example.com
        bob,2024-01-03T10:00:00Z,view,i1,bob@example.com
        carol,not-a-time,view,i3,carol@example.com

        """.write(toFile: log, atomically: true, encoding: .utf8)
        try "user_id,age,email\nalice,34,alice@example.com\nerin,51,erin@example.com\n".write(
            toFile: users, atomically: true, encoding: .utf8)

        try PseudonymsCreate.parse(["--key-file", key]).run()
        try Ingest.parse([
            log, "--store", store, "--pseudonymize", key, "--pseudonymize-column", "email", "--user-attributes", users,
            "--json",
        ]).run()
        let pseudonymizer = try PseudonymKeyFile(url: URL(fileURLWithPath: key)).load()
        let opened = try SQLiteEventStore(path: store)
        #expect(try opened.describe().events == 3)
        #expect(
            Set(try opened.userIDs().externalIDs)
                == [pseudonymizer.pseudonym(of: "alice"), pseudonymizer.pseudonym(of: "bob")])
        let bytes = try storeBytes(store)
        for clear in ["alice", "bob", "carol", "erin", "example.com"] {
            #expect(!bytes.contains(clear), "\(clear) is in the store")
        }
        // The same file again adds nothing: the same ids give the same pseudonyms.
        try Ingest.parse([log, "--store", store, "--pseudonymize", key, "--pseudonymize-column", "email", "--json"])
            .run()
        #expect(try SQLiteEventStore(path: store).describe().events == 3)

        // After a rotation alice keeps her pseudonym; dave, new, gets the new key's.
        try PseudonymsRotate.parse(["--key-file", key]).run()
        let later = folder.appendingPathComponent("later.csv").path
        try """
        user_id,timestamp,event_type,item_id,email
        alice,2024-02-01T10:00:00Z,view,i3,alice@example.com
        dave,2024-02-01T11:00:00Z,view,i1,dave@example.com

        """.write(toFile: later, atomically: true, encoding: .utf8)
        try Ingest.parse([later, "--store", store, "--pseudonymize", key, "--pseudonymize-column", "email", "--json"])
            .run()
        let rotated = try PseudonymKeyFile(url: URL(fileURLWithPath: key)).load()
        let stored = Set(try SQLiteEventStore(path: store).userIDs().externalIDs)
        #expect(stored.count == 3)
        #expect(stored.contains(rotated.pseudonyms(of: "alice")[1]))
        #expect(stored.contains(rotated.pseudonym(of: "dave")) && rotated.pseudonym(of: "dave").hasPrefix("k2-"))
    }

    @Test("A misspelt column stops the ingest before anything is stored; the flags are checked")
    func badInput() throws {
        let (folder, key, store, log) = try privacyWorkspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "user_id,timestamp,event_type,email\nalice,2024-01-01T10:00:00Z,view,a@example.com\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        #expect(runFailure { try PseudonymsRotate.parse(["--key-file", key]).run() }.contains("no such key file"))
        let missing = runFailure { try Ingest.parse([log, "--store", store, "--pseudonymize", key]).run() }
        #expect(missing.contains("no such key file") && missing.contains("behave pseudonyms create"), "\(missing)")
        try PseudonymsCreate.parse(["--key-file", key]).run()
        #expect(runFailure { try PseudonymsCreate.parse(["--key-file", key]).run() }.contains("already exists"))
        let misspelt = runFailure {
            try Ingest.parse([log, "--store", store, "--pseudonymize", key, "--pseudonymize-column", "emial"]).run()
        }
        #expect(misspelt.contains("emial") && misspelt.contains("its extra columns: email"), "\(misspelt)")
        #expect(try SQLiteEventStore(path: store).describe().events == 0)
        #expect(!(try storeBytes(store)).contains("alice"))
        #expect(
            parseFailure(["ingest", log, "--pseudonymize-column", "email"])?
                .contains("--pseudonymize-column needs --pseudonymize") == true)
        #expect(parseFailure(["pseudonyms", "of", "--key-file", key])?.contains("Missing expected argument") == true)
    }
}
