import Foundation

/// A privacy loss distribution (PLD) accountant: composes ``PrivacyEvent``s by convolving the
/// distributions of their privacy losses, then reads (ε, δ) off the composed distribution.
///
/// Where the RDP accountant bounds the composition through Rényi divergences and loses some
/// tightness in the conversion to (ε, δ), the PLD is the composition itself, up to the
/// discretisation, so its ε is smaller for the same noise (Koskela, Jälkö and Honkela 2020,
/// arXiv:1906.03049; Meiser and Mohammadi 2018, "privacy buckets"; dp_accounting's
/// `PLDAccountant`, whose values the tests reproduce).
///
/// For the Gaussian mechanism on a Poisson sample at rate `q` with noise multiplier `σ`
/// (sensitivity 1) under add-or-remove-one adjacency there are two losses, one per direction:
///
/// ```
/// remove: L(x) =  log(1 - q + q e^((2x - 1) / (2σ²))),  x ~ (1 - q) N(0, σ²) + q N(1, σ²)
/// add:    L(x) = -log(1 - q + q e^((2x - 1) / (2σ²))),  x ~ N(0, σ²)
/// ```
///
/// Each is put on a grid of width ``valueDiscretizationInterval`` so that its `δ(ε)` is
/// matched at the grid values and overestimated between them (dp_accounting's "connect the
/// dots", a pessimistic estimate), and each tail holding less than ``tailMassTruncation`` is
/// moved to the grid's lowest value (lower tail) or counted as an infinite loss (upper tail),
/// again pessimistically. `count` repetitions compose by repeated squaring with FFT
/// convolutions. Then
///
/// ```
/// δ(ε) = P(L = ∞) + Σ_l P(L = l) (1 - e^(ε - l))    over losses l > ε
/// ```
///
/// and the guarantee is the larger of the two directions'.
///
/// ```swift
/// var accountant = PLDAccountant()
/// try accountant.compose(.poissonSampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.0), count: 1_000)
/// let epsilon = try accountant.epsilon(delta: 1e-5)  // 1.828 (RDP: 2.101)
/// ```
public struct PLDAccountant: Sendable, Equatable {
    /// The width of the grid privacy losses are rounded up to (dp_accounting's default).
    public let valueDiscretizationInterval: Double
    /// The probability in each tail that may be moved (dp_accounting's default).
    public let tailMassTruncation: Double
    /// The sampled Gaussians composed so far, with how many times each.
    public private(set) var mechanisms: [Mechanism: Int] = [:]

    /// One sampled Gaussian mechanism (a plain Gaussian has sampling rate 1).
    public struct Mechanism: Sendable, Hashable {
        public var samplingRate: Double
        public var noiseMultiplier: Double
    }

    /// An empty accountant.
    ///
    /// - Parameters:
    ///   - valueDiscretizationInterval: The loss grid's width, positive; smaller is tighter and
    ///     slower.
    ///   - tailMassTruncation: The tail probability that may be moved, in `[0, 1e-3]`.
    public init(valueDiscretizationInterval: Double = 1e-4, tailMassTruncation: Double = 1e-15) {
        precondition(
            valueDiscretizationInterval > 0 && valueDiscretizationInterval.isFinite,
            "PLDAccountant: discretisation interval \(valueDiscretizationInterval)")
        precondition(
            (0...1e-3).contains(tailMassTruncation), "PLDAccountant: tail mass truncation \(tailMassTruncation)")
        self.valueDiscretizationInterval = valueDiscretizationInterval
        self.tailMassTruncation = tailMassTruncation
    }

    /// Adds `count` occurrences of `event`.
    ///
    /// - Throws: ``PrivacyAccountingError`` naming an out-of-range count, sampling rate or noise
    ///   multiplier; the accountant is unchanged then.
    public mutating func compose(_ event: PrivacyEvent, count: Int = 1) throws(PrivacyAccountingError) {
        guard count >= 0 else { throw .invalidCount(count) }
        let (mechanism, inner) = try PrivacyEvent.selfComposed(event, count: count).flattened()
        guard inner > 0, mechanism.rate > 0 else { return }
        let key = Mechanism(samplingRate: mechanism.rate, noiseMultiplier: mechanism.noise)
        let (total, overflow) = mechanisms[key, default: 0].addingReportingOverflow(inner)
        guard !overflow else { throw .invalidCount(count) }
        mechanisms[key] = total
    }

    /// The smallest ε for which the composed events are (ε, δ)-DP (0 for an empty accountant,
    /// `+∞` without noise).
    ///
    /// - Throws: ``PrivacyAccountingError/invalidDelta(_:)``.
    public func epsilon(delta: Double) throws(PrivacyAccountingError) -> Double {
        guard delta > 0, delta < 1 else { throw .invalidDelta(delta) }
        return try composed().map { $0.epsilon(delta: delta) }.max() ?? 0
    }

    /// The smallest δ for which the composed events are (ε, δ)-DP.
    ///
    /// - Throws: ``PrivacyAccountingError/invalidEpsilon(_:)``.
    public func delta(epsilon: Double) throws(PrivacyAccountingError) -> Double {
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidEpsilon(epsilon) }
        return try composed().map { $0.delta(epsilon: epsilon) }.max() ?? 0
    }

    /// The composed loss distributions of the two directions (none for an empty accountant).
    private func composed() throws(PrivacyAccountingError) -> [LossDistribution] {
        guard !mechanisms.isEmpty else { return [] }
        if mechanisms.keys.contains(where: { $0.noiseMultiplier == 0 }) {
            return [LossDistribution(start: 0, masses: [], infinity: 1, interval: valueDiscretizationInterval)]
        }
        let ordered = mechanisms.sorted {
            ($0.key.samplingRate, $0.key.noiseMultiplier) < ($1.key.samplingRate, $1.key.noiseMultiplier)
        }
        return [true, false].map { removal in
            let parts = ordered.map { key, count in
                LossDistribution.sampledGaussian(
                    key, removal: removal, interval: valueDiscretizationInterval, truncation: tailMassTruncation
                ).composed(count, truncation: tailMassTruncation)
            }
            return parts.dropFirst().reduce(parts[0]) { $0.convolved(with: $1, truncation: tailMassTruncation) }
        }
    }
}

/// A privacy loss on the grid `(start + i) · interval` with `masses[i]`, plus the mass of an
/// infinite loss.
struct LossDistribution: Sendable {
    var start: Int
    var masses: [Double]
    var infinity: Double
    let interval: Double

    /// One sampled Gaussian's loss in one direction on the grid, by "connecting the dots"
    /// (Doroshenko, Ghazi, Kamath, Kumar and Manurangsi 2022, arXiv:2207.04380): the masses
    /// are chosen so that the grid distribution's `δ(ε)` equals the mechanism's at every grid
    /// value and, being linear in `e^ε` between them where the true one is convex, lies above
    /// it everywhere. Rounding every loss up to the grid instead would add up to a grid step
    /// per composed step. The grid runs between the losses whose lower and upper tails hold
    /// `truncation`; the upper tail's `δ` is an infinite loss.
    static func sampledGaussian(
        _ mechanism: PLDAccountant.Mechanism, removal: Bool, interval: Double, truncation: Double
    ) -> LossDistribution {
        let (q, sigma) = (mechanism.samplingRate, mechanism.noiseMultiplier)
        // The loss crosses `loss` where the noise sample x is `threshold`.
        func threshold(_ loss: Double) -> Double? {
            let inner = exp(removal ? loss : -loss) - (1 - q)
            return inner > 0 ? sigma * sigma * log(inner / q) + 0.5 : nil
        }
        // P(L <= l) and P(L > l) under the direction's first distribution.
        func below(_ loss: Double) -> (cdf: Double, survival: Double) {
            guard let x = threshold(loss) else { return removal ? (0, 1) : (1, 0) }
            if removal {  // L increases with x, and L > log(1 - q)
                return (
                    (1 - q) * normalCDF(x / sigma) + q * normalCDF((x - 1) / sigma),
                    (1 - q) * normalCDF(-x / sigma) + q * normalCDF((1 - x) / sigma)
                )
            }
            return (normalCDF(-x / sigma), normalCDF(x / sigma))  // L decreases with x, L <= -log(1 - q)
        }
        // The hockey-stick divergence δ(ε) = P(L > ε) - e^ε Q(L > ε).
        func hockeyStick(_ epsilon: Double) -> Double {
            guard let x = threshold(epsilon) else { return removal ? -expm1(epsilon) : 0 }
            let grown = exp(epsilon)
            if removal {
                return max(0, q * normalCDF((1 - x) / sigma) - (grown - 1 + q) * normalCDF(-x / sigma))
            }
            return max(0, (1 - grown * (1 - q)) * normalCDF(x / sigma) - grown * q * normalCDF((x - 1) / sigma))
        }
        func search(_ isPast: (Double) -> Bool, direction: Double) -> Double {
            var (near, far) = (0.0, direction)
            while !isPast(far) {
                near = far
                far *= 2
                if abs(far) > 1e6 { return far }
            }
            for _ in 0..<200 {
                let middle = (near + far) / 2
                if isPast(middle) { far = middle } else { near = middle }
            }
            return far
        }
        let first = Int((search({ below($0).cdf <= truncation }, direction: -1) / interval).rounded(.down))
        let last = max(
            first + 1, Int((search({ below($0).survival <= truncation }, direction: 1) / interval).rounded(.up)))
        let deltas = (first...last).map { hockeyStick(Double($0) * interval) }
        let growth = exp(interval)
        let step = expm1(interval)
        var masses = [Double](repeating: 0, count: deltas.count)
        for index in 1..<deltas.count {
            let right = index + 1 < deltas.count ? deltas[index + 1] - deltas[index] : 0
            masses[index] = max(0, (right - growth * (deltas[index] - deltas[index - 1])) / step)
        }
        let infinity = deltas[deltas.count - 1]
        masses[0] = max(0, 1 - infinity - masses.reduce(0, +))
        return LossDistribution(start: first, masses: masses, infinity: infinity, interval: interval)
    }

    /// `count`-fold composition by repeated squaring.
    func composed(_ count: Int, truncation: Double) -> LossDistribution {
        var result: LossDistribution?
        var power = self
        var remaining = count
        while remaining > 0 {
            if remaining & 1 == 1 { result = result.map { $0.convolved(with: power, truncation: truncation) } ?? power }
            remaining >>= 1
            if remaining > 0 { power = power.convolved(with: power, truncation: truncation) }
        }
        return result ?? LossDistribution(start: 0, masses: [1], infinity: 0, interval: interval)
    }

    /// The distribution of the sum of two independent losses, tails truncated pessimistically.
    func convolved(with other: LossDistribution, truncation: Double) -> LossDistribution {
        var result = LossDistribution(
            start: start + other.start, masses: FFT.convolve(masses, other.masses),
            infinity: 1 - (1 - infinity) * (1 - other.infinity), interval: interval)
        // Truncate first: the transform's rounding (±1e-17 per value) would otherwise be
        // clamped into positive tails that never fall under the truncation and grow each squaring.
        result.truncate(truncation)
        result.masses = result.masses.map { max(0, $0) }
        return result
    }

    /// Moves a lower tail of at most `mass` up to the first value kept, and an upper tail of at
    /// most `mass` to the infinite loss.
    mutating func truncate(_ mass: Double) {
        var low = 0
        var lowMass = 0.0
        while low < masses.count - 1, lowMass + masses[low] <= mass {
            lowMass += masses[low]
            low += 1
        }
        var high = masses.count - 1
        var highMass = 0.0
        while high > low, highMass + masses[high] <= mass {
            highMass += masses[high]
            high -= 1
        }
        var kept = Array(masses[low...high])
        kept[0] += lowMass
        infinity += highMass
        start += low
        masses = kept
    }

    /// `δ(ε)` of this direction.
    func delta(epsilon: Double) -> Double {
        var delta = infinity
        for (index, mass) in masses.enumerated().reversed() where mass > 0 {
            let loss = Double(start + index) * interval
            if loss <= epsilon { break }
            delta += mass * -expm1(epsilon - loss)
        }
        return min(delta, 1)
    }

    /// The smallest ε with `δ(ε) <= delta`: 0 if the loss is small enough everywhere, `+∞` if
    /// the infinite loss alone exceeds `delta`. Between two grid values `δ(ε) = P(L = ∞) + S -
    /// e^ε T` with `S` and `T` the sums of `P(L = l)` and `P(L = l) e^(-l)` over the losses
    /// above, so one pass from the top finds the interval and solves it there. `T` is kept
    /// scaled by `e^l` of the loss reached (`W`, at most `S`), so large losses cannot overflow.
    func epsilon(delta: Double) -> Double {
        guard infinity <= delta else { return .infinity }
        var above = infinity
        var scaled = 0.0  // W = Σ P(L = l') e^(l - l') over the losses l' from l up
        var previous: Double?
        for index in masses.indices.reversed() where masses[index] > 0 {
            let loss = Double(start + index) * interval
            // δ at this loss; if over the target, ε lies between it and the loss above, solved
            // from there (W at this loss may underflow after a long gap).
            if let previous, above - scaled * exp(loss - previous) > delta {
                return max(0, previous + log((above - delta) / scaled))
            }
            scaled = scaled * exp(loss - (previous ?? loss)) + masses[index]
            above += masses[index]
            previous = loss
        }
        // Below the lowest loss: δ(ε) = S - W e^(ε - lowest).
        guard let lowest = previous, above - scaled * exp(-lowest) > delta else { return 0 }
        return max(0, lowest + log((above - delta) / scaled))
    }
}

/// `Φ(z)`, the standard normal CDF, accurate in both tails.
func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

/// Linear convolution by a radix-2 fast Fourier transform.
enum FFT {
    static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        let length = a.count + b.count - 1
        if min(a.count, b.count) <= 32 {
            var result = [Double](repeating: 0, count: length)
            for (i, x) in a.enumerated() where x != 0 {
                for (j, y) in b.enumerated() { result[i + j] += x * y }
            }
            return result
        }
        var size = 1
        while size < length { size <<= 1 }
        var (ar, ai) = (a + [Double](repeating: 0, count: size - a.count), [Double](repeating: 0, count: size))
        var (br, bi) = (b + [Double](repeating: 0, count: size - b.count), [Double](repeating: 0, count: size))
        transform(&ar, &ai, inverse: false)
        transform(&br, &bi, inverse: false)
        for k in 0..<size {
            (ar[k], ai[k]) = (ar[k] * br[k] - ai[k] * bi[k], ar[k] * bi[k] + ai[k] * br[k])
        }
        transform(&ar, &ai, inverse: true)
        let scale = 1 / Double(size)
        return (0..<length).map { ar[$0] * scale }
    }

    /// In-place iterative Cooley-Tukey transform of a power-of-two length (unscaled inverse).
    static func transform(_ real: inout [Double], _ imaginary: inout [Double], inverse: Bool) {
        let n = real.count
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                var j = 0
                for i in 1..<n {
                    var bit = n >> 1
                    while j & bit != 0 {
                        j ^= bit
                        bit >>= 1
                    }
                    j |= bit
                    if i < j {
                        re.swapAt(i, j)
                        im.swapAt(i, j)
                    }
                }
                var width = 2
                while width <= n {
                    let angle = (inverse ? 2 : -2) * Double.pi / Double(width)
                    let half = width / 2
                    let cosines = (0..<half).map { cos(angle * Double($0)) }
                    let sines = (0..<half).map { sin(angle * Double($0)) }
                    cosines.withUnsafeBufferPointer { wr in
                        sines.withUnsafeBufferPointer { wi in
                            var base = 0
                            while base < n {
                                for k in 0..<half {
                                    let (u, v) = (base + k, base + k + half)
                                    let tr = re[v] * wr[k] - im[v] * wi[k]
                                    let ti = re[v] * wi[k] + im[v] * wr[k]
                                    re[v] = re[u] - tr
                                    im[v] = im[u] - ti
                                    re[u] += tr
                                    im[u] += ti
                                }
                                base += width
                            }
                        }
                    }
                    width <<= 1
                }
            }
        }
    }
}
