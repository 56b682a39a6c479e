// Reductions: sum and max along an axis, and the composites built on them.

extension Tensor {
    /// Sum along `axis`.
    ///
    /// - Parameters:
    ///   - axis: The axis to reduce (negative counts from the end).
    ///   - keepingDimension: Keep the reduced axis with size 1 (default false).
    public func sum(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "sum(axis:)")
        let (outer, n, inner) = ShapeMath.around(shape, axis: a)
        let out = TensorStorage(repeating: 0, count: outer * inner)
        let src = pointer
        let dst = out.pointer
        if inner == 1 {
            parallelChunks(outer, costPerItem: n) { r in
                for o in r { dst[o] = FastMath.sum(src + o * n, n) }
            }
        } else {
            parallelChunks(outer, costPerItem: n * inner) { r in
                for o in r {
                    let d = dst + o * inner
                    for k in 0..<n {
                        let s = src + (o * n + k) * inner
                        for j in 0..<inner { d[j] += s[j] }
                    }
                }
            }
        }
        var newShape = shape
        if keepingDimension { newShape[a] = 1 } else { newShape.remove(at: a) }
        return Tensor.result(shape: newShape, storage: out, inputs: self, op: .sum(self, axis: a))
    }

    /// Sum over several axes (negative axes count from the end).
    public func sum(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = Set(axes.map { ShapeMath.axis($0, rank: rank, op: "sum(axes:)") })
        // Highest axis first, so the remaining axis numbers stay valid when dropped.
        return normalized.sorted(by: >).reduce(self) { $0.sum(axis: $1, keepingDimension: keepingDimensions) }
    }

    /// Mean over several axes.
    public func mean(axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = Set(axes.map { ShapeMath.axis($0, rank: rank, op: "mean(axes:)") })
        let n = normalized.reduce(1) { $0 * shape[$1] }
        return sum(axes: Array(normalized), keepingDimensions: keepingDimensions) * (1 / Float(Swift.max(n, 1)))
    }

    /// Sum of all elements, as a 0-dimensional tensor.
    public func sum() -> Tensor {
        reshaped([count]).sum(axis: 0)
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "mean(axis:)")
        return sum(axis: a, keepingDimension: keepingDimension) * (1 / Float(Swift.max(shape[a], 1)))
    }

    /// Mean of all elements, as a 0-dimensional tensor.
    public func mean() -> Tensor {
        sum() * (1 / Float(Swift.max(count, 1)))
    }

    /// Maximum along `axis` (the gradient goes to the first maximal element).
    public func max(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "max(axis:)")
        let (outer, n, inner) = ShapeMath.around(shape, axis: a)
        precondition(n > 0, "max(axis:): axis \(axis) of shape \(shape) is empty")
        let out = TensorStorage(uninitializedCount: outer * inner)
        var argmax = [Int32](repeating: 0, count: outer * inner)
        let src = pointer
        let dst = out.pointer
        argmax.withUnsafeMutableBufferPointer { arg in
            for o in 0..<outer {
                for j in 0..<inner {
                    var best = src[o * n * inner + j]
                    var at: Int32 = 0
                    for k in 1..<Swift.max(n, 1) {
                        let v = src[(o * n + k) * inner + j]
                        if v > best {
                            best = v
                            at = Int32(k)
                        }
                    }
                    dst[o * inner + j] = best
                    arg[o * inner + j] = at
                }
            }
        }
        var newShape = shape
        if keepingDimension { newShape[a] = 1 } else { newShape.remove(at: a) }
        return Tensor.result(
            shape: newShape, storage: out, inputs: self, op: .max(self, axis: a, argmax: argmax))
    }

    /// Maximum of all elements, as a 0-dimensional tensor.
    public func max() -> Tensor {
        reshaped([count]).max(axis: 0)
    }

    /// Variance along `axis` (population variance, dividing by the count).
    public func variance(axis: Int, keepingDimension: Bool = false) -> Tensor {
        let centered = self - mean(axis: axis, keepingDimension: true)
        return centered.squared().mean(axis: axis, keepingDimension: keepingDimension)
    }
}

extension Tensor {
    /// Spreads a gradient of a sum over `axis` back to `inputShape` (the adjoint of sum).
    func expandedAlong(axis: Int, to inputShape: [Int]) -> TensorStorage {
        let (outer, n, inner) = ShapeMath.around(inputShape, axis: axis)
        let out = TensorStorage(uninitializedCount: outer * n * inner)
        let src = pointer
        let dst = out.pointer
        for o in 0..<outer {
            for k in 0..<n {
                (dst + (o * n + k) * inner).update(from: src + o * inner, count: inner)
            }
        }
        return out
    }
}
