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
