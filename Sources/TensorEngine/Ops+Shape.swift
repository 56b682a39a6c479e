// Shape and indexing primitives: reshape, permute, concat, slice, index selection,
// masked fill and select.

extension Tensor {
    /// The same values with a new shape; one dimension may be -1 (inferred). Copies nothing.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(
                known > 0 && count % known == 0,
                "reshaped: cannot infer -1 in \(newShape) for \(count) elements of shape \(shape)")
            target[inferred] = count / known
        }
        precondition(
            target.allSatisfy { $0 >= 0 } && target.reduce(1, *) == count,
            "reshaped: shape \(shape) (\(count) elements) cannot become \(newShape)")
        if target == shape { return self }
        return Tensor.result(shape: target, storage: storage, inputs: self, op: .reshape(self))
    }

    /// Reorders axes: result axis `i` is this tensor's axis `permutation[i]` (copies).
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            permutation.sorted() == Array(0..<rank),
            "permuted: \(permutation) is not a permutation of the axes of shape \(shape)")
        if permutation == Array(0..<rank) { return self }
        let newShape = permutation.map { shape[$0] }
        let inStrides = ShapeMath.strides(shape)
        let gathered = permutation.map { inStrides[$0] }
        let out = TensorStorage(uninitializedCount: count)
        Tensor.stridedCopy(from: pointer, strides: gathered, shape: newShape, to: out.pointer)
        return Tensor.result(
            shape: newShape, storage: out, inputs: self, op: .permute(self, permutation: permutation))
    }

    /// Swaps two axes (copies).
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
        let a = ShapeMath.axis(axis0, rank: rank, op: "transposed")
        let b = ShapeMath.axis(axis1, rank: rank, op: "transposed")
        var permutation = Array(0..<rank)
        permutation.swapAt(a, b)
        return permuted(permutation)
    }

    /// Writes the elements of a strided view of `src` contiguously into `dst`.
    static func stridedCopy(
        from src: UnsafePointer<Float>, strides: [Int], shape: [Int], to dst: UnsafeMutablePointer<Float>
    ) {
        let rank = shape.count
        if rank == 0 {
            dst[0] = src[0]
            return
        }
        let inner = shape[rank - 1]
        let innerStride = strides[rank - 1]
        let rows = shape.reduce(1, *) / Swift.max(inner, 1)
        if inner == 0 { return }
        parallelChunks(rows, costPerItem: inner) { range in
            for row in range {
                var rest = row
                var offset = 0
                var axis = rank - 2
                while axis >= 0 {
                    offset += (rest % shape[axis]) * strides[axis]
                    rest /= shape[axis]
                    axis -= 1
                }
                let s = src + offset
                let d = dst + row * inner
                if innerStride == 1 {
                    d.update(from: s, count: inner)
                } else {
                    for j in 0..<inner { d[j] = s[j * innerStride] }
                }
            }
        }
    }

    /// Joins tensors along `axis`; all other dimensions must match.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let first = tensors[0]
        let a = ShapeMath.axis(axis, rank: first.rank, op: "concatenate")
        for t in tensors {
            var s1 = t.shape
            var s0 = first.shape
            precondition(s1.count == s0.count, "concatenate: shapes \(tensors.map(\.shape)) differ in rank")
            s1[a] = 0
            s0[a] = 0
            precondition(s1 == s0, "concatenate: shapes \(tensors.map(\.shape)) differ off axis \(a)")
        }
        var newShape = first.shape
        newShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let (outer, total, inner) = ShapeMath.around(newShape, axis: a)
        let out = TensorStorage(uninitializedCount: outer * total * inner)
        var offset = 0
        for t in tensors {
            let n = t.shape[a]
            let src = t.pointer
            for o in 0..<outer {
                (out.pointer + (o * total + offset) * inner).update(from: src + o * n * inner, count: n * inner)
            }
            offset += n
        }
        return Tensor.result(shape: newShape, storage: out, inputList: tensors, op: .concat(tensors, axis: a))
    }

    /// Elements `range` along `axis` (copies).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "slice")
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[a],
            "slice: range \(range) out of bounds for axis \(a) of shape \(shape)")
        if range == 0..<shape[a] { return self }
        let (outer, n, inner) = ShapeMath.around(shape, axis: a)
        let length = range.count
        let out = TensorStorage(uninitializedCount: outer * length * inner)
        let src = pointer
        for o in 0..<outer {
            (out.pointer + o * length * inner).update(
                from: src + (o * n + range.lowerBound) * inner, count: length * inner)
        }
        var newShape = shape
        newShape[a] = length
        return Tensor.result(
            shape: newShape, storage: out, inputs: self, op: .slice(self, axis: a, start: range.lowerBound))
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = ShapeMath.axis(axis, rank: rank, op: "split")
        precondition(sizes.reduce(0, +) == shape[a], "split: sizes \(sizes) do not add up to axis \(a) of \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: a, start..<(start + size))
        }
    }

    /// Selects entries along `axis` by index; the result's `axis` is replaced by the index
    /// tensor's shape. With `axis: 0` on a `[V, D]` table this is an embedding lookup.
    ///
    /// The gradient scatter-adds back into the selected positions (repeated indices add up).
    public func indexSelect(axis: Int = 0, _ indices: IndexTensor) -> Tensor {
        let a = ShapeMath.axis(axis, rank: rank, op: "indexSelect")
        let (outer, n, inner) = ShapeMath.around(shape, axis: a)
        for i in indices.indices {
            precondition(
                i >= 0 && i < n, "indexSelect: index \(i) out of range 0..<\(n) for axis \(a) of shape \(shape)")
        }
        let m = indices.count
        let out = TensorStorage(uninitializedCount: outer * m * inner)
        let src = pointer
        indices.indices.withUnsafeBufferPointer { idx in
            parallelChunks(outer * m, costPerItem: inner) { range in
                for row in range {
                    let o = row / m
                    let k = idx[row % m]
                    (out.pointer + row * inner).update(from: src + (o * n + k) * inner, count: inner)
                }
            }
        }
        let newShape = Array(shape[..<a]) + indices.shape + Array(shape[(a + 1)...])
        return Tensor.result(
            shape: newShape, storage: out, inputs: self, op: .indexSelect(self, axis: a, indices: indices))
    }

    /// Picks one element per row along the last axis: `result[r] = self[r, indices[r]]`.
    ///
    /// `indices.shape` must equal this shape without its last axis.
    public func gatherLast(_ indices: IndexTensor) -> Tensor {
        let rows = Array(shape.dropLast())
        precondition(
            indices.shape == rows, "gatherLast: indices of shape \(indices.shape) need shape \(rows) for \(shape)")
        let n = shape.last ?? 1
        let out = TensorStorage(uninitializedCount: indices.count)
        for (r, i) in indices.indices.enumerated() {
            precondition(i >= 0 && i < n, "gatherLast: index \(i) out of range 0..<\(n)")
            out.pointer[r] = pointer[r * n + i]
        }
        return Tensor.result(shape: rows, storage: out, inputs: self, op: .gatherLast(self, indices: indices))
    }

    /// Replaces elements where `mask` (broadcast to this shape) is non-zero with `value`.
    ///
    /// The mask is a constant: no gradient flows into it.
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        let (newShape, out) = Tensor.broadcasting(self, mask, "maskedFill") { x, m in m != 0 ? value : x }
        precondition(newShape == shape, "maskedFill: mask \(mask.shape) must broadcast to \(shape)")
        return Tensor.result(shape: shape, storage: out, inputs: self, op: .maskedFill(self, mask: mask))
    }

    /// `condition != 0 ? a : b` elementwise; `a` and `b` share a shape that `condition`
    /// broadcasts to. The condition is a constant.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "select: branches have shapes \(a.shape) and \(b.shape)")
        let cond = condition.broadcast(to: a.shape).detached()
        let out = TensorStorage(uninitializedCount: a.count)
        let pc = cond.pointer
        let pa = a.pointer
        let pb = b.pointer
        let po = out.pointer
        parallelChunks(a.count) { r in
            for i in r {
                // Both loads are unconditional so the loop vectorises into a blend.
                let (x, y) = (pa[i], pb[i])
                po[i] = pc[i] != 0 ? x : y
            }
        }
        return Tensor.result(
            shape: a.shape, storage: out, inputs: a, b, op: .select(condition: cond, a, b))
    }
}
