import Foundation
import NeuralNet
import PrivacyAccounting
import Settings

/// What can go wrong training or applying a classifier; each message names the place and the fix.
public enum ClassifierError: Error, LocalizedError, Equatable, Sendable {
    /// A configuration value is unusable.
    case invalidParameter(InvalidParameter)
    /// The data cannot train a binary classifier (no label column, one class, too few rows).
    case badData(path: String, detail: String)
    /// A model directory is missing, incomplete or corrupted.
    case badModel(path: String, detail: String)
    /// A file to score lacks columns the model needs.
    case missingColumns(path: String, names: [String])
    /// Training stopped because the loss or the outputs stopped being finite numbers.
    case diverged(TrainingDiverged)
    /// A privacy budget that cannot be met or accounted (ε out of reach, a sampling rate above 1).
    case privacy(PrivacyAccountingError)

    public var errorDescription: String? {
        switch self {
        case .invalidParameter(let problem): return problem.description
        case .badData(let path, let detail): return "\(path): \(detail)"
        case .badModel(let path, let detail): return "\(path): \(detail)"
        case .diverged(let divergence): return divergence.localizedDescription
        case .privacy(let problem):
            return "private training: \(problem); raise --dp-epsilon, lower --epochs or raise --batch-size"
        case .missingColumns(let path, let names):
            return "\(path): the model needs column\(names.count == 1 ? "" : "s") "
                + names.map { "'\($0)'" }.joined(separator: ", ")
                + " which the file lacks; add \(names.count == 1 ? "it" : "them") (empty cells are imputed) or score a file with the training columns"
        }
    }
}
