import Foundation

/// The learning rate as a function of the optimizer step (0 for the first update).
///
/// Give one to an optimizer (``ParameterOptimizer/schedule``) and it sets its learning rate
/// from `learningRate(at: stepCount)` before every step, or call it yourself and assign
/// ``Optimizer/learningRate``.
///
/// ```swift
/// let schedule = LinearWarmup(
///     wrapping: CosineAnnealing(initial: 1e-3, minimum: 1e-5, totalSteps: 10_000), warmupSteps: 500)
/// let optimizer = Adam(for: model, learningRate: 1e-3, schedule: schedule)
/// ```
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for update number `step` (0-based).
    func learningRate(at step: Int) -> Float
}

/// The same learning rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    /// The learning rate.
    public let value: Float

    public init(_ value: Float) { self.value = value }

    public func learningRate(at step: Int) -> Float { value }
}

/// Multiplies the learning rate by `factor` every `stepSize` steps (PyTorch's `StepLR`).
///
/// ```
/// rate(t) = initial * factor^floor(t / stepSize)
/// ```
public struct StepDecay: LearningRateSchedule {
    /// The rate for steps `0..<stepSize`.
    public let initial: Float
    /// How many steps share one rate.
    public let stepSize: Int
    /// The multiplier applied at each boundary (e.g. 0.1).
    public let factor: Float

    public init(initial: Float, stepSize: Int, factor: Float) {
        precondition(stepSize > 0, "StepDecay: stepSize \(stepSize) must be positive")
        self.initial = initial
        self.stepSize = stepSize
        self.factor = factor
    }

    public func learningRate(at step: Int) -> Float {
        Float(Double(initial) * Foundation.pow(Double(factor), Double(Swift.max(step, 0) / stepSize)))
    }
}

/// Half a cosine from `initial` down to `minimum` over `totalSteps`, then `minimum`
/// (PyTorch's `CosineAnnealingLR` for its first half-period).
///
/// ```
/// rate(t) = minimum + (initial - minimum) * (1 + cos(π * min(t, totalSteps) / totalSteps)) / 2
/// ```
public struct CosineAnnealing: LearningRateSchedule {
    /// The rate at step 0.
    public let initial: Float
    /// The rate from `totalSteps` on.
    public let minimum: Float
    /// The length of the decay.
    public let totalSteps: Int

    public init(initial: Float, minimum: Float = 0, totalSteps: Int) {
        precondition(totalSteps > 0, "CosineAnnealing: totalSteps \(totalSteps) must be positive")
        self.initial = initial
        self.minimum = minimum
        self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Float {
        let progress = Double(Swift.min(Swift.max(step, 0), totalSteps)) / Double(totalSteps)
        let cosine = (1 + Foundation.cos(Double.pi * progress)) / 2
        return Float(Double(minimum) + Double(initial - minimum) * cosine)
    }
}

/// Ramps the learning rate up linearly over the first `warmupSteps` steps, then follows the
/// wrapped schedule.
///
/// ```
/// rate(t) = wrapped(t) * (t + 1) / warmupSteps     for t < warmupSteps
/// rate(t) = wrapped(t)                             otherwise
/// ```
///
/// The ramp is the line from 0 (at step -1) to the wrapped value (at step `warmupSteps - 1`),
/// so even the first update moves the weights. The wrapped schedule keeps its own clock: it
/// is evaluated at `t`, not at `t - warmupSteps`.
public struct LinearWarmup: LearningRateSchedule {
    /// The schedule followed after the warm-up.
    public let wrapped: any LearningRateSchedule
    /// The length of the ramp (0 turns it off).
    public let warmupSteps: Int

    public init(wrapping schedule: any LearningRateSchedule, warmupSteps: Int) {
        precondition(warmupSteps >= 0, "LinearWarmup: warmupSteps \(warmupSteps) must not be negative")
        wrapped = schedule
        self.warmupSteps = warmupSteps
    }

    public func learningRate(at step: Int) -> Float {
        let rate = wrapped.learningRate(at: step)
        guard step < warmupSteps else { return rate }
        return rate * Float(Swift.max(step, 0) + 1) / Float(warmupSteps)
    }
}
