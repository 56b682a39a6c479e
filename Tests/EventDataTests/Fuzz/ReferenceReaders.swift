import Foundation

@testable import EventData

/// Slow, plainly written models of the readers' documented rules, which the fuzz tests
/// compare the fast byte-level readers against.
enum ReferenceReaders {
    /// One record of delimited text as ``DelimitedParser`` documents it.
    struct Record: Equatable {
        /// 1-based line the record starts on.
        var line: Int
        /// Field bytes: quotes removed and `""` unescaped (an unterminated field holds its
        /// bytes as written, from after the quote to the end of the data).
        var fields: [[UInt8]]
        var hasUnterminatedQuote: Bool
        /// One field and nothing but spaces and tabs.
        var isBlank: Bool
    }

    /// The records of `input` (RFC 4180 quotes when `quoting`; `\n` ends a record and a `\r`
    /// before it is dropped; a leading UTF-8 byte order mark is skipped).
    static func records(_ input: [UInt8], delimiter: [UInt8], quoting: Bool) -> [Record] {
        let bytes = withoutByteOrderMark(input)
        let quote = UInt8(ascii: "\"")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        func isDelimiter(at index: Int) -> Bool {
            guard index + delimiter.count <= bytes.count else { return false }
            return delimiter.indices.allSatisfy { bytes[index + $0] == delimiter[$0] }
        }
        var records: [Record] = []
        var index = 0
        var line = 1
        while index < bytes.count {
            let recordStart = index
            let recordLine = line
            var fields: [[UInt8]] = []
            var fieldStart = index
            while true {
                var field: [UInt8] = []
                var cursor = fieldStart
                if quoting && cursor < bytes.count && bytes[cursor] == quote {
                    cursor += 1
                    var closed = false
                    while cursor < bytes.count {
                        if bytes[cursor] == quote {
                            if cursor + 1 < bytes.count && bytes[cursor + 1] == quote {
                                field.append(quote)
                                cursor += 2
                                continue
                            }
                            closed = true
                            cursor += 1
                            break
                        }
                        if bytes[cursor] == lf { line += 1 }
                        field.append(bytes[cursor])
                        cursor += 1
                    }
                    if !closed {
                        fields.append(Array(bytes[(fieldStart + 1)...]))
                        records.append(
                            Record(line: recordLine, fields: fields, hasUnterminatedQuote: true, isBlank: false))
                        return records
                    }
                }
                var tail: [UInt8] = []
                while cursor < bytes.count && bytes[cursor] != lf && !isDelimiter(at: cursor) {
                    tail.append(bytes[cursor])
                    cursor += 1
                }
                if cursor < bytes.count && bytes[cursor] != lf {
                    fields.append(field + tail)
                    fieldStart = cursor + delimiter.count
                    continue
                }
                if tail.last == cr { tail.removeLast() }
                fields.append(field + tail)
                var raw = Array(bytes[recordStart..<cursor])
                if raw.last == cr { raw.removeLast() }
                let isBlank = fields.count == 1 && raw.allSatisfy { $0 == 0x20 || $0 == 0x09 }
                records.append(Record(line: recordLine, fields: fields, hasUnterminatedQuote: false, isBlank: isBlank))
                if cursor < bytes.count {
                    line += 1
                    index = cursor + 1
                } else {
                    index = cursor
                }
                break
            }
        }
        return records
    }

    /// The non-blank lines of line-based input (JSON Lines, user-item): their numbers and
    /// bytes without the line ending.
    static func nonBlankLines(_ input: [UInt8]) -> [(line: Int, bytes: [UInt8])] {
        let bytes = withoutByteOrderMark(input)
        var lines: [(line: Int, bytes: [UInt8])] = []
        var number = 1
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var content = Array(bytes[start..<end])
            if content.last == 0x0D { content.removeLast() }
            if !content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { lines.append((number, content)) }
            number += 1
            start = end + 1
        }
        return lines
    }

    /// The lines of the rows an event reader must produce for `input` read with `layout`:
    /// every non-blank record or line, except a header.
    static func rowLines(_ input: [UInt8], layout: ReadPlan.Layout) -> [Int] {
        switch layout {
        case .delimited(let dialect):
            let records = records(input, delimiter: dialect.delimiter, quoting: dialect.quoting)
                .filter { !$0.isBlank }
            return records.dropFirst(dialect.hasHeader ? 1 : 0).map(\.line)
        case .jsonLines, .userItem:
            return nonBlankLines(input).map(\.line)
        }
    }

    private static func withoutByteOrderMark(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }
}
