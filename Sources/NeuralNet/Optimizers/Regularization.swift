import TensorEngine

/// A weight penalty added to the gradients of a model's parameters before an optimizer step.
///
/// ```
/// .l1(λ):  penalty λ Σ|p|       gradient λ sign(p)     (sign(0) = 0)
/// .l2(λ):  penalty λ/2 Σ p²     gradient λ p           (the same as SGD's or Adam's weightDecay λ)
/// ```
///
/// There are two equivalent ways to use one; pick either, not both:
///
/// ```swift
/// // 1. Add its gradient to the gradients (cheaper: no graph for the penalty).
/// var grads = loss.gradients()
/// Regularization.l2(1e-4).apply(to: &grads, for: model)
///
/// // 2. Add it to the loss as a term (the value shows up in the logged loss).
/// let total = loss + Regularization.l2(1e-4).penalty(of: model)
/// ```
///
/// Every parameter of the layer is penalised (each shared tensor once), including those that
/// got no gradient from the loss; pass a sublayer to penalise only part of a model.
///
/// ### See Also
/// ``l1Penalty(of:)``, ``l2Penalty(of:)``
public enum Regularization: Sendable, Equatable {
    /// A lasso penalty `λ Σ|p|`, pushing weights to exactly zero.
    case l1(Float)
    /// A ridge penalty `λ/2 Σ p²`, shrinking weights toward zero.
    case l2(Float)

    /// The penalty of `layer`'s parameters as a 0-dimensional loss term (with gradients).
    public func penalty(of layer: any Layer) -> Tensor {
        switch self {
        case .l1(let strength): return strength * l1Penalty(of: layer)
        case .l2(let strength): return strength * l2Penalty(of: layer)
        }
    }

    /// Adds the penalty's gradient to `gradients` for every parameter of `layer`.
    public func apply(to gradients: inout Gradients, for layer: any Layer) {
        for (_, parameter) in uniqueParameters(layer.parameters()) {
            var values = gradients[parameter]?.scalars ?? [Float](repeating: 0, count: parameter.count)
            parameter.withUnsafeScalars { p in
                switch self {
                case .l1(let strength):
                    for i in 0..<values.count where p[i] != 0 { values[i] += p[i] > 0 ? strength : -strength }
                case .l2(let strength):
                    for i in 0..<values.count { values[i] += strength * p[i] }
                }
            }
            gradients.set(Tensor(shape: parameter.shape, scalars: values), for: parameter)
        }
    }
}

/// `Σ|p|` over every parameter of `layer` (each shared tensor once), as a loss term.
///
/// `λ * l1Penalty(of: layer)` has the gradient that ``Regularization/l1(_:)`` adds.
public func l1Penalty(of layer: any Layer) -> Tensor {
    sumOverParameters(of: layer) { $0.abs().sum() }
}

/// `½ Σ p²` over every parameter of `layer` (each shared tensor once), as a loss term.
///
/// The ½ makes `λ * l2Penalty(of: layer)` have gradient `λ p`: the same as
/// ``Regularization/l2(_:)`` and as an optimizer's `weightDecay: λ`.
public func l2Penalty(of layer: any Layer) -> Tensor {
    sumOverParameters(of: layer) { $0.squared().sum() } * 0.5
}

private func sumOverParameters(of layer: any Layer, _ term: (Tensor) -> Tensor) -> Tensor {
    uniqueParameters(layer.parameters()).reduce(Tensor(0)) { $0 + term($1.tensor) }
}
