import Foundation
import NeuralNet
import Testing

// MARK: - Helpers for hand-built files

/// Tests of `SafeTensorsArchive` and `CheckpointError`. The helpers build safetensors
/// bytes by hand; as static members they cannot clash with other test files.
@Suite("SafeTensors")
struct SafeTensorsTests {
    /// The bytes of a safetensors file: the little-endian length of `header` (or
    /// `declaredLength`), the header's UTF-8, then `data`.
    static func makeFile(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        let headerBytes = Array(header.utf8)
        var file = Data(littleEndian(declaredLength ?? UInt64(headerBytes.count)))
        file.append(contentsOf: headerBytes)
        file.append(contentsOf: data)
        return file
    }

    /// The little-endian bytes of an integer.
    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    static func float32(_ values: [Float]) -> [UInt8] {
        values.flatMap { littleEndian($0.bitPattern) }
    }

    /// Decodes `file` and returns the malformation it is rejected for, or `nil` if it decodes
    /// or fails differently.
    static func malformation(of file: Data) -> CheckpointError.Malformation? {
        do {
            _ = try SafeTensorsArchive(data: file)
            return nil
        } catch {
            guard case .malformed(path: nil, let reason) = error else { return nil }
            return reason
        }
    }

    /// A header entry for a tensor, as JSON text.
    static func entryJSON(_ name: String, _ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
    }

    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let sampleArchive = SafeTensorsArchive(
        entries: [
            "layer.weight": .init(shape: [2, 3], values: [1, -2, 3.5, 0, .pi, -.infinity]),
            "layer.bias": .init(shape: [3], values: [0.1, 0.2, 0.3]),
            "embedding": .init(shape: [4, 1, 2], values: (0..<8).map { Float($0) * 0.25 - 1 }),
            "zz.ünïcode.名前": .init(shape: [1], values: [Float.leastNonzeroMagnitude]),
        ],
        metadata: ["format": "pt"]
    )
}

// MARK: - Round trips and layout

extension SafeTensorsTests {
    @Suite("Encoding and decoding")
    struct RoundTripTests {
        @Test func roundTripPreservesEntriesAndMetadata() throws {
            let decoded = try SafeTensorsArchive(data: sampleArchive.encoded())
            #expect(decoded == sampleArchive)
        }

        @Test func encodingIsDeterministic() throws {
            var reordered = SafeTensorsArchive(metadata: sampleArchive.metadata)
            for name in sampleArchive.entries.keys.sorted().reversed() {
                reordered.entries[name] = sampleArchive.entries[name]
            }
            #expect(reordered.encoded() == sampleArchive.encoded())
            let decoded = try SafeTensorsArchive(data: sampleArchive.encoded())
            #expect(decoded.encoded() == sampleArchive.encoded())
        }

        @Test func encodedLayoutMatchesTheFormat() throws {
            let archive = SafeTensorsArchive(
                entries: ["b": .init(shape: [2], values: [1, 2]), "a": .init(shape: [1], values: [-1])],
                metadata: ["format": "pt"])
            let bytes = [UInt8](archive.encoded())
            let expectedHeader =
                #"{"__metadata__":{"format":"pt"},"#
                + #""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
                + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
            let padding = (8 - expectedHeader.utf8.count % 8) % 8
            let expected = Array(
                makeFile(
                    header: expectedHeader + String(repeating: " ", count: padding),
                    data: float32([-1, 1, 2])))
            #expect(bytes == expected)
            #expect((bytes.count - 12) % 8 == 0)
        }

        @Test func emptyArchiveRoundTrips() throws {
            let empty = SafeTensorsArchive()
            let bytes = empty.encoded()
            #expect(bytes == makeFile(header: "{}      "))
            #expect(try SafeTensorsArchive(data: bytes) == empty)
        }

        @Test func metadataRoundTripsIncludingCharactersThatNeedEscaping() throws {
            let archive = SafeTensorsArchive(
                entries: ["quote\"back\\slash\ttab\u{1}": .init(shape: [1], values: [7])],
                metadata: [
                    "format": "pt",
                    "note": "line one\nline \"two\" \\ end\u{0}",
                    "ünïcode 🎉": "値 ✓",
                    "": "",
                ])
            let decoded = try SafeTensorsArchive(data: archive.encoded())
            #expect(decoded == archive)
            #expect(decoded.metadata["ünïcode 🎉"] == "値 ✓")
        }

        @Test func zeroSizeTensorsAndScalarsRoundTrip() throws {
            let archive = SafeTensorsArchive(entries: [
                "empty": .init(shape: [0], values: []),
                "empty.matrix": .init(shape: [3, 0, 2], values: []),
                "scalar": .init(shape: [], values: [42.5]),
                "vector": .init(shape: [2], values: [1, 2]),
            ])
            let decoded = try SafeTensorsArchive(data: archive.encoded())
            #expect(decoded == archive)
            #expect(decoded.entries["scalar"]?.shape == [])
            #expect(decoded.entries["scalar"]?.values == [42.5])
            #expect(decoded.entries["empty.matrix"]?.shape == [3, 0, 2])
        }

        @Test func writeAndReadBackThroughAFile() throws {
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = directory.appendingPathComponent("model.safetensors")
            try sampleArchive.write(to: url)
            #expect(try SafeTensorsArchive(contentsOf: url) == sampleArchive)
            #expect(try Data(contentsOf: url) == sampleArchive.encoded())

            // Overwriting replaces the file.
            let smaller = SafeTensorsArchive(entries: ["x": .init(shape: [], values: [1])])
            try smaller.write(to: url)
            #expect(try SafeTensorsArchive(contentsOf: url) == smaller)
        }

        @Test func writingAnInvalidArchiveThrowsInsteadOfWriting() throws {
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let url = directory.appendingPathComponent("bad.safetensors")

            let mismatched = SafeTensorsArchive(entries: ["w": .init(shape: [2, 2], values: [1, 2, 3])])
            #expect(
                throws: CheckpointError.malformed(
                    path: url.path, reason: .valueCountMismatch(tensor: "w", shape: [2, 2], valueCount: 3))
            ) {
                try mismatched.write(to: url)
            }
            #expect(!FileManager.default.fileExists(atPath: url.path))

            let negative = SafeTensorsArchive(entries: ["w": .init(shape: [-1], values: [])])
            #expect(
                throws: CheckpointError.malformed(
                    path: nil, reason: .invalidDimension(tensor: "w", index: 0, value: "-1"))
            ) {
                try negative.validate()
            }

            let reserved = SafeTensorsArchive(entries: ["__metadata__": .init(shape: [], values: [1])])
            #expect(throws: CheckpointError.malformed(path: nil, reason: .reservedName("__metadata__"))) {
                try reserved.validate()
            }
            #expect(throws: Never.self) { try sampleArchive.validate() }
        }
    }
}

// MARK: - Hand-built files

extension SafeTensorsTests {
    @Suite("Decoding hand-built files")
    struct HandBuiltFileTests {
        @Test func decodesAByteExactFloat32File() throws {
            // Two tensors, listed out of offset order, header padded with spaces like PyTorch's.
            var header =
                "{" + entryJSON("w", "F32", [2, 2], 4, 20) + ","
                + entryJSON("b", "F32", [1], 0, 4) + ","
                + #""__metadata__":{"format":"pt","step":"10"}}"#
            header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
            let file = makeFile(header: header, data: float32([0.5, 1, -2, 3.25, 1e-3]))

            let archive = try SafeTensorsArchive(data: file)
            #expect(archive.entries.count == 2)
            #expect(archive.entries["b"] == .init(shape: [1], values: [0.5]))
            #expect(archive.entries["w"] == .init(shape: [2, 2], values: [1, -2, 3.25, 1e-3]))
            #expect(archive.metadata == ["format": "pt", "step": "10"])
        }

        @Test func acceptsWhitespaceUnicodeEscapesAndUnknownFields() throws {
            let header = """
                {
                  "caf\\u00e9\\ud83c\\udf89" : { "shape" : [ 1 ] , "data_offsets" : [ 0 , 4 ] ,
                                             "dtype" : "F32", "extra": {"nested": [true, null, 1.5e-3]} },
                  "__metadata__": null
                }\t\r\n
                """
            let archive = try SafeTensorsArchive(data: makeFile(header: header, data: float32([9])))
            #expect(archive.entries == ["café🎉": .init(shape: [1], values: [9])])
            #expect(archive.metadata.isEmpty)
        }

        @Test func decodesUnalignedData() throws {
            // A 3-byte header puts the data at an odd offset.
            let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + " "
            let file = makeFile(header: header, data: float32([1.5, -7]))
            let archive = try SafeTensorsArchive(data: file)
            #expect(archive.entries["a"]?.values == [1.5, -7])

            // A Data slice with a non-zero start index decodes the same.
            let sliced = (Data([0xAA, 0xBB, 0xCC]) + file).dropFirst(3)
            #expect(try SafeTensorsArchive(data: sliced) == archive)
        }

        @Test func convertsFloat64() throws {
            let values: [Double] = [1.5, -0.25, 1e300, 0.1]
            let data = values.flatMap { littleEndian($0.bitPattern) }
            let file = makeFile(header: "{" + entryJSON("x", "F64", [4], 0, 32) + "}", data: data)
            let archive = try SafeTensorsArchive(data: file)
            #expect(archive.entries["x"]?.values == [1.5, -0.25, .infinity, Float(0.1 as Double)])
        }

        @Test func convertsFloat16() throws {
            let bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0xFC00, 0x3555, 0x0400]
            let data = bits.flatMap { littleEndian($0) } + littleEndian(UInt16(0x7E00))
            let file = makeFile(header: "{" + entryJSON("h", "F16", [2, 5], 0, 20) + "}", data: data)
            let values = try #require(try SafeTensorsArchive(data: file).entries["h"]?.values)
            let expected: [Float] = [1, -2, 65504, 0x1p-24, -0.0, .infinity, -.infinity, 0.333251953125, 0x1p-14]
            #expect(Array(values.prefix(9)) == expected)
            #expect(values[4].sign == .minus)
            #expect(values[9].isNaN)
        }

        @Test func convertsBFloat16() throws {
            let bits: [UInt16] = [0x3F80, 0xC040, 0x4049, 0x0000, 0x7F80]
            let file = makeFile(
                header: "{" + entryJSON("b", "BF16", [5], 0, 10) + "}", data: bits.flatMap { littleEndian($0) })
            let archive = try SafeTensorsArchive(data: file)
            #expect(archive.entries["b"]?.values == [1, -3, 3.140625, 0, .infinity])
        }

        @Test func convertsIntegersAndBooleans() throws {
            var data: [UInt8] = []
            data += [Int64(-3), 0, 123_456_789, Int64.max].flatMap { littleEndian($0) }  // 0..<32
            data += [Int32(-7), 65_536].flatMap { littleEndian($0) }  // 32..<40
            data += [Int16(-32_768), 300].flatMap { littleEndian($0) }  // 40..<44
            data += [Int8(-128), 127].flatMap { littleEndian($0) }  // 44..<46
            data += [UInt8(0), 255]  // 46..<48
            data += [UInt8(1), 0, 2]  // 48..<51: any non-zero byte is true, as in PyTorch
            let header =
                "{"
                + [
                    entryJSON("i64", "I64", [2, 2], 0, 32),
                    entryJSON("i32", "I32", [2], 32, 40),
                    entryJSON("i16", "I16", [2], 40, 44),
                    entryJSON("i8", "I8", [2], 44, 46),
                    entryJSON("u8", "U8", [2], 46, 48),
                    entryJSON("mask", "BOOL", [3], 48, 51),
                ].joined(separator: ",") + "}"
            let archive = try SafeTensorsArchive(data: makeFile(header: header, data: data))
            // Integers above 2^24 are rounded to the nearest Float.
            #expect(archive.entries["i64"] == .init(shape: [2, 2], values: [-3, 0, 123_456_792, 9.223372e18]))
            #expect(archive.entries["i32"]?.values == [-7, 65_536])
            #expect(archive.entries["i16"]?.values == [-32_768, 300])
            #expect(archive.entries["i8"]?.values == [-128, 127])
            #expect(archive.entries["u8"]?.values == [0, 255])
            #expect(archive.entries["mask"]?.values == [1, 0, 1])
        }

        @Test func acceptsZeroSizeTensorsBetweenOthers() throws {
            let header =
                "{"
                + [
                    entryJSON("a", "F32", [1], 0, 4),
                    entryJSON("empty", "F16", [0, 4], 4, 4),
                    entryJSON("also.empty", "I64", [0], 4, 4),
                    entryJSON("b", "F32", [], 4, 8),
                ].joined(separator: ",") + "}"
            let archive = try SafeTensorsArchive(data: makeFile(header: header, data: float32([1, 2])))
            #expect(archive.entries["empty"] == .init(shape: [0, 4], values: []))
            #expect(archive.entries["also.empty"] == .init(shape: [0], values: []))
            #expect(archive.entries["b"] == .init(shape: [], values: [2]))
        }
    }
}

// MARK: - Malformed files

extension SafeTensorsTests {
    @Suite("Rejecting malformed files")
    struct MalformedFileTests {
        /// A valid single-tensor header, for cases that only break the data.
        private let oneFloat = "{" + entryJSON("w", "F32", [1], 0, 4) + "}"

        @Test func fileTooShort() {
            #expect(throws: CheckpointError.malformed(path: nil, reason: .fileTooShort(byteCount: 3))) {
                try SafeTensorsArchive(data: Data([1, 2, 3]))
            }
            #expect(malformation(of: Data()) == .fileTooShort(byteCount: 0))
        }

        @Test func headerLengthLargerThanFile() throws {
            let file = makeFile(header: String(repeating: " ", count: 64), declaredLength: 120)
            let error = #expect(throws: CheckpointError.self) { try SafeTensorsArchive(data: file) }
            #expect(
                error == .malformed(path: nil, reason: .headerLengthExceedsFile(headerLength: 120, availableBytes: 64)))
            let message = try #require(error?.errorDescription)
            #expect(message.contains("header says 120 bytes but the file has only 64 after the length prefix"))
            #expect(message.contains("truncated or not a safetensors file"))

            let huge = makeFile(header: "{}", declaredLength: .max)
            #expect(malformation(of: huge) == .headerLengthExceedsFile(headerLength: .max, availableBytes: 2))
        }

        @Test(arguments: [
            "", "   ", "{", "{\"a\":}", "{not json}", "{\"a\":1,}", "{\"a\" 1}", "{} {}", "{\"a\":01}",
            "{\"a\":\"\u{1}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":tru}", "{\"a\":-}", "{\"a\":1.}",
            String(repeating: "[", count: 100_000),
        ])
        func headerNotJSON(header: String) {
            guard case .invalidHeaderJSON = malformation(of: makeFile(header: header)) else {
                Issue.record("expected invalidHeaderJSON for \(header.prefix(20).debugDescription)")
                return
            }
        }

        @Test func headerNotValidUTF8() {
            var file = makeFile(header: #"{"a":"xx"}"#)
            file[8 + 6] = 0xFF
            guard case .invalidHeaderJSON = malformation(of: file) else {
                Issue.record("expected invalidHeaderJSON")
                return
            }
        }

        @Test func headerNotAnObject() {
            #expect(malformation(of: makeFile(header: "[1, 2]")) == .headerNotObject(found: "an array"))
            #expect(malformation(of: makeFile(header: "\"x\"")) == .headerNotObject(found: "a string"))
            #expect(malformation(of: makeFile(header: "null")) == .headerNotObject(found: "null"))
        }

        @Test func entryNotAnObject() {
            let file = makeFile(header: #"{"w":[1,2]}"#)
            #expect(malformation(of: file) == .entryNotObject(tensor: "w", found: "an array"))
        }

        @Test(arguments: ["dtype", "shape", "data_offsets"])
        func entryMissingField(field: String) {
            var fields = [#""dtype":"F32""#, #""shape":[1]"#, #""data_offsets":[0,4]"#]
            fields.removeAll { $0.hasPrefix("\"\(field)\"") }
            let file = makeFile(header: #"{"w":{"# + fields.joined(separator: ",") + "}}", data: [0, 0, 0, 0])
            #expect(throws: CheckpointError.malformed(path: nil, reason: .missingField(tensor: "w", field: field))) {
                try SafeTensorsArchive(data: file)
            }
        }

        @Test func fieldsOfTheWrongType() {
            let badDType = makeFile(header: #"{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
            guard case .invalidField(tensor: "w", field: "dtype", _) = malformation(of: badDType) else {
                Issue.record("expected invalidField for dtype")
                return
            }
            let badShape = makeFile(
                header: #"{"w":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
            guard case .invalidField(tensor: "w", field: "shape", _) = malformation(of: badShape) else {
                Issue.record("expected invalidField for shape")
                return
            }
            for offsets in ["[0]", "[0,4,8]", "[0,-4]", "[0,4.0]", "\"0,4\"", "[0,18446744073709551616]"] {
                let file = makeFile(
                    header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":"# + offsets + "}}", data: [0, 0, 0, 0])
                guard case .invalidField(tensor: "w", field: "data_offsets", _) = malformation(of: file) else {
                    Issue.record("expected invalidField for data_offsets \(offsets)")
                    continue
                }
            }
        }

        @Test func unsupportedDType() {
            let file = makeFile(
                header: "{" + entryJSON("w", "C64", [1], 0, 8) + "}", data: Array(repeating: 0, count: 8))
            #expect(throws: CheckpointError.unsupportedDType(name: "w", dtype: "C64", path: nil)) {
                try SafeTensorsArchive(data: file)
            }
            let lowercase = makeFile(header: "{" + entryJSON("w", "f32", [1], 0, 4) + "}", data: [0, 0, 0, 0])
            #expect(throws: CheckpointError.unsupportedDType(name: "w", dtype: "f32", path: nil)) {
                try SafeTensorsArchive(data: lowercase)
            }
        }

        @Test(arguments: [
            ("[-2]", 0, "-2"), ("[2, 2.5]", 1, "2.5"), ("[1e2]", 0, "1e2"), ("[\"2\"]", 0, "\"2\""),
            ("[null]", 0, "null"), ("[9223372036854775808]", 0, "9223372036854775808"), ("[-0]", 0, "-0"),
        ])
        func invalidShapeDimension(shape: String, index: Int, value: String) {
            let file = makeFile(header: #"{"w":{"dtype":"F32","shape":"# + shape + #","data_offsets":[0,4]}}"#)
            #expect(
                throws: CheckpointError.malformed(
                    path: nil, reason: .invalidDimension(tensor: "w", index: index, value: value))
            ) {
                try SafeTensorsArchive(data: file)
            }
        }

        @Test func shapeWhoseSizeOverflows() {
            let file = makeFile(
                header: "{" + entryJSON("w", "F32", [1 << 31, 1 << 31, 4], 0, 4) + "}", data: [0, 0, 0, 0])
            #expect(malformation(of: file) == .elementCountOverflow(tensor: "w", shape: [1 << 31, 1 << 31, 4]))
        }

        @Test func offsetsOutOfRange() {
            let file = makeFile(
                header: "{" + entryJSON("w", "F32", [4], 0, 16) + "}", data: Array(repeating: 0, count: 8))
            #expect(
                throws: CheckpointError.malformed(
                    path: nil, reason: .offsetsOutOfRange(tensor: "w", begin: 0, end: 16, dataByteCount: 8))
            ) {
                try SafeTensorsArchive(data: file)
            }
        }

        @Test func offsetsBeginAfterEnd() {
            let file = makeFile(
                header: "{" + entryJSON("w", "F32", [2], 8, 0) + "}", data: Array(repeating: 0, count: 8))
            #expect(malformation(of: file) == .offsetsReversed(tensor: "w", begin: 8, end: 0))
        }

        @Test func byteLengthDoesNotMatchShape() {
            let file = makeFile(
                header: "{" + entryJSON("w", "F32", [3], 0, 8) + "}", data: Array(repeating: 0, count: 8))
            #expect(
                throws: CheckpointError.malformed(
                    path: nil,
                    reason: .byteCountMismatch(tensor: "w", dtype: "F32", shape: [3], expected: 12, actual: 8))
            ) {
                try SafeTensorsArchive(data: file)
            }
        }

        @Test func overlappingRegions() {
            let header = "{" + entryJSON("a", "F32", [2], 0, 8) + "," + entryJSON("b", "F32", [2], 4, 12) + "}"
            let file = makeFile(header: header, data: Array(repeating: 0, count: 12))
            #expect(malformation(of: file) == .overlappingData(tensor: "b", other: "a"))

            let sameRegion = "{" + entryJSON("a", "F32", [1], 0, 4) + "," + entryJSON("b", "F32", [1], 0, 4) + "}"
            #expect(
                malformation(of: makeFile(header: sameRegion, data: [0, 0, 0, 0]))
                    == .overlappingData(tensor: "b", other: "a"))

            let emptyInside = "{" + entryJSON("a", "F32", [2], 0, 8) + "," + entryJSON("e", "F32", [0], 4, 4) + "}"
            #expect(
                malformation(of: makeFile(header: emptyInside, data: Array(repeating: 0, count: 8)))
                    == .overlappingData(tensor: "e", other: "a"))
        }

        @Test func nonContiguousRegions() {
            let header = "{" + entryJSON("a", "F32", [1], 0, 4) + "," + entryJSON("b", "F32", [1], 8, 12) + "}"
            let file = makeFile(header: header, data: Array(repeating: 0, count: 12))
            #expect(malformation(of: file) == .gapInData(tensor: "b", expectedOffset: 4, actualOffset: 8))

            let leadingGap = makeFile(
                header: "{" + entryJSON("a", "F32", [1], 4, 8) + "}", data: Array(repeating: 0, count: 8))
            #expect(malformation(of: leadingGap) == .gapInData(tensor: "a", expectedOffset: 0, actualOffset: 4))

            let trailing = makeFile(header: oneFloat, data: Array(repeating: 0, count: 7))
            #expect(malformation(of: trailing) == .unreferencedTrailingBytes(count: 3))
        }

        @Test func duplicateKeys() {
            let header = "{" + entryJSON("w", "F32", [1], 0, 4) + "," + entryJSON("w", "F32", [1], 0, 4) + "}"
            #expect(malformation(of: makeFile(header: header, data: [0, 0, 0, 0])) == .duplicateKey("w"))
            // Canonically equivalent names would collide in a Swift dictionary, so they count as duplicates.
            let composed =
                "{" + entryJSON("\u{E9}", "F32", [1], 0, 4) + "," + entryJSON("e\u{301}", "F32", [1], 4, 8) + "}"
            #expect(
                malformation(of: makeFile(header: composed, data: Array(repeating: 0, count: 8)))
                    == .duplicateKey("e\u{301}"))
        }

        @Test func metadataThatIsNotStrings() {
            let numberValue = makeFile(header: #"{"__metadata__":{"epoch":3}}"#)
            guard case .invalidMetadata = malformation(of: numberValue) else {
                Issue.record("expected invalidMetadata")
                return
            }
            let arrayMetadata = makeFile(header: #"{"__metadata__":["a"]}"#)
            guard case .invalidMetadata = malformation(of: arrayMetadata) else {
                Issue.record("expected invalidMetadata")
                return
            }
        }

        @Test func urlInitialiserAttachesThePath() throws {
            let directory = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }

            let truncated = directory.appendingPathComponent("model.safetensors")
            try makeFile(header: String(repeating: " ", count: 64), declaredLength: 120).write(to: truncated)
            let error = #expect(throws: CheckpointError.self) { try SafeTensorsArchive(contentsOf: truncated) }
            #expect(
                error
                    == .malformed(
                        path: truncated.path, reason: .headerLengthExceedsFile(headerLength: 120, availableBytes: 64)))
            #expect(error?.errorDescription?.hasPrefix(truncated.path + ": header says 120 bytes") == true)

            let complex = directory.appendingPathComponent("complex.safetensors")
            try makeFile(header: "{" + entryJSON("z", "C64", [1], 0, 8) + "}", data: Array(repeating: 0, count: 8))
                .write(to: complex)
            #expect(throws: CheckpointError.unsupportedDType(name: "z", dtype: "C64", path: complex.path)) {
                try SafeTensorsArchive(contentsOf: complex)
            }

            let missing = directory.appendingPathComponent("missing.safetensors")
            let ioError = #expect(throws: CheckpointError.self) { try SafeTensorsArchive(contentsOf: missing) }
            guard case .io(path: missing.path, _) = ioError else {
                Issue.record("expected .io with the path, got \(String(describing: ioError))")
                return
            }
        }

        /// Every truncation and many single-byte corruptions of a valid file must throw or
        /// decode, never trap.
        @Test func corruptedFilesNeverTrap() {
            let valid = [UInt8](sampleArchive.encoded())
            for length in 0..<valid.count {
                _ = try? SafeTensorsArchive(data: Data(valid[0..<length]))
            }
            let headerEnd = 8 + Int(valid[0]) + Int(valid[1]) << 8
            let replacements: [UInt8] = [0x00, 0x20, 0x22, 0x2C, 0x2D, 0x30, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0xFF]
            for index in 0..<headerEnd {
                for replacement in replacements {
                    var corrupted = valid
                    corrupted[index] = replacement
                    _ = try? SafeTensorsArchive(data: Data(corrupted))
                }
            }
        }
    }
}

// MARK: - Error messages

extension SafeTensorsTests {
    @Suite("Error messages")
    struct ErrorMessageTests {
        @Test func everyCaseSaysWhereWhatAndHowToFix() throws {
            let cases: [(CheckpointError, [String])] = [
                (
                    .io(path: "/tmp/x.safetensors", message: "No such file"),
                    ["/tmp/x.safetensors: No such file", "check that the path"]
                ),
                (
                    .missingTensor(name: "encoder.weight", file: "m.safetensors"),
                    ["m.safetensors:", "\"encoder.weight\"", "same model architecture"]
                ),
                (
                    .shapeMismatch(name: "w", expected: [4, 5], found: [5, 4], file: "m.safetensors"),
                    ["[5, 4]", "expects [4, 5]", "different configuration"]
                ),
                (.unexpectedTensor(name: "extra", file: nil), ["safetensors data:", "\"extra\"", "non-strictly"]),
                (.unsupportedDType(name: "w", dtype: "C64", path: "m.safetensors"), ["\"C64\"", "tensor.float()"]),
                (
                    .malformed(
                        path: "m.safetensors", reason: .gapInData(tensor: "b", expectedOffset: 4, actualOffset: 8)),
                    ["m.safetensors: data bytes 4..<8", "\"b\""]
                ),
            ]
            for (error, fragments) in cases {
                let message = try #require(error.errorDescription)
                #expect(message == error.localizedDescription)
                for fragment in fragments {
                    #expect(message.contains(fragment), "\(message) should contain \(fragment)")
                }
            }
        }
    }
}
