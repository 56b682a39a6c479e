import Synchronization

/// At most `slots` requests run at once and at most `queue` wait for a slot; past that a
/// request is turned away at once (503 with `Retry-After`) instead of queueing without end.
/// Waiters get slots in arrival order.
final class ConcurrencyLimiter: Sendable {
    let slots: Int
    let queue: Int
    private let metrics: ServerMetrics?

    private struct State {
        var running = 0
        /// Resumed with true when handed a slot.
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    private let state = Mutex(State())

    init(slots: Int, queue: Int, metrics: ServerMetrics?) {
        precondition(slots >= 1 && queue >= 0, "ConcurrencyLimiter: slots \(slots), queue \(queue)")
        self.slots = slots
        self.queue = queue
        self.metrics = metrics
    }

    /// Runs `body` in a slot; nil (without running it) when every slot is taken and the queue
    /// is full.
    func run<T>(_ body: () async throws -> T) async throws -> T? {
        let immediate = state.withLock { state -> Bool in
            guard state.running < slots else { return false }
            state.running += 1
            return true
        }
        if !immediate {
            let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // Decided under one lock: a slot may have freed since the first look.
                let decision = state.withLock { state -> Bool? in
                    if state.running < slots {
                        state.running += 1
                        return true
                    }
                    guard state.waiting.count < queue else { return false }
                    state.waiting.append(continuation)
                    return nil
                }
                report()
                if let decision { continuation.resume(returning: decision) }
            }
            guard admitted else { return nil }
        }
        report()
        defer { release() }
        return try await body()
    }

    /// Frees a slot, handing it to the first waiter if there is one.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        report()
        next?.resume(returning: true)
    }

    private func report() {
        let (waiting, running) = state.withLock { ($0.waiting.count, $0.running) }
        metrics?.occupancy(waiting: waiting, running: running)
    }
}
