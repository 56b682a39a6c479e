import NIOCore

/// Rows in `COPY ... FROM STDIN` text format, cut into buffers of about 1 MiB: columns
/// separated by tabs, rows ended by newlines, backslash, tab, newline and carriage return
/// escaped, NULL as `\N`, `bytea` in hex. Write a row's columns in order, then ``endRow()``.
struct CopyText {
    private var full: [ByteBuffer] = []
    private var current = ByteBuffer()
    private var startsRow = true
    private static let bufferBytes = 1 << 20

    /// Every buffer, the last one partly filled.
    var buffers: [ByteBuffer] { current.readableBytes > 0 ? full + [current] : full }

    /// Ends the row.
    mutating func endRow() {
        current.writeInteger(UInt8(ascii: "\n"))
        startsRow = true
        if current.readableBytes >= Self.bufferBytes {
            full.append(current)
            current = ByteBuffer()
        }
    }

    private mutating func separate() {
        if !startsRow { current.writeInteger(UInt8(ascii: "\t")) }
        startsRow = false
    }

    /// A text column.
    mutating func text(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { bytes in
            // Most values need no escape and are written whole.
            guard bytes.contains(where: Self.needsEscape) else {
                current.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): writeEscaped(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"): writeEscaped(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): writeEscaped(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): writeEscaped(UInt8(ascii: "r"))
                default: current.writeInteger(byte)
                }
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    /// A backslash and `letter`.
    private mutating func writeEscaped(_ letter: UInt8) {
        current.writeInteger(UInt8(ascii: "\\"))
        current.writeInteger(letter)
    }

    /// A text column, or NULL.
    mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    /// An integer column, its decimal digits written straight into the buffer (no `String` per
    /// value: a batch has about ten integers a row).
    mutating func integer(_ value: some BinaryInteger) {
        separate()
        let number = Int64(value)
        if number < 0 { current.writeInteger(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            current.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[(20 - count)...]))
        }
    }

    /// A `double precision` column (NaN and infinities spelled as PostgreSQL reads them).
    mutating func double(_ value: Double) {
        separate()
        if value.isNaN {
            current.writeString("NaN")
        } else if value.isInfinite {
            current.writeString(value > 0 ? "Infinity" : "-Infinity")
        } else {
            current.writeString(String(value))
        }
    }

    /// A `double precision` column, or NULL.
    mutating func double(_ value: Double?) {
        if let value { double(value) } else { null() }
    }

    /// A `bytea` column, in hex (`\\x...`, the backslash escaped for the text format).
    mutating func bytes(_ value: some Sequence<UInt8>) {
        separate()
        current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")])
        let digits = Array("0123456789abcdef".utf8)
        for byte in value {
            current.writeInteger(digits[Int(byte >> 4)])
            current.writeInteger(digits[Int(byte & 15)])
        }
    }

    /// A NULL column.
    mutating func null() {
        separate()
        writeEscaped(UInt8(ascii: "N"))
    }
}
