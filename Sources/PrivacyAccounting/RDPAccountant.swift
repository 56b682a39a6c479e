import Foundation

/// A Rényi differential privacy (RDP) accountant: composes ``PrivacyEvent``s by adding their
/// RDP curves, then converts the total to an (ε, δ) guarantee.
///
/// It reproduces dp_accounting's `RdpAccountant` (google/differential-privacy,
/// python/dp_accounting; 0.6.0 made the test fixtures) under add-or-remove-one adjacency: the
/// same default orders, the same sampled-Gaussian RDP and the same conversion. The conversion
/// is the improved bound of Canonne, Kamath and Steinke 2020 (arXiv:2004.00010, Proposition 12;
/// also Asoodeh et al., arXiv:2001.05990, Eq. 20), minimised over the orders `α`:
///
/// ```
/// ε(δ) = min_α  R(α) + log((α - 1)/α) - (log δ + log α) / (α - 1)        (α > 1.01)
/// δ(ε) = min_α  exp((α - 1)(R(α) - ε + log((α - 1)/α)) - log α)          (α > 1.01)
/// ```
///
/// Orders up to 1.01 are skipped (the bound is unstable as α → 1). Where the total divergence
/// is small enough that `δ² > 1 - e^(-R(α))`, ε is 0 (the KL bound `δ ≤ √(1 - e^(-KL))`), and
/// `δ(ε)` is also capped by `√(1 - e^(-R(α)))`.
///
/// ```swift
/// var accountant = RDPAccountant()
/// try accountant.compose(.poissonSampledGaussian(samplingRate: 0.0064, noiseMultiplier: 1.0), count: 782)
/// let (epsilon, order) = try accountant.epsilon(delta: 1e-6)  // 1.6164 at order 9.3
/// ```
///
/// ### See Also
/// - ``NoiseCalibration``
/// - ``PrivacyStatement``
public struct RDPAccountant: Sendable, Equatable {
    /// dp_accounting's `DEFAULT_RDP_ORDERS`: 1.1 to 10.9 in steps of 0.1, the integers 11 to 63,
    /// then 128, 256, 512 and 1024 (156 orders).
    public static let defaultOrders: [Double] = {
        let fractional: [Double] = (1...99).map { 1 + Double($0) / 10 }
        let integers: [Double] = (11...63).map { Double($0) }
        return fractional + integers + [128, 256, 512, 1024]
    }()

    /// The orders `α` at which RDP is tracked.
    public let orders: [Double]
    /// The composed RDP `R(α)` at each of ``orders`` (`+∞` where an event gave no bound).
    public private(set) var rdp: [Double]

    /// An empty accountant at ``defaultOrders``.
    public init() {
        orders = Self.defaultOrders
        rdp = [Double](repeating: 0, count: orders.count)
    }

    /// An empty accountant at the given orders.
    ///
    /// - Parameter orders: RDP orders, each finite and greater than 1. An integer order costs
    ///   time proportional to itself when a sampled Gaussian is composed.
    /// - Throws: ``PrivacyAccountingError/noOrders`` or ``PrivacyAccountingError/invalidOrder(_:)``.
    public init(orders: [Double]) throws(PrivacyAccountingError) {
        guard !orders.isEmpty else { throw .noOrders }
        for order in orders where !(order.isFinite && order > 1) { throw .invalidOrder(order) }
        self.orders = orders
        rdp = [Double](repeating: 0, count: orders.count)
    }

    /// Adds `count` occurrences of `event` to the ledger: `R(α) += count · R_event(α)`.
    ///
    /// - Parameters:
    ///   - event: The release to account for.
    ///   - count: How many times it happens (0 adds nothing).
    /// - Throws: ``PrivacyAccountingError`` naming an out-of-range count, sampling rate or noise
    ///   multiplier; the accountant is unchanged then.
    public mutating func compose(_ event: PrivacyEvent, count: Int = 1) throws(PrivacyAccountingError) {
        guard count >= 0 else { throw .invalidCount(count) }
        let events = try PrivacyEvent.selfComposed(event, count: count).rdp(orders: orders)
        for index in rdp.indices { rdp[index] += events[index] }
    }

    /// The smallest ε over the orders for which the composed events are (ε, δ)-DP.
    ///
    /// - Parameter delta: The target δ, strictly between 0 and 1.
    /// - Returns: ε (0 for an empty accountant, `+∞` when no order bounds it) and the order
    ///   that gives it (the first such order on ties, as dp_accounting's `argmin`).
    /// - Throws: ``PrivacyAccountingError/invalidDelta(_:)``.
    public func epsilon(delta: Double) throws(PrivacyAccountingError) -> (epsilon: Double, order: Double) {
        guard delta > 0, delta < 1 else { throw .invalidDelta(delta) }
        var best = (epsilon: Double.infinity, order: orders[0])
        var first = true
        for (order, r) in zip(orders, rdp) {
            let epsilon: Double
            if r < 0 {
                epsilon = 0  // rounding below zero on a tiny divergence
            } else if delta * delta + expm1(-r) > 0 {
                epsilon = 0  // KL bound: δ ≥ √(1 - e^(-R)) already
            } else if order > 1.01 {
                epsilon = r + log1p(-1 / order) - log(delta * order) / (order - 1)
            } else {
                epsilon = .infinity
            }
            if first || epsilon < best.epsilon { best = (epsilon, order) }
            first = false
        }
        return (max(0, best.epsilon), best.order)
    }

    /// The smallest δ over the orders for which the composed events are (ε, δ)-DP.
    ///
    /// - Parameter epsilon: The target ε, finite and at least 0.
    /// - Returns: δ (at most 1) and the order that gives it.
    /// - Throws: ``PrivacyAccountingError/invalidEpsilon(_:)``.
    public func delta(epsilon: Double) throws(PrivacyAccountingError) -> (delta: Double, order: Double) {
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidEpsilon(epsilon) }
        var best = (logDelta: Double.infinity, order: orders[0])
        var first = true
        for (order, r) in zip(orders, rdp) {
            // The KL bound δ ≤ √(1 - e^(-R)) holds at every order; the RDP bound from α > 1.01.
            var logDelta = r <= 0 ? -Double.infinity : 0.5 * log1p(-exp(-r))
            if order > 1.01 {
                logDelta = min(logDelta, (order - 1) * (r - epsilon + log1p(-1 / order)) - log(order))
            }
            if first || logDelta < best.logDelta { best = (logDelta, order) }
            first = false
        }
        return (min(exp(best.logDelta), 1), best.order)
    }
}
