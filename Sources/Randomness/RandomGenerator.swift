import Randomness

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every run and machine, so a training run
/// started from the same seed is reproducible bit for bit on the same machine. It is a value
/// type: copy it to fork a stream, pass it `inout` to draw from it.
///
/// It lives in its own module so that the tensor engine (initial weights, dropout masks) and
/// the event pipeline (simulation, splits) draw from the same generator without the pipeline
/// depending on the engine.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let order = rng.permutation(10)
/// let w = Tensor.normal([64, 17], standardDeviation: 0.1, generator: &rng)  // TensorEngine
/// ```
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform value in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A standard normal value (Box-Muller).
    public mutating func nextNormal() -> Float {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1 - Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * logDouble(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fills `buffer` with standard normal values by Marsaglia's polar method in double
    /// precision: two values per accepted pair of uniforms (about 79% are accepted), one
    /// logarithm and one square root per pair and no sine or cosine, so bulk noise costs a
    /// fraction of ``nextNormal()`` per value.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var index = 0
        while index < buffer.count {
            let x = Double(Int64(bitPattern: next()) >> 10) * (1.0 / 9_007_199_254_740_992.0)
            let y = Double(Int64(bitPattern: next()) >> 10) * (1.0 / 9_007_199_254_740_992.0)
            let s = x * x + y * y
            guard s < 1, s > 0 else { continue }
            let factor = (-2 * logDouble(s) / s).squareRoot()
            buffer[index] = Float(x * factor)
            if index + 1 < buffer.count { buffer[index + 1] = Float(y * factor) }
            index += 2
        }
    }

    /// `true` with probability `p`.
    public mutating func nextBernoulli(_ p: Float) -> Bool { nextUniform() < p }

    /// A uniform integer in `0..<upperBound`.
    public mutating func nextInt(below upperBound: Int) -> Int {
        Int.random(in: 0..<upperBound, using: &self)
    }

    /// A random permutation of `0..<count` (Fisher-Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        if count < 2 { return values }
        for i in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(i, nextInt(below: i + 1))
        }
        return values
    }
}

@inline(__always)
private func logDouble(_ x: Double) -> Double { log(x) }
