import Evaluation
import EventData
import FileIO
import Foundation
import Monitoring
import NeuralNet
import PrivacyAccounting
import Settings
import TensorEngine

/// What `config.json` of a next-item model directory holds.
public struct NextItemManifest: Sendable, Codable, Equatable {
    /// Always `"next-item"`; tells model directories of different tasks apart.
    public var task: String
    /// The model and training configuration.
    public var config: NextItemConfig
    /// The catalogue size (rows of items.json).
    public var itemCount: Int
    /// The event store trained on, as an absolute path (directories written before 0.2 may hold
    /// the path as typed), for `behave evaluate` and `behave recommend --user`.
    public var store: String
    /// The epoch whose weights were kept, and why training ended.
    public var bestEpoch: Int
    public var stopReason: String
    /// Epochs run (nil in directories written before it was recorded): with the users trained
    /// on, the work an update's warm start is sized from.
    public var epochs: Int?
    /// Seconds spent in training steps.
    public var trainSeconds: Double
    /// When training finished (ISO 8601).
    public var created: String
    /// The differential privacy guarantee of the weights, when trained with a privacy budget
    /// (the catalogue, metrics and profile then come from held-out users; see
    /// ``PrivateNextItemData``).
    public var privacy: PrivacyStatement? = nil

    public static let task = "next-item"
}

/// A trained next-item model in a directory that can be moved and served elsewhere:
///
/// | file | holds |
/// | --- | --- |
/// | `config.json` | ``NextItemManifest``: model configuration, catalogue size, training summary |
/// | `weights.safetensors` | the weights (popularity: the item counts) |
/// | `items.json` | external item ids, in the model's item order |
/// | `metrics.json` | split -> protocol -> metric, e.g. `test` / `full` / `ndcg@10` |
/// | `training.log` | one line per epoch with loss and validation metrics |
public struct NextItemPackage {
    public static let itemsFileName = "items.json"
    public static let metricsFileName = "metrics.json"
    public static let logFileName = "training.log"

    public var manifest: NextItemManifest
    public var model: NextItemModel
    /// External item ids by model item index.
    public var items: Vocabulary
    /// Split -> protocol -> metric.
    public var metrics: SplitReports<ProtocolReports>
    /// What the model learned from (written as `profile.json` when set, see
    /// ``trainingProfile(store:data:)``); nil for a loaded package (read it with
    /// `TrainingProfile.load(from:)`).
    public var profile: TrainingProfile?

    public init(
        manifest: NextItemManifest, model: NextItemModel, items: Vocabulary, metrics: SplitReports<ProtocolReports>,
        profile: TrainingProfile? = nil
    ) {
        self.manifest = manifest
        self.model = model
        self.items = items
        self.metrics = metrics
        self.profile = profile
    }

    /// The package of a finished training run from the store at `store` (recorded as an
    /// absolute path, so the directory still finds it when copied elsewhere on the machine),
    /// with the configuration the run trained with and the catalogue of its data
    /// (``TrainingOutcome/data``).
    public init(trained outcome: TrainingOutcome, store: String) {
        let data = outcome.data
        let recorded = store.hasPrefix(":") ? store : URL(fileURLWithPath: store).standardizedFileURL.path
        manifest = NextItemManifest(
            task: NextItemManifest.task, config: outcome.config, itemCount: data.itemCount, store: recorded,
            bestEpoch: outcome.bestEpoch, stopReason: outcome.history.stopReason.description,
            epochs: outcome.history.epochs.count, trainSeconds: outcome.trainSeconds,
            created: ISO8601DateFormatter().string(from: Date()), privacy: outcome.privateRun?.statement)
        model = outcome.model
        items = data.items
        metrics = outcome.metrics
    }

    /// Writes every file into `directory` (created if needed), replacing an earlier model.
    ///
    /// - Parameter log: The lines of `training.log`.
    /// - Throws: ``RecommenderError/badModel(path:detail:)`` when a file cannot be written.
    public func save(to directory: URL, log: [String]) throws(RecommenderError) {
        do {
            try Checkpoint.save(model.layer, config: manifest, to: directory, metadata: ["task": NextItemManifest.task])
        } catch {
            throw .badModel(path: directory.path, detail: "cannot save the model: \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try Checkpoint.writeFiles(
                [
                    (Self.itemsFileName, { try encoder.encode(items.externalIDs) }),
                    (Self.metricsFileName, { try encoder.encode(metrics) }),
                    (Self.logFileName, { Data((log.joined(separator: "\n") + (log.isEmpty ? "" : "\n")).utf8) }),
                ] + (profile.map { profile in [(TrainingProfile.fileName, { profile.encoded() })] } ?? []),
                to: directory)
        } catch {
            guard case .io(let path, let message) = error else {
                throw .badModel(path: directory.path, detail: error.localizedDescription)
            }
            throw .badModel(path: path, detail: "cannot write: \(message)")
        }
    }

    /// Reads a model directory written by ``save(to:log:)``.
    ///
    /// - Throws: ``RecommenderError/badModel(path:detail:)`` naming the file when the directory
    ///   or a file is missing, unreadable, corrupted, or from another task or configuration.
    public static func load(from directory: URL) throws(RecommenderError) -> NextItemPackage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw .badModel(
                path: directory.path,
                detail: "no model directory here; train a next-item model into it first")
        }
        let manifest: NextItemManifest
        do {
            manifest = try Checkpoint.loadConfig(NextItemManifest.self, from: directory)
        } catch {
            throw .badModel(
                path: directory.path, detail: "\(error.localizedDescription); is this a `behave train` model directory?"
            )
        }
        guard manifest.task == NextItemManifest.task else {
            throw .badModel(
                path: directory.path, detail: "holds a '\(manifest.task)' model, not a next-item recommender")
        }
        do {
            try manifest.config.validate()
            if case .sasrec(let sasrec) = manifest.config.architecture, sasrec.maxLength == nil {
                throw InvalidParameter("max-length", value: "missing", allowed: "the length the model was trained with")
            }
        } catch {
            throw .badModel(
                path: directory.appendingPathComponent(Checkpoint.configFileName).path,
                detail: error.localizedDescription)
        }
        let itemsURL = directory.appendingPathComponent(itemsFileName)
        let ids: [String]
        do {
            ids = try JSONDecoder().decode([String].self, from: Data(contentsOf: itemsURL))
        } catch {
            throw .badModel(
                path: itemsURL.path,
                detail: "cannot read the item ids (\(FileError.describe(error))); copy the whole model directory")
        }
        guard ids.count == manifest.itemCount, manifest.itemCount > 0 else {
            throw .badModel(
                path: itemsURL.path, detail: "holds \(ids.count) item ids but config.json says \(manifest.itemCount)")
        }
        let model: NextItemModel
        do {
            // The shapes config.json implies are checked against the weights file before a
            // model of that size is built.
            let weights = try Checkpoint.readWeights(
                expecting: NextItemModel.parameterShapes(manifest.config, itemCount: manifest.itemCount),
                from: directory)
            model = NextItemModel.make(manifest.config, itemCount: manifest.itemCount)
            try weights.load(into: model.layer)
        } catch {
            throw .badModel(path: directory.path, detail: error.localizedDescription)
        }
        let metricsURL = directory.appendingPathComponent(metricsFileName)
        let metrics =
            (try? JSONDecoder().decode(SplitReports<ProtocolReports>.self, from: Data(contentsOf: metricsURL)))
            ?? SplitReports()
        return NextItemPackage(manifest: manifest, model: model, items: Vocabulary(externalIDs: ids), metrics: metrics)
    }

    /// The model's validation and test metrics on `store`'s users, split leave-one-out as
    /// training did (items the model does not know are left out of the histories).
    ///
    /// - Throws: Store errors; ``RecommenderError/notEnoughData(detail:)`` when no user has
    ///   validation and test items.
    public func evaluate(on store: any EventStore) throws -> SplitReports<ProtocolReports> {
        NextItemEvaluation.reports(of: model, on: try NextItemData.load(from: store, catalogue: items))
    }

    /// Model item indexes of external ids, in order.
    ///
    /// - Throws: ``RecommenderError/unknownItems(ids:)`` listing every id the model lacks.
    public func itemIndexes(of externalIDs: [String]) throws(RecommenderError) -> [Int] {
        var indexes: [Int] = []
        var unknown: [String] = []
        for id in externalIDs {
            if let index = items.index(of: id) { indexes.append(index) } else { unknown.append(id) }
        }
        guard unknown.isEmpty else { throw .unknownItems(ids: unknown) }
        return indexes
    }

    /// The `count` best items after `history` (model item indexes, oldest first) as external
    /// ids with scores, optionally skipping items in the history.
    ///
    /// - Throws: ``RecommenderError/emptyHistory(detail:)`` for an empty history with a
    ///   sequence model (popularity needs none).
    public func recommend(after history: [Int], count: Int, excludeSeen: Bool) throws(RecommenderError)
        -> [(id: String, score: Float)]
    {
        if history.isEmpty, case .sequence = model {
            throw .emptyHistory(detail: "a sequence model needs at least one item the user interacted with")
        }
        return model.recommend(after: history, count: count, excluding: excludeSeen ? Set(history) : [])
            .map { (items[$0.item], $0.score) }
    }

    /// What ``recommend(forUser:in:count:excludeSeen:)`` found.
    public struct UserRecommendations: Sendable {
        /// The best items, best first, as external ids with scores.
        public var items: [(id: String, score: Float)]
        /// The user's item events the model knows, in time order (their history).
        public var history: [String]
        /// The user's item events on items the model was not trained on (left out).
        public var unknownItemEvents: Int
    }

    /// The `count` best items for a user of `store`, after all of their item events the model
    /// knows, in time order.
    ///
    /// - Throws: ``RecommenderError/unknownUser(id:detail:)`` when the store has no event of the
    ///   user; ``RecommenderError/emptyHistory(detail:)`` when a sequence model knows none of
    ///   their items; store errors.
    public func recommend(
        forUser userID: String, in store: any EventStore, count: Int, excludeSeen: Bool
    ) throws -> UserRecommendations {
        let found = try history(ofUser: userID, in: store)
        return UserRecommendations(
            items: try recommend(after: found.known, count: count, excludeSeen: excludeSeen),
            history: found.known.map { items[$0] }, unknownItemEvents: found.unknownItemEvents)
    }

    /// A user's item events in `store`, in time order, as the model's item indexes (the items it
    /// knows), and how many name items it does not know.
    ///
    /// - Throws: ``RecommenderError/unknownUser(id:detail:)`` when the store has no event of the
    ///   user; ``RecommenderError/emptyHistory(detail:)`` when a sequence model knows none of
    ///   their items; store errors.
    public func history(ofUser userID: String, in store: any EventStore) throws -> (
        known: [Int], unknownItemEvents: Int
    ) {
        let found = try itemEvents(ofUser: userID, in: store)
        return (found.items, found.unknownItemEvents)
    }

    /// What ``history(ofUser:in:)`` finds, with the events behind the known items.
    public struct UserItemEvents: Sendable {
        /// The events on items the model knows, in time order.
        public var events: [StoredEvent]
        /// Their items as the model's item indexes.
        public var items: [Int]
        /// Item events on items the model does not know (left out).
        public var unknownItemEvents: Int
    }

    /// A user's item events in `store` on items the model knows, in time order; the store
    /// reads of ``history(ofUser:in:)`` and of explanations.
    ///
    /// - Throws: as ``history(ofUser:in:)``.
    public func itemEvents(ofUser userID: String, in store: any EventStore) throws -> UserItemEvents {
        let events = try store.events(forUser: userID)
        guard !events.isEmpty else {
            throw RecommenderError.unknownUser(id: userID, detail: "no events in \(store.location)")
        }
        let storeItems = try store.itemIDs()
        var found = UserItemEvents(events: [], items: [], unknownItemEvents: 0)
        for event in events {
            guard let item = event.item else { continue }
            if let index = items.index(of: storeItems[item]) {
                found.events.append(event)
                found.items.append(index)
            } else {
                found.unknownItemEvents += 1
            }
        }
        if found.items.isEmpty, case .sequence = model {
            throw RecommenderError.emptyHistory(
                detail: "user '\(userID)' has no item event the model knows; retrain after ingesting their items")
        }
        return found
    }
}
