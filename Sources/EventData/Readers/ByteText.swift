import Foundation

/// Text helpers that work on raw UTF-8 bytes, so that readers build a `String` only for the
/// values they keep.
enum ByteText {
    /// Whether every byte is below 0x80 (checked eight bytes at a time).
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        var accumulated: UInt64 = 0
        while index + 8 <= count {
            accumulated |= base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            accumulated |= UInt64(base.load(fromByteOffset: index, as: UInt8.self))
            index += 1
        }
        return accumulated & 0x8080_8080_8080_8080 == 0
    }

    /// The bytes as a `String`; the caller knows them to be valid UTF-8.
    @inline(__always)
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes as a `String`, or `nil` when they are not valid UTF-8.
    static func validatedString(_ bytes: UnsafeRawBufferPointer) -> String? {
        if isASCII(bytes) { return string(bytes) }
        return String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// Whether the bytes are valid UTF-8.
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isASCII(bytes) || String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
    }

    /// At most the first 4,000 bytes as text for reject records; invalid UTF-8 becomes U+FFFD.
    static func lossyString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix(4000), as: UTF8.self)
    }

    /// The bytes without leading and trailing spaces and tabs.
    @inline(__always)
    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Whether the bytes equal `other`.
    @inline(__always)
    static func equals(_ bytes: UnsafeRawBufferPointer, _ other: [UInt8]) -> Bool {
        guard bytes.count == other.count else { return false }
        return other.withUnsafeBytes { otherBytes in
            guard let a = bytes.baseAddress, let b = otherBytes.baseAddress else { return true }
            return memcmp(a, b, bytes.count) == 0
        }
    }

    /// Whether `bytes` starts with `-`, and where the digits start (after an optional sign).
    @inline(__always)
    static func sign(_ bytes: UnsafeRawBufferPointer) -> (negative: Bool, start: Int) {
        guard let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") else {
            return (false, 0)
        }
        return (first == UInt8(ascii: "-"), 1)
    }

    /// A decimal number (`12`, `-3.5`, `.5`, `1e-3`, `+7.`), or `nil` for anything else
    /// (including `inf`, `nan`, hexadecimal and empty text).
    ///
    /// Up to 19 significant digits with a power of ten within ±22 is converted exactly
    /// (mantissa and power are both exact doubles, so one rounding); longer numbers go
    /// through the standard library's correctly rounded parser.
    static func parseDouble(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let count = bytes.count
        let (negative, start) = sign(bytes)
        var index = start
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var exponent = 0
        while index < count, let digit = digitValue(bytes[index]) {
            if significant > 0 || digit != 0 {
                if significant < 19 { mantissa = mantissa &* 10 &+ UInt64(digit) } else { exponent += 1 }
                significant += 1
            }
            digits += 1
            index += 1
        }
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, let digit = digitValue(bytes[index]) {
                if significant > 0 || digit != 0 {
                    if significant < 19 {
                        mantissa = mantissa &* 10 &+ UInt64(digit)
                        exponent -= 1
                    }
                    significant += 1
                } else {
                    exponent -= 1
                }
                digits += 1
                index += 1
            }
        }
        guard digits > 0 else { return nil }
        if index < count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var exponentDigits = 0
            while index < count, let digit = digitValue(bytes[index]) {
                if written < 100_000 { written = written * 10 + digit }
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == count else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        if significant <= 19 && mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            let power = powersOfTen[exponent < 0 ? -exponent : exponent]
            let magnitude = exponent < 0 ? Double(mantissa) / power : Double(mantissa) * power
            return negative ? -magnitude : magnitude
        }
        guard let value = Double(string(bytes)), value.isFinite else { return nil }
        return value
    }

    /// An optionally signed decimal integer that fits in `Int64`.
    static func parseInt64(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        var negative = false
        if bytes.count > 0 && (bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+")) {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            guard let digit = digitValue(bytes[index]) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.addingReportingOverflow(Int64(digit))
            if overflow1 || overflow2 { return nil }
            value = next
            index += 1
        }
        return negative ? -value : value
    }

    @inline(__always)
    static func digitValue(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte &- 0x30) : nil
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
