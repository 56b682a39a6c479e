import Foundation
import FuzzSupport
import NeuralNet

/// Decodes the input as a safetensors file: it must be refused with a `CheckpointError`, or
/// decode to a valid archive that encodes and decodes back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, let archive = try? SafeTensorsArchive(data: Data(bytes: data, count: size)) else { return 0 }
    /// Shapes and value bit patterns (NaNs compare equal to themselves).
    func bits(_ archive: SafeTensorsArchive) -> [String: [[Int]]] {
        archive.entries.mapValues { [$0.shape, $0.values.map { Int($0.bitPattern) }] }
    }
    do {
        try archive.validate()
        let again = try SafeTensorsArchive(data: archive.encoded())
        require(
            bits(again) == bits(archive) && again.metadata == archive.metadata, "the archive changed in a round trip")
    } catch {
        require(false, "a decoded archive does not round-trip: \(error)")
    }
    return 0
}
