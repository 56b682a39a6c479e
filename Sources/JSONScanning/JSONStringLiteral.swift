/// Writing a `String` as a JSON string literal: the inverse of the scanner's string decoding,
/// shared by every JSON writer of the package (safetensors headers, event properties, the
/// simulator's JSON Lines).
public enum JSONStringLiteral {
    /// Appends `text` in double quotes, escaping `"`, `\` and the control characters U+0000
    /// to U+001F (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`); every other character is
    /// written as its UTF-8 bytes.
    public static func append(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            // Two or six bytes appended one by one: an array literal here would allocate per
            // escaped character, and this runs for every property of every ingested row.
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case 0x0A: appendEscape(UInt8(ascii: "n"), to: &output)
            case 0x0D: appendEscape(UInt8(ascii: "r"), to: &output)
            case 0x09: appendEscape(UInt8(ascii: "t"), to: &output)
            case 0x08: appendEscape(UInt8(ascii: "b"), to: &output)
            case 0x0C: appendEscape(UInt8(ascii: "f"), to: &output)
            case 0x00..<0x20:
                appendEscape(UInt8(ascii: "u"), to: &output)
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "0"))
                output.append(hexDigit(byte >> 4))
                output.append(hexDigit(byte & 0x0F))
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ letter: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(letter)
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
