/// An append-only buffer in manually managed memory, for per-record data that records point
/// into without copying: the scanner's nodes and decoded strings, and the field spans of
/// EventData's delimited parser. Its owner calls `deallocate()`.
public struct GrowableBuffer<Element: BitwiseCopyable> {
    /// The first element; moves when the buffer grows.
    public private(set) var base: UnsafeMutablePointer<Element>
    /// The number of elements appended since the last `removeAll()`.
    public private(set) var count = 0
    private var capacity: Int

    /// An empty buffer with room for `capacity` elements before it first grows.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    /// Appends one element, growing the buffer when it is full.
    @inline(__always)
    public mutating func append(_ element: Element) {
        if count == capacity { grow(toHold: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Appends the `count` elements at `source`.
    public mutating func append(contentsOf source: UnsafePointer<Element>, count added: Int) {
        if count + added > capacity { grow(toHold: count + added) }
        (base + count).initialize(from: source, count: added)
        count += added
    }

    /// Forgets the elements `newCount...` (keeping the memory).
    public mutating func removeLast(downTo newCount: Int) {
        count = min(count, max(newCount, 0))
    }

    /// Forgets every element, keeping the memory.
    public mutating func removeAll() { count = 0 }

    /// Frees the memory; the buffer must not be used afterwards.
    public func deallocate() { base.deallocate() }

    private mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
