/// An append-only buffer in manually managed memory, for per-record data that records point
/// into without copying: the scanner's nodes and decoded strings, and the field spans of
/// EventData's delimited parser. Its owner calls `deallocate()`.
///
/// The small members are `@inlinable`: a generic type's methods are otherwise called
/// unspecialised from other modules, and EventData's delimited parser appends every field
/// through them (measured: about 3% of an ingest's reading thread).
public struct GrowableBuffer<Element: BitwiseCopyable> {
    /// The first element; moves when the buffer grows.
    public private(set) var base: UnsafeMutablePointer<Element>
    @usableFromInline var storedCount = 0
    @usableFromInline var capacity: Int

    /// The number of elements appended since the last `removeAll()`.
    @inlinable public var count: Int { storedCount }

    /// An empty buffer with room for `capacity` elements before it first grows.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    /// Appends one element, growing the buffer when it is full.
    @inlinable
    public mutating func append(_ element: Element) {
        if storedCount == capacity { grow(toHold: storedCount + 1) }
        (base + storedCount).initialize(to: element)
        storedCount += 1
    }

    /// Appends the `count` elements at `source`.
    @inlinable
    public mutating func append(contentsOf source: UnsafePointer<Element>, count added: Int) {
        if storedCount + added > capacity { grow(toHold: storedCount + added) }
        (base + storedCount).initialize(from: source, count: added)
        storedCount += added
    }

    /// Forgets the elements `newCount...` (keeping the memory).
    @inlinable
    public mutating func removeLast(downTo newCount: Int) {
        storedCount = min(storedCount, max(newCount, 0))
    }

    /// Forgets every element, keeping the memory.
    @inlinable
    public mutating func removeAll() { storedCount = 0 }

    /// Frees the memory; the buffer must not be used afterwards.
    public func deallocate() { base.deallocate() }

    @usableFromInline
    mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: storedCount)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
