import TensorEngine

/// Scales all gradients down together so that their global L2 norm is at most `maxNorm`,
/// as PyTorch's `clip_grad_norm_`.
///
/// ```
/// norm = sqrt(Σ_tensors Σ_i g_i²)
/// if maxNorm / (norm + 1e-6) < 1:  g = g * maxNorm / (norm + 1e-6)   for every gradient
/// ```
///
/// Every gradient in the store takes part. The sum is accumulated in double precision in an
/// order that does not depend on the store's internal order, so runs are reproducible.
///
/// ```swift
/// var grads = loss.gradients()
/// let norm = clipGradientNorm(&grads, maxNorm: 1)
/// optimizer.step(grads)
/// ```
///
/// - Parameters:
///   - gradients: The gradients to clip; replaced (never modified in place, because one
///     gradient tensor may be shared by several leaves).
///   - maxNorm: The largest allowed global norm; positive.
/// - Returns: The global norm before clipping (useful to log divergence).
@discardableResult
public func clipGradientNorm(_ gradients: inout Gradients, maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm \(maxNorm) must be positive")
    let entries = gradients.all
    let squares = entries.map { entry in
        entry.gradient.withUnsafeScalars { g in g.reduce(0.0) { $0 + Double($1) * Double($1) } }
    }
    let norm = Float(squares.sorted().reduce(0, +).squareRoot())
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        Tensor.withoutGradients {
            for entry in entries { gradients.set(entry.gradient * scale, for: entry.leaf) }
        }
    }
    return norm
}
