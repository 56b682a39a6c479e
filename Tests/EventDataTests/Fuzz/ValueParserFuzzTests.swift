import Foundation
import TestSupport
import Testing

@testable import EventData

/// Seeded fuzzing of the digit-level parsers behind timestamps, values and durations.
@Suite("Value parser fuzzing")
struct ValueParserFuzzTests {
    static let timestampSeeds = [
        "1709296200", "1709296200.25", "-1709296200", "1709296200250", "+17E8", "1.7e9", "0", ".5",
        "999999999999999999", "2024-03-01T12:30:00Z", "2024-03-01 12:30:00.5+02:00", "2024-02-29", "2024-03-01T12:30",
        "2024-03-01t12:30:00,123456-0530", " 2024-12-31 23:59:60 Z ", "1970-01-01T00:00:00+23:59", "0000-01-01",
        "9999-12-31T23:59:59.999-23:59",
    ].map { Array($0.utf8) }

    static let tokens =
        ByteMutator.textTokens + ["-", ":", "T", "Z", ".", "e", "E", " ", "+", "00", "12"].map { Array($0.utf8) }

    @Test("timestamps: auto agrees with the explicit units, integers and padding read as documented")
    func timestamps() {
        var mutator = ByteMutator(seed: FuzzBudget.seed(0x71E5), tokens: Self.tokens, maximumCount: 64)
        // Year 0 to the end of year 9999, with a day of slack for offsets.
        let earliest: Int64 = -62_167_219_200_000 - 86_400_000
        let latest: Int64 = 253_402_300_800_000 + 86_400_000
        for _ in 0..<FuzzBudget.iterations(5000) {
            let bytes = mutator.next(from: Self.timestampSeeds)
            let shown = String(decoding: bytes, as: UTF8.self).debugDescription
            let results = bytes.withUnsafeBytes { raw in
                TimestampUnit.allCases.map { TimestampParser.parse(raw, unit: $0) }
            }
            let (auto, seconds, milliseconds, iso) = (results[0], results[1], results[2], results[3])
            if let auto {
                #expect(auto == seconds || auto == milliseconds || auto == iso, "\(shown)")
            } else {
                #expect(seconds == nil && milliseconds == nil && iso == nil, "\(shown)")
            }
            if let iso { #expect(iso >= earliest && iso <= latest, "\(shown)") }
            let padded = [0x20, 0x09] + bytes + [0x09, 0x20]
            let paddedResults = padded.withUnsafeBytes { raw in
                TimestampUnit.allCases.map { TimestampParser.parse(raw, unit: $0) }
            }
            #expect(paddedResults == results, "padded \(shown)")
            let text = String(decoding: bytes, as: UTF8.self)
            if text.utf8.elementsEqual(bytes), let integer = Int64(text),
                text.filter(\.isNumber).count <= 18
            {
                let (scaled, overflow) = integer.multipliedReportingOverflow(by: 1000)
                #expect(milliseconds == integer, "\(shown)")
                #expect(seconds == (overflow ? nil : scaled), "\(shown)")
            }
        }
    }

    @Test("numbers: whatever the fast parser accepts, the standard library reads the same")
    func numbers() {
        let seeds = [
            "12", "-3.5", ".5", "1e-3", "+7.", "123456789012345678901234567890", "0.1", "1.7976931348623157e308",
            "4.9e-324", "9007199254740993", "-0", "00012.5000", "1e22", "1e23", "123456789.123456789e-12",
        ].map { Array($0.utf8) }
        var mutator = ByteMutator(seed: FuzzBudget.seed(0x0D0B1E), tokens: Self.tokens, maximumCount: 64)
        for _ in 0..<FuzzBudget.iterations(5000) {
            let bytes = mutator.next(from: seeds)
            guard let value = bytes.withUnsafeBytes({ ByteText.parseDouble($0) }) else { continue }
            let shown = String(decoding: bytes, as: UTF8.self).debugDescription
            #expect(value.isFinite, "\(shown)")
            let reference = Double(String(decoding: bytes, as: UTF8.self))
            #expect(reference == value, "\(shown): \(value) vs \(String(describing: reference))")
        }
    }
}
