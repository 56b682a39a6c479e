import Randomness
import TensorEngine
import Testing

/// Expects `actual` to equal `expected` in shape and, elementwise, within tolerance.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, relative: Float = 1e-4, absolute: Float = 1e-5,
    _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "shape \(comment)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    expectClose(
        actual.scalars, expected.scalars, relative: relative, absolute: absolute, comment,
        sourceLocation: sourceLocation)
}

/// Expects two arrays to agree elementwise within `absolute + relative * |expected|`.
public func expectClose(
    _ actual: [Float], _ expected: [Float], relative: Float = 1e-4, absolute: Float = 1e-5,
    _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "count \(comment)", sourceLocation: sourceLocation)
    var worst: (index: Int, excess: Float)? = nil
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let excess = Swift.abs(a - e) - (absolute + relative * Swift.abs(e))
        let failed = excess > 0 || a.isNaN != e.isNaN
        if failed, excess.isNaN || excess > (worst?.excess ?? -.infinity) { worst = (i, excess) }
    }
    if let worst {
        Issue.record(
            "\(comment): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index])",
            sourceLocation: sourceLocation)
    }
}

/// Compares the gradients of `sum(f(inputs) * weights)` (random fixed weights) with central
/// differences, for every element of every input that requires a gradient.
///
/// Float32 finite differences are noisy, so the defaults are h = 1e-2 and a 2% relative
/// tolerance; keep inputs away from kinks (relu at 0, abs at 0, ties in max) by more than h.
public func checkGradients(
    _ inputs: [Tensor], step h: Float = 1e-2, relative: Float = 2e-2, absolute: Float = 2e-3,
    seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor
) {
    let probe = Tensor.withoutGradients { f(inputs) }
    var rng = RandomGenerator(seed: seed)
    let weights = Tensor.uniform(probe.shape, in: -1...1, generator: &rng)
    func objective(_ xs: [Tensor]) -> Tensor { (f(xs) * weights).sum() }

    let grads = objective(inputs).gradients()
    for (position, input) in inputs.enumerated() where input.requiresGradient {
        guard let analytic = grads[input] else {
            Issue.record("input \(position): no gradient reached it", sourceLocation: sourceLocation)
            continue
        }
        var numeric = [Float](repeating: 0, count: input.count)
        let base = input.scalars
        for i in 0..<input.count {
            func value(at delta: Float) -> Double {
                var shifted = base
                shifted[i] += delta
                var xs = inputs
                xs[position] = Tensor(shape: input.shape, scalars: shifted)
                return Double(Tensor.withoutGradients { objective(xs) }.scalar)
            }
            numeric[i] = Float((value(at: h) - value(at: -h)) / (2 * Double(h)))
        }
        expectClose(
            analytic.scalars, numeric, relative: relative, absolute: absolute,
            "gradient of input \(position) (shape \(input.shape))", sourceLocation: sourceLocation)
    }
}

/// A seeded random leaf tensor that requires a gradient.
public func randomInput(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, in: range, generator: &rng, requiresGradient: true)
}

/// A seeded random leaf whose elements stay at least `margin` away from zero.
public func randomInputAwayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        let v = margin + rng.nextUniform() * (1 - margin)
        return rng.nextBernoulli(0.5) ? v : -v
    }
    return Tensor(shape: shape, scalars: values, requiresGradient: true)
}
