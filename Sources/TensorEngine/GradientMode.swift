import Synchronization

/// Whether new ops record their inputs for backpropagation.
///
/// Recording is on by default. Turn it off for inference and evaluation with
/// ``Tensor/withoutGradients(_:)``; ops then keep no references to their inputs, so
/// intermediate tensors are freed immediately. The setting is task-local: it applies to the
/// current task (or thread) only and never leaks into concurrent work.
enum GradientMode {
    @TaskLocal static var isRecording = true
    /// When set, the only leaves that take gradients (``Tensor/withGradients(onlyFor:_:)``).
    @TaskLocal static var onlyLeaves: Set<ObjectIdentifier>?
    /// How many such scopes are open in any task: while none is, a leaf's
    /// `requiresGradient` skips the task-local lookup (op creation asks it of every input).
    static let openScopes = Atomic<Int>(0)
}

extension Tensor {
    /// Runs `body` with gradient recording turned off.
    ///
    /// ```swift
    /// let scores = Tensor.withoutGradients { model(batch) }
    /// ```
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try GradientMode.$isRecording.withValue(false, operation: body)
    }

    /// Runs `body` with only `leaves` taking gradients: every other leaf (a model's weights)
    /// counts as a constant there, so no op records it and backpropagation computes no product
    /// for it. Gradients with respect to inputs (explanations) cost about a third less so.
    ///
    /// ```swift
    /// let gradient = Tensor.withGradients(onlyFor: [input]) { model(input).sum().gradients()[input] }
    /// ```
    public static func withGradients<R>(onlyFor leaves: [Tensor], _ body: () throws -> R) rethrows -> R {
        GradientMode.openScopes.add(1, ordering: .relaxed)
        defer { GradientMode.openScopes.subtract(1, ordering: .relaxed) }
        return try GradientMode.$onlyLeaves.withValue(Set(leaves.map { ObjectIdentifier($0.node) }), operation: body)
    }

    /// Whether ops started now record gradients.
    public static var isRecordingGradients: Bool { GradientMode.isRecording }

    /// Builds an op's result, attaching `op` only when some input needs a gradient.
    static func result(
        shape: [Int], storage: TensorStorage, inputs: Tensor..., op: @autoclosure () -> Op
    ) -> Tensor {
        let record = inputs.contains { $0.requiresGradient } && GradientMode.isRecording
        return Tensor(shape: shape, storage: storage, op: record ? op() : nil)
    }

    /// Like ``result(shape:storage:inputs:op:)`` for ops with a list of inputs.
    static func result(
        shape: [Int], storage: TensorStorage, inputList: [Tensor], op: @autoclosure () -> Op
    ) -> Tensor {
        let record = inputList.contains { $0.requiresGradient } && GradientMode.isRecording
        return Tensor(shape: shape, storage: storage, op: record ? op() : nil)
    }
}
