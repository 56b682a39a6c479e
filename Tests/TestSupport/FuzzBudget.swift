import Foundation

/// How long fuzz tests run and which inputs they draw: fixed by default, so that `swift test`
/// is bounded and deterministic, and widened from the environment for longer hunts:
///
/// ```sh
/// BEHAVIORKIT_FUZZ_SCALE=50 BEHAVIORKIT_FUZZ_SEED=7 swift test --filter Fuzz
/// ```
public enum FuzzBudget {
    /// `base` times `BEHAVIORKIT_FUZZ_SCALE` (1 when unset or not a positive integer).
    public static func iterations(_ base: Int) -> Int {
        base * max(1, Int(ProcessInfo.processInfo.environment["BEHAVIORKIT_FUZZ_SCALE"] ?? "") ?? 1)
    }

    /// `seed` mixed with `BEHAVIORKIT_FUZZ_SEED` (unchanged when unset), for other input sequences.
    public static func seed(_ seed: UInt64) -> UInt64 {
        guard let extra = UInt64(ProcessInfo.processInfo.environment["BEHAVIORKIT_FUZZ_SEED"] ?? "") else {
            return seed
        }
        return seed ^ (extra &* 0x9E37_79B9_7F4A_7C15)
    }
}
