/// Bytes as lowercase hexadecimal text and back: key files, digests and pseudonyms.
///
/// ```swift
/// HexText.encode([0x1f, 0xa0])     // "1fa0"
/// HexText.decode("1FA0")           // [0x1f, 0xa0]
/// HexText.decode("1g")             // nil
/// ```
public enum HexText {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lowercase hex digits, two per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of lowercase or uppercase hex text; nil for an odd length or a non-hex digit.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = value(characters[index]), let low = value(characters[index + 1]) else { return nil }
            result.append(high << 4 | low)
        }
        return result
    }

    /// Writes `bytes` as hex digits into `buffer` from `offset` (two per byte), without
    /// allocating: for hot paths that build strings in place.
    ///
    /// - Precondition: `buffer` has room for `2 * bytes.count` digits from `offset`.
    public static func write(
        _ bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int
    ) {
        precondition(
            offset + 2 * bytes.count <= buffer.count,
            "hex: \(bytes.count) bytes do not fit at \(offset) of \(buffer.count)")
        var position = offset
        for byte in bytes {
            buffer[position] = digits[Int(byte >> 4)]
            buffer[position + 1] = digits[Int(byte & 0x0f)]
            position += 2
        }
    }

    /// Whether `character` is one of `0-9a-f`.
    public static func isLowercaseDigit(_ character: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(character)
    }
}
