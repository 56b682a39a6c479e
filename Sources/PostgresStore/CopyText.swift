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
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\\"): current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\t"): current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case UInt8(ascii: "\n"): current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: current.writeInteger(byte)
                }
            }
        }
    }

    /// A text column, or NULL.
    mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    /// An integer column.
    mutating func integer(_ value: some BinaryInteger) {
        separate()
        current.writeString(String(value))
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
        current.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "N")])
    }
}
