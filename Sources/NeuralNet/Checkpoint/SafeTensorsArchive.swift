import FileIO
import Foundation
import JSONScanning

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
            JSONStringLiteral.append(safeTensorsMetadataKey, to: &header)
            header.append(UInt8(ascii: ":"))
            header.append(UInt8(ascii: "{"))
            for (index, item) in metadata.sorted(by: { utf8Precedes($0.key, $1.key) }).enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                JSONStringLiteral.append(item.key, to: &header)
                header.append(UInt8(ascii: ":"))
                JSONStringLiteral.append(item.value, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var dataByteCount = 0
        for (name, entry) in sortedEntries {
            let byteCount = entry.values.count * MemoryLayout<Float>.size
            if needsComma { header.append(UInt8(ascii: ",")) }
            needsComma = true
            JSONStringLiteral.append(name, to: &header)
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

// MARK: - Shared by encoding and decoding

/// The header key under which safetensors stores free-form metadata.
let safeTensorsMetadataKey = "__metadata__"

/// Whether `lhs` sorts before `rhs` by UTF-8 bytes, the order Rust's safetensors uses.
func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

/// The number of elements of `shape`, or `nil` if the elements would take more than
/// `Int.max` bytes at `elementSize` bytes each. Dimensions must be non-negative.
func safeTensorsElementCount(of shape: [Int], elementSize: Int) -> Int? {
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
