/// A reference-counted, fixed-size, contiguous block of `Float` values.
///
/// Tensors never share a storage they may write to: ops allocate a fresh storage for their
/// result. The only in-place writers are the optimizers (through ``Tensor/assign(_:)`` and
/// ``Tensor/withUnsafeMutableScalars(_:)``), which update parameter leaves between steps.
final class TensorStorage: @unchecked Sendable {
    /// Tunes the C allocator once, before the first tensor buffer (see ``configureAllocator()``).
    private static let allocatorConfigured: Bool = configureAllocator()

    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` uninitialised values (callers must write every element).
    init(uninitializedCount count: Int) {
        self.count = count
        _ = TensorStorage.allocatorConfigured
        // 64-byte alignment keeps SIMD loads aligned and BLAS happy.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    convenience init<C: Collection>(_ values: C) where C.Element == Float {
        self.init(uninitializedCount: values.count)
        var i = 0
        for v in values {
            pointer[i] = v
            i += 1
        }
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

/// Keeps freed tensor buffers in the process heap instead of returning them to the kernel.
///
/// glibc serves blocks of 128 KiB and more with fresh `mmap`s and trims the heap top eagerly,
/// so every training step would page-fault its activations in again (10% of an MLP step).
/// Raising both thresholds makes the heap reuse the same pages step after step; peak memory
/// is unchanged because the buffers are live at the same time either way.
private func configureAllocator() -> Bool {
    #if os(Linux)
        // Values of M_TRIM_THRESHOLD and M_MMAP_THRESHOLD in glibc's <malloc.h>.
        _ = glibcMallopt(-1, 1 << 30)
        _ = glibcMallopt(-3, 256 << 20)
    #endif
    return true
}

#if os(Linux)
    /// glibc's `mallopt` (its header, <malloc.h>, is not part of the Glibc module).
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
