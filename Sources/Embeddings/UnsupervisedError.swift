import Foundation
import NeuralNet
import PrivacyAccounting
import Settings

/// What can go wrong in unsupervised learning (autoencoders, embeddings, anomaly detection);
/// each message names the place and the fix.
public enum UnsupervisedError: Error, LocalizedError, Equatable, Sendable {
    /// A configuration value is unusable.
    case invalidParameter(InvalidParameter)
    /// The data cannot train a model (too few rows, no usable column); `path` is empty for data
    /// that came from no file.
    case badData(path: String, detail: String)
    /// A model directory is missing, incomplete or corrupted.
    case badModel(path: String, detail: String)
    /// Training stopped because the loss or the outputs stopped being finite numbers.
    case diverged(TrainingDiverged)
    /// A privacy budget cannot be met or accounted (ε too small for the rows, δ out of range).
    case privacy(PrivacyAccountingError)

    public var errorDescription: String? {
        switch self {
        case .invalidParameter(let problem): return problem.description
        case .badData(let path, let detail): return path.isEmpty ? detail : "\(path): \(detail)"
        case .badModel(let path, let detail): return "\(path): \(detail)"
        case .diverged(let divergence): return divergence.localizedDescription
        case .privacy(let error):
            return "private training: \(error); raise --dp-epsilon, lower --epochs or raise --batch-size"
        }
    }
}

/// The `task` of a model directory's `config.json`, read before the rest so that a directory
/// of another kind of model is named as such rather than as a missing key.
struct ModelTask: Decodable {
    var task: String

    /// Throws ``UnsupervisedError/badModel(path:detail:)`` unless `directory` holds a `task`
    /// model (`what` names it in the message).
    static func require(_ task: String, what: String, in directory: URL) throws {
        let found = try Checkpoint.loadConfig(ModelTask.self, from: directory).task
        guard found == task else {
            throw UnsupervisedError.badModel(path: directory.path, detail: "holds a '\(found)' model, not \(what)")
        }
    }
}
