import Foundation
import Testing

@testable import EventData

@Suite("Byte-level number and text helpers")
struct ByteTextTests {
    private func double(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { ByteText.parseDouble(UnsafeRawBufferPointer($0)) }
    }

    @Test("decimal numbers parse exactly as the standard library does")
    func decimals() {
        for text in [
            "0", "-0", "12", "+7", "3.25", "-3.5", ".5", "7.", "1e3", "1E-3", "2.5e+2", "19.99", "0.1",
            "123456789012345678",
            "1234567890123456789012", "0.000000000000000000000000001", "9007199254740993", "4.9e-324",
            "1.7976931348623157e308",
        ] {
            #expect(double(text) == Double(text), "\(text)")
        }
    }

    @Test("anything that is not a plain decimal number is refused")
    func refusals() {
        for text in ["", "-", ".", "e5", "1e", "1e+", "12$", "1,5", "inf", "nan", "0x10", "1 2", "--1", "1e400"] {
            #expect(double(text) == nil, "\(text)")
        }
    }

    @Test("UTF-8 checks accept valid text and refuse broken sequences")
    func utf8() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { ByteText.isValidUTF8($0) } }
        #expect(valid(Array("plain ascii text, longer than eight bytes".utf8)))
        #expect(valid(Array("café 😀".utf8)))
        #expect(!valid([0x63, 0x61, 0x66, 0xE9]))
        #expect(!valid([0xC0, 0xAF]))
        #expect(!valid([0xED, 0xA0, 0x80]))
        #expect(!valid([0xF0, 0x9F, 0x98]))
    }
}
