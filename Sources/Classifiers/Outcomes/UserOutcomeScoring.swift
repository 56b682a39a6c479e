import Datasets
import EventData
import FileIO
import Foundation
import NeuralNet
import Randomness
import TensorEngine

/// What scoring an event store's users did.
public struct OutcomeScoringSummary: Sendable, Codable, Equatable {
    /// Users written with a probability (those with an event at or before the scoring time).
    public var users: Int
    /// Users written with an error instead of a probability (the model's output was not a number).
    public var failed: Int
    /// Users decided positive at the threshold.
    public var positives: Int
    public var threshold: Double
    /// The scoring time, in milliseconds since 1970-01-01 UTC.
    public var referenceTime: Int64
}

extension UserOutcomeClassifier {
    /// Reads a directory written by ``save(to:)``.
    ///
    /// - Throws: ``ClassifierError/badModel(path:detail:)`` naming the file that is missing,
    ///   unreadable or corrupted, or a directory of another task.
    public static func load(from directory: URL) throws(ClassifierError) -> UserOutcomeClassifier {
        let manifest = try readClassifierManifest(
            OutcomeManifest.self, from: directory, kind: "purchase or churn model")
        let configPath = directory.appendingPathComponent(Checkpoint.configFileName).path
        guard OutcomeTask(rawValue: manifest.task) != nil else {
            throw .badModel(
                path: directory.path, detail: "holds a '\(manifest.task)' model, not a purchase or churn model")
        }
        do {
            try manifest.config.validate()
        } catch {
            throw .badModel(path: configPath, detail: error.localizedDescription)
        }
        let columns = manifest.featureColumns.count
        guard OutcomeFeatureScaling(manifest) != nil,
            (try? UserFeatureExtractor(
                referenceTime: 0, eventTypes: manifest.featureEventTypes.map { EventType(rawValue: $0) }))?
                .columns == manifest.featureColumns
        else {
            throw .badModel(
                path: configPath,
                detail: "the feature columns, their event types and their scaling do not agree; retrain the model")
        }
        let baselineConfig = ClassifierConfig.logisticBaseline(for: manifest.config)
        let sequence: (kind: SequenceEncoderKind, encoder: EventSequenceEncoder)?
        switch manifest.model {
        case .mlp:
            sequence = nil
        case .lstm, .gru, .cnn:
            guard let encoder = manifest.sequenceEncoder, let kind = manifest.model.sequenceKind else {
                throw .badModel(
                    path: configPath,
                    detail: "a \(manifest.model.rawValue) model needs its sequenceEncoder; retrain the model")
            }
            sequence = (kind, encoder)
        }
        let weights = try checkClassifierWeights(
            model: sequence.map { EventSequenceClassifier.parameterShapes(kind: $0.kind, encoder: $0.encoder) }
                ?? tabularNetworkShapes(manifest.config, featureCount: columns),
            baseline: tabularNetworkShapes(baselineConfig, featureCount: columns), in: directory)
        var rng = RandomGenerator(seed: 0)
        let model: any Layer =
            sequence.map { EventSequenceClassifier(kind: $0.kind, encoder: $0.encoder, generator: &rng) }
            ?? makeTabularNetwork(manifest.config, featureCount: columns, generator: &rng)
        let baseline = makeTabularNetwork(baselineConfig, featureCount: columns, generator: &rng)
        let metrics = try readClassifierWeights(weights, model: model, baseline: baseline, from: directory)
        return UserOutcomeClassifier(
            manifest: manifest, model: model, baseline: baseline, metrics: metrics, log: [], profile: nil)
    }

    /// The model's probabilities for users as of `referenceTime`: only events at or before it
    /// count, and recency and ages are measured from it (a user without such an event gets the
    /// score of an empty history; ``score(store:at:to:threshold:progress:)`` leaves such users out).
    ///
    /// - Parameter itemIDs: External item ids by the store's dense item index (items the model
    ///   never saw share its unknown token).
    public func predict(_ histories: [UserHistory], itemIDs: Vocabulary, at referenceTime: Int64) -> [Double] {
        probabilities(ofKnown: histories.map { $0.known(at: referenceTime) }, itemIDs: itemIDs, at: referenceTime)
    }

    /// ``predict(_:itemIDs:at:)`` for histories that already end at or before `referenceTime`.
    private func probabilities(ofKnown histories: [UserHistory], itemIDs: Vocabulary, at referenceTime: Int64)
        -> [Double]
    {
        switch (model, manifest.sequenceEncoder) {
        case (let classifier as EventSequenceClassifier, let encoder?):
            return classifier.probabilities(
                of: histories, encoder: encoder, itemIDs: itemIDs, referenceTime: referenceTime)
        case (let network as Sequential, nil):
            let features = scaledFeatures(rawFeatureRows(histories, at: referenceTime))
            return Classifiers.probabilities(
                of: network, features: features, featureCount: manifest.featureColumns.count)
        default:
            preconditionFailure("UserOutcomeClassifier: a \(manifest.model.rawValue) model without its input encoder")
        }
    }

    /// Raw feature rows (``rawFeatureRows(_:at:)``) scaled as the MLP and the baseline read
    /// them, flat.
    func scaledFeatures(_ rows: [[Double]]) -> [Float] {
        guard let scaling = OutcomeFeatureScaling(manifest), let scaled = try? scaling.apply(rows)
        else { preconditionFailure("load(from:) and train checked the feature columns and their scaling") }
        return scaled.flatMap { $0.map(Float.init) }
    }

    /// The feature rows of `histories` before scaling, in ``OutcomeManifest/featureColumns`` order.
    func rawFeatureRows(_ histories: [UserHistory], at referenceTime: Int64) -> [[Double]] {
        guard
            let extractor = try? UserFeatureExtractor(
                referenceTime: referenceTime, eventTypes: manifest.featureEventTypes.map { EventType(rawValue: $0) })
        else { preconditionFailure("load(from:) and train checked the feature event types") }
        return histories.map { extractor.features(for: $0) }
    }

    /// Scores every user of `store` with an event at or before `referenceTime` and writes
    /// `user_id,events,last_event,probability,decision` rows (CSV, users in store order).
    ///
    /// - Parameters:
    ///   - referenceTime: The scoring time; by default the store's latest event, so the model
    ///     looks at the window after the data ends.
    ///   - threshold: The decision threshold; the model's validation-tuned one by default.
    ///   - progress: Called with the users done after every chunk of users.
    /// - Throws: ``ClassifierError/badData(path:detail:)`` for an empty store or an
    ///   unwritable output; store errors.
    public func score(
        store: any EventStore, at referenceTime: Int64? = nil, to output: String, threshold: Double? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> OutcomeScoringSummary {
        let description = try store.describe()
        guard let last = description.lastTimestamp, let first = description.firstTimestamp else {
            throw ClassifierError.badData(path: store.location, detail: "the event store is empty; ingest events first")
        }
        let at = referenceTime ?? last
        guard at >= first else {
            throw ClassifierError.badData(
                path: store.location, detail: "no event at or before the scoring time; pick a later scoring time")
        }
        let file = try outputFile(output)
        let items = try store.itemIDs()
        let threshold = threshold ?? manifest.threshold
        var summary = OutcomeScoringSummary(users: 0, failed: 0, positives: 0, threshold: threshold, referenceTime: at)
        let formatter = ISO8601DateFormatter()
        var pending: [UserHistory] = []
        var text = CSVText.line(["user_id", "events", "last_event", "probability", "decision", "error"])
        func flush() throws {
            for (history, p) in zip(pending, probabilities(ofKnown: pending, itemIDs: items, at: at)) {
                let lastEvent =
                    history.events.last.map {
                        formatter.string(from: Date(timeIntervalSince1970: Double($0.timestamp) / 1_000))
                    } ?? ""
                let fields = [history.userID, String(history.events.count), lastEvent]
                if p.isFinite {
                    let decision = p >= threshold
                    text += CSVText.line(fields + [CSVText.fixed6(p), decision ? "1" : "0", ""])
                    summary.users += 1
                    if decision { summary.positives += 1 }
                } else {
                    text += CSVText.line(fields + ["", "", TableClassifier.nonFiniteScore])
                    summary.failed += 1
                }
            }
            pending.removeAll(keepingCapacity: true)
            try writeOutput(text, to: file)
            text = ""
            progress?(summary.users)
        }
        try store.forEachUserHistory { history in
            let known = history.known(at: at)
            guard !known.events.isEmpty else { return }
            pending.append(known)
            if pending.count == 2_048 { try flush() }
        }
        try flush()
        try commitOutput(file)
        return summary
    }
}

extension OutcomeModelKind {
    /// How a sequence model summarises the events; nil for the MLP, which reads the feature table.
    public var sequenceKind: SequenceEncoderKind? {
        switch self {
        case .lstm: return .lstm
        case .gru: return .gru
        case .cnn: return .cnn
        case .mlp: return nil
        }
    }
}

extension UserHistory {
    /// The history as known at `time`: its events at or before it.
    func known(at time: Int64) -> UserHistory {
        // Events are in time order: a history that ends by `time` is already known whole.
        guard let last = events.last, last.timestamp > time else { return self }
        var cut = self
        cut.events = events.filter { $0.timestamp <= time }
        return cut
    }
}
