import Classifiers
import Evaluation
import EventData
import Foundation
import Monitoring
import Recommenders

extension Cases {
    /// The drifting shop both update cases use (`users` users, 3,000 by default; 1,000 items, 60
    /// days, 30% of the catalogue new, the drift starting at `driftStart` of the period: 0.9 by
    /// default, a launch whose new items are all released in the last 3 days), its first 57 days
    /// in an in-memory store: the simulator, the cut, the store and the events stored.
    static func driftingShop(seed: UInt64, users: Int, driftStart: Double) throws -> (
        BehaviorSimulator, Int64, SQLiteEventStore, Int
    ) {
        var config = SimulationConfig(users: users, items: 1_000, days: 60, seed: seed)
        config.newItemShare = 0.3
        config.driftStart = driftStart
        let simulator = try BehaviorSimulator(config: config)
        let cut = Int64((config.start.timeIntervalSince1970 * 1_000).rounded()) + 57 * 86_400_000
        let store = try SQLiteEventStore.inMemory()
        let before = try store.ingest(TimeRangeSource(simulator, range: Int64.min..<cut)).stored
        return (simulator, cut, store, before)
    }

    /// `behave update` against a full retrain on a drifting shop (``driftingShop(seed:users:driftStart:)``).
    /// SASRec (the default configuration with maxLength 50, trained until early stopping, or for
    /// `budget` seconds when given) trains on the first 57 days (the stale model); the last 3 days
    /// (about 5% of events) arrive; then the update (its defaults) and a retrain from scratch on
    /// everything (the stale model's configuration). All three are scored on the update's
    /// holdouts.
    static func update(
        seed: UInt64, users: Int, driftStart: Double, budget: Double?,
        variants: ((UpdateShape) -> [(String, UpdateSettings)])? = nil
    ) -> [String: Any] {
        do {
            let (simulator, cut, store, before) = try driftingShop(seed: seed, users: users, driftStart: driftStart)
            var next = NextItemConfig.defaults(for: .sasrec)
            if case .sasrec(var sasrec) = next.architecture {
                sasrec.maxLength = 50
                next.architecture = .sasrec(sasrec)
            }
            next.timeBudget = budget
            next.seed = seed
            let data = try NextItemData.load(from: store)
            let stale = try NextItemTrainer(config: next, data: data).train()
            FileHandle.standardError.write(
                Data("stale: \(stale.history.epochs.count) epochs, \(stale.trainSeconds) s\n".utf8))
            var live = NextItemPackage(trained: stale, store: store.location)
            live.profile = try live.trainingProfile(store: store, data: data)
            guard let watermark = live.profile?.watermark else { BenchmarkMain.fail("update: no watermark") }

            let after = try store.ingest(TimeRangeSource(simulator, range: cut..<Int64.max)).stored
            let started = DispatchTime.now().uptimeNanoseconds
            let result = try NextItemUpdate(live: live, watermark: watermark).run(store: store)
            let updateSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let retrain = try NextItemTrainer(config: next, data: result.full).train()
            let holdouts = result.holdouts
            let staleScores = holdouts.scores(of: stale.model, knownItems: live.items.count)
            let updated = result.decision.candidate
            let retrained = holdouts.scores(of: retrain.model, knownItems: holdouts.catalogueSize)
            let gain = retrained.recent - staleScores.recent
            var design: [String: Any] = [:]
            let shape = UpdateShape(
                keptEpoch: live.manifest.bestEpoch, liveEpochs: stale.history.epochs.count, liveUsers: data.users.count,
                updateUsers: result.decision.trainedExamples)
            for (name, settings) in variants?(shape) ?? [] {
                let variant = try NextItemUpdate(live: live, watermark: watermark, settings: settings).run(store: store)
                let scores = variant.decision.candidate
                design[name] = [
                    "recent": scores.recent, "old": scores.old,
                    "gain_recovered": gain > 0 ? (scores.recent - staleScores.recent) / gain : 0,
                    "old_loss": staleScores.old > 0 ? (staleScores.old - scores.old) / staleScores.old : 0,
                    "train_seconds": variant.outcome.trainSeconds, "epochs": variant.outcome.history.epochs.count,
                ]
            }
            return [
                "users": users, "budget_seconds": budget ?? 0, "drift_start": driftStart, "design": design,
                "stale_train_seconds": stale.trainSeconds, "stale_epochs": stale.history.epochs.count,
                "retrain_epochs": retrain.history.epochs.count, "update_epochs": result.outcome.history.epochs.count,
                "seed": seed, "events_before": before, "events_after": after,
                "new_event_share": Double(after) / Double(before + after), "new_items": result.decision.newItems,
                "recent_users": result.decision.recentExamples, "old_users": result.decision.oldExamples,
                "stale": ["recent": staleScores.recent, "old": staleScores.old],
                "updated": ["recent": updated.recent, "old": updated.old],
                "retrained": ["recent": retrained.recent, "old": retrained.old],
                "gain_recovered": gain > 0 ? (updated.recent - staleScores.recent) / gain : 0,
                "old_loss": staleScores.old > 0 ? (staleScores.old - updated.old) / staleScores.old : 0,
                "update_train_seconds": result.outcome.trainSeconds, "update_seconds": updateSeconds,
                "retrain_train_seconds": retrain.trainSeconds,
                "time_ratio": result.outcome.trainSeconds / max(retrain.trainSeconds, 1e-9),
                "promoted": result.decision.promote, "reason": result.decision.reason,
                "value": updated.recent, "unit": "ndcg@10", "runs": [updated.recent],
            ]
        } catch {
            BenchmarkMain.fail("update: \(error)")
        }
    }
}

extension Cases {
    /// What the design variants are sized from: the live model's kept epoch and epochs run, the
    /// users it trained on, and the users an update trains on.
    struct UpdateShape {
        var keptEpoch: Int
        var liveEpochs: Int
        var liveUsers: Int
        var updateUsers: Int
    }

    /// The update settings tried in the design run (`--case update-design`), beside the
    /// defaults.
    static func updateVariants(_ shape: UpdateShape) -> [(String, UpdateSettings)] {
        func variant(_ scale: Double, epochs: Int) -> UpdateSettings {
            var settings = UpdateSettings()
            settings.learningRateScale = scale
            settings.epochs = max(2, epochs)
            return settings
        }
        let fifth = (shape.keptEpoch + 4) / 5
        // A tenth of the live model's training work: its epochs times its users, over the update's users.
        let tenthOfWork = Int(0.1 * Double(shape.liveEpochs * shape.liveUsers) / Double(max(1, shape.updateUsers)))
        /// The defaults with one change.
        func defaults(_ change: (inout UpdateSettings) -> Void) -> UpdateSettings {
            var settings = UpdateSettings()
            change(&settings)
            return settings
        }
        return [
            ("lr x1, 1/5 of the kept epochs (the first defaults)", variant(1, epochs: fifth)),
            ("lr x3", variant(3, epochs: tenthOfWork)),
            ("lr x10, 1/5 of the kept epochs", variant(10, epochs: fifth)),
            ("replay 0", defaults { $0.replayShare = 0 }),
            ("replay 0.5", defaults { $0.replayShare = 0.5 }),
            ("no neighbour start", defaults { $0.neighbourStart = false }),
        ]
    }
}

extension Cases {
    /// `behave update` of a purchase MLP against a full retrain, on the same drifting shop: the
    /// stale model is trained at the cut-off 7 days before day 57 (the default configuration);
    /// the last 3 days arrive; the update moves the cut-off to 7 days before day 60, and so does
    /// the retrain. Holdouts: the new cut-off's test users (the same split seed for both) and the
    /// stale model's test users, by ROC-AUC.
    static func updatePurchase(seed: UInt64, users: Int, driftStart: Double) -> [String: Any] {
        do {
            let (simulator, cut, store, before) = try driftingShop(seed: seed, users: users, driftStart: driftStart)
            let window = Duration.seconds(7 * 86_400)
            let staleData = try UserOutcomeData.load(from: store, task: .purchase, window: window)
            let classifier = ClassifierConfig.mlp
            let staleStart = DispatchTime.now().uptimeNanoseconds
            let stale = try UserOutcomeClassifier.train(data: staleData, model: .mlp, config: classifier)
            let staleSeconds = Double(DispatchTime.now().uptimeNanoseconds - staleStart) / 1e9
            guard let watermark = stale.profile?.watermark else { BenchmarkMain.fail("update: no watermark") }

            let after = try store.ingest(TimeRangeSource(simulator, range: cut..<Int64.max)).stored
            let updateStart = DispatchTime.now().uptimeNanoseconds
            let update = try stale.updated(store: store, watermark: watermark)
            let updateSeconds = Double(DispatchTime.now().uptimeNanoseconds - updateStart) / 1e9
            let recentData = try UserOutcomeData.load(from: store, task: .purchase, window: window)
            let retrainStart = DispatchTime.now().uptimeNanoseconds
            let retrain = try UserOutcomeClassifier.train(data: recentData, model: .mlp, config: classifier)
            let retrainSeconds = Double(DispatchTime.now().uptimeNanoseconds - retrainStart) / 1e9
            // The retrain on the stale model's test users, at the old cut-off.
            let fractions = try SplitFractions(
                train: 1 - classifier.validationFraction - classifier.testFraction,
                validation: classifier.validationFraction, test: classifier.testFraction)
            let oldTest = StratifiedSplit(fractions: fractions, seed: classifier.seed)
                .split(labels: staleData.examples.map(\.label)).test
            let oldProbabilities = retrain.predict(
                oldTest.map { staleData.examples[$0].input }, itemIDs: try store.itemIDs(), at: staleData.cutoff)
            let retrainedOld =
                ClassificationReport(
                    probabilities: oldProbabilities, labels: oldTest.map { staleData.examples[$0].label }
                )
                .rocAUC ?? 0.5
            let retrainedRecent = retrain.metrics.test?.model.rocAUC ?? 0.5
            let (live, updated) = (update.decision.live, update.decision.candidate)
            let gain = retrainedRecent - live.recent
            return [
                "seed": seed, "events_before": before, "events_after": after,
                "new_event_share": Double(after) / Double(before + after),
                "stale": ["recent": live.recent, "old": live.old],
                "updated": ["recent": updated.recent, "old": updated.old],
                "retrained": ["recent": retrainedRecent, "old": retrainedOld],
                "gain_recovered": gain > 0 ? (updated.recent - live.recent) / gain : 0,
                "old_loss": live.old > 0 ? (live.old - updated.old) / live.old : 0,
                "stale_seconds": staleSeconds, "update_seconds": updateSeconds,
                "update_train_seconds": update.decision.trainSeconds, "retrain_seconds": retrainSeconds,
                "time_ratio": update.decision.trainSeconds / max(retrainSeconds, 1e-9),
                "promoted": update.decision.promote, "reason": update.decision.reason,
                "value": updated.recent, "unit": "roc-auc", "runs": [updated.recent],
            ]
        } catch {
            BenchmarkMain.fail("update-purchase: \(error)")
        }
    }
}
