import Datasets
import Evaluation
import EventData
import Foundation
import Monitoring
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// A warm-started update of a live next-item model with the events after its watermark.
///
/// The catalogue grows: the live items keep their indexes and new items are appended, so ids
/// are never reused; a new item's embedding starts fresh and seeded (or, with
/// ``UpdateSettings/neighbourStart``, at the mean of its neighbours' in users' histories), every
/// other weight starts from the live model's. The candidate trains with the shared loop and early stopping on the users with
/// item events after the watermark plus a replayed share of the others, then both models are
/// scored on the same two holdouts (each user's last item: recent users', and the others') and
/// judged by ``UpdateDecision/judge(live:candidate:settings:)``. A popularity model is simply
/// counted again over everything.
public struct NextItemUpdate {
    public let live: NextItemPackage
    /// The newest event the live model learned from (its profile's watermark).
    public let watermark: Int64
    public let settings: UpdateSettings

    public init(live: NextItemPackage, watermark: Int64, settings: UpdateSettings = UpdateSettings()) {
        self.live = live
        self.watermark = watermark
        self.settings = settings
    }

    /// What ``run(store:progress:epochEnd:)`` produced.
    public struct Result {
        /// The candidate's package, with its training profile, ready to save.
        public var candidate: NextItemPackage
        public var outcome: TrainingOutcome
        public var decision: UpdateDecision
        /// The holdouts both models were scored on (to score others, such as a full retrain).
        public var holdouts: Holdouts
        /// Every user, in the grown catalogue.
        public var full: NextItemData
    }

    /// Each user's last item, split by whether it came after the watermark, in the grown
    /// catalogue's indexes.
    public struct Holdouts: Sendable {
        public var recent: [RankingExample]
        public var old: [RankingExample]
        public var catalogueSize: Int

        /// NDCG@10 (full ranking) of `model` on both, where the model knows the first
        /// `knownItems` items of the catalogue: histories keep only those, and the others score
        /// −∞ (it cannot recommend them).
        public func scores(of model: NextItemModel, knownItems: Int) -> HoldoutScores {
            let evaluation = NextItemEvaluation(itemCount: catalogueSize)
            let size = catalogueSize
            let scoring = { (histories: [[Int]]) -> [[Float]] in
                // A model of the whole catalogue scores the histories as they are.
                guard knownItems < size else { return model.scores(after: histories) }
                let trimmed = histories.map { $0.filter { $0 < knownItems } }
                let usable = trimmed.indices.filter { !trimmed[$0].isEmpty || !model.needsHistory }
                var rows = [[Float]](repeating: [Float](repeating: -.infinity, count: size), count: histories.count)
                for (index, scores) in zip(usable, model.scores(after: usable.map { trimmed[$0] })) {
                    rows[index].replaceSubrange(0..<knownItems, with: scores)
                }
                return rows
            }
            func ndcg(_ examples: [RankingExample]) -> Double {
                examples.isEmpty ? 0 : evaluation.evaluate(examples, scores: scoring).full.ndcg(at: 10) ?? 0
            }
            return HoldoutScores(recent: ndcg(recent), old: ndcg(old))
        }
    }

    /// Trains and judges a candidate from `store`.
    ///
    /// - Throws: ``RecommenderError/notEnoughData(detail:)`` when no user has an item event
    ///   after the watermark; ``RecommenderError/invalidParameter(_:)``; training and store
    ///   errors.
    public func run(
        store: any EventStore, progress: ((StepProgress) -> Void)? = nil, epochEnd: ((NextItemEpoch) -> Void)? = nil
    ) throws -> Result {
        do {
            try settings.validate()
        } catch {
            throw RecommenderError.invalidParameter(error)
        }
        guard live.manifest.privacy == nil else {
            throw RecommenderError.invalidParameter(
                InvalidParameter(
                    "model", value: "trained with a privacy budget",
                    allowed: "a model trained without one; retrain a private model with behave train and --dp-epsilon"))
        }
        let storeItems = try store.itemIDs()
        let catalogue = live.items.appending(storeItems.externalIDs.filter { live.items.index(of: $0) == nil })
        let full = try NextItemData.load(from: store, catalogue: catalogue)
        var lastItemTime: [Int: Int64] = [:]
        var newUsers = 0
        var newWatermark = watermark
        try store.forEachUserHistory { history in
            if let last = history.events.last(where: { $0.item != nil }) { lastItemTime[history.user] = last.timestamp }
            if let first = history.events.first, first.timestamp > watermark { newUsers += 1 }
            if let last = history.events.last { newWatermark = max(newWatermark, last.timestamp) }
        }
        let recent = full.users.filter { (lastItemTime[$0.user] ?? .min) > watermark }
        let older = full.users.filter { (lastItemTime[$0.user] ?? .min) <= watermark }
        guard !recent.isEmpty else {
            throw RecommenderError.notEnoughData(
                detail: "no user has an item event after the model's watermark; ingest newer events first")
        }
        var rng = RandomGenerator(seed: settings.seed)
        let replayed = rng.permutation(older.count).prefix(Int((settings.replayShare * Double(older.count)).rounded()))
            .sorted().map { older[$0] }
        let training = NextItemData(users: recent + replayed, items: catalogue, userIDs: full.userIDs)

        var config = live.manifest.config
        config.epochs =
            settings.epochs
            ?? Self.warmStartEpochs(
                liveEpochs: live.manifest.epochs ?? live.manifest.bestEpoch,
                liveUsers: live.profile?.rows ?? (full.users.count - newUsers), trainingUsers: training.users.count)
        config.timeBudget = config.timeBudget.map { $0 / 10 }
        config.evaluateEvery = min(config.evaluateEvery, max(1, config.epochs / 4))
        config.learningRate *= Float(settings.learningRateScale ?? Self.learningRateScale)
        if settings.newestWindowOnly { config.slidingWindows = false }
        config.seed = settings.seed
        let trainer = try NextItemTrainer(config: config, data: training)
        let initial: NextItemModel?
        if case .sequence = live.model {
            let fresh = NextItemModel.make(trainer.config, itemCount: catalogue.count)
            Self.warmStart(fresh.layer, from: live.model.layer)
            if settings.neighbourStart, case .sequence(let network) = fresh {
                Self.startNewItemsAtNeighbours(
                    network.itemEmbedding, sequences: full.users.map(\.train), knownItems: live.items.count)
            }
            initial = fresh
        } else {
            initial = .popularity(PopularityModel(sequences: full.users.map(\.train), itemCount: catalogue.count))
        }
        let outcome = try trainer.train(startingFrom: initial, progress: progress, epochEnd: epochEnd)

        let holdouts = Holdouts(
            recent: NextItemData(users: recent, items: catalogue, userIDs: full.userIDs).testExamples,
            old: NextItemData(users: older, items: catalogue, userIDs: full.userIDs).testExamples,
            catalogueSize: catalogue.count)
        let liveHoldouts = holdouts.scores(of: live.model, knownItems: live.items.count)
        let candidateHoldouts = holdouts.scores(of: outcome.model, knownItems: catalogue.count)
        let verdict = UpdateDecision.judge(live: liveHoldouts, candidate: candidateHoldouts, settings: settings)
        let decision = UpdateDecision(
            promote: verdict.promote, reason: verdict.reason, metric: "ndcg@10, full ranking", live: liveHoldouts,
            candidate: candidateHoldouts, recentExamples: holdouts.recent.count, oldExamples: holdouts.old.count,
            newItems: catalogue.count - live.items.count, newUsers: newUsers, trainedExamples: training.users.count,
            replayedExamples: replayed.count, watermark: watermark, newWatermark: newWatermark,
            trainSeconds: outcome.trainSeconds, settings: settings)

        let fullEvaluation = NextItemEvaluation.reports(of: outcome.model, on: full)
        var candidate = NextItemPackage(
            manifest: NextItemManifest(
                task: NextItemManifest.task, config: outcome.config, itemCount: catalogue.count,
                store: live.manifest.store, bestEpoch: outcome.bestEpoch,
                stopReason: outcome.history.stopReason.description, epochs: outcome.history.epochs.count,
                trainSeconds: outcome.trainSeconds,
                created: ISO8601DateFormatter().string(from: Date())),
            model: outcome.model, items: catalogue, metrics: fullEvaluation)
        candidate.profile = try candidate.trainingProfile(store: store, data: full)
        return Result(
            candidate: candidate, outcome: outcome, decision: decision, holdouts: holdouts, full: full)
    }

    /// The warm start's learning rate over the live model's when the settings leave it open:
    /// the best of 1, 3 and 10 measured on the simulated catalogue launch (benchmarks/README.md,
    /// "Updates against full retrains"). A warm start takes a few hundred steps, so new items'
    /// embeddings must move far per step.
    public static let learningRateScale = 10.0

    /// The warm start's epochs when the settings leave them open: a tenth of the live model's
    /// training work (its epochs times the users it trained on) spread over the users the
    /// update trains on, at least 2. Sized from what the live run did, not from the clock, so
    /// an update is reproducible.
    static func warmStartEpochs(liveEpochs: Int, liveUsers: Int, trainingUsers: Int) -> Int {
        max(2, Int(0.1 * Double(liveEpochs) * Double(liveUsers) / Double(max(1, trainingUsers))))
    }

    /// Sets the embedding of every new item (index `knownItems` and up) that has known items
    /// next to it in `sequences` to the mean of their embeddings: a new item is mostly seen
    /// beside related ones, so it starts near them instead of at random. Rows are the items'
    /// tokens (``SequenceBatcher/token(forItem:)``).
    static func startNewItemsAtNeighbours(_ embedding: Embedding, sequences: [[Int]], knownItems: Int) {
        let dimension = embedding.dimension
        let newItems = embedding.weight.shape[0] - 1 - knownItems
        guard newItems > 0 else { return }
        let weights = embedding.weight.scalars
        var sums = [Float](repeating: 0, count: newItems * dimension)
        var counts = [Int](repeating: 0, count: newItems)
        for sequence in sequences {
            for (position, item) in sequence.enumerated() where item >= knownItems {
                let slot = item - knownItems
                for neighbour in stride(from: position - 1, through: position + 1, by: 2)
                where sequence.indices.contains(neighbour) && sequence[neighbour] < knownItems {
                    let row = SequenceBatcher.token(forItem: sequence[neighbour]) * dimension
                    for d in 0..<dimension { sums[slot * dimension + d] += weights[row + d] }
                    counts[slot] += 1
                }
            }
        }
        embedding.weight.withUnsafeMutableScalars { scalars in
            for slot in 0..<newItems where counts[slot] > 0 {
                let row = SequenceBatcher.token(forItem: knownItems + slot) * dimension
                for d in 0..<dimension { scalars[row + d] = sums[slot * dimension + d] / Float(counts[slot]) }
            }
        }
    }

    /// Copies every weight of `source` into the parameter of the same name in `target`: whole
    /// when the shapes agree, the leading rows when `target`'s first dimension is larger (an
    /// embedding of a grown catalogue; its new rows keep their fresh values).
    ///
    /// - Precondition: the two are the same architecture (names and trailing shapes agree).
    public static func warmStart(_ target: any Layer, from source: any Layer) {
        let sources = Dictionary(uniqueKeysWithValues: source.parameters().map { ($0.key, $0.tensor) })
        for (key, tensor) in target.parameters() {
            guard let old = sources[key] else { preconditionFailure("warm start: \(key) is not in the live model") }
            precondition(
                old.shape.dropFirst() == tensor.shape.dropFirst()
                    && (old.shape.first ?? 0) <= (tensor.shape.first ?? 0),
                "warm start: \(key) is \(old.shape) in the live model and \(tensor.shape) in the candidate")
            let values = old.scalars
            tensor.withUnsafeMutableScalars { scalars in
                for index in values.indices { scalars[index] = values[index] }
            }
        }
    }
}

extension NextItemModel {
    /// Whether the model needs at least one item of history (sequence models do).
    var needsHistory: Bool {
        if case .sequence = self { return true }
        return false
    }
}
