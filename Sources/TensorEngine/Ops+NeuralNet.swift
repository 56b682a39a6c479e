import Randomness

// Primitives fused for numerical stability or speed: softmax, log-softmax, normalisation,
// dropout and the im2col step of 1-D convolution.

extension Tensor {
    /// Softmax along `axis` (default: last), computed stably by subtracting the maximum.
    public func softmax(axis: Int = -1) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "softmax")
        let out = softmaxKernel(axis: a, log: false)
        return Tensor.result(shape: shape, storage: out, inputs: self, op: .softmax(self, axis: a))
    }

    /// `log(softmax(x))` along `axis` (default: last), fused so it never takes log of 0.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "logSoftmax")
        let out = softmaxKernel(axis: a, log: true)
        return Tensor.result(shape: shape, storage: out, inputs: self, op: .logSoftmax(self, axis: a))
    }

    private func softmaxKernel(axis: Int, log: Bool) -> TensorStorage {
        let (outer, n, inner) = ShapeMath.around(shape, axis: axis)
        let out = TensorStorage(uninitializedCount: count)
        let src = pointer
        let dst = out.pointer
        if inner == 1 {
            parallelChunks(outer, costPerItem: n * 4) { range in
                for o in range {
                    let s = src + o * n
                    let d = dst + o * n
                    let top = FastMath.max(s, n)
                    for k in 0..<n { d[k] = FastMath.exp(s[k] - top) }
                    let total = FastMath.sum(d, n)
                    if log {
                        let shift = top + FastMath.log(total)
                        for k in 0..<n { d[k] = s[k] - shift }
                    } else {
                        let scale = 1 / total
                        for k in 0..<n { d[k] *= scale }
                    }
                }
            }
            return out
        }
        for o in 0..<outer {
            for j in 0..<inner {
                let base = o * n * inner + j
                var top = -Float.infinity
                for k in 0..<n { top = Swift.max(top, src[base + k * inner]) }
                var total: Float = 0
                for k in 0..<n {
                    let e = FastMath.exp(src[base + k * inner] - top)
                    dst[base + k * inner] = e
                    total += e
                }
                if log {
                    let shift = top + FastMath.log(total)
                    for k in 0..<n { dst[base + k * inner] = src[base + k * inner] - shift }
                } else {
                    for k in 0..<n { dst[base + k * inner] /= total }
                }
            }
        }
        return out
    }

    /// `(x - mean) / sqrt(variance + epsilon)` over the last axis (the core of layer norm).
    ///
    /// Fused so that the backward rule is the closed form rather than a chain of reductions.
    public func normalized(epsilon: Float = 1e-5) -> Tensor {
        let n = shape.last ?? 1
        let rows = count / Swift.max(n, 1)
        let out = TensorStorage(uninitializedCount: count)
        let inverseStd = TensorStorage(uninitializedCount: rows)
        let src = pointer
        let dst = out.pointer
        let istd = inverseStd.pointer
        parallelChunks(rows, costPerItem: n * 3) { range in
            for r in range {
                let s = src + r * n
                let d = dst + r * n
                let mean = FastMath.sum(s, n) / Float(n)
                var sq: Float = 0
                for k in 0..<n {
                    let c = s[k] - mean
                    d[k] = c
                    sq += c * c
                }
                let inv = 1 / (sq / Float(n) + epsilon).squareRoot()
                istd[r] = inv
                for k in 0..<n { d[k] *= inv }
            }
        }
        return Tensor.result(shape: shape, storage: out, inputs: self, op: .normalize(self, inverseStd: inverseStd))
    }

    /// Layer normalisation over the last axis with a learned scale and shift.
    ///
    /// `y = (x - mean) / sqrt(var + eps) * gamma + beta`, with `gamma` and `beta` of shape `[D]`.
    public func layerNormalized(gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
        normalized(epsilon: epsilon) * gamma + beta
    }

    /// Inverted dropout: zeroes each element with probability `p` and scales the rest by
    /// `1 / (1 - p)`. Identity when `p == 0`.
    ///
    /// The mask comes from a counter-based hash keyed by one draw from `generator`, so it is
    /// the same whatever the thread count, and the loop vectorises: element `i` is kept when
    /// `hash(key, i)` falls at or above `p` of the 32-bit range.
    public func dropout(probability p: Float, generator: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout: probability \(p) must be in [0, 1)")
        if p == 0 { return self }
        let key = generator.next()
        let low = UInt32(truncatingIfNeeded: key)
        let high = UInt32(truncatingIfNeeded: key >> 32)
        let threshold = UInt32(min(Double(p) * 4_294_967_296.0, 4_294_967_295.0))
        let keep = 1 / (1 - p)
        let mask = TensorStorage(uninitializedCount: count)
        let out = TensorStorage(uninitializedCount: count)
        let src = pointer
        let m = mask.pointer
        let dst = out.pointer
        parallelChunks(count, costPerItem: 4) { r in
            for i in r {
                let bits = Tensor.mix(UInt32(truncatingIfNeeded: i) ^ low, high)
                let scale: Float = bits >= threshold ? keep : 0
                m[i] = scale
                dst[i] = src[i] * scale
            }
        }
        return Tensor.result(shape: shape, storage: out, inputs: self, op: .dropout(self, mask: mask))
    }

    /// A 32-bit integer hash (MurmurHash3's finaliser applied twice around the key).
    @inline(__always)
    static func mix(_ value: UInt32, _ key: UInt32) -> UInt32 {
        var x = value &* 0x9E37_79B1
        x ^= x >> 16
        x = x &* 0x85EB_CA6B
        x ^= key
        x ^= x >> 13
        x = x &* 0xC2B2_AE35
        x ^= x >> 16
        return x
    }

    /// 1-D convolution patches: `[N, C, L] -> [N, Lout, C * K]` with
    /// `Lout = (L + 2 * padding - dilation * (K - 1) - 1) / stride + 1`; column `c * K + k`
    /// of output row `t` holds `x[n, c, t * stride - padding + k * dilation]` (0 outside).
    public func im2col(kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1) -> Tensor {
        precondition(rank == 3, "im2col: input must be [N, C, L], got \(shape)")
        precondition(kernelSize > 0 && stride > 0 && padding >= 0 && dilation > 0, "im2col: bad geometry")
        let (batch, channels, length) = (shape[0], shape[1], shape[2])
        let outLength = Tensor.convolutionOutputLength(
            length, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
        precondition(outLength > 0, "im2col: kernel \(kernelSize) does not fit input \(shape) with padding \(padding)")
        let width = channels * kernelSize
        let out = TensorStorage(repeating: 0, count: batch * outLength * width)
        let src = pointer
        let dst = out.pointer
        for b in 0..<batch {
            for t in 0..<outLength {
                let row = dst + (b * outLength + t) * width
                for c in 0..<channels {
                    let s = src + (b * channels + c) * length
                    for k in 0..<kernelSize {
                        let pos = t * stride - padding + k * dilation
                        if pos >= 0 && pos < length { row[c * kernelSize + k] = s[pos] }
                    }
                }
            }
        }
        return Tensor.result(
            shape: [batch, outLength, width], storage: out, inputs: self,
            op: .im2col(self, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation))
    }

    /// Output length of a 1-D convolution.
    public static func convolutionOutputLength(
        _ length: Int, kernelSize: Int, stride: Int, padding: Int, dilation: Int
    ) -> Int {
        (length + 2 * padding - dilation * (kernelSize - 1) - 1) / stride + 1
    }

    /// 1-D convolution (cross-correlation, as in PyTorch's `Conv1d`).
    ///
    /// - Parameters:
    ///   - weight: `[Cout, Cin, K]`.
    ///   - bias: `[Cout]`, optional.
    /// - Returns: `[N, Cout, Lout]` for an input of `[N, Cin, L]`.
    public func conv1d(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1
    ) -> Tensor {
        precondition(
            weight.rank == 3 && rank == 3 && weight.shape[1] == shape[1],
            "conv1d: input \(shape) and weight \(weight.shape) need [N, Cin, L] and [Cout, Cin, K]")
        let columns = im2col(kernelSize: weight.shape[2], stride: stride, padding: padding, dilation: dilation)
        let flatWeight = weight.reshaped([weight.shape[0], -1])
        var y = columns.matmul(flatWeight, transposeB: true)  // [N, Lout, Cout]
        if let bias { y = y + bias }
        return y.transposed(1, 2)
    }
}
