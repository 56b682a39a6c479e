import TensorEngine

/// Something that updates a model's parameters from their gradients, one step at a time.
///
/// Use it to hold "whichever optimizer the user chose"; build one with ``SGD``, ``Adam`` or
/// ``AdamW``.
///
/// ```swift
/// let optimizer: any Optimizer = Adam(for: model, learningRate: 1e-3)
/// let grads = loss.gradients()
/// optimizer.step(grads)
/// ```
public protocol Optimizer: AnyObject {
    /// The step size used by the next ``step(_:)`` (overwritten there by a schedule, if any).
    var learningRate: Float { get set }
    /// The number of completed calls to ``step(_:)``.
    var stepCount: Int { get }
    /// Updates every parameter that has a gradient in `gradients`, in place; parameters
    /// without one are left untouched.
    func step(_ gradients: Gradients)
}

/// The per-parameter maths of an optimizer: how one parameter tensor moves given its gradient
/// and the running state kept for it.
///
/// ``ParameterOptimizer`` walks the parameters and hands each one to
/// ``update(parameter:gradient:state:learningRate:step:)`` as flat buffers; a rule writes plain
/// loops over them and allocates nothing per step.
public protocol UpdateRule: Sendable {
    /// What the rule remembers per parameter (momentum buffers, moment estimates).
    associatedtype State

    /// The state of a parameter with `count` elements before its first update.
    func makeState(count: Int) -> State

    /// Updates `parameter` in place.
    ///
    /// - Parameters:
    ///   - parameter: The parameter's values, row-major.
    ///   - gradient: Its gradient, with the same count.
    ///   - state: This parameter's state, updated in place.
    ///   - learningRate: The optimizer's current learning rate.
    ///   - step: How many updates this parameter has had, counting this one (1 on its first),
    ///     like PyTorch's per-parameter `step` (used for Adam's bias correction).
    func update(
        parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        state: inout State, learningRate: Float, step: Int)
}

/// An optimizer that applies an ``UpdateRule`` to every parameter of a model.
///
/// It captures the parameters when created (each tensor once, even if the layer tree lists a
/// shared tensor under two keys) and keeps one ``UpdateRule/State`` per parameter, made on the
/// parameter's first gradient. Values change in place, so the model sees the update at once
/// and gradient lookups by tensor keep working.
///
/// Usually spelled through its aliases: ``SGD``, ``Adam``, ``AdamW``.
///
/// ```swift
/// let optimizer = Adam(for: model, learningRate: 1e-3)
/// optimizer.schedule = LinearWarmup(wrapping: CosineAnnealing(initial: 1e-3, minimum: 1e-5, totalSteps: 10_000),
///                                   warmupSteps: 500)
/// for batch in batches {
///     let loss = binaryCrossEntropyWithLogits(logits: model(batch.x), targets: batch.y)
///     var grads = loss.gradients()
///     clipGradientNorm(&grads, maxNorm: 1)
///     optimizer.step(grads)
/// }
/// ```
public final class ParameterOptimizer<Rule: UpdateRule>: Optimizer {
    /// The hyper-parameters and update maths (fixed: the per-parameter state depends on them).
    public let rule: Rule
    /// The step size used by the next ``step(_:)``.
    public var learningRate: Float
    /// When set, ``step(_:)`` first sets ``learningRate`` to `schedule.learningRate(at: stepCount)`.
    public var schedule: (any LearningRateSchedule)?
    /// The number of completed calls to ``step(_:)``.
    public private(set) var stepCount = 0

    private struct Slot {
        let key: String
        let tensor: Tensor
        var state: Rule.State?
        var updates = 0
    }

    private var slots: [Slot]

    /// Creates an optimizer for every parameter of `layer`.
    ///
    /// - Parameters:
    ///   - layer: The model; its parameters are captured now.
    ///   - rule: The update maths and hyper-parameters.
    ///   - learningRate: The initial step size.
    ///   - schedule: Optionally, where the learning rate comes from at each step.
    public convenience init(
        for layer: any Layer, rule: Rule, learningRate: Float, schedule: (any LearningRateSchedule)? = nil
    ) {
        self.init(parameters: layer.parameters(), rule: rule, learningRate: learningRate, schedule: schedule)
    }

    /// Creates an optimizer for the given named tensors (leaves that require gradients).
    public init(
        parameters: [(key: String, tensor: Tensor)], rule: Rule, learningRate: Float,
        schedule: (any LearningRateSchedule)? = nil
    ) {
        self.rule = rule
        self.learningRate = learningRate
        self.schedule = schedule
        slots = uniqueParameters(parameters).map { Slot(key: $0.key, tensor: $0.tensor) }
    }

    /// The keys of the optimized parameters, in update order.
    public var parameterKeys: [String] { slots.map(\.key) }

    public func step(_ gradients: Gradients) {
        if let schedule { learningRate = schedule.learningRate(at: stepCount) }
        let rule = rule
        let learningRate = learningRate
        for index in slots.indices {
            let parameter = slots[index].tensor
            guard let gradient = gradients[parameter] else { continue }
            precondition(
                gradient.shape == parameter.shape,
                "\(Rule.self): gradient \(gradient.shape) for parameter '\(slots[index].key)' of shape \(parameter.shape)"
            )
            slots[index].updates += 1
            // Moved out and back so the state's buffers stay uniquely referenced (no copy).
            var state = slots[index].state.take() ?? rule.makeState(count: parameter.count)
            let updates = slots[index].updates
            gradient.withUnsafeScalars { g in
                parameter.withUnsafeMutableScalars { p in
                    rule.update(
                        parameter: p, gradient: g, state: &state, learningRate: learningRate, step: updates)
                }
            }
            slots[index].state = state
        }
        stepCount += 1
    }
}

/// `parameters` without repeats of the same tensor (a tied weight listed under two keys), so
/// it is updated, penalised and counted once; the first key wins.
func uniqueParameters(_ parameters: [(key: String, tensor: Tensor)]) -> [(key: String, tensor: Tensor)] {
    var result: [(key: String, tensor: Tensor)] = []
    for entry in parameters where !result.contains(where: { $0.tensor.isIdentical(to: entry.tensor) }) {
        result.append(entry)
    }
    return result
}
