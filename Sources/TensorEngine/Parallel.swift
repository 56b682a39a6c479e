import Dispatch
import Linalg
import Synchronization

/// Engine-wide execution settings.
public enum Engine {
    private static let blasThreads = Atomic<Int>(1)
    private static let kernelThreads = Atomic<Int>(1)

    /// The number of threads matrix products may use (default 1): BLAS's own thread pool.
    public static var threadCount: Int {
        get { blasThreads.load(ordering: .relaxed) }
        set {
            let count = max(1, newValue)
            blasThreads.store(count, ordering: .relaxed)
            BLAS.setThreadCount(count)
        }
    }

    /// The number of threads the engine's own elementwise and reduction kernels may split
    /// large tensors across (default 1).
    ///
    /// Separate from ``threadCount`` on purpose. OpenBLAS's workers spin (yielding) for a
    /// while after every product, so a second pool of kernel threads competes with them for
    /// the same cores: on 2 cores, SASRec training measured 2.9 steps/s with BLAS on two
    /// threads and kernels on one, 2.25 with both on two, and 3.0 with BLAS on one and
    /// products split by the engine (but LSTM 9.9 instead of 13.6). Raise this when BLAS
    /// stays on one thread and the model is dominated by elementwise work.
    public static var kernelThreadCount: Int {
        get { kernelThreads.load(ordering: .relaxed) }
        set { kernelThreads.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Below this many elements (times cost per element) a kernel runs on the calling thread.
    static let parallelThreshold = 1 << 17

    /// Below this many multiply-adds a matrix product runs on one BLAS thread.
    static let parallelMatmulWork = 1 << 22

    /// Makes BLAS start from ``threadCount`` (its own default is every core).
    static let blasConfigured: Bool = {
        BLAS.setThreadCount(threadCount)
        return true
    }()
}

/// Runs `body` over `0..<count`, split in contiguous chunks across
/// ``Engine/kernelThreadCount`` threads when `count * costPerItem` is large enough to repay
/// the dispatch.
@inline(__always)
func parallelChunks(
    _ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
) {
    let threads = Engine.kernelThreadCount
    if threads <= 1 || count * costPerItem < Engine.parallelThreshold || count < 2 {
        body(0..<count)
        return
    }
    let chunks = min(threads, count)
    let size = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        // The chunks touch disjoint ranges of the buffers the body captures.
        let shared = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { shared.value(start..<end) }
        }
    }
}

/// Carries a value into concurrent work whose safety the caller has checked.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
