import Foundation

/// Wall-clock timing helpers matching benchmarks/torch_bench.py's protocol.
enum Timing {
    static let timedRuns = 5

    /// Steps per second of each of ``timedRuns`` runs of `stepsPerRun` steps, after warm-up.
    static func training(stepsPerRun: Int, warmup: Int, _ step: () -> Void) -> [Double] {
        for _ in 0..<warmup { step() }
        return (0..<timedRuns).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<stepsPerRun { step() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return Double(stepsPerRun) / seconds
        }
    }

    /// Milliseconds of each of `calls` individually timed calls, after warm-up.
    static func calls(_ calls: Int, warmup: Int, _ call: () -> Void) -> [Double] {
        for _ in 0..<warmup { call() }
        return (0..<calls).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            call()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Nearest-rank percentile of sorted values.
    static func nearestRank(_ sorted: [Double], _ q: Double) -> Double {
        sorted[max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
    }
}
