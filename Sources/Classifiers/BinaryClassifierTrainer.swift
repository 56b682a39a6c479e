import Evaluation
import Foundation
import NeuralNet
import PrivacyAccounting
import Randomness
import TensorEngine

/// Rows of features with binary labels, row-major.
public struct LabelledFeatures: Sendable {
    public var features: [Float]
    public var featureCount: Int
    public var labels: [Int]

    /// - Precondition: `features.count == featureCount * labels.count`, labels 0 or 1.
    public init(features: [Float], featureCount: Int, labels: [Int]) {
        precondition(
            features.count == featureCount * labels.count,
            "LabelledFeatures: \(features.count) values for \(labels.count) rows of \(featureCount)")
        self.features = features
        self.featureCount = featureCount
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var positives: Int { labels.reduce(0, +) }
}

/// Builds the network of a tabular classifier: `F -> hidden... -> 1` logit.
public func makeTabularNetwork(_ config: ClassifierConfig, featureCount: Int, generator: inout RandomGenerator)
    -> Sequential
{
    var steps: [Sequential.Step] = []
    var width = featureCount
    for hidden in config.model == .mlp ? config.hiddenSizes : [] {
        steps.append(.linear(Linear(inputSize: width, outputSize: hidden, generator: &generator)))
        steps.append(.relu)
        if config.dropout > 0 { steps.append(.dropout(Dropout(probability: config.dropout, seed: generator.next()))) }
        width = hidden
    }
    steps.append(.linear(Linear(inputSize: width, outputSize: 1, generator: &generator)))
    return Sequential(steps)
}

/// The parameter shapes ``makeTabularNetwork(_:featureCount:generator:)`` gives, without building.
public func tabularNetworkShapes(_ config: ClassifierConfig, featureCount: Int) -> ParameterShapes {
    var shapes = ParameterShapes()
    var width = featureCount
    var step = 0
    for hidden in config.model == .mlp ? config.hiddenSizes : [] {
        shapes.add(.linear(inputSize: width, outputSize: hidden), under: String(step))
        step += config.dropout > 0 ? 3 : 2  // linear, relu, dropout
        width = hidden
    }
    shapes.add(.linear(inputSize: width, outputSize: 1), under: String(step))
    return shapes
}

/// Probabilities of rows `[N, F]` under `network`, without gradients.
public func probabilities(of network: Sequential, features: [Float], featureCount: Int, batchSize: Int = 4096)
    -> [Double]
{
    let rows = featureCount == 0 ? 0 : features.count / featureCount
    var result: [Double] = []
    result.reserveCapacity(rows)
    for start in stride(from: 0, to: rows, by: batchSize) {
        let count = min(batchSize, rows - start)
        let x = Tensor(
            shape: [count, featureCount],
            scalars: Array(features[(start * featureCount)..<((start + count) * featureCount)]))
        let p = Tensor.withoutGradients { network(x).sigmoid() }
        result += p.scalars.map(Double.init)
    }
    return result
}

/// One epoch of a classifier's training: its validation score is the ROC-AUC.
public typealias ClassifierEpoch = EpochRecord<Double>

extension EpochRecord where Report == Double {
    /// `epoch 3  loss 0.4123  val roc-auc 0.9012  1.2s  (best)`.
    public var logLine: String { logLine(showingLoss: true) }

    /// The log line, with the training loss or without it (a private run's loss is an exact
    /// statistic of the private rows, so its saved log leaves it out).
    public func logLine(showingLoss: Bool) -> String {
        "epoch \(epoch)  " + (showingLoss ? "loss \(String(format: "%.4f", loss))  " : "") + "val roc-auc "
            + String(format: "%.4f", validation?.score ?? .nan) + "  " + String(format: "%.1fs", trainSeconds)
            + (isBest ? "  (best)" : "")
    }
}

extension TrainingHistory where Report == Double {
    /// The training log's lines for the network called `name`: one per epoch, then why it stopped.
    public func logLines(_ name: String) -> [String] {
        epochs.map { "\(name) " + $0.logLine } + ["\(name) stopped: \(stopReason)"]
    }
}

/// The reports of a model and its logistic baseline on the validation and test examples, the
/// model's decisions taken at the threshold with the best validation F1 (returned too).
///
/// - Parameters:
///   - labels: The 0/1 labels of each split; a split without examples gets no report.
///   - model: The model's probabilities on a split, in label order.
///   - baseline: The baseline's probabilities on a split.
func modelAndBaselineReports(
    labels: SplitReports<[Int]>, model: (EvaluationSplit) -> [Double], baseline: (EvaluationSplit) -> [Double]
) -> (reports: SplitReports<ClassifierReports>, threshold: Double) {
    let validationLabels = labels.validation ?? []
    // One pass of the model over the validation rows serves the threshold and the report.
    let validationProbabilities = validationLabels.isEmpty ? [] : model(.validation)
    let threshold =
        validationLabels.isEmpty
        ? 0.5
        : ClassificationReport(probabilities: validationProbabilities, labels: validationLabels).atBestF1.threshold
    var reports = SplitReports<ClassifierReports>()
    for split in EvaluationSplit.allCases {
        guard let splitLabels = labels[split], !splitLabels.isEmpty else { continue }
        let probabilities = split == .validation ? validationProbabilities : model(split)
        reports[split] = ClassifierReports(
            model: ClassificationReport(probabilities: probabilities, labels: splitLabels, threshold: threshold),
            baseline: ClassificationReport(probabilities: baseline(split), labels: splitLabels))
    }
    return (reports, threshold)
}

/// Trains a binary classifier with BCE (optionally class-balanced), Adam and early stopping on
/// validation ROC-AUC, keeping the best epoch's weights, through the shared ``TrainingLoop``.
public struct BinaryClassifierTrainer {
    public let config: ClassifierConfig

    public init(config: ClassifierConfig) throws(ClassifierError) {
        do {
            try config.validate()
        } catch {
            throw .invalidParameter(error)
        }
        self.config = config
    }

    /// What training did: the epochs (validation score: ROC-AUC), the kept epoch and why it
    /// stopped.
    public typealias Outcome = TrainingHistory<Double>

    /// Trains a tabular `network` in place; on return it holds the best validation weights.
    ///
    /// - Parameter epochEnd: Called after every epoch.
    public func train(
        _ network: Sequential, on training: LabelledFeatures, validation: LabelledFeatures,
        epochEnd: ((ClassifierEpoch) -> Void)? = nil
    ) throws(ClassifierError) -> Outcome {
        try trainRun(network, on: training, validation: validation, epochEnd: epochEnd).history
    }

    /// Like ``train(_:on:validation:epochEnd:)``, with DP-SGD when the configuration has a
    /// privacy budget (each row is one unit, which `unit` names in the statement); `run`
    /// tells the model (0) from its baseline (1).
    public func trainRun(
        _ network: Sequential, on training: LabelledFeatures, validation: LabelledFeatures, run: Int = 0,
        unit: PrivacyStatement.Unit = .user, epochEnd: ((ClassifierEpoch) -> Void)? = nil
    ) throws(ClassifierError) -> ClassifierTraining {
        let width = training.featureCount
        return try trainRun(
            network, trainingLabels: training.labels, validationLabels: validation.labels,
            logits: { rows in
                var x = [Float]()
                x.reserveCapacity(rows.count * width)
                for row in rows { x += training.features[(row * width)..<((row + 1) * width)] }
                return network(Tensor(shape: [rows.count, width], scalars: x)).reshaped([-1])
            },
            validationProbabilities: {
                probabilities(of: network, features: validation.features, featureCount: validation.featureCount)
            },
            run: run, unit: unit, epochEnd: epochEnd)
    }

    /// Trains any binary model in place; on return it holds the best validation weights, in
    /// inference mode.
    ///
    /// - Parameters:
    ///   - network: The model's layer tree (optimized, snapshotted, restored).
    ///   - trainingLabels: 0/1 per training example.
    ///   - validationLabels: 0/1 per validation example.
    ///   - logits: The logits `[n]` of the given training examples, in training mode.
    ///   - validationProbabilities: Probabilities of every validation example, in order.
    ///   - epochEnd: Called after every epoch.
    /// - Throws: ``ClassifierError/diverged(_:)`` as soon as a step's loss or the validation
    ///   probabilities stop being finite numbers (the network is then unusable).
    public func train(
        _ network: any Layer, trainingLabels: [Int], validationLabels: [Int], logits: ([Int]) -> Tensor,
        validationProbabilities: () -> [Double], epochEnd: ((ClassifierEpoch) -> Void)? = nil
    ) throws(ClassifierError) -> Outcome {
        try withoutActuallyEscaping(logits) { logits throws(ClassifierError) in
            try trainRun(
                network, trainingLabels: trainingLabels, validationLabels: validationLabels, logits: logits,
                validationProbabilities: validationProbabilities, epochEnd: epochEnd
            ).history
        }
    }

    /// Like ``train(_:trainingLabels:validationLabels:logits:validationProbabilities:epochEnd:)``,
    /// with DP-SGD when the configuration has a privacy budget.
    ///
    /// - Parameters:
    ///   - privateRuns: How many private runs share the budget (the model and its baseline: 2).
    ///   - run: Which of them this is, from 0 (its noise stream differs from the others').
    ///   - unit: What one training example stands for in the statement.
    /// - Returns: The history and, for a private run, what it did and guarantees.
    public func trainRun(
        _ network: any Layer, trainingLabels: [Int], validationLabels: [Int], logits: @escaping ([Int]) -> Tensor,
        validationProbabilities: () -> [Double], privateRuns: Int = 2, run: Int = 0,
        unit: PrivacyStatement.Unit = .user, epochEnd: ((ClassifierEpoch) -> Void)? = nil
    ) throws(ClassifierError) -> ClassifierTraining {
        // A private run reads the class balance from the held-out labels, not the private ones.
        let balanceLabels = config.privacy == nil ? trainingLabels : validationLabels
        let positives = balanceLabels.reduce(0, +)
        let negatives = balanceLabels.count - positives
        let weight: Float? =
            config.balanceClasses && positives > 0 && negatives > 0
            ? Float(negatives) / Float(positives) : nil
        let learningRate = Double(config.learningRate)
        let loop = TrainingLoop(
            schedule: TrainingSchedule(
                epochs: config.epochs, batchSize: config.batchSize, patience: config.patience,
                minimumImprovement: config.minimumImprovement, timeBudget: config.timeBudget,
                shuffleSeed: config.seed &+ 3))
        let optimizer = Adam(for: network, learningRate: config.learningRate, weightDecay: config.weightDecay)
        let validate = { (epoch: Int) throws(TrainingDiverged) -> Validation<Double> in
            let probabilities = validationProbabilities()
            try TrainingDiverged.check(outputs: probabilities, epoch: epoch, learningRate: learningRate)
            let auc = ClassificationReport(probabilities: probabilities, labels: validationLabels).rocAUC ?? 0
            return Validation(score: auc, report: auc)
        }
        let losses = { (rows: [Int]) -> Tensor in
            let targets = Tensor(shape: [rows.count], scalars: rows.map { Float(trainingLabels[$0]) })
            return binaryCrossEntropyWithLogits(
                logits: logits(rows), targets: targets, positiveWeight: weight, reduction: .none)
        }
        guard let budget = config.privacy else {
            do {
                let history = try loop.run(
                    network, optimizer: optimizer, exampleCount: trainingLabels.count,
                    loss: { rows in
                        let targets = Tensor(shape: [rows.count], scalars: rows.map { Float(trainingLabels[$0]) })
                        return binaryCrossEntropyWithLogits(
                            logits: logits(rows), targets: targets, positiveWeight: weight)
                    }, validate: validate, epochEnd: epochEnd)
                return ClassifierTraining(history: history, privateRun: nil)
            } catch {
                throw .diverged(error)
            }
        }
        let privacy: PrivateTraining
        do {
            privacy = try budget.training(
                unit: unit, units: trainingLabels.count, batchSize: config.batchSize, epochs: config.epochs,
                runs: privateRuns, run: run)
        } catch {
            throw .privacy(error)
        }
        do {
            let run = try loop.runPrivately(
                network, optimizer: optimizer, unitCount: trainingLabels.count, privacy: privacy, losses: losses,
                validate: validate, epochEnd: epochEnd)
            return ClassifierTraining(history: run.history, privateRun: run)
        } catch {
            switch error {
            case .diverged(let diverged): throw .diverged(diverged)
            case .accounting(let accounting): throw .privacy(accounting)
            }
        }
    }
}

/// What training a classifier did: its history and, when private, the private run.
public struct ClassifierTraining: Sendable {
    public var history: TrainingHistory<Double>
    /// The DP-SGD run (steps, statement, clipping), for a private configuration.
    public var privateRun: PrivateTrainingRun<Double>?

    /// The training log's lines: the epochs, why training stopped and, when private, the run
    /// (without the training losses, which are statistics of the private rows).
    public func logLines(_ name: String) -> [String] {
        guard let privateRun else { return history.logLines(name) }
        return history.epochs.map { "\(name) " + $0.logLine(showingLoss: false) }
            + ["\(name) stopped: \(history.stopReason)", "\(name) \(privateRun.summary)"]
    }

    /// The guarantee of a model and its baseline trained privately on the same units with the
    /// same settings: their steps composed. Nil when neither was private.
    public static func statement(model: ClassifierTraining, baseline: ClassifierTraining) throws(ClassifierError)
        -> PrivacyStatement?
    {
        let runs = [model.privateRun, baseline.privateRun].compactMap { $0 }
        guard let settings = runs.first?.settings else { return nil }
        precondition(
            runs.allSatisfy {
                $0.settings.noiseMultiplier == settings.noiseMultiplier
                    && $0.settings.samplingRate == settings.samplingRate
            }, "a model and its baseline share their noise and sampling")
        do {
            return try settings.statement(steps: runs.reduce(0) { $0 + $1.steps })
        } catch {
            throw .privacy(error)
        }
    }
}
