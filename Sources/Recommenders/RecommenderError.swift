import Foundation
import NeuralNet
import PrivacyAccounting
import Settings

/// What can go wrong training, loading or asking a recommender; each message names the place
/// and the fix.
public enum RecommenderError: Error, LocalizedError, Equatable, Sendable {
    /// A configuration value is unusable.
    case invalidParameter(InvalidParameter)
    /// A configuration file cannot be used; `detail` names the key when one is at fault.
    case invalidConfigFile(path: String, detail: String)
    /// The event store has too little data to train or evaluate.
    case notEnoughData(detail: String)
    /// A user id the model or store does not know.
    case unknownUser(id: String, detail: String)
    /// Item ids the model was not trained on.
    case unknownItems(ids: [String])
    /// A recommendation was asked for without any known item to start from.
    case emptyHistory(detail: String)
    /// A model directory is missing, incomplete or corrupted.
    case badModel(path: String, detail: String)
    /// Training stopped because the loss stopped being a finite number.
    case diverged(TrainingDiverged)
    /// A privacy budget cannot be met or accounted (ε too small for the data, δ out of range).
    case privacy(PrivacyAccountingError)

    public var errorDescription: String? {
        switch self {
        case .invalidParameter(let problem):
            return problem.description
        case .invalidConfigFile(let path, let detail):
            return "\(path): \(detail)"
        case .notEnoughData(let detail):
            return "not enough data: \(detail)"
        case .unknownUser(let id, let detail):
            return "unknown user '\(id)': \(detail)"
        case .unknownItems(let ids):
            let shown = ids.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            let more = ids.count > 5 ? " and \(ids.count - 5) more" : ""
            return "unknown item id\(ids.count == 1 ? "" : "s") \(shown)\(more): the model was not trained on "
                + "\(ids.count == 1 ? "it" : "them"); use ids from the model's items.json or retrain after ingesting them"
        case .emptyHistory(let detail):
            return "empty history: \(detail)"
        case .badModel(let path, let detail):
            return "\(path): \(detail)"
        case .diverged(let divergence):
            return divergence.localizedDescription
        case .privacy(let error):
            return "private training: \(error); raise --dp-epsilon, lower --epochs or raise --batch-size"
        }
    }
}
