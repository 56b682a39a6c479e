import CSHA256
import Crypto

/// HMAC-SHA256 on the CPU's SHA instructions, from states precomputed per key: an id of up
/// to 55 bytes costs two compressions and no allocation, where swift-crypto's HMAC costs the
/// same two compressions plus the setup of four hash contexts (about 1.6 M ids/s against
/// several times that here; benchmarks/README.md, "Privacy").
///
/// Used by ``Pseudonymizer`` when ``isAvailable``; swift-crypto's `HMAC` otherwise. Both give
/// the same codes (the tests compare them on the RFC 4231 vectors and on random ids).
struct HardwareHMAC: Sendable {
    /// Whether this CPU has the SHA extensions.
    static let isAvailable = csha256_hardware_available() == 1

    /// The SHA-256 state after the key XOR the inner and the outer pad.
    private let inner: [UInt32]
    private let outer: [UInt32]

    private static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// - Precondition: ``isAvailable``.
    init(key: [UInt8]) {
        precondition(Self.isAvailable, "HardwareHMAC needs the SHA extensions")
        // RFC 2104: a key longer than a block is hashed first; shorter ones are zero-padded.
        let block = key.count > 64 ? Array(SHA256.hash(data: key)) : key
        let padded = block + [UInt8](repeating: 0, count: 64 - block.count)
        func state(after pad: UInt8) -> [UInt32] {
            var state = Self.initialState
            let keyBlock = padded.map { $0 ^ pad }
            keyBlock.withUnsafeBufferPointer { bytes in
                state.withUnsafeMutableBufferPointer { csha256_compress($0.baseAddress, bytes.baseAddress, 1) }
            }
            return state
        }
        inner = state(after: 0x36)
        outer = state(after: 0x5c)
    }

    /// Writes the first `count` bytes (at most 32) of `HMAC(key, message)` to `output`.
    func code(of message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 8) { state in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { block in
                // Inner hash: the message after the key block, padded (FIPS 180-4, 5.1.1).
                for index in 0..<8 { state[index] = inner[index] }
                let full = message.count / 64
                if full > 0, let start = message.baseAddress {
                    csha256_compress(state.baseAddress, start.assumingMemoryBound(to: UInt8.self), full)
                }
                let blocks = Self.pad(
                    UnsafeRawBufferPointer(rebasing: message[(64 * full)...]), totalBytes: 64 + message.count,
                    into: block)
                csha256_compress(state.baseAddress, block.baseAddress, blocks)

                // Outer hash: the inner digest after the outer key block, padded to one block
                // (96 bytes in all: 768 bits).
                for index in 0..<8 {
                    let word = state[index]
                    block[4 * index] = UInt8(truncatingIfNeeded: word >> 24)
                    block[4 * index + 1] = UInt8(truncatingIfNeeded: word >> 16)
                    block[4 * index + 2] = UInt8(truncatingIfNeeded: word >> 8)
                    block[4 * index + 3] = UInt8(truncatingIfNeeded: word)
                    state[index] = outer[index]
                }
                block[32] = 0x80
                for index in 33..<62 { block[index] = 0 }
                block[62] = 0x03
                block[63] = 0x00
                csha256_compress(state.baseAddress, block.baseAddress, 1)
                for index in 0..<min(output.count, 32) {
                    output[index] = UInt8(truncatingIfNeeded: state[index / 4] >> (24 - 8 * UInt32(index % 4)))
                }
            }
        }
    }

    /// Copies `tail` (under 64 bytes) into `block`, then the padding of a message of
    /// `totalBytes` bytes: 0x80, zeros, the bit length as a 64-bit big-endian number. Returns
    /// the blocks written (1, or 2 when the tail leaves no room for the length).
    private static func pad(
        _ tail: UnsafeRawBufferPointer, totalBytes: Int, into block: UnsafeMutableBufferPointer<UInt8>
    )
        -> Int
    {
        let count = tail.count
        let blocks = count <= 55 ? 1 : 2
        for index in 0..<count { block[index] = tail[index] }
        block[count] = 0x80
        for index in (count + 1)..<(64 * blocks - 8) { block[index] = 0 }
        let bits = UInt64(totalBytes) * 8
        for index in 0..<8 {
            block[64 * blocks - 8 + index] = UInt8(truncatingIfNeeded: bits >> (56 - 8 * UInt64(index)))
        }
        return blocks
    }
}
