import Foundation
import JSONScanning
import Randomness
import Testing

@Suite("JSON string literals")
struct JSONStringLiteralTests {
    @Test("quotes, backslashes and control characters are escaped; the rest is UTF-8")
    func escaping() {
        var output: [UInt8] = []
        JSONStringLiteral.append("a\"b\\c\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é😀/", to: &output)
        #expect(String(decoding: output, as: UTF8.self) == #""a\"b\\c\n\r\t\b\f\u0000\u001f"# + "\u{7F}é😀/\"")
        output.removeAll()
        JSONStringLiteral.append("", to: &output)
        #expect(output == Array(#""""#.utf8))
    }

    @Test("random strings come back from the scanner and from Foundation unchanged")
    func roundTrips() throws {
        var generator = RandomGenerator(seed: 0x57_21)
        let pieces = ["a", "\"", "\\", "/", "\n", "\u{0}", "\u{1B}", "\u{7F}", "é", "e\u{301}", "😀", "\u{2028}", " "]
        for _ in 0..<500 {
            let text = (0..<generator.nextInt(below: 12)).map { _ in pieces[generator.nextInt(below: pieces.count)] }
                .joined()
            var literal: [UInt8] = []
            JSONStringLiteral.append(text, to: &literal)
            #expect(try scan(literal).get() == .string(text), "\(text.debugDescription)")
            let foundation = try JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])
            #expect(foundation as? String == text, "\(text.debugDescription)")
        }
    }
}
