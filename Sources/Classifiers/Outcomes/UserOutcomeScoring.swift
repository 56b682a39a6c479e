import Evaluation
import EventData
import Foundation
import NeuralNet
import TensorEngine

/// What scoring an event store's users did.
public struct OutcomeScoringSummary: Sendable, Codable, Equatable {
    /// Users written with a probability (those with an event at or before the scoring time).
    public var users: Int
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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .badModel(path: directory.path, detail: "no model directory here; train one with `behave train --task purchase --out \(directory.path)`")
        }
        let manifest: OutcomeManifest
        do {
            manifest = try Checkpoint.loadConfig(OutcomeManifest.self, from: directory)
        } catch {
            throw .badModel(path: directory.path, detail: "\(error.localizedDescription); is this a `behave train --task purchase|churn` directory?")
        }
        let configPath = directory.appendingPathComponent(Checkpoint.configFileName).path
        guard OutcomeTask(rawValue: manifest.task) != nil else {
            throw .badModel(path: directory.path, detail: "holds a '\(manifest.task)' model, not a purchase or churn model")
        }
        do {
            try manifest.config.validate()
        } catch {
            throw .badModel(path: configPath, detail: error.localizedDescription)
        }
        let columns = manifest.featureColumns.count
        guard manifest.featureLogTransform.count == columns, manifest.featureMeans.count == columns,
            manifest.featureDeviations.count == columns,
            (try? UserFeatureExtractor(referenceTime: 0, eventTypes: manifest.featureEventTypes.map { EventType(rawValue: $0) }))?
                .columns == manifest.featureColumns
        else {
            throw .badModel(path: configPath, detail: "the feature columns, their event types and their scaling do not agree; retrain the model")
        }
        var rng = RandomGenerator(seed: 0)
        let model: any Layer
        switch manifest.model {
        case .mlp:
            model = makeTabularNetwork(manifest.config, featureCount: columns, generator: &rng)
        case .lstm, .gru, .cnn:
            guard let encoder = manifest.sequenceEncoder, let kind = manifest.model.sequenceKind else {
                throw .badModel(path: configPath, detail: "a \(manifest.model.rawValue) model needs its sequenceEncoder; retrain the model")
            }
            model = EventSequenceClassifier(kind: kind, encoder: encoder, generator: &rng)
        }
        let baseline = makeTabularNetwork(.logisticBaseline(for: manifest.config), featureCount: columns, generator: &rng)
        do {
            try Checkpoint.loadWeights(into: ClassifierWeights(model: model, baseline: baseline), from: directory)
        } catch {
            throw .badModel(path: directory.path, detail: error.localizedDescription)
        }
        let metricsURL = directory.appendingPathComponent(TableClassifier.metricsFileName)
        let metrics = (try? JSONDecoder().decode([String: [String: ClassificationReport]].self, from: Data(contentsOf: metricsURL))) ?? [:]
        return UserOutcomeClassifier(manifest: manifest, model: model, baseline: baseline, metrics: metrics, log: [])
    }

    /// The model's probabilities for users as of `referenceTime`: only events at or before it
    /// count, and recency and ages are measured from it (a user without such an event gets the
    /// score of an empty history; ``score(store:at:to:threshold:progress:)`` leaves such users out).
    ///
    /// - Parameter itemIDs: External item ids by the store's dense item index (items the model
    ///   never saw share its unknown token).
    public func predict(_ histories: [UserHistory], itemIDs: Vocabulary, at referenceTime: Int64) -> [Double] {
        let inputs = histories.map { history in
            var cut = history
            cut.events = history.events.filter { $0.timestamp <= referenceTime }
            return cut
        }
        var result: [Double] = []
        result.reserveCapacity(inputs.count)
        for start in stride(from: 0, to: inputs.count, by: 512) {
            let chunk = Array(inputs[start..<min(start + 512, inputs.count)])
            switch (model, manifest.sequenceEncoder) {
            case (let classifier as EventSequenceClassifier, let encoder?):
                classifier.setTraining(false)
                let batch = encoder.batch(chunk, itemIDs: itemIDs, referenceTime: referenceTime)
                result += Tensor.withoutGradients { classifier(batch).sigmoid() }.scalars.map(Double.init)
                classifier.setTraining(true)
            case (let network as Sequential, nil):
                let features = featureRows(chunk, at: referenceTime)
                result += Classifiers.probabilities(of: network, features: features, featureCount: manifest.featureColumns.count)
            default:
                preconditionFailure("UserOutcomeClassifier: a \(manifest.model.rawValue) model without its input encoder")
            }
        }
        return result
    }

    /// The scaled feature table of `histories` as the MLP and the baseline read it.
    func featureRows(_ histories: [UserHistory], at referenceTime: Int64) -> [Float] {
        guard
            let extractor = try? UserFeatureExtractor(
                referenceTime: referenceTime, eventTypes: manifest.featureEventTypes.map { EventType(rawValue: $0) })
        else { preconditionFailure("load(from:) checked the event types") }
        var rows: [Float] = []
        rows.reserveCapacity(histories.count * manifest.featureColumns.count)
        for history in histories {
            for (column, raw) in extractor.features(for: history).enumerated() {
                let value = manifest.featureLogTransform[column] ? log1p(max(raw, 0)) : raw
                let deviation = manifest.featureDeviations[column]
                rows.append(Float(deviation > 0 ? (value - manifest.featureMeans[column]) / deviation : 0))
            }
        }
        return rows
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
            throw ClassifierError.badData(path: store.location, detail: "no event at or before the scoring time; pick a later --at")
        }
        guard FileManager.default.createFile(atPath: output, contents: nil),
            let handle = FileHandle(forWritingAtPath: output)
        else {
            throw ClassifierError.badData(path: output, detail: "cannot create the output file; check the directory exists and is writable")
        }
        defer { try? handle.close() }
        let items = try store.itemIDs()
        let threshold = threshold ?? manifest.threshold
        var summary = OutcomeScoringSummary(users: 0, positives: 0, threshold: threshold, referenceTime: at)
        let formatter = ISO8601DateFormatter()
        var pending: [UserHistory] = []
        var text = CSVText.line(["user_id", "events", "last_event", "probability", "decision"])
        func flush() throws {
            for (history, p) in zip(pending, predict(pending, itemIDs: items, at: at)) {
                let lastEvent = history.events.last.map { formatter.string(from: Date(timeIntervalSince1970: Double($0.timestamp) / 1_000)) } ?? ""
                let decision = p >= threshold
                text += CSVText.line([history.userID, String(history.events.count), lastEvent, String(format: "%.6f", p), decision ? "1" : "0"])
                summary.users += 1
                if decision { summary.positives += 1 }
            }
            pending.removeAll(keepingCapacity: true)
            try handle.write(contentsOf: Data(text.utf8))
            text = ""
            progress?(summary.users)
        }
        try store.forEachUserHistory { history in
            var known = history
            known.events = history.events.filter { $0.timestamp <= at }
            guard !known.events.isEmpty else { return }
            pending.append(known)
            if pending.count == 2_048 { try flush() }
        }
        try flush()
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
