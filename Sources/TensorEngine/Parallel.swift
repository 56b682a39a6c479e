import Dispatch
import Linalg
import Synchronization

/// Engine-wide execution settings.
public enum Engine {
    private static let threads = Atomic<Int>(1)

    /// The number of threads kernels and BLAS may use (default 1).
    ///
    /// Elementwise and reduction kernels split work across this many threads once a tensor is
    /// large enough to pay for it; BLAS calls use the same count.
    public static var threadCount: Int {
        get { threads.load(ordering: .relaxed) }
        set {
            let count = max(1, newValue)
            threads.store(count, ordering: .relaxed)
            BLAS.setThreadCount(count)
        }
    }

    /// Below this many elements a kernel runs on the calling thread.
    static let parallelThreshold = 1 << 15
}

/// Runs `body` over `0..<count`, split in contiguous chunks across ``Engine/threadCount``
/// threads when `count * costPerItem` is large enough to repay the dispatch.
@inline(__always)
func parallelChunks(
    _ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void
) {
    let threads = Engine.threadCount
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
