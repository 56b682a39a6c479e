import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// Deep isolation forest (Xu, Pang, Wang and Zhu, "Deep Isolation Forest for Anomaly
/// Detection", IEEE TKDE 2023): isolation forests grown on many random neural representations
/// of the rows, so that cuts that are axis-parallel in a representation are non-linear in the
/// data.
///
/// Each of ``representations`` networks is an untrained MLP (`tanh` between layers, no biases,
/// weights drawn like PyTorch's `nn.Linear`); a small forest of ``treesPerRepresentation``
/// trees is grown on each representation of the fitted rows. A representation is the row's
/// own values followed by the network's 8 outputs (the paper's concatenating skip
/// connection), so a tree can cut on a column or on a non-linear mix of columns. A row's score
/// is `2^(-E[h(x)] / c(psi))` with the mean path length over all the trees.
///
/// Measured on the six ODDS tables of benchmarks/README.md (mean ROC-AUC): the network's
/// outputs alone at widths 128, 20 and 8 gave 0.896, 0.901 and 0.903; with the row's values
/// kept beside the 8 outputs, 0.909 (the default).
///
/// ```swift
/// let model = try DeepIsolationForest(seed: 7).fit(features: x, featureCount: 6)
/// let scores = model.scores(of: x)
/// ```
public struct DeepIsolationForest: Sendable, Codable, Equatable {
    /// Random networks (50, as in the paper's default).
    public var representations: Int
    /// Trees per representation (6, as in the paper's default).
    public var treesPerRepresentation: Int
    /// Rows per tree (256).
    public var sampleSize: Int
    /// Hidden widths of the random networks, then their output's width (100, 50, 8).
    public var widths: [Int]
    /// Whether a representation starts with the row's own values (true).
    public var keepsInput: Bool
    public var seed: UInt64

    public init(
        representations: Int = 50, treesPerRepresentation: Int = 6, sampleSize: Int = 256,
        widths: [Int] = [100, 50, 8], keepsInput: Bool = true, seed: UInt64 = 42
    ) {
        self.representations = representations
        self.treesPerRepresentation = treesPerRepresentation
        self.sampleSize = sampleSize
        self.widths = widths
        self.keepsInput = keepsInput
        self.seed = seed
    }

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming `representations`, `trees` or `sample-size`.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("representations", representations, in: 1...10_000)
        try InvalidParameter.require("trees", treesPerRepresentation, in: 1...10_000)
        try InvalidParameter.require("sample-size", sampleSize, in: 2...(1 << 24))
        try InvalidParameter.require(
            !widths.isEmpty && widths.allSatisfy { (1...4096).contains($0) }, "widths",
            widths.map(String.init).joined(separator: ","), allowed: "one or more widths between 1 and 4096")
    }

    /// Draws the networks and grows the forests on `features` (`rows * featureCount`, row-major).
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting or fewer than 2 rows.
    public func fit(features: [Float], featureCount: Int) throws(InvalidParameter) -> DeepIsolationForestModel {
        try validate()
        var generator = RandomGenerator(seed: seed)
        var networks: [RandomNetwork] = []
        var forests: [IsolationForestModel] = []
        for index in 0..<representations {
            let network = RandomNetwork(
                inputWidth: featureCount, widths: widths, keepsInput: keepsInput, generator: &generator)
            let forest = IsolationForest(
                trees: treesPerRepresentation, sampleSize: sampleSize, seed: seed &+ UInt64(index) &* 0x9E37_79B9)
            forests.append(try forest.fit(features: network.represent(features), featureCount: network.outputWidth))
            networks.append(network)
        }
        return DeepIsolationForestModel(featureCount: featureCount, networks: networks, forests: forests)
    }
}

/// An untrained MLP: weight matrices `[out, in]`, `tanh` between them, no biases; its
/// representation of a row is the output, after the row itself when ``keepsInput``.
public struct RandomNetwork: Sendable, Codable, Equatable {
    public var inputWidth: Int
    /// Each layer's `(out, in)` weights, row-major.
    public var layers: [[Float]]
    public var widths: [Int]
    public var keepsInput: Bool

    /// The width of a representation.
    public var outputWidth: Int { (keepsInput ? inputWidth : 0) + (widths.last ?? inputWidth) }

    init(inputWidth: Int, widths: [Int], keepsInput: Bool, generator: inout RandomGenerator) {
        self.inputWidth = inputWidth
        self.widths = widths
        self.keepsInput = keepsInput
        var layers: [[Float]] = []
        var width = inputWidth
        for out in widths {
            layers.append(Initializer.fanInUniform.make([out, width], generator: &generator).scalars)
            width = out
        }
        self.layers = layers
    }

    /// The representation of rows (`rows * inputWidth`), `rows * outputWidth` values.
    func represent(_ features: [Float]) -> [Float] {
        let rows = features.count / inputWidth
        var result: [Float] = []
        result.reserveCapacity(rows * outputWidth)
        for start in stride(from: 0, to: rows, by: 4096) {
            let count = min(4096, rows - start)
            let input = Tensor(
                shape: [count, inputWidth],
                scalars: Array(features[(start * inputWidth)..<((start + count) * inputWidth)]))
            var x = input
            var width = inputWidth
            for (index, out) in widths.enumerated() {
                let weight = Tensor(shape: [out, width], scalars: layers[index])
                x = Tensor.withoutGradients { x.matmul(weight, transposeB: true) }
                if index < widths.count - 1 { x = Tensor.withoutGradients { x.tanh() } }
                width = out
            }
            if keepsInput { x = Tensor.withoutGradients { Tensor.concatenate([input, x], axis: 1) } }
            result += x.scalars
        }
        return result
    }
}

/// A fitted deep isolation forest.
public struct DeepIsolationForestModel: Sendable, Codable, Equatable {
    public var featureCount: Int
    public var networks: [RandomNetwork]
    public var forests: [IsolationForestModel]

    /// Each row's score `2^(-E[h(x)] / c(psi))` over every tree of every representation, in (0, 1].
    public func scores(of features: [Float], threads: Int = 1) -> [Double] {
        let rows = features.count / featureCount
        var total = [Double](repeating: 0, count: rows)
        for (network, forest) in zip(networks, forests) {
            let lengths = forest.meanPathLengths(of: network.represent(features), threads: threads)
            for row in 0..<rows { total[row] += lengths[row] }
        }
        let normaliser = IsolationForestModel.averagePathLength(forests.first?.sampleSize ?? 2)
        let count = Double(max(1, forests.count))
        return total.map { normaliser > 0 ? pow(2, -($0 / count) / normaliser) : 0.5 }
    }
}
