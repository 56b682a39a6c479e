import Foundation
import JSONScanning
import TestSupport
import Testing

/// The scanner against Foundation's `JSONSerialization` on seeded mutations of JSON texts:
/// what the scanner accepts, Foundation reads to the same values; what the scanner refuses,
/// Foundation refuses too, except for the checks Foundation does not make.
@Suite("JSON scanner against Foundation")
struct JSONScannerFoundationTests {
    static let seeds: [[UInt8]] = [
        #"{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "__metadata__": {"format": "pt"}}"#,
        #"{"user_id": "u1", "timestamp": 1709296200000, "event_type": "View", "item_id": null, "value": -2.5e-3}"#,
        #"[true, false, null, 0, -0, 1.5E+3, "a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "é😀", {}, []]"#,
        #" {"a": [[1, [2, {"b": [3]}]]], "c": {"d": {"e": "f"}}} "#,
    ].map { Array($0.utf8) }

    static let tokens: [[UInt8]] =
        ByteMutator.textTokens
        + [
            "{", "}", "[", "]", ":", ",", "\"", "\\", #"\u"#, #"\ud83d"#, #"\ude00"#, #"\u0000"#, "true", "false",
            "null", "-", "0", "1e5", ".5", "E", "  ", #""a""#, #""a":1"#,
        ].map { Array($0.utf8) }

    @Test("the scanner and JSONSerialization agree on mutated texts")
    func mutatedTexts() {
        var mutator = ByteMutator(seed: FuzzBudget.seed(0x15_0A), tokens: Self.tokens, maximumCount: 1024)
        var accepted = 0
        var refused = 0
        for _ in 0..<FuzzBudget.iterations(4000) {
            let input = mutator.next(from: Self.seeds)
            let shown = { String(decoding: input, as: UTF8.self).debugDescription }
            let reference = Self.foundationTree(input)
            switch scan(input, maximumDepth: 64) {
            case .success(let tree):
                accepted += 1
                if Self.containsByteOrderMark(input) { continue }
                guard let reference else {
                    // Foundation refuses numbers beyond Double's range; JSON's grammar does not.
                    #expect(tree.hasInfiniteNumber, "Foundation refuses what the scanner accepts: \(shown())")
                    continue
                }
                #expect(tree.sorted.isClose(to: reference), "\(shown())")
            case .failure(let error):
                refused += 1
                if reference != nil && !Self.foundationSkipsCheck(for: error, input: input)
                    && !Self.containsByteOrderMark(input)
                {
                    Issue.record("the scanner refuses (\(error)) what Foundation accepts: \(shown())")
                }
            }
        }
        // Both paths must be exercised.
        #expect(accepted > 100 && refused > 1000, "\(accepted) accepted, \(refused) refused")
    }

    /// What Foundation reads from `input`, or `nil` when it refuses it.
    static func foundationTree(_ input: [UInt8]) -> Tree? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]) else {
            return nil
        }
        return Tree(foundation: value)
    }

    /// Refusals that are the scanner's own rules: repeated keys (Foundation keeps one value),
    /// nesting beyond 64 levels (Foundation allows 512) and a comma before `]` or `}`
    /// (Foundation accepts it; RFC 8259 does not).
    static func foundationSkipsCheck(for error: JSONScanError, input: [UInt8]) -> Bool {
        switch error.problem {
        case .duplicateKey: return true
        case .invalidUTF8: return false
        case .syntax(let words):
            if words.hasPrefix("objects or arrays nest more than") { return true }
            guard error.offset < input.count,
                input[error.offset] == UInt8(ascii: "]") || input[error.offset] == UInt8(ascii: "}")
            else { return false }
            let before = input[..<error.offset].last { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            return before == UInt8(ascii: ",")
        }
    }

    /// Foundation skips a byte order mark before the text and drops U+FEFF inside strings;
    /// the scanner refuses the first (as RFC 8259 allows) and keeps the second.
    static func containsByteOrderMark(_ input: [UInt8]) -> Bool {
        input.indices.dropLast(2).contains { input[$0] == 0xEF && input[$0 + 1] == 0xBB && input[$0 + 2] == 0xBF }
    }
}
