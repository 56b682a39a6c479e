import Foundation
import NeuralNet
import Testing

@testable import Recommenders

/// Model directories edited by hand, damaged or crafted (issue 10): loading names the problem
/// before allocating what config.json asks for.
@Suite(.serialized) struct HostileModelDirectoryTests {
    @Test func plannedShapesMatchEveryBuiltModel() {
        for kind in NextItemModelKind.allCases {
            for (hidden, blocks, layers) in [(8, 1, 1), (12, 3, 2)] {
                var config = NextItemConfig.defaults(for: kind)
                switch kind {
                case .sasrec:
                    config.architecture = .sasrec(
                        SASRecConfig(
                            maxLength: 7, hidden: hidden, blocks: blocks, heads: 2, feedForwardSize: hidden + 5,
                            dropout: 0.1))
                case .gru4rec:
                    config.architecture = .gru4rec(
                        GRU4RecConfig(maxLength: 7, hidden: hidden, stateSize: hidden + 5, layers: layers, dropout: 0.1)
                    )
                case .pop:
                    break
                }
                let model = NextItemModel.make(config, itemCount: 13, trainingSequences: [[1, 2, 3]])
                #expect(
                    NextItemModel.parameterShapes(config, itemCount: 13) == ParameterShapes(of: model.layer), "\(kind)")
            }
        }
    }

    /// Rewrites one key of a saved model's config.json.
    private func edit(_ directory: URL, key: String, value: Any) throws {
        let url = directory.appendingPathComponent("config.json")
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var config = try #require(manifest["config"] as? [String: Any])
        config[key] = value
        manifest["config"] = config
        try JSONSerialization.data(withJSONObject: manifest).write(to: url)
    }

    @Test(.timeLimit(.minutes(1))) func absurdSizesInConfigJSONAreRefusedBeforeAllocating() throws {
        for (key, value, fragment) in [
            ("hidden", 1_000_000_000, "hidden is 1000000000; it must be between 1 and 1048576"),
            ("max-length", 1 << 20, "\"positions.weight\" has shape [12, 16] but the model expects [1048576, 16]"),
            (
                "feed-forward-size", 1 << 20,
                "\"blocks.0.feedForward.inner.bias\" has shape [16] but the model expects [1048576]"
            ),
            ("blocks", 1_000, "no tensor named \"blocks.1.attention.inputBias\""),
        ] as [(String, Int, String)] {
            let (directory, _) = try NextItemPackageTests().savedModel(.sasrec)
            defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
            try edit(directory, key: key, value: value)
            let error = #expect(throws: RecommenderError.self, "\(key)") { try NextItemPackage.load(from: directory) }
            #expect(error?.localizedDescription.contains(fragment) == true, "\(key): \(String(describing: error))")
        }
    }

    @Test func flippedWeightBytesAreRefused() throws {
        let (directory, _) = try NextItemPackageTests().savedModel(.gru4rec)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let url = directory.appendingPathComponent("weights.safetensors")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 100] ^= 0x20
        try Data(bytes).write(to: url)
        let error = #expect(throws: RecommenderError.self) { try NextItemPackage.load(from: directory) }
        #expect(error?.localizedDescription.contains("do not match the SHA-256 recorded") == true)
    }
}
