import Foundation
import NeuralNet
import Randomness
import TensorEngine
import TestSupport
import Testing

/// Seeded fuzzing of `SafeTensorsArchive(data:)`: valid files of every dtype, mutated as
/// whole files and header by header. Each input must decode to a valid archive that
/// re-encodes to itself, or be refused with a `CheckpointError` about the bytes.
@Suite("SafeTensors fuzzing")
struct SafeTensorsFuzzTests {
    /// A safetensors file: the little-endian header length, the header, the data.
    static func file(header: [UInt8], data: [UInt8]) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> ($0 * 8)) } + header + data
    }

    /// One tensor of each dtype the reader converts, plus metadata, a scalar, an empty
    /// tensor and a name with escapes.
    static let handWritten: (header: [UInt8], data: [UInt8]) = {
        let tensors: [(name: String, dtype: String, shape: [Int], size: Int)] = [
            ("f64", "F64", [2], 8), ("f32", "F32", [1, 2], 4), ("f16", "F16", [3], 2), ("bf16", "BF16", [2], 2),
            ("i64", "I64", [2], 8), ("i32", "I32", [1], 4), ("i16", "I16", [2], 2), ("i8", "I8", [3], 1),
            ("u64", "U64", [1], 8), ("u32", "U32", [2], 4), ("u16", "U16", [1], 2), ("u8", "U8", [2], 1),
            ("bool", "BOOL", [2, 2], 1), ("scalar", "F32", [], 4), ("empty", "F32", [0, 7], 4),
            (#"a\"b\u00e9\n"#, "F32", [1], 4),
        ]
        var generator = RandomGenerator(seed: 5)
        var members = [#""__metadata__": {"format": "pt", "note": "x\ty"}"#]
        var data: [UInt8] = []
        for tensor in tensors {
            let count = tensor.shape.reduce(1, *) * tensor.size
            members.append(
                #""\#(tensor.name)": {"dtype": "\#(tensor.dtype)", "shape": \#(tensor.shape), "#
                    + #""data_offsets": [\#(data.count), \#(data.count + count)]}"#)
            data += (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        return (Array(("{" + members.joined(separator: ", ") + "}  ").utf8), data)
    }()

    static let encoded: [UInt8] = Array(
        SafeTensorsArchive(
            entries: [
                "layer.weight": .init(shape: [2, 3], values: [1, -2, 3.5, .infinity, -0.0, .leastNonzeroMagnitude]),
                "layer.bias": .init(shape: [3], values: [0, 1, 2]),
                "": .init(shape: [], values: [7]),
            ],
            metadata: ["epoch": "3"]
        ).encoded())

    static let headerTokens =
        ByteMutator.textTokens
        + [
            "{", "}", "[", "]", ":", "\"", ",", "null", "true", "-0", "1.5", "1e3", #"\u0000"#, #"\ud800"#, #"\"#,
            #""dtype""#, #""shape""#, #""data_offsets""#, #""F32""#, #""C64""#, #""__metadata__""#,
            "18446744073709551615",
            "9223372036854775807", "4611686018427387904",
        ].map { Array($0.utf8) }

    @Test("mutated files decode to archives that round-trip, or throw CheckpointError")
    func mutatedFiles() {
        var mutator = ByteMutator(seed: FuzzBudget.seed(0x5AFE), tokens: Self.headerTokens, maximumCount: 2048)
        let pairs = [Self.handWritten, (header: Array(Self.encoded[8...]), data: [])]
        let files = pairs.map { Self.file(header: $0.header, data: $0.data) }
        var decoded = 0
        for iteration in 0..<FuzzBudget.iterations(3000) {
            let input: [UInt8]
            if iteration % 2 == 0 {
                input = mutator.next(from: files)
            } else {
                // A mutated header with a matching length, then the data (sometimes mutated too).
                let (header, data) = pairs[mutator.generator.nextInt(below: pairs.count)]
                let mutatesData = mutator.generator.nextInt(below: 4) == 0
                input = Self.file(header: mutator.mutate(header), data: mutatesData ? mutator.mutate(data) : data)
            }
            if check(input) { decoded += 1 }
        }
        // The harness must reach the success path, not only the error paths.
        #expect(decoded > 20)
    }

    @Test("random valid files decode to exactly what they hold")
    func randomValidFiles() throws {
        var generator = RandomGenerator(seed: FuzzBudget.seed(0x0F11E5))
        for _ in 0..<FuzzBudget.iterations(500) {
            let (bytes, tensors, metadata) = Self.randomValidFile(&generator)
            let shown = { String(decoding: bytes.dropFirst(8), as: UTF8.self).debugDescription }
            #expect(check(bytes), "\(shown())")
            let archive = try SafeTensorsArchive(data: Data(bytes))
            #expect(archive.metadata == metadata, "\(shown())")
            #expect(archive.entries.mapValues(\.shape) == tensors.mapValues(\.shape), "\(shown())")
            for (name, tensor) in tensors where tensor.float32Bits != nil {
                #expect(archive.entries[name]?.values.map(\.bitPattern) == tensor.float32Bits, "\(shown())")
            }
        }
    }

    /// A tensor of a generated file: its shape, and its bits when it is stored as `F32`.
    struct GeneratedTensor {
        var shape: [Int]
        var float32Bits: [UInt32]?
    }

    static let names = [
        "w", "layer.0.weight", "", " ", "\u{e9}t\u{e9}", "\u{1F600}", "quote\"d", "back\\slash", "tab\t", "nul\u{0}",
        "__metadata", "dtype", "\u{7F}", "\u{2028}",
    ]

    static let dtypeSizes = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4, "U16": 2,
        "U8": 1, "BOOL": 1,
    ]

    /// A valid safetensors file with random tensors (names, dtypes, shapes, data order),
    /// metadata, escapes and whitespace; the tensors and metadata it holds.
    static func randomValidFile(
        _ generator: inout RandomGenerator
    ) -> (bytes: [UInt8], tensors: [String: GeneratedTensor], metadata: [String: String]) {
        func space(_ generator: inout RandomGenerator) -> String {
            ["", "", " ", "\n", "\t", "\r\n  "][generator.nextInt(below: 6)]
        }
        func quoted(_ text: String, _ generator: inout RandomGenerator) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case _ where scalar.value < 0x20 || (scalar.value > 0x7E && generator.nextInt(below: 2) == 0):
                    for unit in String(scalar).utf16 { result += String(format: "\\u%04x", unit) }
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
        let count = generator.nextInt(below: 5)
        let chosen = generator.permutation(names.count).prefix(count).map { names[$0] }
        var tensors: [String: GeneratedTensor] = [:]
        var members: [String] = []
        var data: [UInt8] = []
        for name in chosen {
            let (dtype, size) = dtypeSizes.sorted { $0.key < $1.key }[generator.nextInt(below: dtypeSizes.count)]
            let shape = (0..<generator.nextInt(below: 4)).map { _ in generator.nextInt(below: 4) }
            let byteCount = shape.reduce(1, *) * size
            let bytes = (0..<byteCount).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let bits =
                dtype == "F32"
                ? stride(from: 0, to: byteCount, by: 4).map { offset in
                    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
                } : nil
            tensors[name] = GeneratedTensor(shape: shape, float32Bits: bits)
            let shapeText = shape.map { space(&generator) + String($0) }.joined(separator: ",")
            let fields = [
                quoted("dtype", &generator) + ":" + space(&generator) + quoted(dtype, &generator),
                quoted("shape", &generator) + ":[" + shapeText + space(&generator) + "]",
                quoted("data_offsets", &generator) + ":[\(data.count)," + space(&generator)
                    + "\(data.count + byteCount)]",
            ]
            let entry = generator.permutation(3).map { fields[$0] }.joined(separator: "," + space(&generator))
            members.append(quoted(name, &generator) + space(&generator) + ":{" + entry + "}")
            data += bytes
        }
        var metadata: [String: String] = [:]
        switch generator.nextInt(below: 3) {
        case 0:
            members.append(quoted("__metadata__", &generator) + ":null")
        case 1:
            metadata = ["format": "pt", "note": names[generator.nextInt(below: names.count)]]
            let pairs = metadata.sorted { $0.key < $1.key }.map {
                quoted($0.key, &generator) + ":" + quoted($0.value, &generator)
            }
            members.append(quoted("__metadata__", &generator) + ":{" + pairs.joined(separator: ",") + "}")
        default:
            break
        }
        let order = generator.permutation(members.count).map { members[$0] }
        let header =
            space(&generator) + "{" + order.joined(separator: "," + space(&generator)) + "}" + space(&generator)
        return (file(header: Array(header.utf8), data: data), tensors, metadata)
    }

    /// Decodes `bytes` and checks the outcome; whether it decoded.
    private func check(_ bytes: [UInt8]) -> Bool {
        let shown = { bytes.prefix(200).map { String(format: "%02x", $0) }.joined() }
        let archive: SafeTensorsArchive
        do throws(CheckpointError) {
            archive = try SafeTensorsArchive(data: Data(bytes))
        } catch {
            switch error {
            case .malformed(path: nil, _), .unsupportedDType(_, _, path: nil):
                #expect(!(error.errorDescription ?? "").isEmpty)
            default:
                Issue.record("unexpected \(error) for \(shown())")
            }
            return false
        }
        do throws(CheckpointError) {
            try archive.validate()
            let again = try SafeTensorsArchive(data: archive.encoded())
            #expect(Self.bits(again) == Self.bits(archive) && again.metadata == archive.metadata, "\(shown())")
        } catch {
            Issue.record("a decoded archive does not round-trip: \(error) for \(shown())")
        }
        return true
    }

    /// Each tensor's shape and value bit patterns (so that NaNs compare equal to themselves).
    private static func bits(_ archive: SafeTensorsArchive) -> [String: [[Int]]] {
        archive.entries.mapValues { [$0.shape, $0.values.map { Int($0.bitPattern) }] }
    }
}
