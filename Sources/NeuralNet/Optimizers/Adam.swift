import Foundation
import TensorEngine

/// Adam (Kingma and Ba, 2015) with L2 weight decay added to the gradient, matching PyTorch's
/// `torch.optim.Adam` step for step.
///
/// ```
/// d = g + weightDecay * p
/// m = β1 m + (1 - β1) d
/// v = β2 v + (1 - β2) d²
/// p = p - learningRate / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + ε)
/// ```
///
/// `t` counts this parameter's updates. For weight decay that does not pass through the
/// moment estimates, use ``AdamWRule``.
///
/// ### See Also
/// ``Adam``, ``AdamWRule``, ``ParameterOptimizer``
public struct AdamRule: UpdateRule {
    /// `β1`, the decay of the first-moment (mean) estimate.
    public let beta1: Float
    /// `β2`, the decay of the second-moment (uncentred variance) estimate.
    public let beta2: Float
    /// `ε`, added to the denominator.
    public let epsilon: Float
    /// `λ`: adds `λ p` to the gradient before the moments (an L2 penalty `λ/2 Σ p²`).
    public let weightDecay: Float

    public init(
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = Self.defaultWeightDecay
    ) {
        precondition(
            (0..<1).contains(beta1) && (0..<1).contains(beta2),
            "Adam: betas (\(beta1), \(beta2)) must be in [0, 1)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public typealias State = AdamMoments

    public func makeState(count: Int) -> AdamMoments { AdamMoments(count: count) }

    public func update(
        parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        state: inout AdamMoments, learningRate: Float, step: Int
    ) {
        state.update(
            parameter: parameter, gradient: gradient, beta1: beta1, beta2: beta2, epsilon: epsilon,
            l2: weightDecay, learningRate: learningRate, step: step)
    }
}

/// AdamW (Loshchilov and Hutter, 2019): Adam with weight decay decoupled from the gradient,
/// matching PyTorch's `torch.optim.AdamW`.
///
/// ```
/// p = p * (1 - learningRate * weightDecay)
/// then the Adam update of ``AdamRule`` with no L2 term
/// ```
///
/// ### See Also
/// ``AdamW``, ``AdamRule``
public struct AdamWRule: UpdateRule {
    /// The Adam step applied after the decay (with no L2 term of its own).
    public let adam: AdamRule
    /// `λ`: each step shrinks parameters by the factor `1 - learningRate * λ`.
    public let weightDecay: Float

    /// `β1`, the decay of the first-moment estimate.
    public var beta1: Float { adam.beta1 }
    /// `β2`, the decay of the second-moment estimate.
    public var beta2: Float { adam.beta2 }
    /// `ε`, added to the denominator.
    public var epsilon: Float { adam.epsilon }

    public init(
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = Self.defaultWeightDecay
    ) {
        adam = AdamRule(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: 0)
        self.weightDecay = weightDecay
    }

    public typealias State = AdamMoments

    public func makeState(count: Int) -> AdamMoments { AdamMoments(count: count) }

    public func update(
        parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
        state: inout AdamMoments, learningRate: Float, step: Int
    ) {
        if weightDecay != 0 {
            let shrink = 1 - learningRate * weightDecay
            for i in 0..<parameter.count { parameter[i] *= shrink }
        }
        adam.update(parameter: parameter, gradient: gradient, state: &state, learningRate: learningRate, step: step)
    }
}

/// Adam's running moment estimates for one parameter.
public struct AdamMoments: Sendable {
    /// `m`, the first-moment estimate.
    var mean: [Float]
    /// `v`, the second-moment estimate.
    var squares: [Float]

    init(count: Int) {
        mean = [Float](repeating: 0, count: count)
        squares = [Float](repeating: 0, count: count)
    }

    /// One Adam update of `p`, with `l2 * p` added to the gradient first.
    ///
    /// The bias corrections are computed in double precision, as PyTorch does in Python.
    mutating func update(
        parameter p: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        beta1: Float, beta2: Float, epsilon: Float, l2: Float, learningRate: Float, step: Int
    ) {
        let correction1 = 1 - Foundation.pow(Double(beta1), Double(step))
        let correction2 = 1 - Foundation.pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let (keep1, keep2) = (1 - beta1, 1 - beta2)
        mean.withUnsafeMutableBufferPointer { m in
            squares.withUnsafeMutableBufferPointer { v in
                for i in 0..<p.count {
                    let d = g[i] + l2 * p[i]
                    m[i] += (d - m[i]) * keep1
                    v[i] = v[i] * beta2 + keep2 * d * d
                    p[i] -= stepSize * (m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon))
                }
            }
        }
    }
}

/// Adam with L2 weight decay (see ``AdamRule``).
///
/// ```swift
/// let optimizer = Adam(for: model, learningRate: 1e-3)
/// optimizer.step(loss.gradients())
/// ```
public typealias Adam = ParameterOptimizer<AdamRule>

/// Adam with decoupled weight decay (see ``AdamWRule``).
public typealias AdamW = ParameterOptimizer<AdamWRule>

/// An Adam-style rule built from the same four numbers (``AdamRule``, ``AdamWRule``).
public protocol AdamStyleRule: UpdateRule {
    init(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    /// PyTorch's default weight decay for the rule (0 for Adam, 0.01 for AdamW).
    static var defaultWeightDecay: Float { get }
}

extension AdamRule: AdamStyleRule {
    public static var defaultWeightDecay: Float { 0 }
}

extension AdamWRule: AdamStyleRule {
    public static var defaultWeightDecay: Float { 0.01 }
}

extension ParameterOptimizer where Rule: AdamStyleRule {
    /// Creates Adam or AdamW for every parameter of `layer`, with PyTorch's defaults.
    ///
    /// - Parameters:
    ///   - layer: The model.
    ///   - learningRate: The step size (PyTorch's default is 1e-3).
    ///   - beta1: Decay of the first-moment estimate.
    ///   - beta2: Decay of the second-moment estimate.
    ///   - epsilon: Added to the denominator.
    ///   - weightDecay: Adam: L2 coefficient added to the gradient as `λ p` (default 0). AdamW:
    ///     each step multiplies parameters by `1 - learningRate * weightDecay` (default 0.01).
    ///   - schedule: Optionally, where the learning rate comes from at each step.
    public convenience init(
        for layer: any Layer, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = Rule.defaultWeightDecay,
        schedule: (any LearningRateSchedule)? = nil
    ) {
        self.init(
            for: layer, rule: Rule(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay),
            learningRate: learningRate, schedule: schedule)
    }
}
