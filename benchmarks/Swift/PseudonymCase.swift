import Foundation
import Pseudonyms

extension Cases {
    /// Pseudonyms per second on one thread: 1,000,000 distinct ids (`user-0` ... `user-999999`,
    /// as a log's user column holds) through ``Pseudonymizer/pseudonym(of:)`` with a 32-byte key,
    /// five timed runs after a warm-up run. Ids are made before the clock starts.
    static func pseudonymize() -> [Double] {
        let ids = (0..<1_000_000).map { "user-\($0)" }
        let pseudonymizer = Pseudonymizer(keys: [("k1", (0..<32).map { UInt8($0) })])
        var checksum = 0
        let run = {
            let start = DispatchTime.now().uptimeNanoseconds
            for id in ids { checksum &+= pseudonymizer.pseudonym(of: id).utf8.count }
            return Double(ids.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        _ = run()
        let runs = (0..<Timing.timedRuns).map { _ in run() }
        guard checksum == 6 * 1_000_000 * 35 else { BenchmarkMain.fail("pseudonymize: wrong pseudonym lengths") }
        return runs
    }
}
