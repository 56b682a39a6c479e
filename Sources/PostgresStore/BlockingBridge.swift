import Foundation
import Synchronization

/// Runs the store's async PostgreSQL calls to completion for its synchronous ``EventStore``
/// methods.
///
/// The calls run as tasks on a thread of their own (a task executor), never on the shared
/// concurrency pool: a server handler blocked in a store method holds a pool thread, and with
/// every pool thread so blocked a task waiting for one would never run.
final class BlockingBridge: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        // The thread keeps the bridge alive until `stop()` lets it finish.
        let thread = Thread { self.drain() }
        thread.name = name
        thread.start()
    }

    /// Stops the thread once the queued jobs have run; nothing may be submitted afterwards.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func drain() {
        while true {
            condition.lock()
            while jobs.isEmpty, !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Runs `body` on the bridge's thread and waits for its result on the calling thread.
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        Task(executorPreference: self) {
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        guard let result = outcome.withLock({ $0 }) else {
            preconditionFailure("BlockingBridge: the task signalled without a result")
        }
        return try result.get()
    }
}
