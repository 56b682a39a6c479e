import Crypto
import FileIO
import Foundation

/// What a key may do. `admin` may do everything.
public enum APIScope: String, Sendable, Codable, CaseIterable, Comparable {
    /// Recommend and score.
    case score
    /// Send events.
    case ingest
    /// Everything, including model management.
    case admin

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// A file of API keys, stored as salted SHA-256 hashes: the key itself is shown once, when it
/// is added, and cannot be read back from the file.
///
/// A key reads `bk_<id>_<secret>`: `id` (8 hex digits) finds its entry, `secret` (64 hex
/// digits, 256 random bits) is checked against `SHA-256(salt ‖ secret)` in constant time. With
/// 256 random bits a fast hash is enough (a slow password hash guards guessable secrets,
/// which these are not). Revoked keys stay in the file, marked, so their ids are never reused.
///
/// ```swift
/// let keys = APIKeyFile(url: URL(fileURLWithPath: "keys.json"))
/// let added = try keys.add(scopes: [.score], label: "web shop")
/// print(added.key)                                   // bk_1f2e3d4c_...: give it to the client
/// try keys.load().authenticate(added.key)?.scopes    // [.score]
/// try keys.revoke(id: added.id)
/// ```
public struct APIKeyFile: Sendable {
    /// The key file.
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// One key as stored.
    public struct Entry: Sendable, Codable, Equatable {
        public var id: String
        public var label: String
        public var scopes: [APIScope]
        public var created: String
        public var revoked: String?
        var salt: String
        var hash: String

        /// Whether this key may act in `scope`.
        public func allows(_ scope: APIScope) -> Bool { scopes.contains(scope) || scopes.contains(.admin) }
    }

    /// A key just added: the key to hand out (shown only now) and its entry.
    public struct AddedKey: Sendable {
        public var key: String
        public var entry: Entry
        public var id: String { entry.id }
    }

    struct Contents: Codable {
        var format = 1
        var keys: [Entry] = []
    }

    /// The keys in the file (none when it does not exist yet).
    ///
    /// - Throws: ``FileError`` when the file exists but is not a key file.
    public func load() throws(FileError) -> APIKeySet {
        APIKeySet(entries: try read().keys)
    }

    /// Adds a key with `scopes`; returns it (the only time the secret is available).
    ///
    /// - Throws: ``FileError`` for no scopes or an unwritable file.
    public func add(scopes: [APIScope], label: String = "") throws(FileError) -> AddedKey {
        guard !scopes.isEmpty else {
            throw FileError(path: url.path, reason: "a key needs at least one scope (score, ingest, admin)")
        }
        var contents = try read()
        var generator = SystemRandomNumberGenerator()
        var id: String
        repeat {
            id = HexText.encode((0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) })
        } while contents.keys.contains { $0.id == id }
        let secret = HexText.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let salt = HexText.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let entry = Entry(
            id: id, label: label, scopes: Array(Set(scopes)).sorted(), created: Self.now(), revoked: nil, salt: salt,
            hash: HexText.encode(Self.digest(salt: salt, secret: secret)))
        contents.keys.append(entry)
        try write(contents)
        return AddedKey(key: "bk_\(id)_\(secret)", entry: entry)
    }

    /// Marks the key `id` revoked (it stops working at once for servers that reload the file).
    ///
    /// - Throws: ``FileError`` for an unknown id.
    @discardableResult
    public func revoke(id: String) throws(FileError) -> Entry {
        var contents = try read()
        guard let index = contents.keys.firstIndex(where: { $0.id == id }) else {
            throw FileError(path: url.path, reason: "no key with id \(id); `behave keys list` shows the ids")
        }
        if contents.keys[index].revoked == nil { contents.keys[index].revoked = Self.now() }
        try write(contents)
        return contents.keys[index]
    }

    private func read() throws(FileError) -> Contents {
        guard FileManager.default.fileExists(atPath: url.path) else { return Contents() }
        do {
            let contents = try JSONDecoder().decode(Contents.self, from: Data(contentsOf: url))
            guard contents.format == 1 else {
                throw FileError(
                    path: url.path, reason: "key file format \(contents.format) is newer than this behave")
            }
            return contents
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(
                path: url.path,
                reason: "is not a key file (\(error.localizedDescription)); `behave keys add` creates one")
        }
    }

    private func write(_ contents: Contents) throws(FileError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(contents).write(to: url, options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        } catch {
            throw FileError(path: url.path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }

    static func digest(salt: String, secret: String) -> [UInt8] {
        var text = salt + secret
        return text.withUTF8 { Array(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }

    private static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}

/// The keys loaded from an ``APIKeyFile``, for checking requests.
public struct APIKeySet: Sendable {
    public let entries: [APIKeyFile.Entry]
    /// By id: the entry and its stored hash as bytes.
    private let byID: [String: (entry: APIKeyFile.Entry, hash: [UInt8])]

    init(entries: [APIKeyFile.Entry]) {
        self.entries = entries
        var byID: [String: (entry: APIKeyFile.Entry, hash: [UInt8])] = [:]
        for entry in entries {
            if let hash = HexText.decode(entry.hash) { byID[entry.id] = (entry, hash) }
        }
        self.byID = byID
    }

    /// The active (not revoked) entry whose secret `key` holds, or nil. The secret is compared
    /// in constant time, and a key with an unknown id costs the same hash as a known one.
    public func authenticate(_ key: String) -> APIKeyFile.Entry? {
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "bk", parts[2].utf8.count == 64 else { return nil }
        let found = byID[String(parts[1])]
        let salt = found?.entry.salt ?? String(repeating: "0", count: 32)
        let digest = APIKeyFile.digest(salt: salt, secret: String(parts[2]))
        let matches = constantTimeEqual(digest, found?.hash ?? [])
        guard let entry = found?.entry, matches, entry.revoked == nil else { return nil }
        return entry
    }
}

/// Whether `a` and `b` are equal, taking the same time whatever their contents (only their
/// lengths may shorten it).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
