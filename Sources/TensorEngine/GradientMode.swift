/// Whether new ops record their inputs for backpropagation.
///
/// Recording is on by default. Turn it off for inference and evaluation with
/// ``Tensor/withoutGradients(_:)``; ops then keep no references to their inputs, so
/// intermediate tensors are freed immediately. The setting is task-local: it applies to the
/// current task (or thread) only and never leaks into concurrent work.
enum GradientMode {
    @TaskLocal static var isRecording = true
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

    /// Whether ops started now record gradients.
    public static var isRecordingGradients: Bool { GradientMode.isRecording }

    /// Builds an op's result, attaching `op` only when some input needs a gradient.
    static func result(
        shape: [Int], storage: TensorStorage, inputs: Tensor..., op: @autoclosure () -> Op
    ) -> Tensor {
        let record = inputs.contains { $0.node.requiresGradient } && GradientMode.isRecording
        return Tensor(shape: shape, storage: storage, op: record ? op() : nil)
    }

    /// Like ``result(shape:storage:inputs:op:)`` for ops with a list of inputs.
    static func result(
        shape: [Int], storage: TensorStorage, inputList: [Tensor], op: @autoclosure () -> Op
    ) -> Tensor {
        let record = inputList.contains { $0.node.requiresGradient } && GradientMode.isRecording
        return Tensor(shape: shape, storage: storage, op: record ? op() : nil)
    }
}
