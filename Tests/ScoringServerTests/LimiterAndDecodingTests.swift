import Foundation
import Randomness
import Synchronization
import Testing

@testable import ScoringServer

@Suite struct LimiterAndDecodingTests {
    @Test func theLimiterRunsSlotsQueuesInOrderAndTurnsTheRestAway() async throws {
        let limiter = ConcurrencyLimiter(slots: 1, queue: 1, metrics: nil)
        let gate = AsyncGate()
        let order = Recorder()
        async let first: Int? = limiter.run {
            await gate.wait()
            order.append(1)
            return 1
        }
        // Let the first take the slot, then the second waits in the queue.
        while !gate.hasWaiter { await Task.yield() }
        async let second: Int? = limiter.run {
            order.append(2)
            return 2
        }
        try await Task.sleep(for: .milliseconds(50))
        // Slot and queue are full: the third is turned away without running.
        let third = try await limiter.run { 3 }
        #expect(third == nil)
        gate.open()
        #expect(try await first == 1)
        #expect(try await second == 2)
        #expect(order.values == [1, 2])
        #expect(try await limiter.run { 4 } == 4)
    }

    /// Seeded random bodies, from bytes to mutated valid requests: the decoders answer an
    /// APIError (400) or a value, and never trap.
    @Test func fuzzedBodiesGetAnswersNotCrashes() {
        var generator = RandomGenerator(seed: 11)
        let seeds = [
            #"{"user": "u1", "k": 5, "exclude_seen": true}"#, #"{"history": ["a", "b"], "k": 3}"#,
            #"{"rows": [{"a": 1, "b": "x", "c": null}]}"#,
        ]
        let alphabet = Array(#"{}[]":,0123456789.-eE truefalsnul\u00"#.utf8) + [0, 255, 0x7f]
        var errors = 0
        for round in 0..<3_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            if round % 5 == 0 {
                bytes = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                for _ in 0..<(1 + Int(generator.next() % 4)) where !bytes.isEmpty {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 3 {
                    case 0: bytes[index] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: index)
                    }
                }
            }
            bytes.withUnsafeBytes { raw in
                do throws(APIError) {
                    _ = try parseBody(RecommendRequest.self, from: raw)
                } catch {
                    #expect(error.status == .badRequest && !error.message.isEmpty)
                    errors += 1
                }
                do throws(APIError) {
                    _ = try parseBody(ScoreRequest.self, from: raw)
                } catch {
                    #expect(error.status == .badRequest)
                }
            }
        }
        #expect(errors > 1_000, "most mutations are malformed")
    }
}

/// Holds tasks until opened.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    var hasWaiter: Bool { state.withLock { !$0.waiters.isEmpty } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Values appended from several tasks.
final class Recorder: Sendable {
    private let storage = Mutex<[Int]>([])

    func append(_ value: Int) { storage.withLock { $0.append(value) } }

    var values: [Int] { storage.withLock { $0 } }
}
