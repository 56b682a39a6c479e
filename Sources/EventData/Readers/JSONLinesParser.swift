import Foundation

/// Splits a ``ByteWindow`` into lines (without `\n` or `\r\n`), numbered from 1.
///
/// A line that does not fit in the window's `maximumRecordBytes` is skipped and reported as
/// ``Item/tooLong(line:byteCount:start:)``, and reading goes on after it.
final class LineReader {
    let window: ByteWindow
    private var nextLine = 1

    /// What ``next()`` returns.
    enum Item {
        /// A line's bytes (valid until the next call) and its number.
        case line(UnsafeRawBufferPointer, line: Int)
        /// A line of `byteCount` bytes (its `\n` excluded) that reached the window's
        /// limit; `start` holds at most its first 4,000 bytes.
        case tooLong(line: Int, byteCount: Int, start: [UInt8])
    }

    /// Bytes of a too-long line kept for its reject record.
    private static let keptBytes = 4000

    init(window: ByteWindow) { self.window = window }

    /// The next line, or `nil` at the end of the data.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` on a read error.
    func next() throws -> Item? {
        while true {
            let start = window.start
            let end = window.end
            if start < end, let found = memchr(window.base + start, 0x0A, end - start) {
                let newline = UnsafeMutableRawPointer(found) - window.base
                window.start = newline + 1
                return .line(line(from: start, to: newline), line: advance())
            }
            if window.atEnd {
                guard start < end else { return nil }
                window.start = end
                return .line(line(from: start, to: end), line: advance())
            }
            if end - start >= window.maximumRecordBytes { return try skipLongLine() }
            _ = try window.fill(recordStartLine: nextLine)
        }
    }

    /// Skips the rest of a line that fills the whole window, keeping its start.
    private func skipLongLine() throws -> Item {
        let kept = Array(
            UnsafeRawBufferPointer(start: window.base + window.start, count: min(window.count, Self.keptBytes)))
        var byteCount = window.count
        window.start = window.end
        while true {
            _ = try window.fill(recordStartLine: nextLine)
            let start = window.start
            let end = window.end
            if start < end, let found = memchr(window.base + start, 0x0A, end - start) {
                let newline = UnsafeMutableRawPointer(found) - window.base
                byteCount += newline - start
                window.start = newline + 1
                return .tooLong(line: advance(), byteCount: byteCount, start: kept)
            }
            byteCount += end - start
            window.start = end
            if window.atEnd { return .tooLong(line: advance(), byteCount: byteCount, start: kept) }
        }
    }

    private func line(from start: Int, to end: Int) -> UnsafeRawBufferPointer {
        let trimmedEnd =
            end > start && window.base.load(fromByteOffset: end - 1, as: UInt8.self) == 0x0D ? end - 1 : end
        return UnsafeRawBufferPointer(start: window.base + start, count: trimmedEnd - start)
    }

    private func advance() -> Int {
        defer { nextLine += 1 }
        return nextLine
    }
}

/// What a JSON member's value is.
enum JSONKind: UInt8 {
    case string, number, boolean, null, nested
}

/// One `"key": value` pair of a scanned object.
struct JSONMember {
    var key: FieldSpan
    var value: FieldSpan
    var kind: JSONKind
}

/// A strict JSON object parser for one line, on bytes.
///
/// It records each top-level member's key and value: strings unescaped (into a scratch
/// buffer only when they hold escapes), numbers and `true` / `false` as written, nested
/// objects and arrays as their raw JSON text (validated, not decoded).
struct JSONObjectScanner {
    private(set) var members = GrowableBuffer<JSONMember>(capacity: 32)
    private(set) var scratch = GrowableBuffer<UInt8>(capacity: 1024)

    /// How deeply objects and arrays may nest.
    static let maximumDepth = 128

    /// Frees the buffers; the scanner must not be used afterwards.
    func deallocate() {
        members.deallocate()
        scratch.deallocate()
    }

    /// Parses `line` as one JSON object; `nil` on success, otherwise what is wrong and where.
    mutating func scan(_ line: UnsafeRawBufferPointer) -> String? {
        members.removeAll()
        scratch.removeAll()
        guard let base = line.baseAddress else { return "the line is empty" }
        var cursor = Cursor(p: base.assumingMemoryBound(to: UInt8.self), count: line.count)
        do {
            try parseObject(&cursor)
            return nil
        } catch {
            return error.message
        }
    }

    /// The bytes of a member's key or value.
    func bytes(_ span: FieldSpan, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if span.inScratch {
            return UnsafeRawBufferPointer(
                start: UnsafeRawPointer(scratch.base) + span.start, count: span.end - span.start)
        }
        return UnsafeRawBufferPointer(rebasing: line[span.start..<span.end])
    }

    private struct SyntaxError: Error {
        var message: String
    }

    private struct Cursor {
        let p: UnsafePointer<UInt8>
        let count: Int
        var i = 0

        var atEnd: Bool { i >= count }
        var byte: UInt8 { i < count ? p[i] : 0 }

        mutating func skipSpace() {
            while i < count {
                let b = p[i]
                guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
                i += 1
            }
        }

        func error(_ text: String) -> SyntaxError {
            SyntaxError(message: atEnd ? "\(text) at the end of the line" : "\(text) at character \(i + 1)")
        }
    }

    private mutating func parseObject(_ c: inout Cursor) throws(SyntaxError) {
        c.skipSpace()
        guard c.byte == UInt8(ascii: "{") else {
            throw c.atEnd ? c.error("expected a JSON object") : c.error("expected a JSON object ('{')")
        }
        c.i += 1
        c.skipSpace()
        if c.byte == UInt8(ascii: "}") {
            c.i += 1
        } else {
            while true {
                guard c.byte == UInt8(ascii: "\"") else { throw c.error("expected a quoted key") }
                let key = try parseString(&c, keep: true)
                c.skipSpace()
                guard c.byte == UInt8(ascii: ":") else { throw c.error("expected ':' after the key") }
                c.i += 1
                c.skipSpace()
                let (kind, value) = try parseValue(&c, depth: 1)
                members.append(JSONMember(key: key, value: value, kind: kind))
                c.skipSpace()
                if c.byte == UInt8(ascii: ",") {
                    c.i += 1
                    c.skipSpace()
                    continue
                }
                guard c.byte == UInt8(ascii: "}") else { throw c.error("expected ',' or '}' after a value") }
                c.i += 1
                break
            }
        }
        c.skipSpace()
        guard c.atEnd else { throw c.error("unexpected text after the object") }
    }

    private mutating func parseValue(_ c: inout Cursor, depth: Int) throws(SyntaxError) -> (JSONKind, FieldSpan) {
        let start = c.i
        switch c.byte {
        case UInt8(ascii: "\""):
            return (.string, try parseString(&c, keep: true))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber(&c)
            return (.number, FieldSpan(start: start, end: c.i, inScratch: false))
        case UInt8(ascii: "t"):
            try skipLiteral(&c, "true")
            return (.boolean, FieldSpan(start: start, end: c.i, inScratch: false))
        case UInt8(ascii: "f"):
            try skipLiteral(&c, "false")
            return (.boolean, FieldSpan(start: start, end: c.i, inScratch: false))
        case UInt8(ascii: "n"):
            try skipLiteral(&c, "null")
            return (.null, FieldSpan(start: start, end: c.i, inScratch: false))
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer(&c, depth: depth)
            return (.nested, FieldSpan(start: start, end: c.i, inScratch: false))
        default:
            throw c.error("expected a value (string, number, true, false, null, object or array)")
        }
    }

    /// Skips a nested object or array, checking its syntax.
    private mutating func skipContainer(_ c: inout Cursor, depth: Int) throws(SyntaxError) {
        guard depth < Self.maximumDepth else { throw c.error("objects or arrays nest too deeply") }
        let isObject = c.byte == UInt8(ascii: "{")
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        c.i += 1
        c.skipSpace()
        if c.byte == close {
            c.i += 1
            return
        }
        while true {
            if isObject {
                guard c.byte == UInt8(ascii: "\"") else { throw c.error("expected a quoted key") }
                _ = try parseString(&c, keep: false)
                c.skipSpace()
                guard c.byte == UInt8(ascii: ":") else { throw c.error("expected ':' after the key") }
                c.i += 1
                c.skipSpace()
            }
            _ = try parseValue(&c, depth: depth + 1)
            c.skipSpace()
            if c.byte == UInt8(ascii: ",") {
                c.i += 1
                c.skipSpace()
                continue
            }
            guard c.byte == close else {
                throw c.error(isObject ? "expected ',' or '}' after a value" : "expected ',' or ']' after a value")
            }
            c.i += 1
            return
        }
    }

    /// Parses a string at the opening quote. Without escapes its span points into the line;
    /// with escapes (and `keep`) the unescaped bytes go to the scratch buffer.
    private mutating func parseString(_ c: inout Cursor, keep: Bool) throws(SyntaxError) -> FieldSpan {
        c.i += 1
        let start = c.i
        while c.i < c.count {
            let b = c.p[c.i]
            if b == UInt8(ascii: "\"") {
                c.i += 1
                return FieldSpan(start: start, end: c.i - 1, inScratch: false)
            }
            if b == UInt8(ascii: "\\") { break }
            guard b >= 0x20 else { throw c.error("a control character must be escaped inside a string") }
            c.i += 1
        }
        guard c.i < c.count else { throw c.error("a string is not closed") }
        // Escapes: copy what came before, then decode the rest of the string.
        let scratchStart = scratch.count
        if keep {
            for index in start..<c.i { scratch.append(c.p[index]) }
        }
        while c.i < c.count {
            let b = c.p[c.i]
            if b == UInt8(ascii: "\"") {
                c.i += 1
                return FieldSpan(start: scratchStart, end: scratch.count, inScratch: true)
            }
            guard b >= 0x20 else { throw c.error("a control character must be escaped inside a string") }
            guard b == UInt8(ascii: "\\") else {
                if keep { scratch.append(b) }
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
                let scalar = try parseUnicodeEscape(&c)
                if keep { UTF8.encode(scalar) { scratch.append($0) } }
                continue
            default:
                throw c.error("unknown escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)")
            }
            if keep { scratch.append(escaped) }
            c.i += 1
        }
        throw c.error("a string is not closed")
    }

    /// Decodes the `XXXX` after `\u` (and a following low surrogate when needed).
    private func parseUnicodeEscape(_ c: inout Cursor) throws(SyntaxError) -> Unicode.Scalar {
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

    private func hex4(_ c: inout Cursor) throws(SyntaxError) -> UInt32 {
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
    private func skipNumber(_ c: inout Cursor) throws(SyntaxError) {
        func digits(_ c: inout Cursor) -> Int {
            let start = c.i
            while c.i < c.count && c.p[c.i] >= UInt8(ascii: "0") && c.p[c.i] <= UInt8(ascii: "9") { c.i += 1 }
            return c.i - start
        }
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
    }

    private func skipLiteral(_ c: inout Cursor, _ word: StaticString) throws(SyntaxError) {
        let length = word.utf8CodeUnitCount
        guard c.i + length <= c.count, memcmp(c.p + c.i, word.utf8Start, length) == 0 else {
            throw c.error("expected a value (string, number, true, false, null, object or array)")
        }
        c.i += length
    }
}

/// A small hash table from raw key bytes to what the reader does with that key, so that
/// each distinct JSON key is resolved once, not once per line.
struct KeyTable<Value> {
    private var buckets: [Int32]
    private var keys: [[UInt8]] = []
    private(set) var values: [Value] = []
    /// Distinct keys remembered at most; further keys are resolved every time.
    static var capacity: Int { 4096 }

    init() { buckets = Array(repeating: -1, count: 64) }

    /// The value stored for `key`, if any.
    func value(for key: UnsafeRawBufferPointer) -> Value? {
        let mask = buckets.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(key)) & mask
        while true {
            let entry = Int(buckets[slot])
            if entry < 0 { return nil }
            if ByteText.equals(key, keys[entry]) { return values[entry] }
            slot = (slot + 1) & mask
        }
    }

    /// Remembers `value` for `key` (unless the table is full).
    mutating func insert(_ value: Value, for key: UnsafeRawBufferPointer) {
        guard keys.count < Self.capacity else { return }
        if (keys.count + 1) * 2 > buckets.count { rehash(to: buckets.count * 2) }
        place(index: keys.count, hash: Self.hash(key))
        keys.append(Array(key))
        values.append(value)
    }

    private mutating func place(index: Int, hash: UInt64) {
        let mask = buckets.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while buckets[slot] >= 0 { slot = (slot + 1) & mask }
        buckets[slot] = Int32(index)
    }

    private mutating func rehash(to size: Int) {
        buckets = Array(repeating: -1, count: size)
        for (index, key) in keys.enumerated() {
            key.withUnsafeBytes { place(index: index, hash: Self.hash($0)) }
        }
    }

    /// FNV-1a.
    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
