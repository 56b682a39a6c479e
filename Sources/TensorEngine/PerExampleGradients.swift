import Linalg

/// The gradient of each example's loss with respect to every parameter, kept in whatever form
/// is cheapest, for per-example clipping (DP-SGD).
///
/// Built by ``Tensor/perExampleGradients()`` from one backward pass over a batch: the squared
/// norm of each example's whole gradient is known at once, and ``weightedSum(_:)`` gives
/// `Σ_i w_i ∇loss_i` for any weights (the clipping factors) without a second pass.
///
/// How each parameter is kept depends on how the graph used it:
/// - a weight read only by matrix products with the data (a ``Linear``, or a recurrent weight
///   at every step): each product's input rows and output gradients. The norm of an example
///   with one row is `|a|·|g|`; with several rows (a sequence, or the steps of a recurrence)
///   it comes from the rows' Gram matrices when that is cheaper than forming the example's
///   gradient. Nothing of parameter size is kept per example.
/// - a table read only by row lookups (an embedding, the same item table looked up for a
///   sequence's inputs and for its targets and negatives): the looked-up rows and their
///   gradients, so an example's gradient is sparse.
/// - anything else (a bias, a table both looked up and used as an output layer, a weight
///   reached through a reshape, slice or sum of parameters): a dense gradient per example.
public struct PerExampleGradients: @unchecked Sendable {
    /// The number of examples (the length of the losses).
    public let exampleCount: Int
    /// The squared L2 norm of each example's gradient over every parameter, in double precision.
    public let squaredNorms: [Double]
    let parts: [(leaf: Tensor, part: PerExamplePart)]

    /// The L2 norm of each example's gradient.
    public var norms: [Double] { squaredNorms.map { $0.squareRoot() } }

    /// `Σ_i weights[i] · ∇loss_i` for every parameter that some example's loss reached.
    ///
    /// - Precondition: one weight per example.
    public func weightedSum(_ weights: [Float]) -> Gradients {
        precondition(
            weights.count == exampleCount, "weightedSum: \(weights.count) weights for \(exampleCount) examples")
        var result = Gradients()
        Tensor.withoutGradients {
            for (leaf, part) in parts { result.set(part.weightedSum(weights, leafShape: leaf.shape), for: leaf) }
        }
        return result
    }
}

/// Why the engine could not split a graph's gradients by example.
public struct PerExampleGradientsUnsupported: Error, Sendable, Equatable, CustomStringConvertible {
    /// The op where a parameter met the data in a way the engine cannot split, and why.
    public let reason: String

    public var description: String {
        "per-example gradients are not available for this model: \(reason)"
    }
}

/// How one parameter's per-example gradients are kept.
enum PerExamplePart {
    /// `W` read only by products `a x W` or `a x Wᵀ` with data rows (once by a `Linear`, at
    /// every step by a recurrence): each product's factors.
    case rowProducts([ProductFactor])
    /// A table read only by row lookups: each lookup's rows and their gradients.
    case lookups([LookedUpRows])
    /// Per-example gradients `[examples, count]`.
    case dense(TensorStorage)

    func weightedSum(_ weights: [Float], leafShape: [Int]) -> Tensor {
        let examples = weights.count
        switch self {
        case .rowProducts(let factors):
            let result = TensorStorage(repeating: 0, count: leafShape.reduce(1, *))
            for factor in factors { factor.addWeightedProduct(weights, into: result.pointer) }
            return Tensor(shape: leafShape, storage: result, op: nil)
        case .lookups(let lookups):
            let result = TensorStorage(repeating: 0, count: leafShape.reduce(1, *))
            for lookup in lookups {
                let (width, k) = (lookup.width, lookup.rowsPerExample)
                for (r, index) in lookup.indices.enumerated() {
                    BLAS.axpy(
                        count: width, alpha: weights[r / k], x: lookup.g.pointer + r * width,
                        y: result.pointer + index * width)
                }
            }
            return Tensor(shape: leafShape, storage: result, op: nil)
        case .dense(let buffer):
            let count = buffer.count / Swift.max(examples, 1)
            let result = TensorStorage(repeating: 0, count: count)
            for (i, w) in weights.enumerated() {
                BLAS.axpy(count: count, alpha: w, x: buffer.pointer + i * count, y: result.pointer)
            }
            return Tensor(shape: leafShape, storage: result, op: nil)
        }
    }

    /// Adds each example's squared gradient norm into `norms`.
    func addSquaredNorms(into norms: inout [Double]) {
        let examples = norms.count
        switch self {
        case .rowProducts(let factors):
            if factors.count == 1 {
                factors[0].addSquaredNorms(into: &norms)
            } else {
                ProductFactor.addSquaredNorms(of: factors, into: &norms)
            }
        case .lookups(let lookups):
            guard let width = lookups.first?.width else { return }
            let row = TensorStorage(uninitializedCount: width)
            // One buffer for every example's rows, refilled per example.
            var rows: [(index: Int, gradient: UnsafeMutablePointer<Float>)] = []
            rows.reserveCapacity(lookups.reduce(0) { $0 + $1.rowsPerExample })
            for i in 0..<examples {
                // Rows of one example that look up the same entry (in any lookup) add before
                // squaring.
                rows.removeAll(keepingCapacity: true)
                for lookup in lookups {
                    let k = lookup.rowsPerExample
                    for r in (i * k)..<((i + 1) * k) {
                        rows.append((lookup.indices[r], lookup.g.pointer + r * width))
                    }
                }
                rows.sort { $0.index < $1.index }
                var start = 0
                while start < rows.count {
                    var end = start + 1
                    while end < rows.count && rows[end].index == rows[start].index { end += 1 }
                    row.pointer.update(from: rows[start].gradient, count: width)
                    for other in rows[(start + 1)..<end] {
                        Tensor.addInPlace(row.pointer, other.gradient, count: width)
                    }
                    norms[i] += Double(FastMath.dot(row.pointer, row.pointer, width))
                    start = end
                }
            }
        case .dense(let buffer):
            let count = buffer.count / Swift.max(examples, 1)
            for i in 0..<examples {
                norms[i] += Double(FastMath.dot(buffer.pointer + i * count, buffer.pointer + i * count, count))
            }
        }
    }
}

/// One row lookup of a table: the index of each looked-up row, the gradient of each row `g`
/// `[N, width]`, and `rowsPerExample` consecutive rows per example.
struct LookedUpRows {
    let indices: [Int]
    let g: Tensor
    let rowsPerExample: Int

    var width: Int { g.shape[1] }
}

/// One product `a x W` (or `a x Wᵀ`) of data rows `a` `[N, in]` and a weight, with the output
/// gradient `g` `[N, out]` and `rowsPerExample` consecutive rows per example.
struct ProductFactor {
    let a: Tensor
    let g: Tensor
    let transposeB: Bool
    let rowsPerExample: Int

    var inWidth: Int { a.shape[1] }
    var outWidth: Int { g.shape[1] }

    /// Adds `Σ_r weights[r / k] · (the weight's gradient from row r)` into `target`.
    func addWeightedProduct(_ weights: [Float], into target: UnsafeMutablePointer<Float>) {
        let (rows, out, k) = (g.shape[0], outWidth, rowsPerExample)
        let scaled = TensorStorage(uninitializedCount: g.count)
        for r in 0..<rows {
            let w = weights[r / k]
            for j in 0..<out { scaled.pointer[r * out + j] = w * g.pointer[r * out + j] }
        }
        if transposeB {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: out, n: inWidth, k: rows, a: scaled.pointer, b: a.pointer,
                beta: 1, c: target)
        } else {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: inWidth, n: out, k: rows, a: a.pointer, b: scaled.pointer,
                beta: 1, c: target)
        }
    }

    /// Adds example `i`'s gradient from this product (in the weight's layout) into `target`.
    func addGradient(ofExample i: Int, into target: UnsafeMutablePointer<Float>) {
        let k = rowsPerExample
        let rowsA = a.pointer + i * k * inWidth
        let rowsG = g.pointer + i * k * outWidth
        if transposeB {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: outWidth, n: inWidth, k: k, a: rowsG, b: rowsA, beta: 1,
                c: target)
        } else {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: inWidth, n: outWidth, k: k, a: rowsA, b: rowsG, beta: 1,
                c: target)
        }
    }

    /// One product's squared per-example norms: `|a|²|g|²` for one row per example, Gram
    /// matrices or the formed gradient for several, whichever is cheaper.
    func addSquaredNorms(into norms: inout [Double]) {
        let (inWidth, out, k) = (inWidth, outWidth, rowsPerExample)
        if k == 1 {
            for i in norms.indices {
                let aa = Double(FastMath.dot(a.pointer + i * inWidth, a.pointer + i * inWidth, inWidth))
                let gg = Double(FastMath.dot(g.pointer + i * out, g.pointer + i * out, out))
                norms[i] += aa * gg
            }
        } else if k * (inWidth + out) <= inWidth * out {
            let gramA = TensorStorage(uninitializedCount: k * k)
            let gramG = TensorStorage(uninitializedCount: k * k)
            for i in norms.indices {
                Self.gram(a.pointer + i * k * inWidth, rows: k, width: inWidth, into: gramA.pointer)
                Self.gram(g.pointer + i * k * out, rows: k, width: out, into: gramG.pointer)
                norms[i] += Double(FastMath.dot(gramA.pointer, gramG.pointer, k * k))
            }
        } else {
            let gradient = TensorStorage(uninitializedCount: inWidth * out)
            for i in norms.indices {
                gradient.pointer.update(repeating: 0, count: inWidth * out)
                addGradient(ofExample: i, into: gradient.pointer)
                norms[i] += Double(FastMath.dot(gradient.pointer, gradient.pointer, inWidth * out))
            }
        }
    }

    /// The squared per-example norms of several products into one weight (a recurrence's
    /// steps): each example's rows from every product are gathered, then `|Σ_r a_r g_rᵀ|²`
    /// comes from two Gram matrices, or from the formed gradient when that is cheaper.
    static func addSquaredNorms(of factors: [ProductFactor], into norms: inout [Double]) {
        let (inWidth, out) = (factors[0].inWidth, factors[0].outWidth)
        let rows = factors.reduce(0) { $0 + $1.rowsPerExample }
        // Gram matrices need every product in one orientation (a square weight could be read both ways).
        let oneOrientation = factors.allSatisfy { $0.transposeB == factors[0].transposeB }
        if !oneOrientation || rows * (inWidth + out) > inWidth * out {
            let gradient = TensorStorage(uninitializedCount: inWidth * out)
            for i in norms.indices {
                gradient.pointer.update(repeating: 0, count: inWidth * out)
                for factor in factors { factor.addGradient(ofExample: i, into: gradient.pointer) }
                norms[i] += Double(FastMath.dot(gradient.pointer, gradient.pointer, inWidth * out))
            }
            return
        }
        let stagedA = TensorStorage(uninitializedCount: rows * inWidth)
        let stagedG = TensorStorage(uninitializedCount: rows * out)
        let gramA = TensorStorage(uninitializedCount: rows * rows)
        let gramG = TensorStorage(uninitializedCount: rows * rows)
        for i in norms.indices {
            var row = 0
            for factor in factors {
                let k = factor.rowsPerExample
                (stagedA.pointer + row * inWidth).update(from: factor.a.pointer + i * k * inWidth, count: k * inWidth)
                (stagedG.pointer + row * out).update(from: factor.g.pointer + i * k * out, count: k * out)
                row += k
            }
            gram(stagedA.pointer, rows: rows, width: inWidth, into: gramA.pointer)
            gram(stagedG.pointer, rows: rows, width: out, into: gramG.pointer)
            norms[i] += Double(FastMath.dot(gramA.pointer, gramG.pointer, rows * rows))
        }
    }

    /// `x xᵀ` of `rows` rows of `width`.
    static func gram(_ x: UnsafePointer<Float>, rows: Int, width: Int, into target: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: rows, k: width, a: x, b: x, c: target)
    }
}

extension Op {
    /// Whether the op reads constants beside its tensor inputs (indices, masks, conditions) that
    /// may carry the batch, so its result depends on the data even when every input is a
    /// parameter.
    fileprivate var readsConstants: Bool {
        switch self {
        case .indexSelect, .gatherLast, .maskedFill, .select: return true
        default: return false
        }
    }
}

extension Tensor {
    /// Splits the gradient of a batch's loss by example, for per-example clipping.
    ///
    /// Call it on the vector of per-example losses `[B]` (not their mean): entry `i` must
    /// depend only on example `i`'s data, and every tensor where data meets a parameter must
    /// hold the examples along its first axis in equal, consecutive blocks (`[B, ...]`, or
    /// `[B·T, ...]` for `T` rows per example), which is how batches flow through the layers.
    /// Parameters are the leaves that require a gradient; whatever is computed from
    /// parameters alone (a reshaped kernel, a slice of a packed weight, the sum of two biases)
    /// is followed back to them.
    ///
    /// ```swift
    /// let losses = binaryCrossEntropyWithLogits(logits: model(x), targets: y, reduction: .none)
    /// let split = try losses.perExampleGradients()
    /// let clip = split.norms.map { Float(min(1, maxNorm / ($0 + 1e-6))) }
    /// optimizer.step(split.weightedSum(clip))   // Σ of the clipped per-example gradients
    /// ```
    ///
    /// - Throws: ``PerExampleGradientsUnsupported`` naming the op where a parameter meets the
    ///   data in a way the engine cannot split (train such a model one example at a time).
    public func perExampleGradients() throws(PerExampleGradientsUnsupported) -> PerExampleGradients {
        precondition(rank == 1, "perExampleGradients: call on the per-example losses [B], not shape \(shape)")
        let examples = shape[0]
        guard requiresGradient, examples > 0 else {
            return PerExampleGradients(
                exampleCount: examples, squaredNorms: [Double](repeating: 0, count: examples), parts: [])
        }
        let result = Tensor.withoutGradients {
            Result { () throws(PerExampleGradientsUnsupported) -> PerExampleGradients in
                var splitter = PerExampleSplitter(losses: self)
                return try splitter.run()
            }
        }
        return try result.get()
    }
}

/// One pass of ``Tensor/perExampleGradients()``.
private struct PerExampleSplitter {
    let losses: Tensor
    let examples: Int
    let order: [Tensor]
    /// Leaves requiring a gradient, and nodes computed from them alone.
    var parameterSide = Set<ObjectIdentifier>()
    /// How many ops read each parameter leaf, and how many of them are row lookups.
    var uses: [ObjectIdentifier: Int] = [:]
    var lookupUses: [ObjectIdentifier: Int] = [:]
    /// The row lookups of each table read only by lookups.
    var lookups: [ObjectIdentifier: (leaf: Tensor, rows: [LookedUpRows])] = [:]
    var dense: [ObjectIdentifier: (node: Tensor, buffer: TensorStorage)] = [:]
    var factored: [ObjectIdentifier: (leaf: Tensor, part: PerExamplePart)] = [:]
    /// Products into each weight leaf, kept as factors.
    var products: [ObjectIdentifier: (leaf: Tensor, factors: [ProductFactor])] = [:]

    init(losses: Tensor) {
        self.losses = losses
        examples = losses.shape[0]
        order = losses.topologicalOrder()
        for node in order {
            let key = ObjectIdentifier(node.node)
            guard let op = node.node.op else {
                parameterSide.insert(key)
                continue
            }
            for input in op.inputs where input.node.op == nil && input.requiresGradient {
                uses[ObjectIdentifier(input.node), default: 0] += 1
            }
            if case .indexSelect(let table, 0, _) = op, table.node.op == nil, table.requiresGradient {
                lookupUses[ObjectIdentifier(table.node), default: 0] += 1
            }
            if !op.readsConstants, op.inputs.allSatisfy({ parameterSide.contains(ObjectIdentifier($0.node)) }) {
                parameterSide.insert(key)
            }
        }
    }

    func isParameterSide(_ tensor: Tensor) -> Bool { parameterSide.contains(ObjectIdentifier(tensor.node)) }

    /// A leaf read only by row lookups, whose per-example gradients can stay sparse.
    func isLookupOnlyLeaf(_ tensor: Tensor) -> Bool {
        let key = ObjectIdentifier(tensor.node)
        return tensor.node.op == nil && uses[key] != nil && uses[key] == lookupUses[key]
    }

    mutating func run() throws(PerExampleGradientsUnsupported) -> PerExampleGradients {
        guard !isParameterSide(losses) else {
            throw PerExampleGradientsUnsupported(reason: "the losses do not depend on the data")
        }
        var pending = PendingGradients()
        pending.add(Tensor(repeating: 1, shape: [examples]), for: losses)
        for current in order.reversed() where !isParameterSide(current) {
            guard let g = pending.take(current), let op = current.node.op else { continue }
            if op.inputs.contains(where: { isParameterSide($0) }) {
                try split(op, output: current, gradient: g, pending: &pending)
            } else {
                pending.add(Tensor.backward(op, output: current, gradient: g), of: op)
            }
        }
        // Gradients of nodes computed from parameters go back to their leaves, example by example.
        for (key, entry) in dense where entry.node.node.op != nil {
            dense[key] = nil
            let count = entry.node.count
            for i in 0..<examples {
                let seed = Tensor(
                    shape: entry.node.shape,
                    scalars: Array(UnsafeBufferPointer(start: entry.buffer.pointer + i * count, count: count)))
                for (leaf, gradient) in entry.node.gradients(seed: seed).all {
                    Tensor.addInPlace(
                        denseBuffer(for: leaf).pointer + i * leaf.count, gradient.pointer, count: leaf.count)
                }
            }
        }
        for (key, entry) in lookups { factored[key] = (entry.leaf, .lookups(entry.rows)) }
        // A weight also reached another way (through a reshape, say) adds its products into
        // its dense per-example gradients; the others keep them factored.
        for (key, entry) in products {
            guard let buffer = dense[key]?.buffer else {
                factored[key] = (entry.leaf, .rowProducts(entry.factors))
                continue
            }
            for factor in entry.factors {
                for i in 0..<examples { factor.addGradient(ofExample: i, into: buffer.pointer + i * entry.leaf.count) }
            }
        }
        var parts = factored.values.map { ($0.leaf, $0.part) }
        parts += dense.values.map { ($0.node, PerExamplePart.dense($0.buffer)) }
        // A fixed order (the graph's), so the norms' double sums are the same on every run.
        var position: [ObjectIdentifier: Int] = [:]
        for (index, node) in order.enumerated() { position[ObjectIdentifier(node.node)] = index }
        parts.sort {
            position[ObjectIdentifier($0.0.node), default: 0] < position[ObjectIdentifier($1.0.node), default: 0]
        }
        var squaredNorms = [Double](repeating: 0, count: examples)
        for (_, part) in parts { part.addSquaredNorms(into: &squaredNorms) }
        return PerExampleGradients(exampleCount: examples, squaredNorms: squaredNorms, parts: parts)
    }

    mutating func denseBuffer(for node: Tensor) -> TensorStorage {
        let key = ObjectIdentifier(node.node)
        if let existing = dense[key] { return existing.buffer }
        let buffer = TensorStorage(repeating: 0, count: examples * node.count)
        dense[key] = (node, buffer)
        return buffer
    }

    /// Rows per example along the first axis of `shape`, or nil when they do not divide evenly.
    func rowsPerExample(_ rows: Int) -> Int? {
        rows > 0 && rows % examples == 0 ? rows / examples : nil
    }

    func unsupported(_ op: Op, _ why: String) -> PerExampleGradientsUnsupported {
        PerExampleGradientsUnsupported(reason: "\(op.name): \(why)")
    }

    /// An op where parameters meet data: the data side gets its usual gradient, the parameter
    /// side one gradient per example.
    mutating func split(_ op: Op, output: Tensor, gradient g: Tensor, pending: inout PendingGradients)
        throws(PerExampleGradientsUnsupported)
    {
        switch op {
        case .matmul(let a, let b, let transposeA, let transposeB):
            guard !transposeA, !isParameterSide(a), a.rank == 2, b.rank == 2, let k = rowsPerExample(a.shape[0]) else {
                throw unsupported(op, "a parameter must be the right-hand matrix of a product with data rows [B·T, in]")
            }
            if a.requiresGradient { pending.add(transposeB ? g.matmul(b) : g.matmul(b, transposeB: true), for: a) }
            splitProduct(a: a, weight: b, g: g, transposeB: transposeB, rowsPerExample: k)
        case .addMatmul(let addend, let a, let b, let transposeB):
            guard !isParameterSide(addend), !isParameterSide(a), let k = rowsPerExample(a.shape[0]) else {
                throw unsupported(op, "only the right-hand matrix may be a parameter")
            }
            if addend.requiresGradient { pending.add(g, for: addend) }
            if a.requiresGradient { pending.add(transposeB ? g.matmul(b) : g.matmul(b, transposeB: true), for: a) }
            splitProduct(a: a, weight: b, g: g, transposeB: transposeB, rowsPerExample: k)
        case .binary(let x, let y, let f):
            let (parameter, data, parameterFirst) = isParameterSide(x) ? (x, y, true) : (y, x, false)
            guard !isParameterSide(data), output.rank >= 1, let k = rowsPerExample(output.shape[0]),
                parameter.rank < output.rank || parameter.shape[0] == 1
            else {
                throw unsupported(op, "a parameter must broadcast over the batch axis of the data it meets")
            }
            if data.requiresGradient {
                let detached = parameter.detached()
                let plain: Op = parameterFirst ? .binary(detached, data, f) : .binary(data, detached, f)
                pending.add(Tensor.backward(plain, output: output, gradient: g), of: plain)
            }
            let factor: Tensor
            switch f {
            case .add: factor = g
            case .subtract: factor = parameterFirst ? g : -g
            case .multiply: factor = g * data
            case .divide: throw unsupported(op, "dividing by a parameter is not split by example")
            }
            splitBroadcast(factor, into: parameter, rowsPerExample: k)
        case .indexSelect(let table, let axis, let indices):
            guard axis == 0, let k = rowsPerExample(indices.count) else {
                throw unsupported(op, "a parameter table must be looked up by rows, [B] or [B, T] indices")
            }
            let width = table.count / Swift.max(table.shape[0], 1)
            let rows = g.reshaped([indices.count, width])
            if isLookupOnlyLeaf(table) {
                lookups[ObjectIdentifier(table.node), default: (table, [])].rows.append(
                    LookedUpRows(indices: indices.indices, g: rows, rowsPerExample: k))
            } else {
                let buffer = denseBuffer(for: table)
                for (r, index) in indices.indices.enumerated() {
                    Tensor.addInPlace(
                        buffer.pointer + (r / k) * table.count + index * width, rows.pointer + r * width, count: width)
                }
            }
        default:
            throw unsupported(op, "this op does not split a parameter's gradient by example")
        }
    }

    /// `a x W` (or `a x Wᵀ`) with data rows `a` `[N, in]` and output gradient `g` `[N, out]`.
    mutating func splitProduct(a: Tensor, weight: Tensor, g: Tensor, transposeB: Bool, rowsPerExample k: Int) {
        let factor = ProductFactor(a: a, g: g, transposeB: transposeB, rowsPerExample: k)
        if weight.node.op == nil {
            products[ObjectIdentifier(weight.node), default: (weight, [])].factors.append(factor)
            return
        }
        let buffer = denseBuffer(for: weight)
        for i in 0..<examples { factor.addGradient(ofExample: i, into: buffer.pointer + i * weight.count) }
    }

    /// The per-example sums of `factor` `[B·T, ...]` reduced to the parameter's broadcast shape.
    mutating func splitBroadcast(_ factor: Tensor, into parameter: Tensor, rowsPerExample k: Int) {
        let buffer = denseBuffer(for: parameter)
        let width = parameter.count
        if parameter.shape.last == factor.shape.last, width == factor.shape.last {
            // A bias or gain over the last axis: add up the example's rows.
            let rows = factor.count / Swift.max(width, 1)
            let perExample = rows / examples
            for r in 0..<rows {
                Tensor.addInPlace(buffer.pointer + (r / perExample) * width, factor.pointer + r * width, count: width)
            }
            return
        }
        for i in 0..<examples {
            let block = factor.slice(axis: 0, (i * k)..<((i + 1) * k)).sum(toShape: parameter.shape)
            Tensor.addInPlace(buffer.pointer + i * width, block.pointer, count: width)
        }
    }
}
