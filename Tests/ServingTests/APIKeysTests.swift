import FileIO
import Foundation
import Testing

@testable import Serving

@Suite struct APIKeysTests {
    static func temporaryFile() -> APIKeyFile {
        APIKeyFile(url: FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).json"))
    }

    @Test func anAddedKeyAuthenticatesWithItsScopesUntilRevoked() throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file.url) }
        let scorer = try file.add(scopes: [.score], label: "web shop")
        let admin = try file.add(scopes: [.admin, .admin])
        #expect(scorer.key.hasPrefix("bk_\(scorer.id)_") && scorer.key.count == 3 + 8 + 1 + 64)
        let keys = try file.load()
        let entry = try #require(keys.authenticate(scorer.key))
        #expect(entry.label == "web shop" && entry.allows(.score) && !entry.allows(.ingest) && !entry.allows(.admin))
        let adminEntry = try #require(keys.authenticate(admin.key))
        #expect(adminEntry.scopes == [.admin] && APIScope.allCases.allSatisfy(adminEntry.allows))

        // The file holds neither secret, and only its owner may read it.
        let text = try String(contentsOf: file.url, encoding: .utf8)
        #expect(!text.contains(String(scorer.key.suffix(64))) && !text.contains(String(admin.key.suffix(64))))
        let permissions = try FileManager.default.attributesOfItem(atPath: file.url.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        // A changed secret, another key's id, a malformed key: refused.
        var wrong = Array(scorer.key)
        wrong[wrong.count - 1] = wrong[wrong.count - 1] == "0" ? "1" : "0"
        #expect(keys.authenticate(String(wrong)) == nil)
        #expect(keys.authenticate("bk_\(admin.id)_" + scorer.key.suffix(64)) == nil)
        for bad in ["", "bk_", "Bearer x", "bk_zzzzzzzz_" + String(repeating: "a", count: 64), scorer.key + "0"] {
            #expect(keys.authenticate(bad) == nil, "\(bad)")
        }
        try file.revoke(id: scorer.id)
        #expect(try file.load().authenticate(scorer.key) == nil)
        #expect(try file.load().authenticate(admin.key) != nil)
        #expect(try file.load().entries.first { $0.id == scorer.id }?.revoked != nil)
    }

    @Test func badKeyFilesAndRequestsAreNamedErrors() throws {
        let file = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(at: file.url) }
        #expect(throws: FileError.self) { try file.add(scopes: []) }
        #expect(throws: FileError.self) { try file.revoke(id: "00000000") }
        try Data("not json".utf8).write(to: file.url)
        do {
            _ = try file.load()
            Issue.record("a damaged key file loaded")
        } catch {
            #expect(error.localizedDescription.contains("is not a key file"))
        }
    }

    @Test func constantTimeComparisonCompares() {
        #expect(constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!constantTimeEqual(Array("abc".utf8), Array("ab".utf8)))
        #expect(constantTimeEqual([], []))
    }
}
