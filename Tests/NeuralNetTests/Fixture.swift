import Foundation
import NeuralNet
import TensorEngine

/// A PyTorch golden file from `Fixtures/` (see Fixtures/README.md for the naming scheme).
struct Fixture {
    let name: String
    let tensors: [String: Tensor]

    init(_ name: String) throws {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "safetensors") else {
            throw FixtureError.missing(name)
        }
        let archive = try SafeTensorsArchive(contentsOf: url)
        self.name = name
        tensors = archive.entries.mapValues { Tensor(shape: $0.shape, scalars: $0.values) }
    }

    /// The tensor stored under `key`, or an error naming the fixture and key.
    func callAsFunction(_ key: String) throws -> Tensor {
        guard let tensor = tensors[key] else { throw FixtureError.missingTensor(fixture: name, key: key) }
        return tensor
    }

    /// Integer data stored as float (class targets, ids).
    func indices(_ key: String) throws -> IndexTensor {
        let t = try self(key)
        return IndexTensor(shape: t.shape, indices: t.scalars.map { Int($0) })
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    case missingTensor(fixture: String, key: String)

    var description: String {
        switch self {
        case .missing(let name): return "fixture \(name).safetensors is not in the test bundle"
        case .missingTensor(let fixture, let key): return "fixture \(fixture) has no tensor '\(key)'"
        }
    }
}
