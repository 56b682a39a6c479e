#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scalar maths for the kernels, written so that loops over them vectorise.
enum FastMath {
    /// `e^x` with Cephes' range reduction and polynomial (about 1 ulp in single precision).
    ///
    /// Plain integer and floating-point operations only, unlike libm's `expf`, so the compiler
    /// can vectorise a loop that calls it.
    @inline(__always)
    static func exp(_ value: Float) -> Float {
        // NaN fails the first comparison and is clamped too, so the integer conversion below is
        // always defined; it is restored at the end.
        let x0: Float = value > -87.3 ? (value < 88.3 ? value : 88.3) : -87.3
        // floor(t) by truncation and a correction: a libm floor call would stop vectorisation.
        let t = x0 * 1.442_695_04 + 0.5
        let truncated = Int32(t)
        let n = Float(truncated) > t ? truncated &- 1 : truncated
        let fx = Float(n)
        var x = x0 - fx * 0.693_359_375
        x = x + fx * 2.121_944_4e-4
        let z = x * x
        var y: Float = 1.987_569_15e-4
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_6e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_1e-1
        y = y * z + x + 1
        let bits = UInt32(bitPattern: n &+ 127) << 23
        // Below the clamp the true value underflows: return exactly 0 (masked softmax entries).
        return value < -87.3 ? 0 : value.isNaN ? value : y * Float(bitPattern: bits)
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let e = exp(-2 * Swift.abs(x))
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// Natural logarithm (libm; not on the hottest paths).
    @inline(__always)
    static func log(_ x: Float) -> Float { logf(x) }

    /// Error function (libm).
    @inline(__always)
    static func erf(_ x: Float) -> Float { erff(x) }

    /// Gaussian error linear unit, exact form `x * Phi(x)` as in PyTorch's default.
    @inline(__always)
    static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * 0.707_106_77)) }

    /// Derivative of ``gelu(_:)``: `Phi(x) + x * phi(x)`.
    @inline(__always)
    static func geluDerivative(_ x: Float) -> Float {
        let cdf = 0.5 * (1 + erff(x * 0.707_106_77))
        let pdf = expf(-0.5 * x * x) * 0.398_942_28
        return cdf + x * pdf
    }

    @inline(__always)
    static func power(_ x: Float, _ p: Float) -> Float { powf(x, p) }

    /// Sum of `n` contiguous values with several accumulators, so the loop vectorises.
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = acc.sum()
        while i < n {
            total += p[i]
            i += 1
        }
        return total
    }

    /// Dot product of `n` contiguous values.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc +=
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var total = acc.sum()
        while i < n {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// Largest of `n >= 1` contiguous values.
    ///
    /// Uses a compare-and-blend on `SIMD8`: the standard library's generic `pointwiseMax` is
    /// not specialised into vector instructions and measured 50 times slower.
    @inline(__always)
    static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            acc = acc.replacing(with: v, where: v .> acc)
            i += 8
        }
        var best = acc.max()
        while i < n {
            best = Swift.max(best, p[i])
            i += 1
        }
        return best
    }
}
