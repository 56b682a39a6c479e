import TensorEngine

/// A neural-network building block that owns named parameters and named sublayers.
///
/// Parameters form a tree; ``Layer/parameters()`` flattens it into stable dotted keys
/// (`blocks.0.attention.queryWeight`) that checkpoints, optimizers and gradients share.
/// A layer's parameter tensors are leaves that require gradients; optimizers update their
/// values in place between steps, so identity (and thus gradient lookup) never changes.
///
/// ```swift
/// final class TwoLayer: Layer {
///     let hidden = Linear(inputSize: 17, outputSize: 64, generator: &rng)
///     let output = Linear(inputSize: 64, outputSize: 1, generator: &rng)
///     var sublayers: [(name: String, layer: any Layer)] { [("hidden", hidden), ("output", output)] }
///     func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// ```
public protocol Layer: AnyObject {
    /// Parameters held directly by this layer (not by its sublayers), in a fixed order.
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// Child layers, in a fixed order.
    var sublayers: [(name: String, layer: any Layer)] { get }
    /// Turns training-only behaviour (dropout) on or off here and in every sublayer.
    func setTraining(_ training: Bool)
}

extension Layer {
    public var ownParameters: [(name: String, tensor: Tensor)] { [] }
    public var sublayers: [(name: String, layer: any Layer)] { [] }

    public func setTraining(_ training: Bool) {
        for child in sublayers { child.layer.setTraining(training) }
    }

    /// Every parameter in the tree under its dotted key, in a fixed order.
    public func parameters() -> [(key: String, tensor: Tensor)] {
        var result: [(key: String, tensor: Tensor)] = ownParameters.map { ($0.name, $0.tensor) }
        for child in sublayers {
            for (key, tensor) in child.layer.parameters() {
                result.append((child.name + "." + key, tensor))
            }
        }
        return result
    }

    /// The total number of scalar parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.tensor.count } }

    /// Copies values into this layer's parameters, in place.
    ///
    /// - Parameter values: Tensors by dotted key; every parameter must be present with its
    ///   exact shape, and no unknown keys may appear.
    /// - Throws: ``LayerError`` naming the key and shapes when the values do not fit.
    public func load(_ values: [String: Tensor]) throws(LayerError) {
        let own = parameters()
        for (key, tensor) in own {
            guard let value = values[key] else { throw .missingParameter(key: key) }
            guard value.shape == tensor.shape else {
                throw .shapeMismatch(key: key, expected: tensor.shape, found: value.shape)
            }
        }
        let known = Set(own.map(\.key))
        if let extra = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unexpectedParameter(key: extra)
        }
        for (key, tensor) in own {
            if let value = values[key] { tensor.assign(value) }
        }
    }
}

/// Errors from fitting values to a layer's parameters.
public enum LayerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A parameter of the layer has no value.
    case missingParameter(key: String)
    /// A value's shape differs from the parameter's.
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// A value names no parameter of the layer.
    case unexpectedParameter(key: String)

    public var description: String {
        switch self {
        case .missingParameter(let key):
            return "parameter '\(key)' is missing; the weights were saved from a different model configuration"
        case .shapeMismatch(let key, let expected, let found):
            return
                "parameter '\(key)': expected shape \(expected), got \(found); check the model configuration matches the weights"
        case .unexpectedParameter(let key):
            return "value '\(key)' matches no parameter of this model; the weights were saved from a different model"
        }
    }
}
