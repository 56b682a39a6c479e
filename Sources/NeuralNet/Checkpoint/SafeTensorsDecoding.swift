import JSONScanning

// Decoding a safetensors file: the length prefix, the JSON header (read by the package's one
// JSON scanner) and the checks that tensor layouts tile the data section.

/// A validated header entry.
struct SafeTensorsLayout {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    var elementCount: Int
    var begin: Int
    var end: Int
}

/// Deeper nesting than any safetensors header needs is refused.
private let maximumHeaderDepth = 64

/// Decodes a whole safetensors file held in `bytes`.
func decodeArchive(
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

    var scanner = JSONScanner(maximumDepth: maximumHeaderDepth)
    defer { scanner.deallocate() }
    let root: JSONValue
    do throws(JSONScanError) {
        root = try scanner.scan(headerBytes).root
    } catch {
        if case .duplicateKey(let key) = error.problem { throw malformed(.duplicateKey(key)) }
        let place = error.isAtEnd ? "at the end of the header" : "at header byte \(error.offset)"
        throw malformed(.invalidHeaderJSON(detail: "\(error.description) \(place)"))
    }
    guard root.kind == .object else {
        throw malformed(.headerNotObject(found: root.kind.description))
    }

    // The scanner refuses keys repeated byte for byte; names that differ in bytes but
    // are equal as Swift strings (canonically equivalent Unicode) would collide in the
    // dictionary, so they count as repeated too.
    if let repeated = root.keyRepeatedAsString { throw malformed(.duplicateKey(repeated)) }
    let members = root.members.map { (name: $0.key.string, value: $0.value) }

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
        let values = layout.dtype.floats(count: layout.elementCount, from: region)
        entries[layout.name] = SafeTensorsArchive.Entry(shape: layout.shape, values: values)
    }
    return SafeTensorsArchive(entries: entries, metadata: metadata)
}

/// Decodes the `__metadata__` object; `null` counts as no metadata.
private func decodeMetadata(_ value: JSONValue, path: String?) throws(CheckpointError) -> [String: String] {
    switch value.kind {
    case .null:
        return [:]
    case .object:
        var metadata: [String: String] = [:]
        for (key, value) in value.members {
            let name = key.string
            guard value.kind == .string else {
                throw .malformed(
                    path: path, reason: .invalidMetadata(detail: "the value of \"\(name)\" is \(value.kind)"))
            }
            // Keys repeated byte for byte never get here; canonically equivalent ones do.
            guard metadata.updateValue(value.string, forKey: name) == nil else {
                throw .malformed(path: path, reason: .duplicateKey(name))
            }
        }
        return metadata
    default:
        throw .malformed(path: path, reason: .invalidMetadata(detail: "it is \(value.kind)"))
    }
}

/// Validates one tensor entry of the header against a data section of `dataByteCount` bytes.
private func decodeLayout(
    name: String, value: JSONValue, dataByteCount: Int, path: String?
) throws(CheckpointError) -> SafeTensorsLayout {
    func malformed(_ reason: CheckpointError.Malformation) -> CheckpointError {
        .malformed(path: path, reason: reason)
    }

    guard value.kind == .object else {
        throw malformed(.entryNotObject(tensor: name, found: value.kind.description))
    }
    func field(_ key: String) throws(CheckpointError) -> JSONValue {
        guard let field = value.member(key) else {
            throw malformed(.missingField(tensor: name, field: key))
        }
        return field
    }
    let dtypeValue = try field("dtype")
    let shapeValue = try field("shape")
    let offsetsValue = try field("data_offsets")

    guard dtypeValue.kind == .string else {
        throw malformed(
            .invalidField(
                tensor: name, field: "dtype",
                detail: "expected a string such as \"F32\" but found \(dtypeValue.kind)"))
    }
    let dtypeName = dtypeValue.string
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
        throw .unsupportedDType(name: name, dtype: dtypeName, path: path)
    }

    guard shapeValue.kind == .array else {
        throw malformed(
            .invalidField(
                tensor: name, field: "shape",
                detail: "expected an array of non-negative integers but found \(shapeValue.kind)"))
    }
    var shape: [Int] = []
    shape.reserveCapacity(shapeValue.count)
    for (index, dimension) in shapeValue.elements.enumerated() {
        guard let size = dimension.unsignedInteger, size <= UInt64(Int.max) else {
            throw malformed(.invalidDimension(tensor: name, index: index, value: dimension.briefDescription))
        }
        shape.append(Int(size))
    }

    var offsets = offsetsValue.elements
    guard offsetsValue.kind == .array, offsetsValue.count == 2,
        let begin = offsets.next()?.unsignedInteger, let end = offsets.next()?.unsignedInteger
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

extension JSONValue {
    /// A short rendering for error messages: scalars in full, containers abbreviated.
    fileprivate var briefDescription: String {
        switch kind {
        case .object: return "an object"
        case .array:
            guard count <= 4 else { return "an array of \(count) elements" }
            return "[" + elements.map(\.briefDescription).joined(separator: ", ") + "]"
        case .string:
            let text = string
            return text.count <= 40 ? "\"\(text)\"" : "a string"
        case .number, .boolean, .null: return string
        }
    }
}
