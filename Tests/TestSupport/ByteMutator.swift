import Randomness

/// Seeded mutations of byte strings, for fuzz tests of parsers.
///
/// Each call to ``next(from:)`` returns one input: usually a seed with a few mutations
/// applied (bit flips, byte changes, insertions of tokens the parser treats specially,
/// often right next to such a token already in the input, deletions, truncation, repeated
/// chunks, deep nesting, splicing of two seeds), sometimes random bytes. The same seed
/// number always gives the same sequence of inputs.
///
/// ```swift
/// var mutator = ByteMutator(seed: 1, tokens: ByteMutator.structuralTokens + [Array("::".utf8)])
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
    /// Whether a byte starts a token that is punctuation or control (not a letter or digit):
    /// the places next to which insertions are most telling.
    private var startsAnchor = [Bool](repeating: false, count: 256)

    /// Tokens that upset text parsers: quotes, separators, line endings, NUL, bytes that are
    /// never valid UTF-8, truncated multi-byte sequences, a byte order mark.
    public static let structuralTokens: [[UInt8]] = [
        [0x22], [0x22, 0x22], [0x2C], [0x3B], [0x09], [0x20], [0x3A, 0x3A], [0x5C], [0x0A], [0x0D], [0x0D, 0x0A],
        [0x00], [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], [0xF0, 0x9F, 0x98, 0x80],
    ]

    /// Numbers at or beyond the limits of integer and floating-point types, and odd ones.
    public static let numberTokens: [[UInt8]] = [
        "0", "-1", "99999999999999999999999999", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e308", "1e309", "-1e-400", "0.00000000000000000000000000001", "1.7e9", "NaN",
        "inf", "9999-12-31T23:59:60.9999Z", "+23:59",
    ].map { Array($0.utf8) }

    /// ``structuralTokens`` and ``numberTokens``.
    public static let textTokens = structuralTokens + numberTokens

    /// A generator for `seed`, with `tokens` to insert (``textTokens`` when empty) and
    /// inputs capped at `maximumCount` bytes.
    public init(seed: UInt64, tokens: [[UInt8]] = ByteMutator.textTokens, maximumCount: Int = 4096) {
        generator = RandomGenerator(seed: seed)
        self.tokens = tokens.filter { !$0.isEmpty }.isEmpty ? Self.textTokens : tokens.filter { !$0.isEmpty }
        self.maximumCount = maximumCount
        for token in self.tokens {
            let first = token[0]
            let isLetterOrDigit =
                (0x30...0x39).contains(first) || (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first)
            if !isLetterOrDigit { startsAnchor[Int(first)] = true }
        }
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
        let token = tokens[generator.nextInt(below: tokens.count)]
        switch generator.nextInt(below: 12) {
        case 0 where !bytes.isEmpty:
            let index = min(position, bytes.count - 1)
            bytes[index] ^= 1 << UInt8(generator.nextInt(below: 8))
        case 1 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: generator.next())
        case 2:
            bytes.insert(contentsOf: token, at: position)
        case 3, 4:
            bytes.insert(contentsOf: token, at: anchoredPosition(in: bytes) ?? position)
        case 5:
            bytes.replaceSubrange(position..<min(bytes.count, position + token.count), with: token)
        case 6:
            bytes.insert(contentsOf: randomBytes(count: 1 + generator.nextInt(below: 8)), at: position)
        case 7:
            bytes.removeSubrange(position..<min(bytes.count, position + 1 + generator.nextInt(below: 16)))
        case 8:
            bytes.removeSubrange(position...)
        case 9:
            let end = min(bytes.count, position + 1 + generator.nextInt(below: 32))
            let copies = 1 + generator.nextInt(below: 64)
            bytes.insert(contentsOf: Array(repeatElement(bytes[position..<end], count: copies).joined()), at: end)
        case 10:
            bytes.insert(contentsOf: nesting(depth: 1 + generator.nextInt(below: 300)), at: position)
        default:
            guard !others.isEmpty else { break }
            let other = others[generator.nextInt(below: others.count)]
            bytes.replaceSubrange(position..., with: other[generator.nextInt(below: other.count + 1)...])
        }
        return bytes
    }

    /// Just before or just after a random byte that starts a punctuation or control token,
    /// or `nil` when the input has none.
    private mutating func anchoredPosition(in bytes: [UInt8]) -> Int? {
        let places = bytes.indices.filter { startsAnchor[Int(bytes[$0])] }
        guard !places.isEmpty else { return nil }
        return places[generator.nextInt(below: places.count)] + generator.nextInt(below: 2)
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
