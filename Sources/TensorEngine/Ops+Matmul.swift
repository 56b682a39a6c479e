import Linalg

extension Tensor {
    /// Matrix product over the last two axes, through BLAS `sgemm`.
    ///
    /// - `[M, K] x [K, N] -> [M, N]`
    /// - `[..., M, K] x [K, N] -> [..., M, N]` (one weight matrix shared by every batch)
    /// - `[B..., M, K] x [B..., K, N] -> [B..., M, N]` (same leading batch axes)
    ///
    /// `transposeA` / `transposeB` use an operand transposed over its last two axes without
    /// copying it (BLAS reads it transposed).
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul: operands need rank >= 2, got \(shape) and \(other.shape)")
        if rank > 2 && other.rank == 2 && !transposeA {
            // A shared weight: fold the batch axes into rows; reshapes copy nothing.
            let k = shape[rank - 1]
            let folded = reshaped([count / Swift.max(k, 1), k])
                .matmul(other, transposeA: false, transposeB: transposeB)
            return folded.reshaped(Array(shape.dropLast()) + [folded.shape[1]])
        }
        let batchA = Array(shape.dropLast(2))
        let batchB = Array(other.shape.dropLast(2))
        precondition(
            batchA == batchB,
            "matmul: batch axes differ: \(shape) and \(other.shape) (transposeA: \(transposeA), transposeB: \(transposeB))"
        )
        let m = transposeA ? shape[rank - 1] : shape[rank - 2]
        let k = transposeA ? shape[rank - 2] : shape[rank - 1]
        let kb = transposeB ? other.shape[other.rank - 1] : other.shape[other.rank - 2]
        let n = transposeB ? other.shape[other.rank - 2] : other.shape[other.rank - 1]
        precondition(
            k == kb,
            "matmul: inner dimensions differ: \(shape) x \(other.shape) (transposeA: \(transposeA), transposeB: \(transposeB)) gives \(k) vs \(kb)"
        )
        _ = Engine.blasConfigured
        let batch = batchA.reduce(1, *)
        let out = TensorStorage(uninitializedCount: batch * m * n)
        let pa = pointer
        let pb = other.pointer
        // OpenBLAS splits any product above ~262K multiply-adds across its threads; below a
        // few million the hand-off costs more than it saves (single-sequence inference), so
        // those run on one thread.
        let threads = Engine.threadCount
        let serial = threads > 1 && batch * m * n * k < Engine.parallelMatmulWork
        if serial { BLAS.setThreadCount(1) }
        defer { if serial { BLAS.setThreadCount(threads) } }
        for i in 0..<batch {
            BLAS.gemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                a: pa + i * m * k, b: pb + i * k * n, c: out.pointer + i * m * n)
        }
        return Tensor.result(
            shape: batchA + [m, n], storage: out, inputs: self, other,
            op: .matmul(self, other, transposeA: transposeA, transposeB: transposeB))
    }

    /// `addend + self x op(other)` for matrices, with the sum done inside BLAS (`beta = 1`)
    /// instead of a separate pass: `[M, K] x [K, N]` (or `[N, K]` transposed) plus `[M, N]`.
    public func matmul(_ other: Tensor, transposeB: Bool = false, adding addend: Tensor) -> Tensor {
        precondition(
            rank == 2 && other.rank == 2, "matmul(adding:): operands must be matrices, got \(shape) and \(other.shape)")
        let (m, k) = (shape[0], shape[1])
        let kb = transposeB ? other.shape[1] : other.shape[0]
        let n = transposeB ? other.shape[0] : other.shape[1]
        precondition(
            k == kb && addend.shape == [m, n],
            "matmul(adding:): \(shape) x \(other.shape) (transposeB: \(transposeB)) + \(addend.shape) do not fit")
        _ = Engine.blasConfigured
        let out = TensorStorage(uninitializedCount: m * n)
        out.pointer.update(from: addend.pointer, count: m * n)
        BLAS.gemm(
            transposeA: false, transposeB: transposeB, m: m, n: n, k: k,
            a: pointer, b: other.pointer, beta: 1, c: out.pointer)
        return Tensor.result(
            shape: [m, n], storage: out, inputs: addend, self, other,
            op: .addMatmul(addend, self, other, transposeB: transposeB))
    }
}
