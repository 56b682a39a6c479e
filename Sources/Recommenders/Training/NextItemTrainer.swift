import Datasets
import Evaluation
import EventData
import Foundation
import NeuralNet
import Randomness
import TensorEngine

/// Where training is, reported after every step.
public struct TrainingProgress: Sendable {
    /// 1-based epoch.
    public var epoch: Int
    /// Steps finished in this epoch, and steps per epoch.
    public var step: Int
    public var stepsPerEpoch: Int
    /// Steps finished since training began.
    public var completedSteps: Int
    /// The mean training loss of this epoch so far.
    public var loss: Double
    /// Training sequences per second of training time.
    public var sequencesPerSecond: Double
}

/// One epoch of the training log.
public struct EpochRecord: Sendable, Codable, Equatable {
    /// 1-based epoch.
    public var epoch: Int
    /// The mean training loss over the epoch's steps.
    public var loss: Double
    /// Training time so far (steps only, not validation), in seconds.
    public var trainSeconds: Double
    /// Validation metrics by protocol, when this epoch was validated.
    public var validation: ProtocolMetrics?
    /// Whether this epoch's weights are the best so far (and kept).
    public var isBest: Bool

    /// One line of the training log, e.g.
    /// `epoch 5  loss 0.6931  12.3s  val full ndcg@10 0.0412 hr@10 0.0901 | sampled ... (best)`.
    public var logLine: String {
        var line = "epoch \(epoch)  loss \(String(format: "%.4f", loss))  \(String(format: "%.1f", trainSeconds))s"
        if let validation {
            let parts = validation.keys.sorted().map { name in
                let values = validation[name] ?? [:]
                return "\(name) ndcg@10 \(String(format: "%.4f", values["ndcg@10"] ?? 0)) "
                    + "hr@10 \(String(format: "%.4f", values["hr@10"] ?? 0))"
            }
            line += "  val " + parts.joined(separator: " | ")
        }
        return line + (isBest ? "  (best)" : "")
    }
}

/// What training produced.
public struct TrainingOutcome {
    /// The model with the best validation weights loaded.
    public let model: NextItemModel
    /// One record per epoch.
    public let history: [EpochRecord]
    /// The epoch whose weights were kept (0 when nothing was trained, as for popularity).
    public let bestEpoch: Int
    /// Why training ended.
    public let stopReason: String
    /// Time spent in training steps, in seconds.
    public let trainSeconds: Double
    /// Metrics of the kept weights: split (`validation`, `test`) -> protocol -> metric.
    public let metrics: [String: ProtocolMetrics]

    /// The lines of `training.log`: one per epoch, then why training stopped.
    public var logLines: [String] { history.map(\.logLine) + ["stopped: \(stopReason); kept epoch \(bestEpoch)"] }
}

/// Trains a next-item model on a leave-one-out split and keeps the weights with the best
/// validation NDCG@10 (under ``NextItemConfig/monitor``).
///
/// Every real position of a training sequence predicts the next item, with the configured
/// loss; validation runs every ``NextItemConfig/evaluateEvery`` epochs, early stopping after
/// ``NextItemConfig/patience`` validations without improvement, and training stops at the
/// time budget if one is set. Everything random comes from ``NextItemConfig/seed``.
///
/// ```swift
/// let data = try NextItemData.load(from: store)
/// let trainer = try NextItemTrainer(config: .defaults(for: .sasrec), data: data)
/// let outcome = trainer.train { progress in print(progress.loss) }
/// print(outcome.metrics["test"]?["full"]?["ndcg@10"] ?? 0)
/// ```
public final class NextItemTrainer {
    public let config: NextItemConfig
    public let data: NextItemData
    private let evaluation: NextItemEvaluation

    /// - Throws: ``RecommenderError/invalidConfig(key:detail:)`` for a bad configuration, or
    ///   ``RecommenderError/notEnoughData(detail:)`` when no user has two items to learn from.
    public init(config: NextItemConfig, data: NextItemData) throws(RecommenderError) {
        try config.validate()
        if config.model != .pop, !data.users.contains(where: { $0.train.count >= 2 }) {
            throw .notEnoughData(
                detail: "no user has two training items in a row to learn a next item from "
                    + "(users need at least 4 item events: 2 to train, 1 validation, 1 test)")
        }
        self.config = config
        self.data = data
        evaluation = NextItemEvaluation(itemCount: data.itemCount)
    }

    /// Validation or test metrics of `model` under both protocols.
    public func evaluate(_ model: NextItemModel, on part: SplitPart) -> ProtocolMetrics {
        evaluation.evaluate(data.examples(for: part)) { model.scores(after: $0) }
    }

    /// Trains, keeps the best weights, and evaluates them on validation and test.
    ///
    /// - Parameters:
    ///   - progress: Called after every training step.
    ///   - epochEnd: Called after every epoch (with validation metrics when it was validated).
    /// - Throws: ``RecommenderError/diverged(_:)`` as soon as a step's loss is not a finite
    ///   number (the weights are then unusable).
    public func train(
        progress: ((TrainingProgress) -> Void)? = nil, epochEnd: ((EpochRecord) -> Void)? = nil
    ) throws(RecommenderError) -> TrainingOutcome {
        let model = NextItemModel.make(config, itemCount: data.itemCount, trainingSequences: data.users.map(\.train))
        guard case .sequence(let network) = model else {
            return finish(model, history: [], bestEpoch: 0, stopReason: "counted", trainSeconds: 0)
        }
        let rows = trainingRows()
        let interacted = data.users.map { Set($0.train) }
        let stepsPerEpoch = (rows.count + config.batchSize - 1) / config.batchSize
        let optimizer = Adam(
            for: network, learningRate: config.learningRate, beta2: config.model == .sasrec ? 0.98 : 0.999,
            weightDecay: config.weightDecay)
        var rng = RandomGenerator(seed: config.seed &+ 1)
        // Item ids and lengths come from the store and are valid by construction.
        guard let batcher = try? SequenceBatcher(maxLength: config.maxLength, padding: network.padding),
            var sampler = try? NegativeSampler(itemCount: data.itemCount, seed: config.seed &+ 2)
        else { preconditionFailure("NextItemTrainer: validated sizes were rejected") }

        var history: [EpochRecord] = []
        var best: (epoch: Int, ndcg: Double, weights: [String: Tensor])? = nil
        var stale = 0
        var trainSeconds = 0.0
        var completed = 0
        var sequences = 0
        var stopReason = "ran \(config.epochs) epochs"
        network.setTraining(true)
        epochs: for epoch in 1...config.epochs {
            let order = rng.permutation(rows.count)
            var lossSum = 0.0
            var steps = 0
            var outOfTime = false
            for first in stride(from: 0, to: order.count, by: config.batchSize) {
                let start = Date()
                let chosen = order[first..<min(first + config.batchSize, order.count)].map { rows[$0] }
                guard let batch = try? batcher.nextItemPairs(chosen.map(\.items)) else {
                    preconditionFailure("NextItemTrainer: store item ids must be dense indexes")
                }
                let loss = self.loss(
                    network, batch: batch, interacted: chosen.map { interacted[$0.user] }, sampler: &sampler)
                let value = Double(loss.scalar)
                do {
                    try TrainingDiverged.check(loss: value, epoch: epoch, learningRate: Double(config.learningRate))
                } catch {
                    throw .diverged(error)
                }
                optimizer.step(loss.gradients())
                lossSum += value
                steps += 1
                completed += 1
                sequences += chosen.count
                trainSeconds += Date().timeIntervalSince(start)
                progress?(
                    TrainingProgress(
                        epoch: epoch, step: steps, stepsPerEpoch: stepsPerEpoch, completedSteps: completed,
                        loss: lossSum / Double(steps), sequencesPerSecond: Double(sequences) / max(trainSeconds, 1e-9)))
                if let budget = config.timeBudget, trainSeconds >= budget {
                    outOfTime = true
                    break
                }
            }
            var record = EpochRecord(
                epoch: epoch, loss: lossSum / Double(max(steps, 1)), trainSeconds: trainSeconds, validation: nil,
                isBest: false)
            let last = epoch == config.epochs || outOfTime
            if epoch % config.evaluateEvery == 0 || last {
                let validation = evaluate(model, on: .validation)
                record.validation = validation
                let ndcg = validation[config.monitor.rawValue]?["ndcg@10"] ?? 0
                if best.map({ ndcg > $0.ndcg }) ?? true {
                    best = (epoch, ndcg, snapshot(network))
                    record.isBest = true
                    stale = 0
                } else {
                    stale += 1
                }
            }
            history.append(record)
            epochEnd?(record)
            if outOfTime {
                stopReason =
                    "time budget of \(String(format: "%g", config.timeBudget ?? 0)) s reached in epoch \(epoch)"
                break epochs
            }
            if config.patience > 0, stale >= config.patience {
                stopReason =
                    "early stop: no better validation \(config.monitor.rawValue) ndcg@10 "
                    + "in \(config.patience) validations after epoch \(best?.epoch ?? 0)"
                break epochs
            }
        }
        if let best {
            // The snapshot was taken from this very model, so its keys and shapes match.
            try? network.load(best.weights)
        }
        return finish(
            model, history: history, bestEpoch: best?.epoch ?? 0, stopReason: stopReason, trainSeconds: trainSeconds)
    }

    private func finish(
        _ model: NextItemModel, history: [EpochRecord], bestEpoch: Int, stopReason: String, trainSeconds: Double
    ) -> TrainingOutcome {
        let metrics = [
            SplitPart.validation.rawValue: evaluate(model, on: .validation),
            SplitPart.test.rawValue: evaluate(model, on: .test),
        ]
        return TrainingOutcome(
            model: model, history: history, bestEpoch: bestEpoch, stopReason: stopReason, trainSeconds: trainSeconds,
            metrics: metrics)
    }

    /// A training sequence and the user (index into ``NextItemData/users``) it came from.
    public struct TrainingRow: Sendable, Equatable {
        public var items: [Int]
        public var user: Int
    }

    /// Users' training sequences with at least one next-item pair; long ones cut into windows of
    /// `maxLength + 1` items that overlap by one, so every pair is trained once, when
    /// ``NextItemConfig/slidingWindows`` is on.
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

    private func snapshot(_ layer: any Layer) -> [String: Tensor] {
        var copy: [String: Tensor] = [:]
        for (key, tensor) in layer.parameters() { copy[key] = Tensor(shape: tensor.shape, scalars: tensor.scalars) }
        return copy
    }
}
