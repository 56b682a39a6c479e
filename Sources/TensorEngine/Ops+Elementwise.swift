// Elementwise primitives: unary functions, scalar functions and broadcasting binary
// arithmetic, with the public operators built on them.

extension Tensor {
    /// Applies `f` to every element into a new storage, in parallel for large tensors.
    @inline(__always)
    func mapped(_ f: (Float) -> Float) -> TensorStorage {
        let n = count
        let out = TensorStorage(uninitializedCount: n)
        let src = pointer
        let dst = out.pointer
        parallelChunks(n) { range in
            for i in range { dst[i] = f(src[i]) }
        }
        return out
    }

    func applying(_ function: UnaryFunction) -> Tensor {
        let storage: TensorStorage
        switch function {
        case .negate: storage = mapped { -$0 }
        case .exp: storage = mapped { FastMath.exp($0) }
        case .log: storage = mapped { FastMath.log($0) }
        case .sqrt: storage = mapped { $0.squareRoot() }
        case .abs: storage = mapped { Swift.abs($0) }
        case .relu: storage = mapped { $0 > 0 ? $0 : 0 }
        case .sigmoid: storage = mapped { FastMath.sigmoid($0) }
        case .tanh: storage = mapped { FastMath.tanh($0) }
        case .gelu: storage = mapped { FastMath.gelu($0) }
        }
        return Tensor.result(shape: shape, storage: storage, inputs: self, op: .unary(self, function))
    }

    func applying(_ function: ScalarFunction) -> Tensor {
        let storage: TensorStorage
        switch function {
        case .add(let c): storage = mapped { $0 + c }
        case .multiply(let c): storage = mapped { $0 * c }
        case .power(let p):
            if p == 2 { storage = mapped { $0 * $0 } } else { storage = mapped { FastMath.power($0, p) } }
        case .clamp(let lo, let hi): storage = mapped { Swift.min(Swift.max($0, lo), hi) }
        case .leakyRelu(let slope): storage = mapped { $0 > 0 ? $0 : $0 * slope }
        }
        return Tensor.result(shape: shape, storage: storage, inputs: self, op: .scalar(self, function))
    }

    func applying(_ function: BinaryFunction, _ other: Tensor) -> Tensor {
        let (shape, storage): ([Int], TensorStorage)
        switch function {
        case .add: (shape, storage) = Tensor.broadcasting(self, other, "add") { $0 + $1 }
        case .subtract: (shape, storage) = Tensor.broadcasting(self, other, "subtract") { $0 - $1 }
        case .multiply: (shape, storage) = Tensor.broadcasting(self, other, "multiply") { $0 * $1 }
        case .divide: (shape, storage) = Tensor.broadcasting(self, other, "divide") { $0 / $1 }
        }
        return Tensor.result(
            shape: shape, storage: storage, inputs: self, other, op: .binary(self, other, function))
    }

    /// Elementwise `f(a, b)` with NumPy broadcasting.
    @inline(__always)
    static func broadcasting(
        _ a: Tensor, _ b: Tensor, _ name: String, _ f: (Float, Float) -> Float
    ) -> ([Int], TensorStorage) {
        let pa = a.pointer
        let pb = b.pointer
        if a.shape == b.shape {
            let out = TensorStorage(uninitializedCount: a.count)
            let po = out.pointer
            parallelChunks(a.count) { r in for i in r { po[i] = f(pa[i], pb[i]) } }
            return (a.shape, out)
        }
        guard let shape = ShapeMath.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(name): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let n = shape.reduce(1, *)
        let out = TensorStorage(uninitializedCount: n)
        let po = out.pointer
        if b.count == 1, shape == a.shape {
            let s = pb[0]
            parallelChunks(n) { r in for i in r { po[i] = f(pa[i], s) } }
            return (shape, out)
        }
        if a.count == 1, shape == b.shape {
            let s = pa[0]
            parallelChunks(n) { r in for i in r { po[i] = f(s, pb[i]) } }
            return (shape, out)
        }
        let rank = shape.count
        let sa = ShapeMath.broadcastStrides(a.shape, to: shape)
        let sb = ShapeMath.broadcastStrides(b.shape, to: shape)
        let inner = rank == 0 ? 1 : shape[rank - 1]
        let ia = rank == 0 ? 0 : sa[rank - 1]
        let ib = rank == 0 ? 0 : sb[rank - 1]
        let rows = inner == 0 ? 0 : n / inner
        parallelChunks(rows, costPerItem: inner) { range in
            for row in range {
                // Offsets of this row in a and b from its multi-index over the outer axes.
                var rest = row
                var oa = 0
                var ob = 0
                var axis = rank - 2
                while axis >= 0 {
                    let d = shape[axis]
                    let k = rest % d
                    rest /= d
                    oa += k * sa[axis]
                    ob += k * sb[axis]
                    axis -= 1
                }
                let qa = pa + oa
                let qb = pb + ob
                let qo = po + row * inner
                if ia == 1 && ib == 1 {
                    for j in 0..<inner { qo[j] = f(qa[j], qb[j]) }
                } else if ia == 1 {
                    let s = qb[0]
                    for j in 0..<inner { qo[j] = f(qa[j], s) }
                } else if ib == 1 {
                    let s = qa[0]
                    for j in 0..<inner { qo[j] = f(s, qb[j]) }
                } else {
                    let s = f(qa[0], qb[0])
                    for j in 0..<inner { qo[j] = s }
                }
            }
        }
        return (shape, out)
    }
}

// MARK: - Public elementwise API

extension Tensor {
    /// `e^x` elementwise.
    public func exp() -> Tensor { applying(.exp) }
    /// Natural logarithm elementwise.
    public func log() -> Tensor { applying(.log) }
    /// Square root elementwise.
    public func sqrt() -> Tensor { applying(.sqrt) }
    /// Absolute value elementwise (gradient `sign(x)`, 0 at 0).
    public func abs() -> Tensor { applying(.abs) }
    /// `max(x, 0)` elementwise (gradient 0 at exactly 0, as in PyTorch).
    public func relu() -> Tensor { applying(.relu) }
    /// `1 / (1 + e^-x)` elementwise.
    public func sigmoid() -> Tensor { applying(.sigmoid) }
    /// Hyperbolic tangent elementwise.
    public func tanh() -> Tensor { applying(.tanh) }
    /// Gaussian error linear unit, exact (erf) form: `x * Phi(x)`.
    public func gelu() -> Tensor { applying(.gelu) }
    /// `x` where `x > 0`, otherwise `slope * x`.
    public func leakyRelu(slope: Float = 0.01) -> Tensor { applying(.leakyRelu(slope)) }
    /// `x^exponent` elementwise.
    public func pow(_ exponent: Float) -> Tensor { applying(.power(exponent)) }
    /// `x^2` elementwise.
    public func squared() -> Tensor { applying(.power(2)) }
    /// Values limited to `lower...upper` (gradient passes only inside the range).
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        applying(.clamp(range.lowerBound, range.upperBound))
    }

    public static prefix func - (x: Tensor) -> Tensor { x.applying(.negate) }
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.applying(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.applying(.subtract, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.applying(.multiply, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.applying(.divide, b) }
    public static func + (a: Tensor, b: Float) -> Tensor { a.applying(.add(b)) }
    public static func + (a: Float, b: Tensor) -> Tensor { b.applying(.add(a)) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.applying(.add(-b)) }
    public static func - (a: Float, b: Tensor) -> Tensor { (-b).applying(.add(a)) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.applying(.multiply(b)) }
    public static func * (a: Float, b: Tensor) -> Tensor { b.applying(.multiply(a)) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.applying(.multiply(1 / b)) }
    public static func / (a: Float, b: Tensor) -> Tensor { b.applying(.power(-1)).applying(.multiply(a)) }
}

// MARK: - Broadcasting and its adjoint

extension Tensor {
    /// The tensor expanded to `shape` by NumPy broadcasting rules (copies values).
    public func broadcast(to target: [Int]) -> Tensor {
        if target == shape { return self }
        guard ShapeMath.broadcast(shape, target) == target else {
            preconditionFailure("broadcast(to:): shape \(shape) cannot be broadcast to \(target)")
        }
        // A strided copy with stride 0 on the broadcast axes: one pass, no temporary.
        let storage = TensorStorage(uninitializedCount: target.reduce(1, *))
        Tensor.stridedCopy(
            from: pointer, strides: ShapeMath.broadcastStrides(shape, to: target), shape: target, to: storage.pointer)
        return Tensor.result(shape: target, storage: storage, inputs: self, op: .broadcast(self))
    }

    /// Sums a broadcast result back down to `target` (the adjoint of ``broadcast(to:)``).
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        var x = self
        let extra = rank - target.count
        precondition(extra >= 0, "sum(toShape:): cannot reduce \(shape) to larger rank \(target)")
        for _ in 0..<extra { x = x.sum(axis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && x.shape[axis] != 1 {
            x = x.sum(axis: axis, keepingDimension: true)
        }
        precondition(x.shape == target, "sum(toShape:): cannot reduce \(shape) to \(target)")
        return x
    }
}
