/// Gradients of a scalar with respect to the leaf tensors that required them.
///
/// Look a gradient up by the tensor it belongs to; each entry also keeps that tensor alive,
/// so lookups can never hit a recycled one.
public struct Gradients: @unchecked Sendable {
    private var entries: [ObjectIdentifier: (leaf: Tensor, gradient: Tensor)] = [:]

    /// Creates an empty store.
    public init() {}

    /// The gradient for `tensor`, or nil when no gradient reached it.
    public subscript(_ tensor: Tensor) -> Tensor? {
        entries[ObjectIdentifier(tensor.node)]?.gradient
    }

    /// Every leaf with its gradient.
    public var all: [(leaf: Tensor, gradient: Tensor)] { Array(entries.values) }

    /// The number of leaves with a gradient.
    public var count: Int { entries.count }

    mutating func accumulate(_ gradient: Tensor, into leaf: Tensor) {
        let key = ObjectIdentifier(leaf.node)
        if let existing = entries[key] {
            entries[key] = (leaf, existing.gradient + gradient)
        } else {
            entries[key] = (leaf, gradient)
        }
    }

    /// Replaces the gradient of `leaf` (used by clipping and penalties).
    public mutating func set(_ gradient: Tensor, for leaf: Tensor) {
        precondition(gradient.shape == leaf.shape, "Gradients.set: gradient \(gradient.shape) for leaf \(leaf.shape)")
        entries[ObjectIdentifier(leaf.node)] = (leaf, gradient.detached())
    }
}

extension Tensor {
    /// Backpropagates from this tensor and returns the gradients of every leaf that
    /// requires one.
    ///
    /// - Parameter seed: The gradient of the final objective with respect to this tensor;
    ///   defaults to 1, which needs this tensor to have one element.
    /// - Returns: Gradients keyed by leaf tensor. Intermediate gradients are dropped as soon
    ///   as they have been propagated.
    public func gradients(seed: Tensor? = nil) -> Gradients {
        let start: Tensor
        if let seed {
            precondition(seed.shape == shape, "gradients(seed:): seed \(seed.shape) for tensor \(shape)")
            start = seed.detached()
        } else {
            precondition(count == 1, "gradients(): call on a one-element loss, not shape \(shape); or pass seed:")
            start = Tensor(repeating: 1, shape: shape)
        }
        var result = Gradients()
        guard requiresGradient else { return result }
        let order = topologicalOrder()
        return Tensor.withoutGradients {
            var pending = PendingGradients()
            pending.add(start, for: self)
            for current in order.reversed() {
                guard let g = pending.take(current) else { continue }
                guard let op = current.node.op else {
                    result.accumulate(g, into: current)
                    continue
                }
                pending.add(Tensor.backward(op, output: current, gradient: g), of: op)
            }
            return result
        }
    }

    /// Nodes reachable from this one through recorded ops, inputs before their users.
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: long recurrent graphs would overflow the call stack.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            let key = ObjectIdentifier(tensor.node)
            if visited.contains(key) { continue }
            visited.insert(key)
            stack.append((tensor, true))
            if let op = tensor.node.op {
                for input in op.inputs where input.requiresGradient && !visited.contains(ObjectIdentifier(input.node)) {
                    stack.append((input, false))
                }
            }
        }
        return order
    }

    /// The gradient rule of every primitive: given the output and its gradient `g`, the
    /// gradient for each input.
    static func backward(_ op: Op, output y: Tensor, gradient g: Tensor) -> GradientRule {
        switch op {
        case .unary(let x, let f):
            return .whole([(x, unaryBackward(f, x: x, y: y, g: g))])
        case .scalar(let x, let f):
            return .whole([(x, scalarBackward(f, x: x, g: g))])
        case .binary(let a, let b, let f):
            switch f {
            case .add:
                return .whole([(a, g.sum(toShape: a.shape)), (b, g.sum(toShape: b.shape))])
            case .subtract:
                return .whole([(a, g.sum(toShape: a.shape)), (b, (-g).sum(toShape: b.shape))])
            case .multiply:
                return .whole([
                    (a, a.requiresGradient ? (g * b).sum(toShape: a.shape) : a),
                    (b, b.requiresGradient ? (g * a).sum(toShape: b.shape) : b),
                ])
            case .divide:
                // d(a/b)/db = -a/b^2 = -y/b
                return .whole([
                    (a, a.requiresGradient ? (g / b).sum(toShape: a.shape) : a),
                    (b, b.requiresGradient ? (-(g * y) / b).sum(toShape: b.shape) : b),
                ])
            }
        case .matmul(let a, let b, let ta, let tb):
            // C = op(A) op(B): dA = g op(B)^T, dB = op(A)^T g, written with transposed reads.
            // Inputs without a gradient (data, frozen weights) get themselves as a placeholder
            // that the driver skips, so no product is computed for them.
            var da = a
            var db = b
            switch (ta, tb) {
            case (false, false):
                if a.requiresGradient { da = g.matmul(b, transposeB: true) }
                if b.requiresGradient { db = a.matmul(g, transposeA: true) }
            case (false, true):
                if a.requiresGradient { da = g.matmul(b) }
                if b.requiresGradient { db = g.matmul(a, transposeA: true) }
            case (true, false):
                if a.requiresGradient { da = b.matmul(g, transposeB: true) }
                if b.requiresGradient { db = a.matmul(g) }
            case (true, true):
                if a.requiresGradient { da = b.matmul(g, transposeA: true, transposeB: true) }
                if b.requiresGradient { db = g.matmul(a, transposeA: true, transposeB: true) }
            }
            return .whole([(a, da), (b, db)])
        case .addMatmul(let addend, let a, let b, let tb):
            guard
                case .whole(let products) = backward(
                    .matmul(a, b, transposeA: false, transposeB: tb), output: y, gradient: g)
            else { preconditionFailure("addMatmul: the matmul rule gives whole gradients") }
            return .whole([(addend, g)] + products)
        case .sum(let x, let axis):
            return .whole([(x, Tensor(shape: x.shape, storage: g.expandedAlong(axis: axis, to: x.shape), op: nil))])
        case .max(let x, let axis, let argmax):
            let (outer, n, inner) = ShapeMath.around(x.shape, axis: axis)
            let dx = TensorStorage(repeating: 0, count: x.count)
            for o in 0..<outer {
                for j in 0..<inner {
                    let k = Int(argmax[o * inner + j])
                    dx.pointer[(o * n + k) * inner + j] = g.pointer[o * inner + j]
                }
            }
            return .whole([(x, Tensor(shape: x.shape, storage: dx, op: nil))])
        case .broadcast(let x):
            return .whole([(x, g.sum(toShape: x.shape))])
        case .reshape(let x):
            return .whole([(x, g.reshaped(x.shape))])
        case .permute(let x, let permutation):
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            return .whole([(x, g.permuted(inverse))])
        case .concat(let parts, let axis):
            var start = 0
            return .whole(
                parts.map { part in
                    defer { start += part.shape[axis] }
                    return (part, g.slice(axis: axis, start..<(start + part.shape[axis])))
                })
        case .slice(let x, let axis, let start):
            // Added into the slice's region of the input's gradient by the driver, so cutting
            // a tensor into T pieces costs O(size), not T dense zero-padded gradients.
            return .region(x, g, axis: axis, start: start)
        case .indexSelect(let x, let axis, let indices):
            let (outer, n, inner) = ShapeMath.around(x.shape, axis: axis)
            let m = indices.count
            let dx = TensorStorage(repeating: 0, count: x.count)
            for o in 0..<outer {
                for (r, k) in indices.indices.enumerated() {
                    let d = dx.pointer + (o * n + k) * inner
                    let s = g.pointer + (o * m + r) * inner
                    for j in 0..<inner { d[j] += s[j] }
                }
            }
            return .whole([(x, Tensor(shape: x.shape, storage: dx, op: nil))])
        case .gatherLast(let x, let indices):
            let n = x.shape.last ?? 1
            let dx = TensorStorage(repeating: 0, count: x.count)
            for (r, k) in indices.indices.enumerated() { dx.pointer[r * n + k] += g.pointer[r] }
            return .whole([(x, Tensor(shape: x.shape, storage: dx, op: nil))])
        case .maskedFill(let x, let mask):
            return .whole([(x, g.maskedFill(mask, with: 0))])
        case .select(let condition, let a, let b):
            let zero = Tensor.zeros(g.shape)
            return .whole([(a, Tensor.select(condition, g, zero)), (b, Tensor.select(condition, zero, g))])
        case .dropout(let x, let mask):
            let dx = TensorStorage(uninitializedCount: x.count)
            for i in 0..<x.count { dx.pointer[i] = g.pointer[i] * mask.pointer[i] }
            return .whole([(x, Tensor(shape: x.shape, storage: dx, op: nil))])
        case .softmax(let x, let axis):
            return .whole([(x, softmaxBackward(y: y, g: g, axis: axis))])
        case .logSoftmax(let x, let axis):
            // dx = g - softmax(x) * sum(g)
            return .whole([(x, g - y.exp() * g.sum(axis: axis, keepingDimension: true))])
        case .normalize(let x, let inverseStd):
            return .whole([(x, normalizeBackward(y: y, g: g, inverseStd: inverseStd))])
        case .lstmCellState(let gates, let previousCell, let activations):
            let (dGates, dCell) = lstmCellStateBackward(previousCell: previousCell, activations: activations, g: g)
            return .partial(region: (gates, dGates, axis: 1, start: 0), whole: [(previousCell, dCell)])
        case .lstmHiddenState(let gates, let cell, let activations):
            let (dOutput, dCell) = lstmHiddenStateBackward(cell: cell, activations: activations, g: g)
            return .partial(region: (gates, dOutput, axis: 1, start: 3 * cell.shape[1]), whole: [(cell, dCell)])
        case .im2col(let x, let kernelSize, let stride, let padding, let dilation):
            return .whole([
                (
                    x,
                    col2im(
                        g, inputShape: x.shape, kernelSize: kernelSize, stride: stride,
                        padding: padding, dilation: dilation)
                )
            ])
        }
    }

    private static func unaryBackward(_ f: UnaryFunction, x: Tensor, y: Tensor, g: Tensor) -> Tensor {
        let out = TensorStorage(uninitializedCount: x.count)
        let px = x.pointer
        let py = y.pointer
        let pg = g.pointer
        let po = out.pointer
        let n = x.count
        switch f {
        case .negate: for i in 0..<n { po[i] = -pg[i] }
        case .exp: for i in 0..<n { po[i] = pg[i] * py[i] }
        case .log: for i in 0..<n { po[i] = pg[i] / px[i] }
        case .sqrt: for i in 0..<n { po[i] = pg[i] / (2 * py[i]) }
        case .abs: for i in 0..<n { po[i] = pg[i] * (px[i] > 0 ? 1 : (px[i] < 0 ? -1 : 0)) }
        case .relu: for i in 0..<n { po[i] = pg[i] * (px[i] > 0 ? 1 : 0) }
        case .sigmoid: for i in 0..<n { po[i] = pg[i] * py[i] * (1 - py[i]) }
        case .tanh: for i in 0..<n { po[i] = pg[i] * (1 - py[i] * py[i]) }
        case .gelu: for i in 0..<n { po[i] = pg[i] * FastMath.geluDerivative(px[i]) }
        }
        return Tensor(shape: x.shape, storage: out, op: nil)
    }

    private static func scalarBackward(_ f: ScalarFunction, x: Tensor, g: Tensor) -> Tensor {
        let out = TensorStorage(uninitializedCount: x.count)
        let px = x.pointer
        let pg = g.pointer
        let po = out.pointer
        let n = x.count
        switch f {
        case .add: po.update(from: pg, count: n)
        case .multiply(let c): for i in 0..<n { po[i] = pg[i] * c }
        case .power(let p):
            if p == 2 {
                for i in 0..<n { po[i] = pg[i] * 2 * px[i] }
            } else {
                for i in 0..<n { po[i] = pg[i] * p * FastMath.power(px[i], p - 1) }
            }
        case .clamp(let lo, let hi): for i in 0..<n { po[i] = pg[i] * (px[i] >= lo && px[i] <= hi ? 1 : 0) }
        case .leakyRelu(let slope): for i in 0..<n { po[i] = pg[i] * (px[i] > 0 ? 1 : slope) }
        }
        return Tensor(shape: x.shape, storage: out, op: nil)
    }

    /// `dx = y * (g - sum(g * y))` along `axis`, in one pass per row for the last axis.
    private static func softmaxBackward(y: Tensor, g: Tensor, axis: Int) -> Tensor {
        let (outer, n, inner) = ShapeMath.around(y.shape, axis: axis)
        guard inner == 1 else {
            let gy = g * y
            return gy - y * gy.sum(axis: axis, keepingDimension: true)
        }
        let out = TensorStorage(uninitializedCount: y.count)
        let py = y.pointer
        let pg = g.pointer
        let po = out.pointer
        parallelChunks(outer, costPerItem: n * 3) { range in
            for r in range {
                let yr = py + r * n
                let gr = pg + r * n
                let dot = FastMath.dot(gr, yr, n)
                for k in 0..<n { po[r * n + k] = yr[k] * (gr[k] - dot) }
            }
        }
        return Tensor(shape: y.shape, storage: out, op: nil)
    }

    /// Closed-form gradient of ``normalized(epsilon:)``:
    /// `dx = istd * (g - mean(g) - y * mean(g * y))` per row.
    private static func normalizeBackward(y: Tensor, g: Tensor, inverseStd: TensorStorage) -> Tensor {
        let n = y.shape.last ?? 1
        let rows = y.count / Swift.max(n, 1)
        let out = TensorStorage(uninitializedCount: y.count)
        let py = y.pointer
        let pg = g.pointer
        let po = out.pointer
        parallelChunks(rows, costPerItem: n * 3) { range in
            for r in range {
                let yr = py + r * n
                let gr = pg + r * n
                let meanG = FastMath.sum(gr, n) / Float(n)
                let meanGY = FastMath.dot(gr, yr, n) / Float(n)
                let inv = inverseStd.pointer[r]
                for k in 0..<n { po[r * n + k] = inv * (gr[k] - meanG - yr[k] * meanGY) }
            }
        }
        return Tensor(shape: y.shape, storage: out, op: nil)
    }

    /// Adjoint of ``im2col(kernelSize:stride:padding:dilation:)``: adds each patch column
    /// back to the input position it was read from.
    private static func col2im(
        _ g: Tensor, inputShape: [Int], kernelSize: Int, stride: Int, padding: Int, dilation: Int
    ) -> Tensor {
        let (batch, channels, length) = (inputShape[0], inputShape[1], inputShape[2])
        let outLength = g.shape[1]
        let width = channels * kernelSize
        let dx = TensorStorage(repeating: 0, count: batch * channels * length)
        for b in 0..<batch {
            for t in 0..<outLength {
                let row = g.pointer + (b * outLength + t) * width
                for c in 0..<channels {
                    let d = dx.pointer + (b * channels + c) * length
                    for k in 0..<kernelSize {
                        let pos = t * stride - padding + k * dilation
                        if pos >= 0 && pos < length { d[pos] += row[c * kernelSize + k] }
                    }
                }
            }
        }
        return Tensor(shape: inputShape, storage: dx, op: nil)
    }
}

extension Op {
    /// The tensors this op read.
    var inputs: [Tensor] {
        switch self {
        case .unary(let x, _), .scalar(let x, _), .sum(let x, _), .max(let x, _, _), .broadcast(let x),
            .reshape(let x), .permute(let x, _), .slice(let x, _, _), .indexSelect(let x, _, _),
            .gatherLast(let x, _), .maskedFill(let x, _), .dropout(let x, _), .softmax(let x, _),
            .logSoftmax(let x, _), .normalize(let x, _), .im2col(let x, _, _, _, _):
            return [x]
        case .binary(let a, let b, _), .matmul(let a, let b, _, _), .select(_, let a, let b),
            .lstmCellState(let a, let b, _), .lstmHiddenState(let a, let b, _):
            return [a, b]
        case .addMatmul(let addend, let a, let b, _):
            return [addend, a, b]
        case .concat(let parts, _):
            return parts
        }
    }

    /// A short name for error messages.
    var name: String {
        switch self {
        case .unary(_, let f): return "\(f)"
        case .scalar(_, let f): return "\(f)"
        case .binary(_, _, let f): return "\(f)"
        case .matmul: return "matmul"
        case .addMatmul: return "addMatmul"
        case .sum: return "sum"
        case .max: return "max"
        case .broadcast: return "broadcast"
        case .reshape: return "reshape"
        case .permute: return "permute"
        case .concat: return "concat"
        case .slice: return "slice"
        case .indexSelect: return "indexSelect"
        case .gatherLast: return "gatherLast"
        case .maskedFill: return "maskedFill"
        case .select: return "select"
        case .dropout: return "dropout"
        case .softmax: return "softmax"
        case .logSoftmax: return "logSoftmax"
        case .normalize: return "normalize"
        case .lstmCellState: return "lstmCellState"
        case .lstmHiddenState: return "lstmHiddenState"
        case .im2col: return "im2col"
        }
    }
}

/// What a gradient rule gives back.
enum GradientRule {
    /// A full gradient for each listed input.
    case whole([(Tensor, Tensor)])
    /// The gradient of a slice `start..<start + g.shape[axis]` along `axis` of `input`.
    case region(Tensor, Tensor, axis: Int, start: Int)
    /// A slice's gradient for one input (a fused op that reads part of it) and full
    /// gradients for the others.
    case partial(region: (Tensor, Tensor, axis: Int, start: Int), whole: [(Tensor, Tensor)])
}

/// Gradients waiting to be propagated, keyed by node.
///
/// An entry is *owned* when its storage was allocated here and nothing else refers to it;
/// only owned entries are added to in place. Gradients that rules pass through unchanged
/// (the two inputs of an add share one) are never owned, so they are never written.
struct PendingGradients {
    private var entries: [ObjectIdentifier: (gradient: Tensor, owned: Bool)] = [:]

    mutating func take(_ tensor: Tensor) -> Tensor? {
        entries.removeValue(forKey: ObjectIdentifier(tensor.node))?.gradient
    }

    mutating func add(_ gradient: Tensor, for input: Tensor) {
        let key = ObjectIdentifier(input.node)
        guard let existing = entries[key] else {
            entries[key] = (gradient, false)
            return
        }
        if existing.owned {
            Tensor.addInPlace(existing.gradient.pointer, gradient.pointer, count: gradient.count)
        } else {
            entries[key] = (existing.gradient + gradient, true)
        }
    }

    mutating func add(_ gradient: Tensor, for input: Tensor, axis: Int, start: Int) {
        let key = ObjectIdentifier(input.node)
        let target: Tensor
        if let existing = entries[key] {
            target = existing.owned ? existing.gradient : existing.gradient.copied()
        } else {
            target = Tensor.zeros(input.shape)
        }
        let (outer, n, inner) = ShapeMath.around(input.shape, axis: axis)
        let length = gradient.shape[axis]
        for o in 0..<outer {
            Tensor.addInPlace(
                target.pointer + (o * n + start) * inner, gradient.pointer + o * length * inner,
                count: length * inner)
        }
        entries[key] = (target, true)
    }

    /// Queues every input's share of a gradient rule (inputs without a gradient are skipped).
    mutating func add(_ rule: GradientRule, of op: Op) {
        switch rule {
        case .whole(let contributions):
            for (input, gradient) in contributions where input.requiresGradient {
                precondition(
                    gradient.shape == input.shape,
                    "backward of \(op.name): gradient \(gradient.shape) for input \(input.shape)")
                add(gradient, for: input)
            }
        case .region(let input, let gradient, let axis, let start):
            if input.requiresGradient { add(gradient, for: input, axis: axis, start: start) }
        case .partial(let region, let contributions):
            if region.0.requiresGradient { add(region.1, for: region.0, axis: region.axis, start: region.start) }
            for (input, gradient) in contributions where input.requiresGradient { add(gradient, for: input) }
        }
    }
}

extension Tensor {
    /// `target[i] += source[i]` for `count` elements.
    static func addInPlace(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
        parallelChunks(count) { r in for i in r { target[i] += source[i] } }
    }

    /// A copy with its own storage and no history.
    func copied() -> Tensor {
        let out = TensorStorage(uninitializedCount: count)
        out.pointer.update(from: pointer, count: count)
        return Tensor(shape: shape, storage: out, op: nil)
    }
}
