import FileIO
import Foundation
import Testing

@testable import Pseudonyms

@Suite("Pseudonyms")
struct PseudonymTests {
    /// RFC 4231 HMAC-SHA256 test cases 1-7: key, data, and the code's first 128 bits (the whole
    /// of case 5, which the RFC truncates to 128 bits).
    static let rfc4231: [(key: [UInt8], data: [UInt8], code: String)] = [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c7"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "773ea91e36800e46854db8ebd09181a7"),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a"),
        ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
        (
            [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. The key needs "
                    + "to be hashed before being used by the HMAC algorithm.").utf8),
            "9b09ffa71b942fcb27635fbcd5b0e944"
        ),
    ]

    @Test("Pseudonyms are the RFC 4231 HMAC-SHA256 codes, truncated to 128 bits behind the key id")
    func rfcVectors() {
        for (index, vector) in Self.rfc4231.enumerated() {
            for hardware in [false, true] {
                let pseudonymizer = Pseudonymizer(keys: [("k1", vector.key)], hardware: hardware)
                #expect(
                    pseudonymizer.pseudonym(ofBytes: vector.data) == "k1-" + vector.code,
                    "RFC 4231 case \(index + 1), SHA instructions: \(pseudonymizer.usesHardware)")
            }
        }
        // Text is pseudonymised through its UTF-8 bytes.
        let jefe = Pseudonymizer(keys: [("k1", Array("Jefe".utf8))])
        #expect(jefe.pseudonym(of: "what do ya want for nothing?") == "k1-5bdcc146bf60754e6a042426089575c7")
        #expect(jefe.isPseudonym("k1-5bdcc146bf60754e6a042426089575c7"))
        #expect(!jefe.isPseudonym("k2-5bdcc146bf60754e6a042426089575c7"))
        #expect(!jefe.isPseudonym("k1-5bdcc146"))
        #expect(!jefe.isPseudonym("alice"))
    }

    @Test(
        "The SHA-instruction path gives swift-crypto's codes for ids of every length (skipped without the instructions)"
    )
    func hardwareAgrees() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in [16, 32, 64, 65, 100] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let software = Pseudonymizer(keys: [("k1", key)], hardware: false)
            let hardware = Pseudonymizer(keys: [("k1", key)], hardware: true)
            guard hardware.usesHardware else { return }
            for length in Array(0...130) + [200, 1_000] {
                let id = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(
                    hardware.pseudonym(ofBytes: id) == software.pseudonym(ofBytes: id),
                    "key \(keyLength), id \(length) bytes")
            }
        }
    }

    private func temporaryKeyFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("pseudonyms-\(UUID().uuidString).key")
    }

    @Test("A key file is private, rotates, and keeps older keys able to find what they made")
    func keyFile() throws {
        let url = temporaryKeyFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let file = PseudonymKeyFile(url: url)
        #expect(throws: FileError.self) { try file.load() }
        try file.create()
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: FileError.self) { try file.create() }
        let first = try file.load()
        let alice = first.pseudonym(of: "alice")
        #expect(alice.hasPrefix("k1-") && alice.count == 35)
        #expect(first.pseudonym(of: "alice") == alice)
        #expect(first.pseudonym(of: "bob") != alice)

        try file.rotate()
        let second = try file.load()
        #expect(second.currentKeyID == "k2")
        #expect(second.keyIDs == ["k2", "k1"])
        let both = second.pseudonyms(of: "alice")
        #expect(both.count == 2 && both[0].hasPrefix("k2-") && both[1] == alice)
        #expect(try file.keys().keys.map(\.id) == ["k1", "k2"])

        // Two files never share a secret.
        let other = temporaryKeyFile()
        defer { try? FileManager.default.removeItem(at: other) }
        try PseudonymKeyFile(url: other).create()
        #expect(try PseudonymKeyFile(url: other).load().pseudonym(of: "alice") != alice)
    }

    @Test("A damaged key file is named with what is wrong")
    func damagedFile() throws {
        let url = temporaryKeyFile()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("not json".utf8).write(to: url)
        let error = try #require(throws: FileError.self) { try PseudonymKeyFile(url: url).load() }
        #expect(error.reason.contains("not a pseudonym key file"))
        try Data(#"{"format": 1, "current": "k1", "keys": [{"id": "k1", "created": "x", "secret": "zz"}]}"#.utf8)
            .write(to: url)
        let secret = try #require(throws: FileError.self) { try PseudonymKeyFile(url: url).load() }
        #expect(secret.reason.contains("64 hex digits"))
    }
}
