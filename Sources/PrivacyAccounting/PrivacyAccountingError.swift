import Foundation

/// An accounting request that cannot be answered: which parameter was out of range (and what
/// range is allowed), or a calibration target no noise multiplier within the search limit meets.
///
/// ```swift
/// do { _ = try accountant.epsilon(delta: 0) } catch {
///     print(error)  // "delta is 0.0; it must be strictly between 0 and 1"
/// }
/// ```
public enum PrivacyAccountingError: Error, LocalizedError, Sendable, Equatable, CustomStringConvertible {
    /// A sampling rate outside `0...1` (or not a number).
    case invalidSamplingRate(Double)
    /// A negative or non-finite noise multiplier (0 is allowed and means no privacy).
    case invalidNoiseMultiplier(Double)
    /// A delta outside the open interval `(0, 1)`.
    case invalidDelta(Double)
    /// An epsilon asked about that is negative or not finite.
    case invalidEpsilon(Double)
    /// A calibration target epsilon that is not positive and finite.
    case invalidTargetEpsilon(Double)
    /// A number of training steps below 1.
    case invalidSteps(Int)
    /// A number of epochs below 1.
    case invalidEpochs(Int)
    /// A negative composition count, or counts whose product overflows `Int`.
    case invalidCount(Int)
    /// An RDP order that is not finite or not greater than 1.
    case invalidOrder(Double)
    /// An empty list of RDP orders.
    case noOrders
    /// A calibration tolerance outside the open interval `(0, 1)`.
    case invalidTolerance(Double)
    /// A calibration search limit that is not positive and finite.
    case invalidMaximumNoiseMultiplier(Double)
    /// Even the largest noise multiplier searched leaves epsilon above the target.
    case unreachableTarget(targetEpsilon: Double, maximumNoiseMultiplier: Double, epsilonAtMaximum: Double)

    /// What is wrong, naming the parameter, the value given and the allowed range.
    public var description: String {
        switch self {
        case .invalidSamplingRate(let value):
            "sampling rate is \(value); it must be between 0 and 1 (inclusive)"
        case .invalidNoiseMultiplier(let value):
            "noise multiplier is \(value); it must be finite and at least 0"
        case .invalidDelta(let value):
            "delta is \(value); it must be strictly between 0 and 1"
        case .invalidEpsilon(let value):
            "epsilon is \(value); it must be finite and at least 0"
        case .invalidTargetEpsilon(let value):
            "target epsilon is \(value); it must be finite and greater than 0"
        case .invalidSteps(let value):
            "steps is \(value); it must be at least 1"
        case .invalidEpochs(let value):
            "epochs is \(value); it must be at least 1"
        case .invalidCount(let value):
            "count is \(value); it must be at least 0 (and the composed count must fit in Int)"
        case .invalidOrder(let value):
            "RDP order is \(value); every order must be finite and greater than 1"
        case .noOrders:
            "RDP orders are empty; at least one order greater than 1 is needed"
        case .invalidTolerance(let value):
            "tolerance is \(value); it must be strictly between 0 and 1 (relative to the noise multiplier)"
        case .invalidMaximumNoiseMultiplier(let value):
            "maximum noise multiplier is \(value); it must be finite and greater than 0"
        case .unreachableTarget(let target, let maximum, let reached):
            "target epsilon \(target) is unreachable: noise multiplier \(maximum) (the search limit) still gives "
                + "epsilon \(reached); raise the limit, the target epsilon or delta, or lower the steps or sampling rate"
        }
    }

    /// The same text as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }
}
