/// A differentially private release to account for, as dp_accounting's `DpEvent`s describe them
/// (`GaussianDpEvent`, `PoissonSampledDpEvent` of a Gaussian, `SelfComposedDpEvent`).
///
/// The noise multiplier is the Gaussian noise's standard deviation divided by the L2
/// sensitivity (for DP-SGD, the clipping norm of one example's, or one user's, gradient).
/// Neighbouring datasets differ by adding or removing one unit (add-or-remove-one adjacency).
///
/// ```swift
/// // One DP-SGD run: 782 steps, each a Poisson sample at rate 64/10,000 with σ = 1.
/// let training = PrivacyEvent.selfComposed(
///     .poissonSampledGaussian(samplingRate: 0.0064, noiseMultiplier: 1.0), count: 782)
/// ```
///
/// ### See Also
/// - ``RDPAccountant/compose(_:count:)``
public indirect enum PrivacyEvent: Sendable, Hashable {
    /// The Gaussian mechanism on the full dataset: RDP `α / (2σ²)` at order `α`.
    case gaussian(noiseMultiplier: Double)
    /// The Gaussian mechanism on a Poisson sample (each unit kept independently with
    /// probability `samplingRate`); its RDP is ``SampledGaussian``'s log-space series.
    case poissonSampledGaussian(samplingRate: Double, noiseMultiplier: Double)
    /// `event` repeated `count` times (RDP adds up, so this is `count` times its RDP).
    case selfComposed(PrivacyEvent, count: Int)

    /// The RDP of one occurrence of this event at each of `orders`.
    ///
    /// - Parameter orders: RDP orders, each finite and greater than 1.
    /// - Returns: One value per order; `+∞` where the event gives no bound at that order.
    /// - Throws: ``PrivacyAccountingError`` naming a sampling rate, noise multiplier or count
    ///   out of range.
    public func rdp(orders: [Double]) throws(PrivacyAccountingError) -> [Double] {
        let (base, count) = try flattened()
        guard count > 0 else { return [Double](repeating: 0, count: orders.count) }
        let (rate, noise) = base
        let scale = Double(count)
        return orders.map { scale * SampledGaussian.rdp(samplingRate: rate, noiseMultiplier: noise, order: $0) }
    }

    /// The sampled Gaussian under any nesting of self-composition, with the product of the
    /// counts (a plain Gaussian is the sampled one at rate 1), after checking every parameter.
    func flattened() throws(PrivacyAccountingError) -> (mechanism: (rate: Double, noise: Double), count: Int) {
        switch self {
        case .gaussian(let noise):
            try Self.validate(noiseMultiplier: noise)
            return ((1, noise), 1)
        case .poissonSampledGaussian(let rate, let noise):
            guard (0...1).contains(rate) else { throw .invalidSamplingRate(rate) }
            try Self.validate(noiseMultiplier: noise)
            return ((rate, noise), 1)
        case .selfComposed(let event, let count):
            guard count >= 0 else { throw .invalidCount(count) }
            let (mechanism, inner) = try event.flattened()
            let (product, overflow) = inner.multipliedReportingOverflow(by: count)
            guard !overflow else { throw .invalidCount(count) }
            return (mechanism, product)
        }
    }

    static func validate(noiseMultiplier: Double) throws(PrivacyAccountingError) {
        guard noiseMultiplier.isFinite, noiseMultiplier >= 0 else { throw .invalidNoiseMultiplier(noiseMultiplier) }
    }
}
