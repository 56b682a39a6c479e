/// A reference-counted, fixed-size, contiguous block of `Float` values.
///
/// Tensors never share a storage they may write to: ops allocate a fresh storage for their
/// result. The only in-place writers are the optimizers (through ``Tensor/assign(_:)`` and
/// ``Tensor/withUnsafeMutableScalars(_:)``), which update parameter leaves between steps.
final class TensorStorage: @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` uninitialised values (callers must write every element).
    init(uninitializedCount count: Int) {
        self.count = count
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
