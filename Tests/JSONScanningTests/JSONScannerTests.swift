import Foundation
import JSONScanning
import Testing

/// A scanned value as a tree, for comparisons (numbers as `Double`, booleans as 0 or 1,
/// object members in text order).
indirect enum Tree: Equatable {
    case object([Member])
    case array([Tree])
    case string(String)
    case number(Double)
    case null

    struct Member: Equatable {
        var key: String
        var value: Tree
    }

    init(_ value: JSONValue) {
        switch value.kind {
        case .object: self = .object(value.members.map { Member(key: $0.key.string, value: Tree($0.value)) })
        case .array: self = .array(value.elements.map(Tree.init))
        case .string: self = .string(value.string)
        case .number: self = .number(Double(value.string) ?? .nan)
        case .boolean: self = .number(value.boolean == true ? 1 : 0)
        case .null: self = .null
        }
    }

    /// What Foundation's `JSONSerialization` made of the same text (object keys sorted,
    /// since its dictionaries keep no order).
    init?(foundation value: Any) {
        switch value {
        case let dictionary as [String: Any]:
            var members: [Member] = []
            for key in dictionary.keys.sorted() {
                guard let dictionaryValue = dictionary[key], let tree = Tree(foundation: dictionaryValue) else {
                    return nil
                }
                members.append(Member(key: key, value: tree))
            }
            self = .object(members)
        case let array as [Any]:
            var elements: [Tree] = []
            for element in array {
                guard let tree = Tree(foundation: element) else { return nil }
                elements.append(tree)
            }
            self = .array(elements)
        case let string as String: self = .string(string)
        case let number as NSNumber: self = .number(number.doubleValue)
        case is NSNull: self = .null
        default: return nil
        }
    }

    /// The same tree with object members sorted by key.
    var sorted: Tree {
        switch self {
        case .object(let members):
            .object(members.map { Member(key: $0.key, value: $0.value.sorted) }.sorted { $0.key < $1.key })
        case .array(let elements): .array(elements.map(\.sorted))
        default: self
        }
    }

    /// Whether a number anywhere in the tree is beyond `Double`'s range.
    var hasInfiniteNumber: Bool {
        switch self {
        case .object(let members): members.contains { $0.value.hasInfiniteNumber }
        case .array(let elements): elements.contains(where: \.hasInfiniteNumber)
        case .number(let value): value.isInfinite
        case .string, .null: false
        }
    }

    /// Equal, with numbers equal to a relative 1e-9 (Foundation reads some through `Decimal`).
    func isClose(to other: Tree) -> Bool {
        switch (self, other) {
        case (.object(let lhs), .object(let rhs)):
            lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.key == $1.key && $0.value.isClose(to: $1.value) }
        case (.array(let lhs), .array(let rhs)):
            lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.isClose(to: $1) }
        case (.number(let lhs), .number(let rhs)):
            lhs == rhs || abs(lhs - rhs) <= 1e-9 * max(abs(lhs), abs(rhs))
        default: self == other
        }
    }
}

/// Scans `text` with a fresh scanner: the tree, or the error.
func scan(_ text: [UInt8], maximumDepth: Int = 64) -> Result<Tree, JSONScanError> {
    var scanner = JSONScanner(maximumDepth: maximumDepth)
    defer { scanner.deallocate() }
    return text.withUnsafeBytes { bytes in
        Result { () throws(JSONScanError) -> Tree in Tree(try scanner.scan(bytes).root) }
    }
}

func scan(_ text: String, maximumDepth: Int = 64) -> Result<Tree, JSONScanError> {
    scan(Array(text.utf8), maximumDepth: maximumDepth)
}

/// A scan error's parts, for comparisons.
struct Failure: Equatable {
    var problem: JSONScanError.Problem
    var offset: Int
    var isAtEnd: Bool
}

extension Failure {
    init(_ error: JSONScanError) {
        self.init(problem: error.problem, offset: error.offset, isAtEnd: error.isAtEnd)
    }
}

/// The error for `text`, or `nil` when it scans.
func scanError(_ text: String, maximumDepth: Int = 64) -> Failure? {
    guard case .failure(let error) = scan(text, maximumDepth: maximumDepth) else { return nil }
    return Failure(error)
}

@Suite("JSON scanner")
struct JSONScannerTests {
    @Test("values of every kind, whitespace, escapes and nesting")
    func values() throws {
        let text =
            #" {"a": [1, -2.5e3, 0, true, false, null], "b": {"c": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}, "": []} "#
        let tree = try scan(text).get()
        #expect(
            tree
                == .object([
                    .init(
                        key: "a",
                        value: .array([.number(1), .number(-2500), .number(0), .number(1), .number(0), .null])),
                    .init(key: "b", value: .object([.init(key: "c", value: .string("x\"\\/\u{8}\u{C}\n\r\té😀"))])),
                    .init(key: "", value: .array([])),
                ]))
        for scalar in ["0", "-0", "1.5", "\"s\"", "true", "null", "[]", "{}", " \t\r\n[ ]\n"] {
            #expect((try? scan(scalar).get()) != nil, "\(scalar)")
        }
    }

    @Test("strings without escapes point into the text; with escapes they are decoded")
    func stringBytes() throws {
        let text = Array(#"{"plain": "abc", "escaped": "a\nb"}"#.utf8)
        var scanner = JSONScanner(maximumDepth: 4)
        defer { scanner.deallocate() }
        try text.withUnsafeBytes { bytes in
            let members = Array(try scanner.scan(bytes).root.members)
            #expect(members.map(\.key.string) == ["plain", "escaped"])
            #expect(members[0].value.bytes.baseAddress == bytes.baseAddress.map { $0 + 11 })
            #expect(Array(members[1].value.bytes) == Array("a\nb".utf8))
            #expect(members[1].value.count == 0 && members[0].value.boolean == nil)
        }
    }

    @Test(
        "grammar errors say what and where",
        arguments: [
            ("", "expected a value (string, number, true, false, null, object or array)", 0, true),
            ("  ", "expected a value (string, number, true, false, null, object or array)", 2, true),
            ("{", "expected a quoted key", 1, true),
            (#"{"a" 1}"#, "expected ':' after the key", 5, false),
            (#"{"a":1,}"#, "expected a quoted key", 7, false),
            ("[1,]", "expected a value (string, number, true, false, null, object or array)", 3, false),
            ("[1 2]", "expected ',' or ']' after a value", 3, false),
            (#"{"a":1 "b":2}"#, "expected ',' or '}' after a value", 7, false),
            ("{} {}", "unexpected text after the object", 3, false),
            ("[] x", "unexpected text after the array", 3, false),
            ("1 2", "unexpected text after the value", 2, false),
            ("01", "unexpected text after the value", 1, false),
            ("-", "a number needs digits", 1, true),
            ("1.", "a number needs digits after '.'", 2, true),
            ("1e+", "a number needs digits in its exponent", 3, true),
            ("tru", "expected a value (string, number, true, false, null, object or array)", 0, false),
            ("nul", "expected a value (string, number, true, false, null, object or array)", 0, false),
            ("NaN", "expected a value (string, number, true, false, null, object or array)", 0, false),
            ("'a'", "expected a value (string, number, true, false, null, object or array)", 0, false),
            ("\"a", "a string is not closed", 2, true),
            ("\"a\\", "a string is not closed", 3, true),
            ("\"\u{1}\"", "a control character must be escaped inside a string", 1, false),
            (#""\x""#, #"unknown escape in a string (use \" \\ \/ \b \f \n \r \t or \uXXXX)"#, 2, false),
            (#""\u12g4""#, #"\u needs four hexadecimal digits"#, 5, false),
            (#""\ud800""#, #"a \u escape holds half of a surrogate pair"#, 7, false),
            (#""\ud800\u0041""#, #"a \u escape holds half of a surrogate pair"#, 13, false),
            (#""\udc00""#, #"a \u escape holds half of a surrogate pair"#, 7, false),
        ])
    func grammarErrors(text: String, words: String, offset: Int, isAtEnd: Bool) {
        #expect(
            scanError(text) == Failure(problem: .syntax(words), offset: offset, isAtEnd: isAtEnd),
            "\(text.debugDescription)")
    }

    @Test("nesting deeper than the limit is refused, without recursion")
    func nesting() {
        let limit = 16
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect((try? scan(deepest, maximumDepth: limit).get()) != nil)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(
            scanError(tooDeep, maximumDepth: limit)
                == Failure(
                    problem: .syntax("objects or arrays nest more than 16 levels deep"), offset: 16, isAtEnd: false))
        let objects = String(repeating: #"{"a":"#, count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(scanError(objects, maximumDepth: limit)?.offset == 5 * limit)
        // A million open brackets are refused at the limit, long before the end of the text.
        #expect(scanError(String(repeating: "[", count: 1_000_000), maximumDepth: 128)?.offset == 128)
    }

    @Test("strings must be UTF-8; other bytes above 0x7F are syntax errors")
    func utf8() throws {
        let invalid: [[UInt8]] = [
            [0xFF], [0xC3], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0x80], [0xE2, 0x82],
        ]
        for bytes in invalid {
            let text = Array(#"{"ok": "é", "k": "a"#.utf8) + bytes + Array(#"b"}"#.utf8)
            guard case .failure(let error) = scan(text) else {
                Issue.record("accepted \(bytes)")
                continue
            }
            #expect(Failure(error) == Failure(problem: .invalidUTF8, offset: 18, isAtEnd: false), "\(bytes)")
        }
        // Escaped text next to raw multi-byte characters, and the largest scalar.
        #expect(try scan(#"["é\n😀\u00e9", "\#u{10FFFF}"]"#).get() == .array([.string("é\n😀é"), .string("\u{10FFFF}")]))
        guard case .failure(let outside) = scan([0x5B, 0xC3, 0xA9, 0x5D]) else {
            Issue.record("accepted a non-ASCII byte outside a string")
            return
        }
        #expect(outside.problem == .syntax("expected a value (string, number, true, false, null, object or array)"))
    }

    @Test("a key named twice in any object is refused, at its second place")
    func duplicateKeys() {
        #expect(
            scanError(#"{"a": 1, "b": 2, "a": 3}"#)
                == Failure(problem: .duplicateKey("a"), offset: 17, isAtEnd: false))
        // Escapes are decoded before keys are compared.
        #expect(scanError(#"{"a": 1, "\u0061": 2}"#)?.problem == .duplicateKey("a"))
        #expect(scanError(#"[{"x": {"y": 1, "y": 2}}]"#)?.problem == .duplicateKey("y"))
        // The same key in different objects, and keys alike in length and ends, are fine.
        #expect(
            (try? scan(#"{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "ab": 1, "ba": 2, "axb": 3, "ayb": 4}"#).get())
                != nil)
        // Canonically equivalent keys differ in bytes: the scanner leaves them to its users.
        #expect((try? scan(#"{"\u00e9": 1, "e\u0301": 2}"#).get()) != nil)
    }

    @Test("large objects are checked by sorting, naming the earliest repetition")
    func duplicateKeysInLargeObjects() {
        let keys = (0..<200).map { "key\($0)" }
        let unique = "{" + keys.map { #""\#($0)": 0"# }.joined(separator: ",") + "}"
        #expect((try? scan(unique).get()) != nil)
        let repeated = keys + ["key150", "key7", "key7"]
        let text = "{" + repeated.map { #""\#($0)": 0"# }.joined(separator: ",") + "}"
        let offset = text.utf8.count - 1 - 2 * #","key7": 0"#.utf8.count - #""key150": 0"#.utf8.count
        #expect(scanError(text) == Failure(problem: .duplicateKey("key150"), offset: offset, isAtEnd: false))
    }

    @Test("values deeper than the recorded depth are checked, and kept as their container's text")
    func recordedDepth() throws {
        let text = Array(#"{"a": [1, {"b": "x\ny"}], "c": 3, "d": {}}"#.utf8)
        var scanner = JSONScanner(maximumDepth: 8, recordedDepth: 1)
        defer { scanner.deallocate() }
        try text.withUnsafeBytes { bytes in
            let members = Array(try scanner.scan(bytes).root.members)
            #expect(members.map(\.key.string) == ["a", "c", "d"])
            #expect(members[0].value.kind == .array && members[0].value.count == 2)
            #expect(members[0].value.string == #"[1, {"b": "x\ny"}]"#)
            #expect(Array(members[0].value.elements).isEmpty)
            #expect(members[1].value.unsignedInteger == 3 && members[2].value.string == "{}")
        }
        // Deeper values are still checked: grammar, UTF-8, repeated keys, nesting.
        for (bad, limit) in [(#"{"a": [1, {"b": tru}]}"#, 8), (#"{"a": [{"b": 1, "b": 2}]}"#, 8), ("[[[[1]]]]", 3)] {
            var shallow = JSONScanner(maximumDepth: limit, recordedDepth: 1)
            defer { shallow.deallocate() }
            let failed = Array(bad.utf8).withUnsafeBytes { bytes in
                Result { () throws(JSONScanError) in _ = try shallow.scan(bytes) }
            }
            #expect(throws: JSONScanError.self, "\(bad)") { try failed.get() }
        }
    }

    @Test("unsigned integers: plain digits that fit in UInt64")
    func unsignedIntegers() throws {
        let text = Array("[0, 42, 18446744073709551615, 18446744073709551616, -0, -1, 1.0, 1e2, \"7\", true]".utf8)
        var scanner = JSONScanner(maximumDepth: 4)
        defer { scanner.deallocate() }
        let values = try text.withUnsafeBytes { bytes in
            try scanner.scan(bytes).root.elements.map(\.unsignedInteger)
        }
        #expect(values == [0, 42, .max, nil, nil, nil, nil, nil, nil, nil])
    }

    @Test("kinds describe themselves with an article")
    func kindDescriptions() {
        #expect(
            [JSONKind.object, .array, .string, .number, .boolean, .null].map(\.description)
                == ["an object", "an array", "a string", "a number", "a boolean", "null"])
    }

    @Test("a reused scanner forgets the previous text")
    func reuse() throws {
        var scanner = JSONScanner(maximumDepth: 8)
        defer { scanner.deallocate() }
        for text in [#"{"a": "x\ny", "b": [1, 2]}"#, "[]", #"{"a": 1, "a": 2}"#, #"{"a": 1}"#] {
            let bytes = Array(text.utf8)
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(JSONScanError) -> Tree in Tree(try scanner.scan(raw).root) }
            }
            #expect(result == scan(text), "\(text)")
        }
    }
}
