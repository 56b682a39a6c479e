import Crypto
import FileIO
import Foundation

/// Keyed pseudonyms: `HMAC-SHA256(key, identifier)`, its first 128 bits as 32 hex digits,
/// behind the key's id (`k2-3b0c…`).
///
/// The same identifier always gets the same pseudonym under one key, so a pseudonymised log
/// joins and counts as the clear one did; without the key a pseudonym cannot be mapped back
/// or recomputed (HMAC is a pseudorandom function of the key). 128 bits make collisions
/// negligible (about 10⁻²⁰ among a billion identifiers). The key id in front says which key
/// made a pseudonym, so after a rotation the older keys still find what they made
/// (``pseudonyms(of:)``).
///
/// Built by ``PseudonymKeyFile/load()``; a value type, safe to share between threads.
public struct Pseudonymizer: Sendable {
    /// The keys' ids, the current one first.
    public let keyIDs: [String]
    /// Each key's HMAC with the key already absorbed, copied per pseudonym. Crypto does not mark
    /// HMAC `Sendable`, but it is a value whose hash states are copied on write, so copies on
    /// several threads never share a state being written.
    nonisolated(unsafe) private let authenticators: [HMAC<SHA256>]
    /// The same keys on the CPU's SHA instructions, when it has them (``HardwareHMAC``).
    private let hardware: [HardwareHMAC]?
    private let prefixes: [[UInt8]]

    /// A pseudonymiser with `keys`, the current one first.
    ///
    /// - Precondition: at least one key.
    public init(keys: [(id: String, secret: [UInt8])]) {
        self.init(keys: keys, hardware: HardwareHMAC.isAvailable)
    }

    /// A pseudonymiser that uses the SHA instructions only when `hardware` (to test both ways).
    init(keys: [(id: String, secret: [UInt8])], hardware: Bool) {
        precondition(!keys.isEmpty, "a pseudonymizer needs a key")
        keyIDs = keys.map(\.id)
        authenticators = keys.map { HMAC<SHA256>(key: SymmetricKey(data: $0.secret)) }
        self.hardware = hardware && HardwareHMAC.isAvailable ? keys.map { HardwareHMAC(key: $0.secret) } : nil
        prefixes = keys.map { Array($0.id.utf8) + [UInt8(ascii: "-")] }
    }

    /// Whether pseudonyms are computed on the CPU's SHA instructions.
    var usesHardware: Bool { hardware != nil }

    /// The id of the key new pseudonyms are made with.
    public var currentKeyID: String { keyIDs[0] }

    /// The pseudonym of `identifier` under the current key.
    public func pseudonym(of identifier: String) -> String {
        pseudonym(of: identifier, key: 0)
    }

    /// The pseudonyms of `identifier` under every key, the current key's first: what an
    /// identifier may be stored as in data pseudonymised before a rotation.
    public func pseudonyms(of identifier: String) -> [String] {
        keyIDs.indices.map { pseudonym(of: identifier, key: $0) }
    }

    /// The pseudonym `identifier` should be stored under, given the pseudonyms already
    /// `stored`: an older key's when it is among them (so a rotation does not split a user's
    /// history in two), the current key's otherwise.
    public func pseudonym(of identifier: String, reusing stored: Set<String>) -> String {
        if keyIDs.count > 1, !stored.isEmpty {
            for key in keyIDs.indices.dropFirst() {
                let older = pseudonym(of: identifier, key: key)
                if stored.contains(older) { return older }
            }
        }
        return pseudonym(of: identifier)
    }

    /// Whether `text` has the form of a pseudonym made by one of these keys.
    public func isPseudonym(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return prefixes.contains { prefix in
            bytes.count == prefix.count + 32 && bytes.starts(with: prefix)
                && bytes[prefix.count...].allSatisfy { HexText.isLowercaseDigit($0) }
        }
    }

    /// The pseudonym under the current key of an identifier given as bytes (the string forms
    /// above take the UTF-8 bytes of their text).
    public func pseudonym(ofBytes identifier: [UInt8]) -> String {
        identifier.withUnsafeBytes { pseudonym(of: $0, key: 0) }
    }

    private func pseudonym(of identifier: String, key: Int) -> String {
        var text = identifier
        return text.withUTF8 { pseudonym(of: UnsafeRawBufferPointer($0), key: key) }
    }

    private func pseudonym(of identifier: UnsafeRawBufferPointer, key: Int) -> String {
        let prefix = prefixes[key]
        return String(unsafeUninitializedCapacity: prefix.count + 32) { buffer in
            for (index, byte) in prefix.enumerated() { buffer[index] = byte }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { code in
                let output = UnsafeMutableRawBufferPointer(code)
                if let hardware {
                    hardware[key].code(of: identifier, into: output)
                } else {
                    var authenticator = authenticators[key]
                    authenticator.update(data: identifier)
                    authenticator.finalize().withUnsafeBytes {
                        output.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<16]))
                    }
                }
                HexText.write(UnsafeRawBufferPointer(code), into: buffer, at: prefix.count)
            }
            return prefix.count + 32
        }
    }
}
