import CBLAS

/// The BLAS routines BehaviorKit uses, behind one small interface.
///
/// Every call into a BLAS library in the package goes through this enum, so a different
/// backend (Apple's Accelerate on macOS) only has to replace this file.
public enum BLAS {
    /// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`.
    ///
    /// `op(A)` is `M x K` and `op(B)` is `K x N`. When `transposeA` is true, `A` is stored as
    /// a row-major `K x M` matrix and used transposed without a copy; likewise for `B`.
    ///
    /// - Parameters:
    ///   - a: `M x K` (or `K x M` when transposed), row-major, contiguous.
    ///   - b: `K x N` (or `N x K` when transposed), row-major, contiguous.
    ///   - c: `M x N`, row-major, contiguous; read only when `beta != 0`.
    @inlinable
    public static func gemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched for k == 0 only when beta == 1; be explicit.
            if beta == 0 {
                c.update(repeating: 0, count: m * n)
            } else if beta != 1 {
                for i in 0..<(m * n) { c[i] *= beta }
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k),
            alpha,
            a, blasint(transposeA ? m : k),
            b, blasint(transposeB ? k : n),
            beta,
            c, blasint(n)
        )
    }

    /// `y = alpha * x + y` over `count` contiguous elements.
    @inlinable
    public static func axpy(
        count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        if count == 0 { return }
        cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
    }

    /// Dot product of `count` contiguous elements.
    @inlinable
    public static func dot(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        if count == 0 { return 0 }
        return cblas_sdot(blasint(count), x, 1, y, 1)
    }

    /// Sets how many threads the BLAS library may use for one call.

    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The BLAS library's current thread count.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// A short description of the BLAS library in use (for benchmark reports).
    public static var libraryDescription: String {
        guard let config = openblas_get_config() else { return "OpenBLAS" }
        return "OpenBLAS " + String(cString: config)
    }
}
