import Dispatch

/// Runs `body(part, rows)` over `parts` contiguous, nearly equal parts of `0..<count`, one
/// thread each (on the calling thread when `parts` is 1).
///
/// The parts are fixed by `count` and `parts` alone, so work split this way and added up in
/// part order gives the same result on every run with the same thread count.
func forEachPart(_ count: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
    let parts = max(1, min(parts, count))
    if parts == 1 {
        body(0, 0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        // Each part touches its own rows and its own per-part buffers.
        let shared = UncheckedSendable(value: body)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            shared.value(part, (count * part / parts)..<(count * (part + 1) / parts))
        }
    }
}

/// Carries a value into concurrent work whose safety the caller has checked.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
