import TensorEngine

/// Seeded mutations of byte strings, for fuzz tests of parsers.
///
/// Each call to ``next(from:)`` returns one input: usually a seed with a few mutations
/// applied (bit flips, byte changes, insertions of tokens the parser treats specially,
/// deletions, truncation, repeated chunks, deep nesting, splicing of two seeds), sometimes
/// random bytes. The same seed number always gives the same sequence of inputs.
///
/// ```swift
/// var mutator = ByteMutator(seed: 1, tokens: ByteMutator.textTokens + [Array(",".utf8)])
/// for _ in 0..<1000 {
///     let input = mutator.next(from: seeds)
///     // parse `input`, check the invariants
/// }
/// ```
public struct ByteMutator {
    /// The random source; tests may draw from it too (for example to pick options).
    public var generator: RandomGenerator
    /// Byte strings inserted or overwritten as a unit.
    public let tokens: [[UInt8]]
    /// Inputs never grow beyond this many bytes.
    public let maximumCount: Int

    /// Tokens that upset text parsers: quotes, separators, line endings, NUL, bytes that are
    /// never valid UTF-8, truncated multi-byte sequences, a byte order mark, and numbers at
    /// or beyond the limits of integer and floating-point types.
    public static let textTokens: [[UInt8]] = [
        [0x22], [0x22, 0x22], [0x2C], [0x3B], [0x7C], [0x09], [0x20], [0x3A, 0x3A], [0x5C],
        [0x0A], [0x0D], [0x0D, 0x0A], [0x00], [0xFF], [0xFE], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80],
        [0xEF, 0xBB, 0xBF], [0xF0, 0x9F, 0x98, 0x80],
        Array("0".utf8), Array("-1".utf8), Array("99999999999999999999999999".utf8),
        Array("9223372036854775807".utf8), Array("-9223372036854775808".utf8),
        Array("18446744073709551616".utf8), Array("1e308".utf8), Array("1e309".utf8), Array("-1e-400".utf8),
        Array("0.00000000000000000000000000001".utf8), Array("1.7e9".utf8), Array("NaN".utf8),
        Array("inf".utf8), Array("9999-12-31T23:59:60.9999Z".utf8), Array("+23:59".utf8),
    ]

    /// A generator for `seed`, with `tokens` to insert (``textTokens`` when empty) and
    /// inputs capped at `maximumCount` bytes.
    public init(seed: UInt64, tokens: [[UInt8]] = ByteMutator.textTokens, maximumCount: Int = 4096) {
        generator = RandomGenerator(seed: seed)
        self.tokens = tokens.isEmpty ? Self.textTokens : tokens
        self.maximumCount = maximumCount
    }

    /// The next input: one in sixteen is random bytes, the rest a random seed with one to
    /// four mutations (one of which may splice in another seed).
    public mutating func next(from seeds: [[UInt8]]) -> [UInt8] {
        guard !seeds.isEmpty, generator.nextInt(below: 16) != 0 else {
            return randomBytes(count: generator.nextInt(below: 64))
        }
        return mutate(seeds[generator.nextInt(below: seeds.count)], splicingWith: seeds)
    }

    /// `input` with one to four mutations; `others` are candidates for splicing.
    public mutating func mutate(_ input: [UInt8], splicingWith others: [[UInt8]] = []) -> [UInt8] {
        var bytes = input
        for _ in 0...generator.nextInt(below: 4) {
            bytes = mutateOnce(bytes, others: others)
        }
        return bytes.count > maximumCount ? Array(bytes.prefix(maximumCount)) : bytes
    }

    /// `count` uniformly random bytes.
    public mutating func randomBytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    private mutating func mutateOnce(_ input: [UInt8], others: [[UInt8]]) -> [UInt8] {
        var bytes = input
        let position = generator.nextInt(below: bytes.count + 1)
        switch generator.nextInt(below: 11) {
        case 0 where !bytes.isEmpty:
            let index = min(position, bytes.count - 1)
            bytes[index] ^= 1 << UInt8(generator.nextInt(below: 8))
        case 1 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: generator.next())
        case 2, 3:
            bytes.insert(contentsOf: tokens[generator.nextInt(below: tokens.count)], at: position)
        case 4:
            let token = tokens[generator.nextInt(below: tokens.count)]
            let end = min(bytes.count, position + token.count)
            bytes.replaceSubrange(position..<end, with: token)
        case 5:
            bytes.insert(contentsOf: randomBytes(count: 1 + generator.nextInt(below: 8)), at: position)
        case 6:
            let end = min(bytes.count, position + 1 + generator.nextInt(below: 16))
            bytes.removeSubrange(position..<end)
        case 7:
            bytes.removeSubrange(position...)
        case 8:
            let end = min(bytes.count, position + 1 + generator.nextInt(below: 32))
            let chunk = bytes[position..<end]
            let copies = 1 + generator.nextInt(below: 64)
            bytes.insert(contentsOf: Array(repeatElement(chunk, count: copies).joined()), at: end)
        case 9:
            bytes.insert(contentsOf: nesting(depth: 1 + generator.nextInt(below: 300)), at: position)
        default:
            guard !others.isEmpty else { break }
            let other = others[generator.nextInt(below: others.count)]
            let cut = generator.nextInt(below: other.count + 1)
            bytes.replaceSubrange(position..., with: other[cut...])
        }
        return bytes
    }

    /// Opening brackets and braces (JSON-like), sometimes closed again.
    private mutating func nesting(depth: Int) -> [UInt8] {
        let opener: [UInt8] = generator.nextInt(below: 2) == 0 ? Array("[".utf8) : Array("{\"a\":".utf8)
        let closer: [UInt8] = opener.count == 1 ? Array("]".utf8) : Array("}".utf8)
        var bytes = Array(repeatElement(opener, count: depth).joined())
        if generator.nextInt(below: 2) == 0 {
            bytes += Array("1".utf8) + Array(repeatElement(closer, count: depth).joined())
        }
        return bytes
    }
}
