import Foundation

/// Training produced a loss or an output that is not a finite number, so the weights are no
/// longer usable: nothing should be evaluated or saved from them.
///
/// Trainers check every step's loss with ``check(loss:epoch:learningRate:)`` (and the
/// validation outputs with ``check(outputs:epoch:learningRate:)``) and stop at the first NaN
/// or infinity instead of running on: a NaN model's metrics and files are garbage.
///
/// ```swift
/// try TrainingDiverged.check(loss: Double(loss.scalar), epoch: epoch, learningRate: 0.001)
/// ```
public struct TrainingDiverged: Error, LocalizedError, Sendable, Equatable {
    /// What stopped being finite.
    public enum Quantity: String, Sendable, Equatable {
        case loss
        case validationOutputs = "validation outputs"
    }

    public let quantity: Quantity
    /// The epoch (from 1) in which it happened.
    public let epoch: Int
    /// The optimizer's learning rate, which is almost always the cause.
    public let learningRate: Double

    public var errorDescription: String? {
        "training diverged (\(quantity.rawValue) NaN or infinite at epoch \(epoch)); lower the learning rate "
            + "(it is \(String(format: "%g", learningRate)))"
    }

    /// Throws when `loss` is NaN or infinite.
    public static func check(loss: Double, epoch: Int, learningRate: Double) throws(TrainingDiverged) {
        guard loss.isFinite else { throw TrainingDiverged(quantity: .loss, epoch: epoch, learningRate: learningRate) }
    }

    /// Throws when any of `outputs` (validation scores or probabilities) is NaN or infinite.
    public static func check(outputs: [Double], epoch: Int, learningRate: Double) throws(TrainingDiverged) {
        guard outputs.allSatisfy(\.isFinite) else {
            throw TrainingDiverged(quantity: .validationOutputs, epoch: epoch, learningRate: learningRate)
        }
    }
}
