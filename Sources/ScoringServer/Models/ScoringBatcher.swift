import Recommenders
import Synchronization

/// Runs the recommendations of concurrent requests to one model as one batch: requests queue
/// their histories; while the model is busy the queue grows, and the next pass scores all of
/// it (up to ``maximumBatch``) in one forward pass, which costs little more than one history
/// (the matrix products get taller, the per-operation overhead is shared). One pass runs at a
/// time, so the model is never used by two threads at once. Requests are answered in arrival
/// order.
final class ScoringBatcher: Sendable {
    typealias Ranking = [(item: Int, score: Float)]

    private struct Job {
        var history: [Int]
        var count: Int
        var excluding: Set<Int>
        var continuation: CheckedContinuation<Ranking, Never>
    }

    let maximumBatch: Int
    private let score: @Sendable ([[Int]]) -> [[Float]]
    private let state = Mutex<(jobs: [Job], running: Bool)>(([], false))

    /// - Parameter score: Scores of every item after each history (the model's forward pass).
    init(maximumBatch: Int = 64, score: @escaping @Sendable ([[Int]]) -> [[Float]]) {
        precondition(maximumBatch >= 1, "ScoringBatcher: maximumBatch \(maximumBatch)")
        self.maximumBatch = maximumBatch
        self.score = score
    }

    /// The `count` best items after `history` (item indexes), skipping `excluding`.
    func top(after history: [Int], count: Int, excluding: Set<Int>) async -> Ranking {
        await withCheckedContinuation { continuation in
            let start = state.withLock { state -> Bool in
                state.jobs.append(Job(history: history, count: count, excluding: excluding, continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if start { Task { self.drain() } }
        }
    }

    /// Scores batches until the queue is empty.
    private func drain() {
        while true {
            let batch = state.withLock { state -> [Job] in
                let taken = Array(state.jobs.prefix(maximumBatch))
                state.jobs.removeFirst(taken.count)
                if taken.isEmpty { state.running = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            let rows = score(batch.map(\.history))
            for (job, row) in zip(batch, rows) {
                job.continuation.resume(returning: NextItemModel.top(job.count, of: row, excluding: job.excluding))
            }
        }
    }
}
