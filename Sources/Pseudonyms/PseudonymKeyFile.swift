import Crypto
import FileIO
import Foundation

/// A file of secret keys for pseudonymising identifiers, with a key id on each so keys can
/// rotate: the newest key pseudonymises new identifiers, older keys stay in the file so the
/// pseudonyms they made can still be found from the clear identifier (``Pseudonymizer``).
///
/// The file is JSON, written with mode 0600:
///
/// ```json
/// {"format": 1, "current": "k2",
///  "keys": [{"id": "k1", "created": "2026-12-05T10:00:00Z", "secret": "<64 hex digits>"},
///           {"id": "k2", "created": "2027-03-01T09:00:00Z", "secret": "<64 hex digits>"}]}
/// ```
///
/// Each secret is 256 random bits from the system's generator. Whoever holds the file can
/// pseudonymise an identifier and so test a guess; without it a pseudonym cannot be mapped
/// back. Keep it apart from the event store.
///
/// ```swift
/// let file = PseudonymKeyFile(url: URL(fileURLWithPath: "pseudonyms.key"))
/// try file.create()                  // k1
/// let pseudonymizer = try file.load()
/// pseudonymizer.pseudonym(of: "alice@example.com")   // "k1-3b0c…" (32 hex digits)
/// try file.rotate()                  // k2 becomes current, k1 is kept
/// ```
public struct PseudonymKeyFile: Sendable {
    /// The key file.
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// One key as stored.
    public struct Key: Sendable, Codable, Equatable {
        /// `k1`, `k2`, ...: the first part of every pseudonym the key makes.
        public var id: String
        /// When the key was made (ISO 8601).
        public var created: String
        /// The 32-byte secret, as 64 hex digits.
        var secret: String
    }

    struct Contents: Codable {
        var format = 1
        var current: String
        var keys: [Key]
    }

    /// Creates the file with one new key.
    ///
    /// - Throws: ``FileError`` when the file already exists (rotate it instead) or cannot be
    ///   written.
    @discardableResult
    public func create() throws(FileError) -> Key {
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw FileError(
                path: url.path,
                reason: "already exists; `behave pseudonyms rotate` adds a new key to it, and deleting it loses "
                    + "the way to find the pseudonyms it made")
        }
        let key = Self.newKey(id: "k1")
        try write(Contents(current: key.id, keys: [key]))
        return key
    }

    /// Adds a new key and makes it the current one; the older keys stay.
    ///
    /// - Throws: ``FileError`` when the file is missing, not a key file, or cannot be written.
    @discardableResult
    public func rotate() throws(FileError) -> Key {
        var contents = try read()
        let number = (contents.keys.compactMap { Int($0.id.dropFirst()) }.max() ?? 0) + 1
        let key = Self.newKey(id: "k\(number)")
        contents.keys.append(key)
        contents.current = key.id
        try write(contents)
        return key
    }

    /// The keys, oldest first, and the current key's id.
    ///
    /// - Throws: ``FileError`` when the file is missing or not a key file.
    public func keys() throws(FileError) -> (keys: [Key], current: String) {
        let contents = try read()
        return (contents.keys, contents.current)
    }

    /// A pseudonymiser with every key in the file.
    ///
    /// - Throws: ``FileError`` when the file is missing, not a key file, or a secret is damaged.
    public func load() throws(FileError) -> Pseudonymizer {
        let contents = try read()
        var secrets: [(id: String, secret: [UInt8])] = []
        for key in contents.keys {
            guard let bytes = HexText.decode(key.secret), bytes.count == 32 else {
                throw FileError(path: url.path, reason: "the secret of key \(key.id) is not 64 hex digits")
            }
            secrets.append((key.id, bytes))
        }
        guard let current = secrets.firstIndex(where: { $0.id == contents.current }) else {
            throw FileError(path: url.path, reason: "the current key \(contents.current) is not among its keys")
        }
        secrets.insert(secrets.remove(at: current), at: 0)
        return Pseudonymizer(keys: secrets)
    }

    private func read() throws(FileError) -> Contents {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FileError(
                path: url.path, reason: "no such key file; `behave pseudonyms create --key-file \(url.path)` makes one")
        }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(contentsOf: url))
        } catch {
            throw FileError(
                path: url.path,
                reason:
                    "is not a pseudonym key file (\(FileError.describe(error))); `behave pseudonyms create` makes one")
        }
        guard contents.format == 1 else {
            throw FileError(path: url.path, reason: "key file format \(contents.format) is newer than this behave")
        }
        guard !contents.keys.isEmpty else { throw FileError(path: url.path, reason: "holds no keys") }
        return contents
    }

    private func write(_ contents: Contents) throws(FileError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(contents)
            // Created with mode 0600 before the secret is written, so it is never readable by others.
            if !FileManager.default.fileExists(atPath: url.path) {
                guard
                    FileManager.default.createFile(
                        atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
                else { throw FileError(path: url.path, reason: "cannot be created") }
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            try data.write(to: url)
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(path: url.path, underlying: error)
        }
    }

    private static func newKey(id: String) -> Key {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return Key(id: id, created: ISO8601DateFormatter().string(from: Date()), secret: HexText.encode(secret))
    }
}
