import JSONScanning

/// Where one field's bytes are: in the input window, or (after unescaping) in the scratch buffer.
struct FieldSpan {
    var start: Int
    var end: Int
    var inScratch: Bool
}

/// One record of a delimited file, valid until the parser's next call to `next()`.
struct DelimitedRecord {
    /// 1-based physical line on which the record starts.
    let line: Int
    /// The record's bytes as written (without the line ending), for reject records.
    let raw: UnsafeRawBufferPointer
    /// The record's last quoted field is never closed (it runs to the end of the data).
    let hasUnterminatedQuote: Bool
    /// Every byte is ASCII, so every field is valid UTF-8.
    let isASCII: Bool
    fileprivate let window: UnsafeRawPointer
    fileprivate let scratch: UnsafeRawPointer?
    fileprivate let spans: UnsafeBufferPointer<FieldSpan>

    var fieldCount: Int { spans.count }

    /// The bytes of field `index` (quotes removed, `""` turned into `"`).
    func field(_ index: Int) -> UnsafeRawBufferPointer {
        let span = spans[index]
        let base = span.inScratch ? (scratch ?? window) : window
        return UnsafeRawBufferPointer(start: base + span.start, count: span.end - span.start)
    }

    /// Whether the record is a blank line: no delimiter, only spaces, tabs or nothing.
    var isBlank: Bool {
        guard spans.count == 1 else { return false }
        return raw.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    /// The record's text for reject records (invalid UTF-8 shown as U+FFFD).
    var rawText: String { ByteText.lossyString(raw) }
}

/// Splits delimited text (CSV, TSV, `::`-separated, ...) into records and fields, on bytes.
///
/// - Records end at `\n`; a `\r` right before it is dropped (CRLF files).
/// - With `quoting`, a field that starts with `"` is quoted (RFC 4180): it may hold the
///   delimiter and line breaks, and `""` inside stands for one `"`. Anything between the
///   closing quote and the next delimiter is kept as written. A quote elsewhere is an ordinary
///   character. Without `quoting` (MovieLens, RecBole), `"` is always ordinary.
/// - A quoted field still open at the end of the data yields one record flagged
///   `hasUnterminatedQuote`, holding everything from its first line on.
/// - Blank lines are returned too (see ``DelimitedRecord/isBlank``) so that callers can count lines.
final class DelimitedParser {
    let window: ByteWindow
    private let delimiter: [UInt8]
    private let quoting: Bool
    /// Spans and unescaped bytes of the current record, in manually managed memory so that
    /// records can point into them without copies.
    private var state = ScanState()
    /// Line on which the next record starts.
    private var nextLine = 1

    /// - Parameters:
    ///   - delimiter: one or more bytes, none of them `\n` or `\r` (nor `"` with quoting).
    ///   - quoting: whether RFC 4180 quotes are recognised.
    init(window: ByteWindow, delimiter: [UInt8], quoting: Bool) {
        precondition(!delimiter.isEmpty, "DelimitedParser needs a delimiter")
        self.window = window
        self.delimiter = delimiter
        self.quoting = quoting
    }

    deinit {
        state.spans.deallocate()
        state.scratch.deallocate()
    }

    private struct ScanState {
        var spans = GrowableBuffer<FieldSpan>(capacity: 64)
        var scratch = GrowableBuffer<UInt8>(capacity: 4096)
    }

    /// The next record, or `nil` at the end of the data.
    ///
    /// - Throws: ``EventDataError/unreadable(path:reason:)`` when the file cannot be read or
    ///   a record is longer than the window's limit.
    func next() throws -> DelimitedRecord? {
        while true {
            switch scanRecord() {
            case .needMore:
                if try !window.fill(recordStartLine: nextLine) && window.count == 0 { return nil }
            case .complete(let rawEnd, let next, let lineBreaks, let unterminated):
                let line = nextLine
                nextLine += lineBreaks
                let raw = UnsafeRawBufferPointer(start: window.base + window.start, count: rawEnd - window.start)
                window.start = next
                return DelimitedRecord(
                    line: line, raw: raw, hasUnterminatedQuote: unterminated, isASCII: ByteText.isASCII(raw),
                    window: UnsafeRawPointer(window.base), scratch: UnsafeRawPointer(state.scratch.base),
                    spans: UnsafeBufferPointer(start: state.spans.base, count: state.spans.count))
            }
        }
    }

    private enum ScanOutcome {
        case needMore
        /// `rawEnd`: end of the record's text (before `\r\n`); `next`: start of the next record;
        /// `lineBreaks`: line feeds consumed, the terminating one included.
        case complete(rawEnd: Int, next: Int, lineBreaks: Int, unterminated: Bool)
    }

    private enum FieldStop {
        case delimiter, lineEnd, dataEnd
    }

    /// Scans the record at the window's start; its spans point into the window (stable until
    /// the window is filled again, which only happens before a record is complete).
    private func scanRecord() -> ScanOutcome {
        // Work on a local copy (the buffers are pointers) so the hot loop touches no class storage.
        var spans = state.spans
        var scratch = state.scratch
        defer {
            state.spans = spans
            state.scratch = scratch
        }
        spans.removeAll()
        scratch.removeAll()
        let begin = window.start
        let end = window.end
        let atEnd = window.atEnd
        if begin >= end { return .needMore }
        let p = UnsafePointer<UInt8>(window.base.assumingMemoryBound(to: UInt8.self))
        let quote = UInt8(ascii: "\"")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        let first = delimiter[0]
        let delimiterLength = delimiter.count
        var lineBreaks = 0
        var i = begin

        /// Scans unquoted bytes from `i` to the next delimiter or line end.
        func findStop(_ from: Int) -> (Int, FieldStop) {
            var j = from
            if delimiterLength == 1 {
                while j < end {
                    let byte = p[j]
                    if byte == lf { return (j, .lineEnd) }
                    if byte == first { return (j, .delimiter) }
                    j += 1
                }
            } else {
                while j < end {
                    let byte = p[j]
                    if byte == lf { return (j, .lineEnd) }
                    if byte == first && j + delimiterLength <= end && matchesDelimiter(p, at: j) {
                        return (j, .delimiter)
                    }
                    j += 1
                }
            }
            return (end, .dataEnd)
        }

        while true {
            var stop: Int
            var kind: FieldStop
            if quoting && i < end && p[i] == quote {
                let contentStart = i + 1
                var j = contentStart
                var hasEscapes = false
                var closed = false
                while j < end {
                    let byte = p[j]
                    if byte == quote {
                        if j + 1 < end && p[j + 1] == quote {
                            hasEscapes = true
                            j += 2
                            continue
                        }
                        if j + 1 == end && !atEnd { return .needMore }
                        closed = true
                        break
                    }
                    if byte == lf { lineBreaks += 1 }
                    j += 1
                }
                guard closed else {
                    if !atEnd { return .needMore }
                    spans.append(FieldSpan(start: contentStart, end: end, inScratch: false))
                    return .complete(rawEnd: end, next: end, lineBreaks: lineBreaks, unterminated: true)
                }
                let contentEnd = j
                (stop, kind) = findStop(contentEnd + 1)
                if kind == .dataEnd && !atEnd { return .needMore }
                var tailEnd = stop
                if kind != .delimiter && tailEnd > contentEnd + 1 && p[tailEnd - 1] == cr { tailEnd -= 1 }
                if hasEscapes || tailEnd > contentEnd + 1 {
                    let scratchStart = scratch.count
                    var k = contentStart
                    while k < contentEnd {
                        scratch.append(p[k])
                        k += p[k] == quote ? 2 : 1
                    }
                    for tail in (contentEnd + 1)..<tailEnd { scratch.append(p[tail]) }
                    spans.append(FieldSpan(start: scratchStart, end: scratch.count, inScratch: true))
                } else {
                    spans.append(FieldSpan(start: contentStart, end: contentEnd, inScratch: false))
                }
            } else {
                (stop, kind) = findStop(i)
                if kind == .dataEnd && !atEnd { return .needMore }
                var fieldEnd = stop
                if kind != .delimiter && fieldEnd > i && p[fieldEnd - 1] == cr { fieldEnd -= 1 }
                spans.append(FieldSpan(start: i, end: fieldEnd, inScratch: false))
            }
            switch kind {
            case .delimiter:
                i = stop + delimiterLength
            case .lineEnd:
                let rawEnd = stop > begin && p[stop - 1] == cr ? stop - 1 : stop
                return .complete(rawEnd: rawEnd, next: stop + 1, lineBreaks: lineBreaks + 1, unterminated: false)
            case .dataEnd:
                let rawEnd = stop > begin && p[stop - 1] == cr ? stop - 1 : stop
                return .complete(rawEnd: rawEnd, next: stop, lineBreaks: lineBreaks, unterminated: false)
            }
        }
    }

    @inline(__always)
    private func matchesDelimiter(_ p: UnsafePointer<UInt8>, at position: Int) -> Bool {
        for offset in 1..<delimiter.count where p[position + offset] != delimiter[offset] { return false }
        return true
    }
}
