/// What a JSON value is.
public enum JSONKind: UInt8, Sendable, BitwiseCopyable, CustomStringConvertible {
    case object, array, string, number, boolean, null

    /// The kind with an article ("an object", "a number", "null"), for messages.
    public var description: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .boolean: "a boolean"
        case .null: "null"
        }
    }
}

/// One value of a scanned text. The values of a text are stored in document order, each
/// container before what it holds, an object's members as key, value, key, value.
@usableFromInline
struct JSONNode: BitwiseCopyable {
    @usableFromInline var kind: JSONKind
    /// A string with escapes: its decoded bytes are in the scanner's scratch buffer.
    @usableFromInline var isDecoded = false
    /// Strings: the content between the quotes (in the text, or decoded in the scratch
    /// buffer). Other values: their text, brackets included.
    @usableFromInline var start: Int
    @usableFromInline var end: Int
    /// Containers: the number of members or elements.
    @usableFromInline var count = 0
    /// The index of the node after this value and everything inside it.
    @usableFromInline var next: Int
}

/// The result of ``JSONScanner/scan(_:)``: a view of the scanned text, valid until the
/// scanner scans again or is deallocated, and as long as the text's memory is.
public struct JSONDocument {
    @usableFromInline let text: UnsafeRawPointer
    @usableFromInline let nodes: UnsafePointer<JSONNode>
    @usableFromInline let scratch: UnsafePointer<UInt8>
    /// Where the top-level value starts in the text (after any whitespace).
    public let rootOffset: Int

    /// The top-level value.
    @inlinable
    public var root: JSONValue { JSONValue(document: self, index: 0) }
}

/// A value of a ``JSONDocument``; valid as long as its document is.
public struct JSONValue {
    @usableFromInline let document: JSONDocument
    @usableFromInline let index: Int

    @usableFromInline
    init(document: JSONDocument, index: Int) {
        self.document = document
        self.index = index
    }

    @inlinable
    var node: JSONNode { document.nodes[index] }

    /// What the value is.
    @inlinable
    public var kind: JSONKind { node.kind }

    /// Strings: the decoded content (valid UTF-8). Numbers, `true`, `false` and `null`: the
    /// text as written. Objects and arrays: their text as written, brackets included.
    @inlinable
    public var bytes: UnsafeRawBufferPointer {
        let node = self.node
        let base = node.isDecoded ? UnsafeRawPointer(document.scratch) : document.text
        return UnsafeRawBufferPointer(start: base + node.start, count: node.end - node.start)
    }

    /// ``bytes`` as a `String`.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The number of members of an object or elements of an array (recorded or not); 0 for
    /// other values.
    @inlinable
    public var count: Int { node.count }

    /// A `true` or `false` literal's value, otherwise `nil`.
    public var boolean: Bool? {
        guard kind == .boolean else { return nil }
        return bytes.first == UInt8(ascii: "t")
    }

    /// The value of a number written as plain digits (no sign, fraction or exponent) that
    /// fits in `UInt64`, otherwise `nil`. Like the reference safetensors reader, `-0` is not one.
    public var unsignedInteger: UInt64? {
        guard kind == .number else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }

    /// An object's members in text order (none for other values, nor for an object deeper
    /// than the scanner's `recordedDepth`, whose text alone is recorded).
    @inlinable
    public var members: JSONMembers {
        let node = self.node
        let end = node.kind == .object ? node.next : index + 1
        return JSONMembers(JSONSiblings(document: document, index: index + 1, end: end))
    }

    /// An array's elements in text order (none for other values, nor for an array deeper
    /// than the scanner's `recordedDepth`, whose text alone is recorded).
    @inlinable
    public var elements: JSONElements {
        let node = self.node
        let end = node.kind == .array ? node.next : index + 1
        return JSONElements(JSONSiblings(document: document, index: index + 1, end: end))
    }

    /// The first key of an object that equals an earlier key as a Swift `String` though not
    /// byte for byte (canonically equivalent Unicode: `"caf\u00e9"` and `"cafe\u0301"`), or
    /// nil. The scanner refuses keys repeated byte for byte; readers that turn keys into
    /// `String`s, as dictionary keys or property names, check this too. Objects whose keys are
    /// all ASCII are passed without allocating: distinct ASCII strings never compare equal.
    public var keyRepeatedAsString: String? {
        guard members.contains(where: { member in member.key.bytes.contains { $0 >= 0x80 } }) else { return nil }
        var names = Set<String>()
        for (key, _) in members where !names.insert(key.string).inserted { return key.string }
        return nil
    }

    /// The value of an object's member whose key is `key` (compared byte for byte), or `nil`.
    public func member(_ key: String) -> JSONValue? {
        var key = key
        return key.withUTF8 { wanted in
            members.first { $0.key.bytes.elementsEqual(UnsafeRawBufferPointer(wanted)) }?.value
        }
    }
}

/// The values directly inside a container, in text order: an object's keys and values
/// alternate.
@usableFromInline
struct JSONSiblings {
    @usableFromInline let document: JSONDocument
    @usableFromInline var index: Int
    @usableFromInline let end: Int

    @usableFromInline
    init(document: JSONDocument, index: Int, end: Int) {
        self.document = document
        self.index = index
        self.end = end
    }

    @inlinable
    mutating func next() -> JSONValue? {
        guard index < end else { return nil }
        let value = JSONValue(document: document, index: index)
        index = document.nodes[index].next
        return value
    }
}

/// The members of an object, as key and value.
public struct JSONMembers: Sequence, IteratorProtocol {
    @usableFromInline var siblings: JSONSiblings

    @usableFromInline
    init(_ siblings: JSONSiblings) { self.siblings = siblings }

    /// The next member, or `nil` after the last.
    @inlinable
    public mutating func next() -> (key: JSONValue, value: JSONValue)? {
        guard let key = siblings.next(), let value = siblings.next() else { return nil }
        return (key, value)
    }
}

/// The elements of an array.
public struct JSONElements: Sequence, IteratorProtocol {
    @usableFromInline var siblings: JSONSiblings

    @usableFromInline
    init(_ siblings: JSONSiblings) { self.siblings = siblings }

    /// The next element, or `nil` after the last.
    @inlinable
    public mutating func next() -> JSONValue? { siblings.next() }
}
