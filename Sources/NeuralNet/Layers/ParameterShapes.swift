/// The parameter shapes a layer tree will have, by dotted key, computed from its sizes without
/// allocating anything.
///
/// Loaders compare these with a weights file's header before building a model from a
/// configuration that may be corrupt or hostile: a `"hidden": 1000000000` in `config.json`
/// is then a named mismatch instead of an attempt to allocate gigabytes. Each layer's
/// builder here mirrors its initialiser; tests compare them with built layers
/// (``init(of:)``).
///
/// ```swift
/// var shapes = ParameterShapes()
/// shapes.add(.linear(inputSize: 17, outputSize: 64), under: "steps.0")
/// try Checkpoint.loadWeights(expecting: shapes, from: directory) { makeModel() }
/// ```
public struct ParameterShapes: Sendable, Equatable, CustomStringConvertible {
    /// Shapes by dotted key.
    public private(set) var shapes: [String: [Int]]

    public init(_ shapes: [String: [Int]] = [:]) {
        self.shapes = shapes
    }

    /// The shapes of a built layer tree.
    public init(of layer: any Layer) {
        shapes = Dictionary(uniqueKeysWithValues: layer.parameters().map { ($0.key, $0.tensor.shape) })
    }

    /// Adds `other`'s shapes under `prefix` (`prefix.key`), or at the top when `prefix` is empty.
    public mutating func add(_ other: ParameterShapes, under prefix: String) {
        for (key, shape) in other.shapes { shapes[prefix.isEmpty ? key : prefix + "." + key] = shape }
    }

    public var description: String {
        shapes.keys.sorted().map { "\($0) \(shapes[$0] ?? [])" }.joined(separator: ", ")
    }

    /// `size * factor`, or `Int.max` (a size no file has) when it overflows: sizes come from
    /// files and may be absurd, and computing their shapes must not trap.
    static func scaled(_ size: Int, by factor: Int) -> Int {
        let (product, overflow) = size.multipliedReportingOverflow(by: factor)
        return overflow ? Int.max : product
    }

    /// ``Linear``: `weight [out, in]`, `bias [out]`.
    public static func linear(inputSize: Int, outputSize: Int, bias: Bool = true) -> ParameterShapes {
        var shapes = ["weight": [outputSize, inputSize]]
        if bias { shapes["bias"] = [outputSize] }
        return ParameterShapes(shapes)
    }

    /// ``Embedding``: `weight [count, dimension]`.
    public static func embedding(count: Int, dimension: Int) -> ParameterShapes {
        ParameterShapes(["weight": [count, dimension]])
    }

    /// ``LayerNorm``: `weight [dimension]`, `bias [dimension]`.
    public static func layerNorm(dimension: Int) -> ParameterShapes {
        ParameterShapes(["weight": [dimension], "bias": [dimension]])
    }

    /// ``PositionalEmbedding``: `weight [maxLength, dimension]`.
    public static func positionalEmbedding(maxLength: Int, dimension: Int) -> ParameterShapes {
        ParameterShapes(["weight": [maxLength, dimension]])
    }

    /// ``MultiHeadAttention``: packed `inputWeight [3E, E]`, `inputBias [3E]`, `output` E -> E.
    public static func multiHeadAttention(dimension: Int) -> ParameterShapes {
        let packed = scaled(dimension, by: 3)
        var shapes = ParameterShapes(["inputWeight": [packed, dimension], "inputBias": [packed]])
        shapes.add(.linear(inputSize: dimension, outputSize: dimension), under: "output")
        return shapes
    }

    /// ``PointwiseFeedForward``: `inner` d -> hidden, `outer` hidden -> d.
    public static func pointwiseFeedForward(dimension: Int, hiddenSize: Int) -> ParameterShapes {
        var shapes = ParameterShapes()
        shapes.add(.linear(inputSize: dimension, outputSize: hiddenSize), under: "inner")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: dimension), under: "outer")
        return shapes
    }

    /// ``LSTM`` (4 gates) or ``GRU`` (3 gates): per layer `inputWeight [gH, I]`,
    /// `hiddenWeight [gH, H]`, `inputBias [gH]`, `hiddenBias [gH]`.
    public static func recurrentStack(gateCount: Int, inputSize: Int, hiddenSize: Int, layerCount: Int)
        -> ParameterShapes
    {
        let gates = scaled(hiddenSize, by: gateCount)
        var shapes = ParameterShapes()
        for layer in 0..<max(layerCount, 0) {
            let input = layer == 0 ? inputSize : hiddenSize
            shapes.add(
                ParameterShapes([
                    "inputWeight": [gates, input], "hiddenWeight": [gates, hiddenSize],
                    "inputBias": [gates], "hiddenBias": [gates],
                ]), under: "layers.\(layer)")
        }
        return shapes
    }

    /// ``Conv1D``: `weight [out, in, kernel]`, `bias [out]`.
    public static func conv1d(inputChannels: Int, outputChannels: Int, kernelSize: Int, bias: Bool = true)
        -> ParameterShapes
    {
        var shapes = ["weight": [outputChannels, inputChannels, kernelSize]]
        if bias { shapes["bias"] = [outputChannels] }
        return ParameterShapes(shapes)
    }
}
