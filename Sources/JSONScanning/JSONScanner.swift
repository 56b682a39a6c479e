/// A strict RFC 8259 JSON scanner over bytes: the one JSON reader of the package.
///
/// ``scan(_:)`` checks a whole text (one JSON value between optional whitespace) and records
/// every value in document order without building Swift containers: strings point into the
/// text, or, when they hold escapes, into a scratch buffer where they are decoded; numbers
/// and literals are kept as written. Nothing is read outside the text, and the scanner
/// refuses, with the offset of the problem:
///
/// - anything outside the grammar (no comments, trailing commas, leading zeros, single
///   quotes, `NaN`, unescaped control characters in strings, unknown escapes);
/// - objects and arrays nested more than `maximumDepth` deep (the scanner does not recurse,
///   so the limit is about hostile input, not the stack);
/// - strings that are not UTF-8, and `\u` escapes holding half of a surrogate pair;
/// - an object that names a key twice, in any object at any depth (keys are compared as
///   bytes once escapes are decoded, so `"a"` and `"\u0061"` are the same key). Readers that
///   turn keys into Swift `String`s, which compare canonically equivalent Unicode as equal,
///   check those keys again as strings.
///
/// Values inside more than `recordedDepth` objects or arrays are checked all the same but
/// not recorded: the container at that depth keeps their text (a JSON Lines reader needs a
/// record's members, not what nested values hold, and a hostile line of millions of nested
/// numbers then costs no memory per number).
///
/// The buffers are reused from text to text; the owner calls ``deallocate()``.
public struct JSONScanner {
    /// How many objects and arrays may be open at once, the outermost included.
    public let maximumDepth: Int
    /// How many objects and arrays may enclose a value that is recorded: 0 records only the
    /// top-level value, 1 also its members or elements.
    public let recordedDepth: Int

    private var nodes = GrowableBuffer<JSONNode>(capacity: 64)
    private var scratch = GrowableBuffer<UInt8>(capacity: 1024)
    /// The objects and arrays open at the current position, outermost first.
    private var open = GrowableBuffer<OpenContainer>(capacity: 16)
    /// The keys of the objects that are open, for the duplicate checks.
    private var keys = GrowableBuffer<KeyMark>(capacity: 32)

    private struct OpenContainer: BitwiseCopyable {
        /// The container's node, or -1 when it is deeper than `recordedDepth`.
        var node: Int
        var isObject: Bool
        var count: Int
        /// The container's first entry in `keys`.
        var firstKey: Int
        /// One bit per key seen, chosen from its length and three of its bytes: a key whose
        /// bit is clear is new, so most keys need no comparison.
        var keyBits: UInt64
    }

    private struct KeyMark: BitwiseCopyable {
        var key: Span
        /// The opening quote's offset in the text, for the error.
        var offset: Int
    }

    /// Where a string's content is (in the text, or decoded in the scratch buffer), or a
    /// number's or literal's text.
    private struct Span: BitwiseCopyable {
        var start: Int
        var end: Int
        var isDecoded = false
    }

    /// Keys of an object checked as they come (with `keyBits`); beyond this many, the
    /// whole object is checked by sorting when it closes, so that no object costs n².
    private static let incrementalKeyLimit = 16

    /// A scanner that accepts at most `maximumDepth` levels of nested objects and arrays and
    /// records the values inside at most `recordedDepth` of them (all by default).
    public init(maximumDepth: Int, recordedDepth: Int = .max) {
        self.maximumDepth = maximumDepth
        self.recordedDepth = recordedDepth
    }

    /// Frees the buffers; the scanner and its documents must not be used afterwards.
    public func deallocate() {
        nodes.deallocate()
        scratch.deallocate()
        open.deallocate()
        keys.deallocate()
    }

    /// Scans `text` as exactly one JSON value surrounded by optional whitespace.
    ///
    /// - Returns: the values, valid until the next scan or ``deallocate()``.
    /// - Throws: ``JSONScanError`` for the first problem found.
    public mutating func scan(_ text: UnsafeRawBufferPointer) throws(JSONScanError) -> JSONDocument {
        nodes.removeAll()
        scratch.removeAll()
        open.removeAll()
        keys.removeAll()
        guard let base = text.baseAddress, !text.isEmpty else {
            throw JSONScanError(problem: .syntax(Self.expectedValue), offset: 0, isAtEnd: true)
        }
        var cursor = Cursor(p: base.assumingMemoryBound(to: UInt8.self), count: text.count)
        cursor.skipSpace()
        let rootOffset = cursor.i
        try scanValues(&cursor)
        cursor.skipSpace()
        guard cursor.atEnd else {
            let noun =
                switch nodes.base[0].kind {
                case .object: "object"
                case .array: "array"
                default: "value"
                }
            throw cursor.error("unexpected text after the \(noun)")
        }
        return JSONDocument(text: base, nodes: nodes.base, scratch: scratch.base, rootOffset: rootOffset)
    }

    private static let expectedValue = "expected a value (string, number, true, false, null, object or array)"

    private struct Cursor {
        let p: UnsafePointer<UInt8>
        let count: Int
        var i = 0

        var atEnd: Bool { i >= count }
        /// The byte at the position, or 0 at the end (0 starts no token).
        var byte: UInt8 { i < count ? p[i] : 0 }

        @inline(__always)
        mutating func skipSpace() {
            while i < count {
                let b = p[i]
                guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
                i += 1
            }
        }

        func error(_ words: String) -> JSONScanError {
            JSONScanError(problem: .syntax(words), offset: i, isAtEnd: atEnd)
        }
    }

    /// Scans one value and everything inside it, without recursion: objects and arrays are
    /// kept on the `open` stack until they close.
    private mutating func scanValues(_ c: inout Cursor) throws(JSONScanError) {
        value: while true {
            // The position is at the first byte of a value.
            switch c.byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = c.byte == UInt8(ascii: "{")
                guard open.count < maximumDepth else {
                    throw c.error("objects or arrays nest more than \(maximumDepth) levels deep")
                }
                let isRecorded = open.count <= recordedDepth
                open.append(
                    OpenContainer(
                        node: isRecorded ? nodes.count : -1, isObject: isObject, count: 0, firstKey: keys.count,
                        keyBits: 0))
                if isRecorded {
                    nodes.append(JSONNode(kind: isObject ? .object : .array, start: c.i, end: c.i, next: 0))
                }
                c.i += 1
                c.skipSpace()
                if c.byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    c.i += 1
                    try closeContainer(end: c.i, text: c.p)
                } else {
                    if isObject { try scanKey(&c) }
                    continue value
                }
            case UInt8(ascii: "\""):
                record(.string, try scanString(&c))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                record(.number, try scanNumber(&c))
            case UInt8(ascii: "t"):
                record(.boolean, try scanLiteral(&c, 0x6575_7274, length: 4))  // "true"
            case UInt8(ascii: "f"):
                record(.boolean, try scanLiteral(&c, 0x6573_6C61, length: 5))  // "alse" after the "f"
            case UInt8(ascii: "n"):
                record(.null, try scanLiteral(&c, 0x6C6C_756E, length: 4))  // "null"
            default:
                throw c.error(Self.expectedValue)
            }
            // A value is complete: it belongs to the innermost open container, if any.
            while open.count > 0 {
                let top = open.base + (open.count - 1)
                top.pointee.count += 1
                let isObject = top.pointee.isObject
                c.skipSpace()
                if c.byte == UInt8(ascii: ",") {
                    c.i += 1
                    c.skipSpace()
                    if isObject { try scanKey(&c) }
                    continue value
                }
                guard c.byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw c.error(isObject ? "expected ',' or '}' after a value" : "expected ',' or ']' after a value")
                }
                c.i += 1
                try closeContainer(end: c.i, text: c.p)
            }
            return
        }
    }

    /// Appends the node of a value unless it is deeper than `recordedDepth`.
    @inline(__always)
    private mutating func record(_ kind: JSONKind, _ span: Span) {
        guard open.count <= recordedDepth else { return }
        nodes.append(
            JSONNode(kind: kind, isDecoded: span.isDecoded, start: span.start, end: span.end, next: nodes.count + 1))
    }

    /// Records the end of the innermost open container; an object with many keys has them
    /// checked for repeats now.
    private mutating func closeContainer(end: Int, text: UnsafePointer<UInt8>) throws(JSONScanError) {
        let container = open.base[open.count - 1]
        open.removeLast(downTo: open.count - 1)
        if container.node >= 0 {
            let node = nodes.base + container.node
            node.pointee.end = end
            node.pointee.count = container.count
            node.pointee.next = nodes.count
        }
        if container.isObject {
            if keys.count - container.firstKey > Self.incrementalKeyLimit {
                try checkKeysBySorting(from: container.firstKey, text: text)
            }
            keys.removeLast(downTo: container.firstKey)
        }
    }

    /// Scans an object key (at its opening quote), the ':' after it and the space before
    /// the value; refuses a key the object already has (among its first keys).
    private mutating func scanKey(_ c: inout Cursor) throws(JSONScanError) {
        guard c.byte == UInt8(ascii: "\"") else { throw c.error("expected a quoted key") }
        let offset = c.i
        let key = try scanString(&c)
        record(.string, key)
        keys.append(KeyMark(key: key, offset: offset))
        let top = open.base + (open.count - 1)
        let keyCount = keys.count - top.pointee.firstKey
        if keyCount <= Self.incrementalKeyLimit {
            let signature = Self.signature(of: bytes(of: key, text: c.p))
            let bit: UInt64 = 1 << ((signature &* 0x9E37_79B9_7F4A_7C15) >> 58)
            if top.pointee.keyBits & bit != 0 {
                try checkLatestKey(from: top.pointee.firstKey, text: c.p)
            }
            top.pointee.keyBits |= bit
        }
        c.skipSpace()
        guard c.byte == UInt8(ascii: ":") else { throw c.error("expected ':' after the key") }
        c.i += 1
        c.skipSpace()
    }

    /// Scans a string at its opening quote and returns where its content is: in the text
    /// without escapes, decoded into the scratch buffer with them.
    @inline(__always)
    private mutating func scanString(_ c: inout Cursor) throws(JSONScanError) -> Span {
        let quote = c.i
        c.i += 1
        let start = c.i
        var seen: UInt64 = 0
        // Eight bytes at a time while no byte is a quote, a backslash or a control character.
        while c.i + 8 <= c.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(c.p + c.i).loadUnaligned(as: UInt64.self))
            let special = Self.specialBytes(word)
            if special == 0 {
                seen |= word
                c.i += 8
                continue
            }
            let clean = special.trailingZeroBitCount >> 3
            seen |= word & ((1 << (UInt64(clean) << 3)) &- 1)
            c.i += clean
            break
        }
        while c.i < c.count {
            let b = c.p[c.i]
            if b == UInt8(ascii: "\"") {
                if seen & 0x8080_8080_8080_8080 != 0 {
                    try validateUTF8(UnsafeRawBufferPointer(start: c.p + start, count: c.i - start), quote)
                }
                c.i += 1
                return Span(start: start, end: c.i - 1)
            }
            if b == UInt8(ascii: "\\") { break }
            guard b >= 0x20 else { throw c.error("a control character must be escaped inside a string") }
            seen |= UInt64(b)
            c.i += 1
        }
        guard c.i < c.count else { throw c.error("a string is not closed") }
        return try decodeString(&c, quote: quote, start: start, seen: seen)
    }

    /// The high bit of each byte of `word` that is `"`, `\` or below 0x20, and maybe of bytes
    /// after the first such byte (borrows), never of bytes before it.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let zeroQuote = (quotes &- ones) & ~quotes
        let zeroBackslash = (backslashes &- ones) & ~backslashes
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control) & (ones &* 0x80)
    }

    /// Decodes the rest of a string with escapes, from the first backslash, into the
    /// scratch buffer.
    private mutating func decodeString(
        _ c: inout Cursor, quote: Int, start: Int, seen: UInt64
    ) throws(JSONScanError) -> Span {
        var seen = seen
        let scratchStart = scratch.count
        scratch.append(contentsOf: c.p + start, count: c.i - start)
        while c.i < c.count {
            let b = c.p[c.i]
            if b == UInt8(ascii: "\"") {
                if seen & 0x8080_8080_8080_8080 != 0 {
                    try validateUTF8(
                        UnsafeRawBufferPointer(start: scratch.base + scratchStart, count: scratch.count - scratchStart),
                        quote)
                }
                c.i += 1
                return Span(start: scratchStart, end: scratch.count, isDecoded: true)
            }
            guard b >= 0x20 else { throw c.error("a control character must be escaped inside a string") }
            guard b == UInt8(ascii: "\\") else {
                scratch.append(b)
                seen |= UInt64(b)
                c.i += 1
                continue
            }
            c.i += 1
            guard c.i < c.count else { break }
            let escaped: UInt8
            switch c.p[c.i] {
            case UInt8(ascii: "\""): escaped = UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "/"): escaped = UInt8(ascii: "/")
            case UInt8(ascii: "b"): escaped = 0x08
            case UInt8(ascii: "f"): escaped = 0x0C
            case UInt8(ascii: "n"): escaped = 0x0A
            case UInt8(ascii: "r"): escaped = 0x0D
            case UInt8(ascii: "t"): escaped = 0x09
            case UInt8(ascii: "u"):
                c.i += 1
                let scalar = try scanUnicodeEscape(&c)
                UTF8.encode(scalar) { scratch.append($0) }
                continue
            default:
                throw c.error("unknown escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)")
            }
            scratch.append(escaped)
            c.i += 1
        }
        throw c.error("a string is not closed")
    }

    /// Refuses `bytes`, a string that holds bytes above 0x7F, unless they are UTF-8.
    private func validateUTF8(_ bytes: UnsafeRawBufferPointer, _ quote: Int) throws(JSONScanError) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return
            case .error: throw JSONScanError(problem: .invalidUTF8, offset: quote, isAtEnd: false)
            }
        }
    }

    /// Decodes the `XXXX` after `\u` (and the low surrogate that must follow a high one).
    private func scanUnicodeEscape(_ c: inout Cursor) throws(JSONScanError) -> Unicode.Scalar {
        let high = try hex4(&c)
        if (0xD800...0xDBFF).contains(high) {
            guard c.i + 1 < c.count, c.p[c.i] == UInt8(ascii: "\\"), c.p[c.i + 1] == UInt8(ascii: "u") else {
                throw c.error("a \\u escape holds half of a surrogate pair")
            }
            c.i += 2
            let low = try hex4(&c)
            guard (0xDC00...0xDFFF).contains(low),
                let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            else { throw c.error("a \\u escape holds half of a surrogate pair") }
            return scalar
        }
        guard let scalar = Unicode.Scalar(high) else { throw c.error("a \\u escape holds half of a surrogate pair") }
        return scalar
    }

    private func hex4(_ c: inout Cursor) throws(JSONScanError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard c.i < c.count else { throw c.error("\\u needs four hexadecimal digits") }
            let b = c.p[c.i]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw c.error("\\u needs four hexadecimal digits")
            }
            value = value << 4 | digit
            c.i += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    @inline(__always)
    private func scanNumber(_ c: inout Cursor) throws(JSONScanError) -> Span {
        @inline(__always)
        func digits(_ c: inout Cursor) -> Int {
            let start = c.i
            while c.i < c.count && c.p[c.i] &- UInt8(ascii: "0") < 10 { c.i += 1 }
            return c.i - start
        }
        let start = c.i
        if c.byte == UInt8(ascii: "-") { c.i += 1 }
        if c.byte == UInt8(ascii: "0") {
            c.i += 1
        } else if digits(&c) == 0 {
            throw c.error("a number needs digits")
        }
        if c.byte == UInt8(ascii: ".") {
            c.i += 1
            guard digits(&c) > 0 else { throw c.error("a number needs digits after '.'") }
        }
        if c.byte == UInt8(ascii: "e") || c.byte == UInt8(ascii: "E") {
            c.i += 1
            if c.byte == UInt8(ascii: "+") || c.byte == UInt8(ascii: "-") { c.i += 1 }
            guard digits(&c) > 0 else { throw c.error("a number needs digits in its exponent") }
        }
        return Span(start: start, end: c.i)
    }

    /// Scans `true`, `false` or `null`: `last4` holds the literal's last four bytes
    /// (little-endian), `length` its length.
    @inline(__always)
    private func scanLiteral(_ c: inout Cursor, _ last4: UInt32, length: Int) throws(JSONScanError) -> Span {
        guard c.i + length <= c.count,
            UInt32(littleEndian: UnsafeRawPointer(c.p + c.i + length - 4).loadUnaligned(as: UInt32.self)) == last4
        else { throw c.error(Self.expectedValue) }
        c.i += length
        return Span(start: c.i - length, end: c.i)
    }

    // MARK: - Duplicate keys

    /// Length and three of the bytes: keys that differ here differ.
    @inline(__always)
    private static func signature(of key: UnsafeRawBufferPointer) -> UInt64 {
        let count = key.count
        guard count > 0 else { return 0 }
        return UInt64(count) | UInt64(key[0]) << 32 | UInt64(key[count - 1]) << 40 | UInt64(key[count / 2]) << 48
    }

    /// The bytes of a string's content, in the text or the scratch buffer.
    @inline(__always)
    private func bytes(of span: Span, text: UnsafePointer<UInt8>) -> UnsafeRawBufferPointer {
        let base = span.isDecoded ? UnsafeRawPointer(scratch.base) : UnsafeRawPointer(text)
        return UnsafeRawBufferPointer(start: base + span.start, count: span.end - span.start)
    }

    /// Refuses the latest key if the object's earlier keys (from `keys[first]`) include it.
    private func checkLatestKey(from first: Int, text: UnsafePointer<UInt8>) throws(JSONScanError) {
        let latest = keys.base[keys.count - 1]
        let latestBytes = bytes(of: latest.key, text: text)
        for index in first..<(keys.count - 1)
        where bytes(of: keys.base[index].key, text: text).elementsEqual(latestBytes) {
            throw duplicate(latest, text: text)
        }
    }

    /// Refuses a repeated key among `keys[first...]`, the keys of an object that closes,
    /// naming the earliest repetition. Sorted by bytes (then position), equal keys are neighbours.
    private func checkKeysBySorting(from first: Int, text: UnsafePointer<UInt8>) throws(JSONScanError) {
        let order = (first..<keys.count).sorted { a, b in
            let lhs = bytes(of: keys.base[a].key, text: text)
            let rhs = bytes(of: keys.base[b].key, text: text)
            return lhs.elementsEqual(rhs) ? a < b : lhs.lexicographicallyPrecedes(rhs)
        }
        var repeated: Int?
        for position in 1..<order.count
        where bytes(of: keys.base[order[position - 1]].key, text: text)
            .elementsEqual(bytes(of: keys.base[order[position]].key, text: text))
        {
            repeated = min(repeated ?? order[position], order[position])
        }
        if let repeated { throw duplicate(keys.base[repeated], text: text) }
    }

    private func duplicate(_ key: KeyMark, text: UnsafePointer<UInt8>) -> JSONScanError {
        let name = String(decoding: bytes(of: key.key, text: text), as: UTF8.self)
        return JSONScanError(problem: .duplicateKey(name), offset: key.offset, isAtEnd: false)
    }
}
