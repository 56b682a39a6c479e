import Datasets
import Evaluation
import EventData
import Foundation
import NeuralNet
import Randomness
import Settings
import TensorEngine

/// One epoch of a next-item model's training; validated epochs carry the metrics by protocol.
public typealias NextItemEpoch = EpochRecord<ProtocolReports>

extension EpochRecord where Report == ProtocolReports {
    /// One line of the training log, e.g.
    /// `epoch 5  loss 0.6931  12.3s  val full ndcg@10 0.0412 hr@10 0.0901 | sampled ... (best)`.
    public var logLine: String { logLine(showingLoss: true) }

    /// The log line, with the training loss or (for a private run, whose loss is a statistic
    /// of the private users) without it.
    public func logLine(showingLoss: Bool) -> String {
        var line =
            "epoch \(epoch)  " + (showingLoss ? "loss \(String(format: "%.4f", loss))  " : "")
            + "\(String(format: "%.1f", trainSeconds))s"
        if let validation = validation?.report {
            let parts = RankingProtocol.allCases.map { name in
                let report = validation[name]
                return "\(name.rawValue) ndcg@10 \(String(format: "%.4f", report.ndcg(at: 10) ?? 0)) "
                    + "hr@10 \(String(format: "%.4f", report.hitRate(at: 10) ?? 0))"
            }
            line += "  val " + parts.joined(separator: " | ")
        }
        return line + (isBest ? "  (best)" : "")
    }
}

/// What training produced.
public struct TrainingOutcome {
    /// The model with the best validation weights loaded, in inference mode.
    public let model: NextItemModel
    /// The configuration it trained with, fitted to the data (``NextItemConfig/fitted(to:)``).
    public let config: NextItemConfig
    /// The epochs, the kept epoch, why training stopped and how long it took.
    public let history: TrainingHistory<ProtocolReports>
    /// Metrics of the kept weights by split and protocol (`metrics.test?.full.ndcg(at: 10)`).
    public let metrics: SplitReports<ProtocolReports>
    /// The data the model's catalogue and metrics belong to: the trainer's
    /// ``NextItemTrainer/data`` (for a private run, the held-out users).
    public let data: NextItemData
    /// What a private run did and guarantees; nil for a run without a privacy budget.
    public let privateRun: PrivateTrainingRun<ProtocolReports>?

    /// The epoch whose weights were kept (0 when nothing was trained, as for popularity).
    public var bestEpoch: Int { history.bestEpoch }
    /// Time spent in training steps, in seconds.
    public var trainSeconds: Double { history.trainSeconds }

    /// The lines of `training.log`: one per epoch, then why training stopped and, for a
    /// private run, its guarantee (without the training losses, statistics of the private users).
    public var logLines: [String] {
        history.epochs.map { $0.logLine(showingLoss: privateRun == nil) }
            + ["stopped: \(history.stopReason); kept epoch \(bestEpoch)"] + (privateRun.map { [$0.summary] } ?? [])
    }
}

/// Trains a next-item model on a leave-one-out split and keeps the weights with the best
/// validation NDCG@10 (under ``NextItemConfig/monitor``).
///
/// Every real position of a training sequence predicts the next item, with the configured
/// loss; validation runs every ``NextItemConfig/evaluateEvery`` epochs, early stopping after
/// ``NextItemConfig/patience`` validations without improvement, and training stops at the
/// time budget if one is set. Everything random comes from ``NextItemConfig/seed``.
///
/// With a privacy budget (``NextItemConfig/privacy``) the users are split into protected and
/// held-out ones (``PrivateNextItemData``): each protected user is one privacy unit, trained
/// with DP-SGD on one row of their most recent items, and everything else (catalogue,
/// validation, metrics) comes from the held-out users.
///
/// ```swift
/// let data = try NextItemData.load(from: store)
/// let trainer = try NextItemTrainer(config: .defaults(for: .sasrec), data: data)
/// let outcome = trainer.train { progress in print(progress.loss) }
/// print(outcome.metrics.test?.full.ndcg(at: 10) ?? 0)
/// ```
public final class NextItemTrainer {
    /// The configuration, fitted to the data (``NextItemConfig/fitted(to:)``).
    public let config: NextItemConfig
    /// The data evaluated on, whose items are the model's catalogue: every user, or for a
    /// private run the held-out users.
    public let data: NextItemData
    /// For a private run, the protected users and the held-out ones.
    public let privateData: PrivateNextItemData?
    private let evaluation: NextItemEvaluation

    /// - Throws: ``RecommenderError/invalidParameter(_:)`` for a bad configuration, or
    ///   ``RecommenderError/notEnoughData(detail:)`` when no user has two items to learn from
    ///   (for a private run: no protected user, or no held-out user to validate on).
    public init(config: NextItemConfig, data: NextItemData) throws(RecommenderError) {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        if config.model != .pop, !data.users.contains(where: { $0.train.count >= 2 }) {
            throw .notEnoughData(
                detail: "no user has two training items in a row to learn a next item from "
                    + "(users need at least 4 item events: 2 to train, 1 validation, 1 test)")
        }
        var evaluated = data
        if config.privacy != nil {
            let partition = data.privatePartition(
                heldOutFraction: NextItemConfig.privateHeldOutFraction, seed: config.seed &+ 5)
            guard !partition.units.isEmpty, !partition.heldOut.validationExamples.isEmpty else {
                throw .notEnoughData(
                    detail: "a private run holds out \(Int(NextItemConfig.privateHeldOutFraction * 100))% of the "
                        + "\(data.users.count) user\(data.users.count == 1 ? "" : "s") to validate on, and needs both "
                        + "protected users with 2 items "
                        + "and held-out users with 3 or more; train on more users")
            }
            evaluated = partition.heldOut
            privateData = partition
        } else {
            privateData = nil
        }
        self.config = config.fitted(to: evaluated)
        self.data = evaluated
        evaluation = NextItemEvaluation(itemCount: evaluated.itemCount)
    }

    /// Validation or test metrics of `model` under both protocols.
    public func evaluate(_ model: NextItemModel, on part: SplitPart) -> ProtocolReports {
        evaluation.evaluate(data.examples(for: part)) { model.scores(after: $0) }
    }

    /// Trains, keeps the best weights, and evaluates them on validation and test.
    ///
    /// - Parameters:
    ///   - initial: The model to start from (a warm start, see ``NextItemUpdate``); by default a
    ///     freshly initialised one. It must be of this configuration and the data's catalogue.
    ///   - progress: Called after every training step.
    ///   - epochEnd: Called after every epoch (with validation metrics when it was validated).
    /// - Throws: ``RecommenderError/diverged(_:)`` as soon as a step's loss is not a finite
    ///   number (the weights are then unusable).
    public func train(
        startingFrom initial: NextItemModel? = nil, progress: ((StepProgress) -> Void)? = nil,
        epochEnd: ((NextItemEpoch) -> Void)? = nil
    ) throws(RecommenderError) -> TrainingOutcome {
        let model =
            initial
            ?? NextItemModel.make(config, itemCount: data.itemCount, trainingSequences: data.users.map(\.train))
        precondition(
            model.itemCount == data.itemCount,
            "NextItemTrainer: a model of \(model.itemCount) items for a catalogue of \(data.itemCount)")
        guard case .sequence(let network) = model else {
            return finish(model, history: .nothingTrained)
        }
        if let privateData, let budget = config.privacy {
            return try trainPrivately(
                model, network: network, units: privateData.units, budget: budget, progress: progress,
                epochEnd: epochEnd)
        }
        let rows = trainingRows()
        let interacted = data.users.map { Set($0.train) }
        // Item ids and lengths come from the store and are valid by construction.
        guard let batcher = try? SequenceBatcher(maxLength: config.maxLength, padding: network.padding),
            var sampler = try? NegativeSampler(itemCount: data.itemCount, seed: config.seed &+ 2)
        else { preconditionFailure("NextItemTrainer: validated sizes were rejected") }
        let history: TrainingHistory<ProtocolReports>
        do {
            history = try trainingLoop.run(
                network,
                optimizer: optimizer(for: network),
                exampleCount: rows.count,
                loss: { indexes in
                    let chosen = indexes.map { rows[$0] }
                    guard let batch = try? batcher.nextItemPairs(chosen.map(\.items)) else {
                        preconditionFailure("NextItemTrainer: store item ids must be dense indexes")
                    }
                    return self.loss(
                        network, batch: batch, interacted: chosen.map { interacted[$0.user] }, sampler: &sampler)
                },
                validate: { _ in
                    let metrics = evaluate(model, on: .validation)
                    return Validation(score: metrics[config.monitor].ndcg(at: 10) ?? 0, report: metrics)
                },
                progress: progress, epochEnd: epochEnd)
        } catch {
            throw .diverged(error)
        }
        return finish(model, history: history)
    }

    /// The configuration's schedule (epochs, validation, early stopping, time budget).
    private var trainingLoop: TrainingLoop {
        TrainingLoop(
            schedule: TrainingSchedule(
                epochs: config.epochs, batchSize: config.batchSize, validateEvery: config.evaluateEvery,
                patience: config.patience, minimumImprovement: config.minimumImprovement,
                timeBudget: config.timeBudget, shuffleSeed: config.seed &+ 1))
    }

    /// Adam with the configuration's rate and decay (β2 0.98 for SASRec, as its paper).
    private func optimizer(for network: any SequenceRecommender) -> Adam {
        Adam(
            for: network, learningRate: config.learningRate, beta2: config.model == .sasrec ? 0.98 : 0.999,
            weightDecay: config.weightDecay)
    }

    private func finish(
        _ model: NextItemModel, history: TrainingHistory<ProtocolReports>,
        privateRun: PrivateTrainingRun<ProtocolReports>? = nil
    ) -> TrainingOutcome {
        TrainingOutcome(
            model: model, config: config, history: history, metrics: NextItemEvaluation.reports(of: model, on: data),
            data: data, privateRun: privateRun)
    }

    /// DP-SGD over the protected users, one unit and one row (their most recent
    /// `maxLength + 1` items) each; validation on the held-out users.
    private func trainPrivately(
        _ model: NextItemModel, network: any SequenceRecommender, units: [[Int]], budget: PrivacyBudget,
        progress: ((StepProgress) -> Void)?, epochEnd: ((NextItemEpoch) -> Void)?
    ) throws(RecommenderError) -> TrainingOutcome {
        let rows = units.map { Array($0.suffix(config.maxLength + 1)) }
        let interacted = units.map(Set.init)
        guard let batcher = try? SequenceBatcher(maxLength: config.maxLength, padding: network.padding) else {
            preconditionFailure("NextItemTrainer: validated sizes were rejected")
        }
        let privacy: PrivateTraining
        do {
            privacy = try budget.training(
                unit: .user, units: units.count, batchSize: config.batchSize, epochs: config.epochs)
        } catch {
            throw .privacy(error)
        }
        do {
            let run = try trainingLoop.runPrivately(
                network,
                optimizer: optimizer(for: network),
                unitCount: units.count, privacy: privacy,
                losses: { indexes, epoch in
                    guard let batch = try? batcher.nextItemPairs(indexes.map { rows[$0] }) else {
                        preconditionFailure("NextItemTrainer: store item ids must be dense indexes")
                    }
                    // Negatives are drawn per user and epoch, one sampler per row.
                    let samplers = indexes.map { unit in
                        guard
                            let sampler = try? NegativeSampler(
                                itemCount: self.data.itemCount,
                                seed: PrivateTraining.unitSeed(self.config.seed &+ 2, unit: unit, epoch: epoch))
                        else { preconditionFailure("NextItemTrainer: a catalogue with items was rejected") }
                        return sampler
                    }
                    return self.userLosses(
                        network, batch: batch, interacted: indexes.map { interacted[$0] }, samplers: samplers)
                },
                validate: { _ in
                    let metrics = evaluate(model, on: .validation)
                    return Validation(score: metrics[config.monitor].ndcg(at: 10) ?? 0, report: metrics)
                },
                progress: progress, epochEnd: epochEnd)
            return finish(model, history: run.history, privateRun: run)
        } catch {
            switch error {
            case .diverged(let diverged): throw .diverged(diverged)
            case .accounting(let accounting): throw .privacy(accounting)
            }
        }
    }

    /// Steps in one epoch: one per batch of ``trainingRows()``, or for a private run the steps
    /// that draw each protected user about once.
    public var stepsPerEpoch: Int {
        if let privateData {
            return PrivateTraining.stepsPerEpoch(
                samplingRate: min(1, Double(config.batchSize) / Double(max(privateData.units.count, 1))))
        }
        return (trainingRows().count + config.batchSize - 1) / config.batchSize
    }

    /// A training sequence and the user (index into ``NextItemData/users``) it came from.
    public struct TrainingRow: Sendable, Equatable {
        public var items: [Int]
        public var user: Int
    }

    /// Users' training sequences with at least one next-item pair; long ones cut into windows of
    /// `maxLength + 1` items that overlap by one, so every pair is trained once, when
    /// ``NextItemConfig/slidingWindows`` is on. (A private run trains its protected users'
    /// rows instead, ``PrivateNextItemData/units``.)
    public func trainingRows() -> [TrainingRow] {
        let span = config.maxLength + 1
        var rows: [TrainingRow] = []
        for (index, user) in data.users.enumerated() where user.train.count >= 2 {
            let items = user.train
            guard config.slidingWindows, items.count > span else {
                rows.append(TrainingRow(items: Array(items.suffix(span)), user: index))
                continue
            }
            var end = items.count
            while end > 1 {
                let start = max(0, end - span)
                rows.append(TrainingRow(items: Array(items[start..<end]), user: index))
                end = start + 1
            }
        }
        return rows
    }

    /// The configured loss of one batch of next-item pairs.
    private func loss(
        _ network: any SequenceRecommender, batch: NextItemBatch, interacted: [Set<Int>],
        sampler: inout NegativeSampler
    ) -> Tensor {
        let h = network.features(batch.input, lengths: batch.lengths)  // [B, T, D]
        let items = network.itemEmbedding
        switch config.loss {
        case .bce:
            let negatives = sampler.negatives(for: batch, interacted: interacted)
            let positive = (h * items(batch.target)).sum(axis: -1)
            let negative = (h * items(negatives)).sum(axis: -1)
            return negativeSamplingBinaryCrossEntropy(
                positiveLogits: positive, negativeLogits: negative, mask: batch.mask)
        case .ce, .sampledCE:
            let mask = batch.mask.scalars
            let positions = mask.indices.filter { mask[$0] != 0 }
            let width = h.shape[2]
            let real = h.reshaped([mask.count, width]).indexSelect(axis: 0, IndexTensor(positions))  // [N, D]
            let targets = positions.map { batch.target.indices[$0] }
            if config.loss == .ce {
                return softmaxCrossEntropy(logits: items.asLinear(real), targets: IndexTensor(targets))
            }
            let columns = batch.target.shape[1]
            var candidates: [Int] = []
            candidates.reserveCapacity(positions.count * (config.negatives + 1))
            for (position, target) in zip(positions, targets) {
                candidates.append(target)
                let drawn = sampler.negatives(count: config.negatives, excluding: interacted[position / columns])
                candidates += drawn.map(SequenceBatcher.token(forItem:))
                candidates += repeatElement(SequenceBatcher.paddingToken, count: config.negatives - drawn.count)
            }
            let candidateVectors = items(
                IndexTensor(shape: [positions.count, config.negatives + 1], indices: candidates))
            let logits = candidateVectors.matmul(real.reshaped([positions.count, width, 1]))
                .reshaped([positions.count, config.negatives + 1])
            return softmaxCrossEntropy(
                logits: logits,
                targets: IndexTensor(shape: [positions.count], indices: Array(repeating: 0, count: positions.count)))
        }
    }

    /// The configured loss of each row of `batch` `[B]`: the mean over the row's real
    /// positions. Every position, padding included, stays in the graph (masked out), so each
    /// tensor holds the rows in equal blocks and the engine can split the gradient by row.
    /// Row `r` draws its negatives from `samplers[r]`.
    private func userLosses(
        _ network: any SequenceRecommender, batch: NextItemBatch, interacted: [Set<Int>],
        samplers: [NegativeSampler]
    ) -> Tensor {
        var samplers = samplers
        let h = network.features(batch.input, lengths: batch.lengths)  // [B, T, D]
        let (rows, columns, width) = (h.shape[0], h.shape[1], h.shape[2])
        let items = network.itemEmbedding
        let mask = batch.mask.scalars
        let perPosition: Tensor  // [B, T], 0 at padding
        switch config.loss {
        case .bce:
            var negatives = [Int](repeating: SequenceBatcher.paddingToken, count: rows * columns)
            for position in negatives.indices where mask[position] != 0 {
                let row = position / columns
                if let item = samplers[row].negative(excluding: interacted[row]) {
                    negatives[position] = SequenceBatcher.token(forItem: item)
                }
            }
            perPosition = negativeSamplingBinaryCrossEntropy(
                positiveLogits: (h * items(batch.target)).sum(axis: -1),
                negativeLogits: (h * items(IndexTensor(shape: [rows, columns], indices: negatives))).sum(axis: -1),
                mask: batch.mask, reduction: .none)
        case .ce, .sampledCE:
            let flat = h.reshaped([rows * columns, width])
            let ignored = -100
            let logits: Tensor
            var targets: [Int]
            if config.loss == .ce {
                logits = items.asLinear(flat)
                targets = batch.target.indices
            } else {
                var candidates: [Int] = []
                candidates.reserveCapacity(rows * columns * (config.negatives + 1))
                for position in 0..<(rows * columns) {
                    guard mask[position] != 0 else {
                        candidates += repeatElement(SequenceBatcher.paddingToken, count: config.negatives + 1)
                        continue
                    }
                    candidates.append(batch.target.indices[position])
                    let row = position / columns
                    let drawn = samplers[row].negatives(count: config.negatives, excluding: interacted[row])
                    candidates += drawn.map(SequenceBatcher.token(forItem:))
                    candidates += repeatElement(SequenceBatcher.paddingToken, count: config.negatives - drawn.count)
                }
                logits = items(IndexTensor(shape: [rows * columns, config.negatives + 1], indices: candidates))
                    .matmul(flat.reshaped([rows * columns, width, 1])).reshaped([rows * columns, config.negatives + 1])
                targets = [Int](repeating: 0, count: rows * columns)
            }
            for position in targets.indices where mask[position] == 0 { targets[position] = ignored }
            perPosition = softmaxCrossEntropy(
                logits: logits, targets: IndexTensor(shape: [rows * columns], indices: targets), ignoreIndex: ignored,
                reduction: .none
            ).reshaped([rows, columns])
        }
        let counts = (0..<rows).map { row in
            Float(max(1, (0..<columns).reduce(0) { $0 + (mask[row * columns + $1] != 0 ? 1 : 0) }))
        }
        return perPosition.sum(axis: 1) / Tensor(shape: [rows], scalars: counts)
    }
}
