import TensorEngine

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// matching PyTorch's `torch.optim.SGD` (no dampening).
///
/// ```
/// d = g + weightDecay * p
/// b = d                       on a parameter's first step
/// b = momentum * b + d        afterwards
/// d = nesterov ? d + momentum * b : b        (when momentum != 0)
/// p = p - learningRate * d
/// ```
///
/// ### See Also
/// ``SGD``, ``Adam``, ``ParameterOptimizer``
public struct SGDRule: UpdateRule {
    /// `μ`, the weight of the previous update in the momentum buffer (0 for plain SGD).
    public let momentum: Float
    /// Whether to step along the look-ahead `d + μ b` instead of `b`.
    public let nesterov: Bool
    /// `λ`: adds `λ p` to the gradient (an L2 penalty `λ/2 Σ p²`).
    public let weightDecay: Float

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum >= 0, "SGD: momentum \(momentum) must be non-negative")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// The momentum buffer `b` (empty without momentum).
    public struct State: Sendable {
        var buffer: [Float]
    }

    public func makeState(count: Int) -> State {
        State(buffer: momentum == 0 ? [] : [Float](repeating: 0, count: count))
    }

    public func update(
        parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        state: inout State, learningRate: Float, step: Int
    ) {
        let (mu, decay) = (momentum, weightDecay)
        guard mu != 0 else {
            for i in 0..<p.count { p[i] -= learningRate * (g[i] + decay * p[i]) }
            return
        }
        let first = step == 1
        let nesterov = nesterov
        state.buffer.withUnsafeMutableBufferPointer { b in
            for i in 0..<p.count {
                let d = g[i] + decay * p[i]
                b[i] = first ? d : mu * b[i] + d
                p[i] -= learningRate * (nesterov ? d + mu * b[i] : b[i])
            }
        }
    }
}

/// Stochastic gradient descent (see ``SGDRule``).
///
/// ```swift
/// let optimizer = SGD(for: model, learningRate: 0.1, momentum: 0.9, nesterov: true)
/// ```
public typealias SGD = ParameterOptimizer<SGDRule>

extension ParameterOptimizer where Rule == SGDRule {
    /// Creates SGD for every parameter of `layer`, with PyTorch's defaults.
    ///
    /// - Parameters:
    ///   - layer: The model.
    ///   - learningRate: The step size.
    ///   - momentum: `μ` (default 0: plain SGD).
    ///   - nesterov: Use Nesterov momentum (needs `momentum > 0`).
    ///   - weightDecay: L2 coefficient added to the gradient as `λ p`.
    ///   - schedule: Optionally, where the learning rate comes from at each step.
    public convenience init(
        for layer: any Layer, learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
        weightDecay: Float = 0, schedule: (any LearningRateSchedule)? = nil
    ) {
        self.init(
            for: layer, rule: SGDRule(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay),
            learningRate: learningRate, schedule: schedule)
    }
}
