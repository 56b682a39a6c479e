import FileIO
import Foundation

/// A named collection of float tensors in the safetensors format.
///
/// A safetensors file, as written by PyTorch and Hugging Face tools, is laid out as
///
/// 1. an 8-byte little-endian `UInt64` *N*;
/// 2. *N* bytes of UTF-8 JSON mapping each tensor name to
///    `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`, plus an optional
///    `"__metadata__"` object of string values, possibly padded with trailing spaces;
/// 3. the tensors' raw little-endian elements, row-major, each at `begin..<end` relative
///    to the first byte after the header. Tensors cover this section contiguously,
///    without overlaps or gaps.
///
/// Decoding validates all of this and throws ``CheckpointError`` rather than trapping on
/// a bad file. It accepts the dtypes `F32` (exact), `F64`, `F16`, `BF16`, `I64`, `I32`,
/// `I16`, `I8`, `U64`, `U32`, `U16`, `U8` and `BOOL`, converting every element to `Float`:
/// `F64` values are rounded to the nearest `Float` (and become ±infinity beyond its range),
/// and integers of magnitude above 2^24 (16,777,216) are rounded to the nearest `Float`,
/// so large `I64`, `I32`, `U64` and `U32` values, such as token ids or step counters,
/// lose precision. `BOOL` becomes 0 or 1 (any non-zero byte counts as true).
///
/// Encoding always writes `F32`, tensors sorted by name, the header padded with spaces
/// so that the data starts at a multiple of 8 bytes, and metadata (when not empty)
/// first: the same layout that `safetensors.torch.save_file` produces.
public struct SafeTensorsArchive: Sendable, Equatable {
    /// One tensor: its shape and its elements in row-major order.
    public struct Entry: Sendable, Equatable {
        /// The size of each dimension; `[]` for a scalar.
        public var shape: [Int]
        /// The elements in row-major order; `values.count` should be the product of
        /// `shape` (1 for a scalar, 0 when any dimension is 0).
        public var values: [Float]

        /// Creates a tensor; `values.count` should equal the product of `shape`.
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The tensors, by name.
    public var entries: [String: Entry]
    /// Free-form string metadata, stored under `"__metadata__"` in the header.
    public var metadata: [String: String]

    /// Creates an archive from tensors and metadata.
    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// Decodes an archive from the bytes of a safetensors file.
    ///
    /// - Throws: ``CheckpointError/malformed(path:reason:)`` when the bytes break the
    ///   format, or ``CheckpointError/unsupportedDType(name:dtype:path:)`` for a tensor
    ///   whose dtype cannot be converted to `Float`. The errors' path is `nil`.
    public init(data: Data) throws(CheckpointError) {
        try self.init(data: data, path: nil)
    }

    /// Reads and decodes the safetensors file at `url`.
    ///
    /// - Throws: ``CheckpointError/io(path:message:)`` when the file cannot be read, and
    ///   otherwise the errors of ``init(data:)`` with the file's path attached.
    public init(contentsOf url: URL) throws(CheckpointError) {
        guard url.isFileURL else {
            throw .io(path: url.absoluteString, message: "only file URLs can be read")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .io(path: url.path, message: FileError.describe(error))
        }
        try self.init(data: data, path: url.path)
    }

    /// Decodes `data`, attributing any error to `path`.
    init(data: Data, path: String?) throws(CheckpointError) {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(CheckpointError) -> SafeTensorsArchive in
                try decodeArchive(from: bytes, path: path)
            }
        }
        self = try result.get()
    }

    /// Checks that the archive can be encoded: every shape has non-negative dimensions
    /// and as many elements as its entry has values, and no tensor is named
    /// `"__metadata__"`.
    ///
    /// - Throws: ``CheckpointError/malformed(path:reason:)`` (path `nil`) naming the first
    ///   offending tensor in name order.
    public func validate() throws(CheckpointError) {
        if let problem = encodingProblem() {
            throw .malformed(path: nil, reason: problem)
        }
    }

    /// The archive in safetensors format: `F32` little-endian data, tensors sorted by
    /// name, the header padded with spaces to a multiple of 8 bytes. Equal archives
    /// always encode to identical bytes.
    ///
    /// - Precondition: The archive is valid (see ``validate()``); an entry whose value
    ///   count does not match its shape is a programming error and stops the program.
    ///   ``write(to:)`` checks this and throws instead.
    public func encoded() -> Data {
        if let problem = encodingProblem() {
            fatalError("SafeTensorsArchive.encoded(): \(problem.description)")
        }
        let sortedEntries = entries.sorted { utf8Precedes($0.key, $1.key) }

        var header: [UInt8] = [UInt8(ascii: "{")]
        var needsComma = false
        if !metadata.isEmpty {
            appendJSONString(safeTensorsMetadataKey, to: &header)
            header.append(UInt8(ascii: ":"))
            header.append(UInt8(ascii: "{"))
            for (index, item) in metadata.sorted(by: { utf8Precedes($0.key, $1.key) }).enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                appendJSONString(item.key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendJSONString(item.value, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var dataByteCount = 0
        for (name, entry) in sortedEntries {
            let byteCount = entry.values.count * MemoryLayout<Float>.size
            if needsComma { header.append(UInt8(ascii: ",")) }
            needsComma = true
            appendJSONString(name, to: &header)
            header.append(contentsOf: #":{"dtype":"F32","shape":["#.utf8)
            header.append(contentsOf: entry.shape.map(String.init).joined(separator: ",").utf8)
            header.append(contentsOf: #"],"data_offsets":["#.utf8)
            header.append(contentsOf: "\(dataByteCount),\(dataByteCount + byteCount)]}".utf8)
            dataByteCount += byteCount
        }
        header.append(UInt8(ascii: "}"))
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var data = Data(count: 8 + header.count + dataByteCount)
        data.withUnsafeMutableBytes { (output: UnsafeMutableRawBufferPointer) in
            output.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            header.withUnsafeBytes { headerBytes in
                UnsafeMutableRawBufferPointer(rebasing: output[8..<(8 + header.count)])
                    .copyMemory(from: headerBytes)
            }
            var offset = 8 + header.count
            for (_, entry) in sortedEntries where !entry.values.isEmpty {
                let values = entry.values
                let target = UnsafeMutableRawBufferPointer(
                    rebasing: output[offset..<(offset + values.count * MemoryLayout<Float>.size)])
                #if _endian(little)
                    values.withUnsafeBytes { target.copyMemory(from: $0) }
                #else
                    for (index, value) in values.enumerated() {
                        target.storeBytes(
                            of: value.bitPattern.littleEndian,
                            toByteOffset: index * MemoryLayout<Float>.size,
                            as: UInt32.self)
                    }
                #endif
                offset += target.count
            }
        }
        return data
    }

    /// Encodes the archive and writes it to `url` atomically: readers see either the old
    /// file or the complete new one, never a partial write.
    ///
    /// - Throws: ``CheckpointError/malformed(path:reason:)`` when the archive is invalid
    ///   (see ``validate()``), or ``CheckpointError/io(path:message:)`` when writing fails.
    public func write(to url: URL) throws(CheckpointError) {
        guard url.isFileURL else {
            throw .io(path: url.absoluteString, message: "only file URLs can be written")
        }
        if let problem = encodingProblem() {
            throw .malformed(path: url.path, reason: problem)
        }
        do {
            try encoded().write(to: url, options: .atomic)
        } catch {
            throw .io(path: url.path, message: FileError.describe(error))
        }
    }

    /// The first reason, in name order, that the archive cannot be encoded.
    private func encodingProblem() -> CheckpointError.Malformation? {
        for (name, entry) in entries.sorted(by: { utf8Precedes($0.key, $1.key) }) {
            if name == safeTensorsMetadataKey {
                return .reservedName(name)
            }
            if let index = entry.shape.firstIndex(where: { $0 < 0 }) {
                return .invalidDimension(tensor: name, index: index, value: String(entry.shape[index]))
            }
            guard let count = safeTensorsElementCount(of: entry.shape, elementSize: MemoryLayout<Float>.size) else {
                return .elementCountOverflow(tensor: name, shape: entry.shape)
            }
            if count != entry.values.count {
                return .valueCountMismatch(tensor: name, shape: entry.shape, valueCount: entry.values.count)
            }
        }
        return nil
    }
}

// MARK: - Decoding

/// The header key under which safetensors stores free-form metadata.
private let safeTensorsMetadataKey = "__metadata__"

/// The element types that can be decoded, named as in safetensors headers.
private enum SafeTensorsDType: String {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// A validated header entry.
private struct SafeTensorsLayout {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    var elementCount: Int
    var begin: Int
    var end: Int
}

/// Decodes a whole safetensors file held in `bytes`.
private func decodeArchive(
    from bytes: UnsafeRawBufferPointer, path: String?
) throws(CheckpointError) -> SafeTensorsArchive {
    func malformed(_ reason: CheckpointError.Malformation) -> CheckpointError {
        .malformed(path: path, reason: reason)
    }

    guard bytes.count >= 8 else {
        throw malformed(.fileTooShort(byteCount: bytes.count))
    }
    let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    let available = bytes.count - 8
    guard headerLength <= UInt64(available) else {
        throw malformed(.headerLengthExceedsFile(headerLength: headerLength, availableBytes: available))
    }
    let dataStart = 8 + Int(headerLength)
    let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
    let dataBytes = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])

    let root: HeaderJSONValue
    do throws(HeaderJSONParser.Failure) {
        root = try HeaderJSONParser.parse(headerBytes)
    } catch {
        switch error {
        case .syntax(let detail): throw malformed(.invalidHeaderJSON(detail: detail))
        case .duplicateKey(let key): throw malformed(.duplicateKey(key))
        }
    }
    guard case .object(let members) = root else {
        throw malformed(.headerNotObject(found: root.kindDescription))
    }

    var metadata: [String: String] = [:]
    var layouts: [SafeTensorsLayout] = []
    layouts.reserveCapacity(members.count)
    for (name, value) in members {
        if name == safeTensorsMetadataKey {
            metadata = try decodeMetadata(value, path: path)
        } else {
            layouts.append(try decodeLayout(name: name, value: value, dataByteCount: dataBytes.count, path: path))
        }
    }

    // The tensors must tile the data section: sorted by offset, each begins where the
    // previous one ends, and the last ends at the end of the file.
    let ordered = layouts.sorted {
        ($0.begin, $0.end) != ($1.begin, $1.end)
            ? ($0.begin, $0.end) < ($1.begin, $1.end)
            : utf8Precedes($0.name, $1.name)
    }
    var cursor = 0
    var previousName = ""
    for layout in ordered {
        if layout.begin < cursor {
            throw malformed(.overlappingData(tensor: layout.name, other: previousName))
        }
        if layout.begin > cursor {
            throw malformed(.gapInData(tensor: layout.name, expectedOffset: cursor, actualOffset: layout.begin))
        }
        cursor = layout.end
        previousName = layout.name
    }
    if cursor != dataBytes.count {
        throw malformed(.unreferencedTrailingBytes(count: dataBytes.count - cursor))
    }

    var entries: [String: SafeTensorsArchive.Entry] = [:]
    entries.reserveCapacity(layouts.count)
    for layout in layouts {
        let region = UnsafeRawBufferPointer(rebasing: dataBytes[layout.begin..<layout.end])
        let values = decodeValues(of: layout, from: region)
        entries[layout.name] = SafeTensorsArchive.Entry(shape: layout.shape, values: values)
    }
    return SafeTensorsArchive(entries: entries, metadata: metadata)
}

/// Decodes the `__metadata__` object; `null` counts as no metadata.
private func decodeMetadata(_ value: HeaderJSONValue, path: String?) throws(CheckpointError) -> [String: String] {
    switch value {
    case .null:
        return [:]
    case .object(let members):
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw .malformed(
                    path: path,
                    reason: .invalidMetadata(
                        detail: "the value of \"\(key)\" is \(value.kindDescription)"))
            }
            metadata[key] = text
        }
        return metadata
    default:
        throw .malformed(path: path, reason: .invalidMetadata(detail: "it is \(value.kindDescription)"))
    }
}

/// Validates one tensor entry of the header against a data section of `dataByteCount` bytes.
private func decodeLayout(
    name: String, value: HeaderJSONValue, dataByteCount: Int, path: String?
) throws(CheckpointError) -> SafeTensorsLayout {
    func malformed(_ reason: CheckpointError.Malformation) -> CheckpointError {
        .malformed(path: path, reason: reason)
    }

    guard case .object(let fields) = value else {
        throw malformed(.entryNotObject(tensor: name, found: value.kindDescription))
    }
    func field(_ key: String) throws(CheckpointError) -> HeaderJSONValue {
        guard let value = fields.first(where: { $0.key == key })?.value else {
            throw malformed(.missingField(tensor: name, field: key))
        }
        return value
    }
    let dtypeValue = try field("dtype")
    let shapeValue = try field("shape")
    let offsetsValue = try field("data_offsets")

    guard case .string(let dtypeName) = dtypeValue else {
        throw malformed(
            .invalidField(
                tensor: name, field: "dtype",
                detail: "expected a string such as \"F32\" but found \(dtypeValue.kindDescription)"))
    }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
        throw .unsupportedDType(name: name, dtype: dtypeName, path: path)
    }

    guard case .array(let dimensions) = shapeValue else {
        throw malformed(
            .invalidField(
                tensor: name, field: "shape",
                detail: "expected an array of non-negative integers but found \(shapeValue.kindDescription)"))
    }
    var shape: [Int] = []
    shape.reserveCapacity(dimensions.count)
    for (index, dimension) in dimensions.enumerated() {
        guard case .number(let number) = dimension,
            let size = number.nonNegativeInteger, size <= UInt64(Int.max)
        else {
            throw malformed(.invalidDimension(tensor: name, index: index, value: dimension.briefDescription))
        }
        shape.append(Int(size))
    }

    guard case .array(let offsets) = offsetsValue, offsets.count == 2,
        case .number(let beginNumber) = offsets[0], let begin = beginNumber.nonNegativeInteger,
        case .number(let endNumber) = offsets[1], let end = endNumber.nonNegativeInteger
    else {
        throw malformed(
            .invalidField(
                tensor: name, field: "data_offsets",
                detail: "expected two non-negative integers [begin, end] but found \(offsetsValue.briefDescription)"))
    }
    guard begin <= end else {
        throw malformed(.offsetsReversed(tensor: name, begin: begin, end: end))
    }
    guard end <= UInt64(dataByteCount) else {
        throw malformed(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataByteCount: dataByteCount))
    }

    guard let count = safeTensorsElementCount(of: shape, elementSize: dtype.byteSize) else {
        throw malformed(.elementCountOverflow(tensor: name, shape: shape))
    }
    let byteCount = count * dtype.byteSize
    guard UInt64(byteCount) == end - begin else {
        throw malformed(
            .byteCountMismatch(
                tensor: name, dtype: dtypeName, shape: shape, expected: byteCount, actual: end - begin))
    }
    return SafeTensorsLayout(
        name: name, dtype: dtype, shape: shape, elementCount: count, begin: Int(begin), end: Int(end))
}

/// The number of elements of `shape`, or `nil` if the elements would take more than
/// `Int.max` bytes at `elementSize` bytes each. Dimensions must be non-negative.
private func safeTensorsElementCount(of shape: [Int], elementSize: Int) -> Int? {
    if shape.contains(0) { return 0 }
    var count = 1
    for dimension in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    let (_, overflow) = count.multipliedReportingOverflow(by: elementSize)
    return overflow ? nil : count
}

/// Converts the elements of a validated tensor, stored in `region`, to `Float`.
private func decodeValues(of layout: SafeTensorsLayout, from region: UnsafeRawBufferPointer) -> [Float] {
    let count = layout.elementCount
    switch layout.dtype {
    case .f32:
        #if _endian(little)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
                if count > 0 {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: region)
                }
                initializedCount = count
            }
        #else
            return convertElements(region, count: count, as: UInt32.self) { Float(bitPattern: $0) }
        #endif
    case .f64:
        return convertElements(region, count: count, as: UInt64.self) { Float(Double(bitPattern: $0)) }
    case .f16:
        return convertElements(region, count: count, as: UInt16.self, floatFromHalfBits)
    case .bf16:
        return convertElements(region, count: count, as: UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case .i64:
        return convertElements(region, count: count, as: Int64.self) { Float($0) }
    case .i32:
        return convertElements(region, count: count, as: Int32.self) { Float($0) }
    case .i16:
        return convertElements(region, count: count, as: Int16.self) { Float($0) }
    case .i8:
        return convertElements(region, count: count, as: Int8.self) { Float($0) }
    case .u64:
        return convertElements(region, count: count, as: UInt64.self) { Float($0) }
    case .u32:
        return convertElements(region, count: count, as: UInt32.self) { Float($0) }
    case .u16:
        return convertElements(region, count: count, as: UInt16.self) { Float($0) }
    case .u8:
        return convertElements(region, count: count, as: UInt8.self) { Float($0) }
    case .bool:
        // Like PyTorch and NumPy, any non-zero byte is true.
        return convertElements(region, count: count, as: UInt8.self) { $0 == 0 ? 0 : 1 }
    }
}

/// Reads `count` little-endian `Element`s from `region` (which holds at least that many,
/// at any alignment) and converts each with `transform`.
@inline(__always)
private func convertElements<Element: FixedWidthInteger>(
    _ region: UnsafeRawBufferPointer, count: Int, as _: Element.Type, _ transform: (Element) -> Float
) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initializedCount in
        let stride = MemoryLayout<Element>.size
        for index in 0..<count {
            let raw = region.loadUnaligned(fromByteOffset: index * stride, as: Element.self)
            buffer[index] = transform(Element(littleEndian: raw))
        }
        initializedCount = count
    }
}

/// Converts the bits of an IEEE 754 half-precision number to `Float`, exactly (including
/// subnormals, infinities and NaN payloads). Portable where `Float16` is unavailable.
private func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}

// MARK: - JSON

/// Whether `lhs` sorts before `rhs` by UTF-8 bytes, the order Rust's safetensors uses.
private func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

/// Appends `text` as a JSON string literal, escaping quotes, backslashes and control characters.
private func appendJSONString(_ text: String, to output: inout [UInt8]) {
    let hexDigits = Array("0123456789abcdef".utf8)
    output.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x00..<0x20:
            output.append(contentsOf: "\\u00".utf8)
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        default: output.append(byte)
        }
    }
    output.append(UInt8(ascii: "\""))
}

/// A parsed JSON value. Objects keep their members in file order.
private enum HeaderJSONValue {
    case object([(key: String, value: HeaderJSONValue)])
    case array([HeaderJSONValue])
    case string(String)
    case number(HeaderJSONNumber)
    case bool(Bool)
    case null

    /// The kind of value, with an article, for error messages.
    var kindDescription: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// A short rendering for error messages: scalars in full, containers abbreviated.
    var briefDescription: String {
        switch self {
        case .object: return "an object"
        case .array(let elements):
            guard elements.count <= 4 else { return "an array of \(elements.count) elements" }
            return "[" + elements.map(\.briefDescription).joined(separator: ", ") + "]"
        case .string(let text):
            return text.count <= 40 ? "\"\(text)\"" : "a string"
        case .number(let number): return number.text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// A JSON number, kept as its source text plus its value if it is an integer.
private struct HeaderJSONNumber {
    /// The number as written, such as `"-2"` or `"2.5e3"`.
    var text: String
    /// Whether the literal starts with a minus sign.
    var isNegative: Bool
    /// Whether the literal has neither a fraction nor an exponent.
    var isInteger: Bool
    /// The absolute value of the integer part, or `nil` if it exceeds `UInt64.max`.
    var magnitude: UInt64?

    /// The value, if it is an integer literal in `0...UInt64.max` without a sign. (Like
    /// the reference Rust reader, whose JSON parser reads `-0` as a float, this rejects `-0`.)
    var nonNegativeInteger: UInt64? {
        guard isInteger, !isNegative else { return nil }
        return magnitude
    }
}

/// A strict RFC 8259 JSON parser over raw bytes, with a nesting limit and duplicate-key
/// detection, that never reads out of bounds.
private struct HeaderJSONParser {
    enum Failure: Error {
        case syntax(String)
        case duplicateKey(String)
    }

    /// Deeper nesting than any safetensors header needs is rejected before it can
    /// exhaust the stack.
    private static let maximumDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses `bytes` as exactly one JSON value surrounded by optional whitespace.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> HeaderJSONValue {
        var parser = HeaderJSONParser(bytes: bytes)
        parser.skipWhitespace()
        if parser.peek() == nil {
            throw .syntax(bytes.isEmpty ? "the header is empty" : "the header is only whitespace")
        }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.peek() != nil {
            throw parser.unexpected("after the end of the JSON value")
        }
        return value
    }

    private func peek() -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    /// An error for the byte at the current position (or the end of the header).
    private func unexpected(_ context: String) -> Failure {
        guard let byte = peek() else {
            return .syntax("the header ends \(context)")
        }
        let shown =
            (0x21...0x7E).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'"
            : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return .syntax("unexpected \(shown) at header byte \(position) \(context)")
    }

    private mutating func parseValue() throws(Failure) -> HeaderJSONValue {
        guard let byte = peek() else { throw unexpected("where a value should start") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected("where a value should start")
        }
    }

    private mutating func enterContainer() throws(Failure) {
        depth += 1
        if depth > Self.maximumDepth {
            throw .syntax("nesting deeper than \(Self.maximumDepth) levels at header byte \(position)")
        }
        position += 1  // The opening bracket.
    }

    private mutating func parseObject() throws(Failure) -> HeaderJSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var members: [(key: String, value: HeaderJSONValue)] = []
        var keys = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected("where an object key should start") }
            let key = try parseString()
            guard keys.insert(key).inserted else { throw .duplicateKey(key) }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw unexpected("where ':' should follow an object key") }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw unexpected("where ',' or '}' should follow an object member")
            }
        }
    }

    private mutating func parseArray() throws(Failure) -> HeaderJSONValue {
        try enterContainer()
        defer { depth -= 1 }
        var elements: [HeaderJSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: throw unexpected("where ',' or ']' should follow an array element")
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let start = position
        for expected in UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard peek() == expected else {
                throw .syntax("invalid literal at header byte \(start) (expected \(literal))")
            }
            position += 1
        }
    }

    private mutating func parseNumber() throws(Failure) -> HeaderJSONNumber {
        let start = position
        func isDigit(_ byte: UInt8?) -> Bool {
            guard let byte else { return false }
            return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let isNegative = peek() == UInt8(ascii: "-")
        if isNegative { position += 1 }
        guard let first = peek(), isDigit(first) else {
            throw .syntax("invalid number at header byte \(start)")
        }
        var magnitude: UInt64? = 0
        if first == UInt8(ascii: "0") {
            position += 1
            if isDigit(peek()) { throw .syntax("number with a leading zero at header byte \(start)") }
        } else {
            while let digit = peek(), isDigit(digit) {
                if let current = magnitude {
                    let (shifted, overflow1) = current.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                    magnitude = overflow1 || overflow2 ? nil : sum
                }
                position += 1
            }
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard isDigit(peek()) else { throw .syntax("number without digits after '.' at header byte \(start)") }
            while isDigit(peek()) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard isDigit(peek()) else { throw .syntax("number without exponent digits at header byte \(start)") }
            while isDigit(peek()) { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return HeaderJSONNumber(text: text, isNegative: isNegative, isInteger: isInteger, magnitude: magnitude)
    }

    private mutating func parseString() throws(Failure) -> String {
        let start = position
        position += 1  // The opening quote.
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw .syntax("unterminated string starting at header byte \(start)")
            }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw .syntax("string at header byte \(start) is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw .syntax("unescaped control character in the string at header byte \(start)")
            default:
                utf8.append(byte)
            }
        }
    }

    /// Parses the escape sequence after a backslash and appends its UTF-8 encoding.
    private mutating func parseEscape(into utf8: inout [UInt8]) throws(Failure) {
        let start = position - 1
        guard let byte = peek() else {
            throw .syntax("unterminated escape sequence at header byte \(start)")
        }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHexQuad()
            if (0xD800..<0xDC00).contains(code) {
                guard peek() == UInt8(ascii: "\\") else {
                    throw .syntax("unpaired surrogate escape at header byte \(start)")
                }
                position += 1
                guard peek() == UInt8(ascii: "u") else {
                    throw .syntax("unpaired surrogate escape at header byte \(start)")
                }
                position += 1
                let low = try parseHexQuad()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw .syntax("unpaired surrogate escape at header byte \(start)")
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else {
                throw .syntax("unpaired surrogate escape at header byte \(start)")
            }
            utf8.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw .syntax("invalid escape sequence at header byte \(start)")
        }
    }

    private mutating func parseHexQuad() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else {
                throw .syntax("the header ends inside a \\u escape")
            }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .syntax("invalid \\u escape at header byte \(position)")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
