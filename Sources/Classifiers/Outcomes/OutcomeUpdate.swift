import Evaluation
import EventData
import Foundation
import Monitoring
import NeuralNet
import Randomness
import Settings
import TensorEngine

extension UserOutcomeClassifier {
    /// What ``updated(store:watermark:settings:epochEnd:)`` produced.
    public struct UpdateResult {
        /// The candidate, with its metrics and training profile, ready to save.
        public var candidate: UserOutcomeClassifier
        public var decision: UpdateDecision
        public var history: BinaryClassifierTrainer.Outcome
    }

    /// A warm-started update of this (live) MLP purchase or churn model with the newest labelled
    /// window.
    ///
    /// The cut-off moves to the newest event minus the label window. The candidate starts from
    /// this model's weights and keeps its feature scaling (so inputs mean what they meant); it
    /// trains with the shared loop and early stopping on the users labelled at the new cut-off
    /// (the training part of a stratified split with the live configuration's seed, as a retrain
    /// would split them) plus a replayed share of the original training users. Both models are then scored (ROC-AUC) on the new split's test users (recent) and
    /// on the original test users at the old cut-off (older), and judged by
    /// ``UpdateDecision/judge(live:candidate:settings:)``.
    ///
    /// - Throws: ``ClassifierError/invalidParameter(_:)`` for a sequence model (retrain those)
    ///   or bad settings; ``ClassifierError/badData(path:detail:)`` when there is no newer
    ///   labelled window or the event types changed; store and training errors.
    public func updated(
        store: any EventStore, watermark: Int64, settings: UpdateSettings = UpdateSettings(),
        epochEnd: ((ClassifierEpoch) -> Void)? = nil
    ) throws -> UpdateResult {
        do {
            try settings.validate()
        } catch {
            throw ClassifierError.invalidParameter(error)
        }
        guard manifest.model == .mlp, let live = model as? Sequential, let scaling = OutcomeFeatureScaling(manifest)
        else {
            throw ClassifierError.invalidParameter(
                InvalidParameter(
                    "model", value: manifest.model.rawValue,
                    allowed: "mlp to update (sequence models are retrained with behave train)"))
        }
        guard manifest.privacy == nil else {
            throw ClassifierError.invalidParameter(
                InvalidParameter(
                    "model", value: "trained with a privacy budget",
                    allowed: "a model trained without one; retrain a private model with behave train and --dp-epsilon"))
        }
        guard let task = OutcomeTask(rawValue: manifest.task) else {
            preconditionFailure("load(from:) checked the task")
        }
        let window = Duration.milliseconds(manifest.windowMilliseconds)
        let recent = try UserOutcomeData.load(from: store, task: task, window: window)
        guard recent.cutoff > manifest.cutoff else {
            throw ClassifierError.badData(
                path: store.location,
                detail: "no labelled window after the live model's: its cut-off plus its window reaches the newest "
                    + "event; ingest newer events first")
        }
        let old = try UserOutcomeData.load(from: store, task: task, window: window, cutoff: manifest.cutoff)
        guard recent.eventTypes.map(\.rawValue) == manifest.featureEventTypes else {
            throw ClassifierError.badData(
                path: store.location,
                detail: "the event types changed (\(recent.eventTypes.map(\.rawValue).joined(separator: ", ")) "
                    + "against the model's \(manifest.featureEventTypes.joined(separator: ", "))), so the feature "
                    + "table did; retrain the model")
        }
        let columns = manifest.featureColumns.count
        func raw(_ data: UserOutcomeData) throws -> [[Double]] {
            let extractor = try UserFeatureExtractor(referenceTime: data.cutoff, eventTypes: data.eventTypes)
            return data.examples.map { extractor.features(for: $0.input) }
        }
        let (recentRaw, oldRaw) = (try raw(recent), try raw(old))
        let (recentScaled, oldScaled) = (try scaling.apply(recentRaw), try scaling.apply(oldRaw))
        let fractions = try SplitFractions(
            train: 1 - manifest.config.validationFraction - manifest.config.testFraction,
            validation: manifest.config.validationFraction, test: manifest.config.testFraction)
        // The live configuration's split seed on both cut-offs: the recent test users are those a
        // retrain with the same configuration would be tested on.
        let recentParts = StratifiedSplit(fractions: fractions, seed: manifest.config.seed)
            .split(labels: recent.examples.map(\.label))
        let oldParts = StratifiedSplit(fractions: fractions, seed: manifest.config.seed)
            .split(labels: old.examples.map(\.label))
        func table(_ rows: [(scaled: [[Double]], data: UserOutcomeData, row: Int)]) -> LabelledFeatures {
            LabelledFeatures(
                features: rows.flatMap { $0.scaled[$0.row].map(Float.init) }, featureCount: columns,
                labels: rows.map { $0.data.examples[$0.row].label })
        }
        var rng = RandomGenerator(seed: settings.seed)
        let replayCount = Int((settings.replayShare * Double(oldParts.train.count)).rounded())
        let replayed = rng.permutation(oldParts.train.count).prefix(replayCount).sorted().map { oldParts.train[$0] }
        let training = table(
            recentParts.train.map { (recentScaled, recent, $0) } + replayed.map { (oldScaled, old, $0) })
        let validation = table(recentParts.validation.map { (recentScaled, recent, $0) })
        let recentTest = table(recentParts.test.map { (recentScaled, recent, $0) })
        let oldTest = table(oldParts.test.map { (oldScaled, old, $0) })

        // The live model is scored before anything trains.
        func auc(_ network: Sequential, _ table: LabelledFeatures) -> Double {
            let p = probabilities(of: network, features: table.features, featureCount: columns)
            return ClassificationReport(probabilities: p, labels: table.labels).rocAUC ?? 0.5
        }
        let liveScores = HoldoutScores(recent: auc(live, recentTest), old: auc(live, oldTest))
        var config = manifest.config
        config.epochs = settings.epochs ?? max(2, (manifest.bestEpoch + 4) / 5)
        config.learningRate *= Float(settings.learningRateScale ?? 1)
        config.seed = settings.seed
        var fresh = RandomGenerator(seed: settings.seed)
        let candidate = makeTabularNetwork(config, featureCount: columns, generator: &fresh)
        do {
            try candidate.load(
                Dictionary(
                    uniqueKeysWithValues: live.parameters().map {
                        ($0.key, Tensor(shape: $0.tensor.shape, scalars: $0.tensor.scalars))
                    }))
        } catch {
            preconditionFailure("update: the live network's weights fit its own architecture: \(error)")
        }
        let history = try BinaryClassifierTrainer(config: config).train(
            candidate, on: training, validation: validation, epochEnd: epochEnd)
        let candidateScores = HoldoutScores(recent: auc(candidate, recentTest), old: auc(candidate, oldTest))
        let verdict = UpdateDecision.judge(live: liveScores, candidate: candidateScores, settings: settings)

        var histories: [UserHistory] = []
        try store.forEachUserHistory { histories.append($0) }
        let newWatermark = recent.cutoff + recent.windowMilliseconds
        let facts = BehaviourSamples.facts(
            of: histories, window: (watermark + 1)...max(newWatermark, watermark + 1), watermark: watermark)
        let decision = UpdateDecision(
            promote: verdict.promote, reason: verdict.reason, metric: "roc-auc", live: liveScores,
            candidate: candidateScores, recentExamples: recentTest.count, oldExamples: oldTest.count,
            newItems: facts["new items"] ?? 0, newUsers: facts["new users"] ?? 0, trainedExamples: training.count,
            replayedExamples: replayed.count, watermark: watermark, newWatermark: newWatermark,
            trainSeconds: history.trainSeconds, settings: settings)

        let (metrics, threshold) = modelAndBaselineReports(
            labels: SplitReports(validation: validation.labels, test: recentTest.labels),
            model: { split in
                let table = split == .validation ? validation : recentTest
                return probabilities(of: candidate, features: table.features, featureCount: columns)
            },
            baseline: { split in
                let table = split == .validation ? validation : recentTest
                return probabilities(of: baseline, features: table.features, featureCount: columns)
            })
        var updatedManifest = manifest
        updatedManifest.config = config
        updatedManifest.cutoff = recent.cutoff
        updatedManifest.threshold = threshold
        updatedManifest.users = [
            "train": training.count, "validation": validation.count, "test": recentTest.count,
            "positive": recent.examples.reduce(0) { $0 + $1.label },
        ]
        updatedManifest.bestEpoch = history.bestEpoch
        updatedManifest.created = ISO8601DateFormatter().string(from: Date())
        let validationScores = probabilities(of: candidate, features: validation.features, featureCount: columns)
        let profile = Self.trainingProfile(
            data: recent, users: Array(recent.examples.indices), columns: manifest.featureColumns,
            rawFeatures: recentRaw, knownItems: nil,
            validationScores: validationScores)
        let updated = UserOutcomeClassifier(
            manifest: updatedManifest, model: candidate, baseline: baseline, metrics: metrics,
            log: history.logLines("model"), profile: profile)
        return UpdateResult(candidate: updated, decision: decision, history: history)
    }
}
