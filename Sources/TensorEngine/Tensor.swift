/// An n-dimensional array of `Float` values in contiguous row-major order, with reverse-mode
/// automatic differentiation.
///
/// A `Tensor` is a value: ops never modify their inputs, they return new tensors. When any
/// input of an op requires a gradient (and recording is on, see ``Tensor/withoutGradients(_:)``),
/// the result remembers the op and its inputs; ``Tensor/gradients(seed:)`` walks that graph
/// backwards. The graph is owned by the tensors themselves, so it is freed as soon as the
/// last tensor referring to it goes away: there is no global tape.
///
/// ```swift
/// let w = Tensor(shape: [2, 1], scalars: [0.5, -1], requiresGradient: true)
/// let x = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
/// let loss = x.matmul(w).squared().mean()
/// let grads = loss.gradients()
/// print(grads[w]?.shape ?? [])   // [2, 1]
/// ```
///
/// Sharing: a tensor is safe to read from many threads. Parameters updated in place by an
/// optimizer must not be read concurrently with that update.
public struct Tensor: @unchecked Sendable {
    let node: TensorNode

    init(node: TensorNode) { self.node = node }

    /// Creates a tensor from row-major values.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) {
        precondition(
            shape.allSatisfy { $0 >= 0 },
            "Tensor(shape:scalars:): negative dimension in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "Tensor(shape:scalars:): shape \(shape) needs \(shape.reduce(1, *)) values, got \(scalars.count)")
        node = TensorNode(
            shape: shape, storage: TensorStorage(scalars), op: nil,
            requiresGradient: requiresGradient)
    }

    /// Creates a tensor with every element equal to `value`.
    public init(repeating value: Float, shape: [Int], requiresGradient: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor(repeating:shape:): negative dimension in \(shape)")
        node = TensorNode(
            shape: shape, storage: TensorStorage(repeating: value, count: shape.reduce(1, *)), op: nil,
            requiresGradient: requiresGradient)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(repeating: 0, shape: shape, requiresGradient: requiresGradient)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(repeating: 1, shape: shape, requiresGradient: requiresGradient)
    }

    /// A 0-dimensional tensor holding one value.
    public init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    init(shape: [Int], storage: TensorStorage, op: Op?) {
        node = TensorNode(shape: shape, storage: storage, op: op, requiresGradient: op != nil)
    }

    /// The size of each dimension.
    public var shape: [Int] { node.shape }
    /// The number of dimensions.
    public var rank: Int { node.shape.count }
    /// The number of elements.
    public var count: Int { node.storage.count }
    /// Whether gradients flow to or through this tensor.
    public var requiresGradient: Bool {
        guard node.requiresGradient else { return false }
        // A leaf outside the ones `withGradients(onlyFor:_:)` names is a constant there.
        guard node.op == nil, GradientMode.openScopes.load(ordering: .relaxed) > 0, let only = GradientMode.onlyLeaves
        else { return true }
        return only.contains(ObjectIdentifier(node))
    }

    /// The values in row-major order.
    public var scalars: [Float] { Array(node.storage.buffer) }

    /// The single value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return node.storage.pointer[0]
    }

    /// The same values with no gradient history and no gradient requirement.
    public func detached() -> Tensor {
        Tensor(node: TensorNode(shape: shape, storage: node.storage, op: nil, requiresGradient: false))
    }

    /// A leaf tensor with the same values that records gradients (copies nothing).
    public func requiringGradient() -> Tensor {
        Tensor(node: TensorNode(shape: shape, storage: node.storage, op: nil, requiresGradient: true))
    }

    /// Calls `body` with the values for reading.
    public func withUnsafeScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(node.storage.buffer))
    }

    /// Calls `body` with the values for writing in place.
    ///
    /// Meant for optimizers and weight loading on leaf tensors between training steps:
    /// every tensor that shares this storage (reshapes, detached copies) sees the change.
    public func withUnsafeMutableScalars<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(node.storage.buffer)
    }

    /// Overwrites this tensor's values with `other`'s, in place.
    ///
    /// - Precondition: both tensors have the same shape.
    public func assign(_ other: Tensor) {
        precondition(other.shape == shape, "Tensor.assign: shape \(other.shape) does not match \(shape)")
        node.storage.pointer.update(from: other.node.storage.pointer, count: count)
    }

    /// Whether two tensors are the same node (not merely equal values).
    public func isIdentical(to other: Tensor) -> Bool { node === other.node }

    var pointer: UnsafeMutablePointer<Float> { node.storage.pointer }
    var storage: TensorStorage { node.storage }
}

/// One node of the computation graph: a value and, for op results, how it was made.
final class TensorNode: @unchecked Sendable {
    let shape: [Int]
    let storage: TensorStorage
    let op: Op?
    let requiresGradient: Bool

    init(shape: [Int], storage: TensorStorage, op: Op?, requiresGradient: Bool) {
        self.shape = shape
        self.storage = storage
        self.op = op
        self.requiresGradient = requiresGradient
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(values)\(count > 8 ? ", ..." : "")])"
    }
}

/// Integer indices (embedding lookups, class targets, gather positions), in row-major order.
public struct IndexTensor: Sendable, Equatable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The indices in row-major order.
    public let indices: [Int]

    /// Creates an index tensor.
    ///
    /// - Precondition: `indices.count` equals the product of `shape`.
    public init(shape: [Int], indices: [Int]) {
        precondition(
            shape.reduce(1, *) == indices.count,
            "IndexTensor: shape \(shape) needs \(shape.reduce(1, *)) indices, got \(indices.count)")
        self.shape = shape
        self.indices = indices
    }

    /// A one-dimensional index tensor.
    public init(_ indices: [Int]) {
        self.init(shape: [indices.count], indices: indices)
    }

    /// The number of indices.
    public var count: Int { indices.count }
}
