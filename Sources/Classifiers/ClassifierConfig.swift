import Foundation

/// The model family of a tabular classifier.
public enum ClassifierModelKind: String, Sendable, Codable, CaseIterable {
    /// A multi-layer perceptron (ReLU, dropout) with a sigmoid output.
    case mlp
    /// Logistic regression: one linear layer and a sigmoid, with an L2 penalty.
    case logistic
}

/// The hyper-parameters of a binary classifier and its training, with sensible defaults.
public struct ClassifierConfig: Sendable, Codable, Equatable {
    public var model: ClassifierModelKind
    /// Hidden layer widths of the MLP, input side first.
    public var hiddenSizes: [Int]
    public var dropout: Float
    public var learningRate: Float
    /// L2 penalty added to the gradients (Adam's classic weight decay).
    public var weightDecay: Float
    public var batchSize: Int
    public var epochs: Int
    /// Stop after this many epochs without a better validation ROC-AUC; 0 never stops early.
    public var patience: Int
    /// The relative ROC-AUC gain that resets the patience (see
    /// ``TrainingSchedule/minimumImprovement``); 0 counts any gain.
    public var minimumImprovement: Double
    /// Weigh positives by `negatives / positives` in the loss (for rare positives).
    public var balanceClasses: Bool
    /// Shares of the rows held out for validation and test (stratified by label).
    public var validationFraction: Double
    public var testFraction: Double
    /// Seeds the split, initial weights, shuffling and dropout.
    public var seed: UInt64

    /// MLP 128-64, dropout 0.2, Adam 0.001 with an L2 penalty of 0.003, batch 256, up to 200
    /// epochs with patience 10, balanced classes, a 70/15/15 split. (The penalty was chosen on
    /// validation ROC-AUC of the UCI online-shoppers table among 0, 0.0001, 0.001, 0.003 and
    /// 0.01; see benchmarks/README.md.)
    public static let mlp = ClassifierConfig(
        model: .mlp, hiddenSizes: [128, 64], dropout: 0.2, learningRate: 0.001, weightDecay: 0.003, batchSize: 256,
        epochs: 200, patience: 10, minimumImprovement: 0, balanceClasses: true, validationFraction: 0.15,
        testFraction: 0.15, seed: 42)

    /// The logistic-regression baseline trained beside a model with `config`: the same data
    /// handling, learning rate 0.01 and an L2 penalty of 0.0001.
    public static func logisticBaseline(for config: ClassifierConfig) -> ClassifierConfig {
        var baseline = config
        baseline.model = .logistic
        baseline.hiddenSizes = []
        baseline.dropout = 0
        baseline.learningRate = 0.01
        baseline.weightDecay = 0.0001
        return baseline
    }

    /// The widest hidden layer accepted (2^20): far beyond any useful network, small enough that
    /// a corrupt or hostile value is refused before anything is allocated.
    public static let maximumWidth = 1 << 20

    /// Checks every value, naming the first bad one and the fix.
    public func validate() throws(ClassifierError) {
        func require(_ ok: Bool, _ key: String, _ detail: String) throws(ClassifierError) {
            if !ok { throw .invalidConfig(key: key, detail: detail) }
        }
        try require(
            hiddenSizes.allSatisfy { (1...Self.maximumWidth).contains($0) } && hiddenSizes.count <= 64, "--layers",
            "must be up to 64 widths between 1 and \(Self.maximumWidth), like 128,64 (got \(hiddenSizes))")
        try require(
            model == .logistic || !hiddenSizes.isEmpty, "--layers", "needs at least one hidden layer for an MLP")
        try require((0..<1).contains(dropout), "--dropout", "must be in [0, 1) (got \(dropout))")
        try require(
            learningRate > 0 && learningRate.isFinite, "--learning-rate", "must be positive (got \(learningRate))")
        try require(weightDecay >= 0, "--weight-decay", "must be 0 or more (got \(weightDecay))")
        try require(
            (1...Self.maximumWidth).contains(batchSize), "--batch-size",
            "must be between 1 and \(Self.maximumWidth) (got \(batchSize))")
        try require((1...1_000_000).contains(epochs), "--epochs", "must be between 1 and 1000000 (got \(epochs))")
        try require(patience >= 0, "--patience", "must be 0 (never stop early) or more (got \(patience))")
        try require(
            minimumImprovement >= 0 && minimumImprovement < 1, "--minimum-improvement",
            "must be in [0, 1) (got \(minimumImprovement))")
        try require(
            validationFraction > 0 && testFraction > 0 && validationFraction + testFraction < 0.9,
            "--validation-fraction/--test-fraction",
            "must each be positive and leave at least 10% for training (got \(validationFraction), \(testFraction))")
    }
}

extension ClassifierConfig {
    enum CodingKeys: String, CodingKey {
        case model, hiddenSizes, dropout, learningRate, weightDecay, batchSize, epochs, patience, minimumImprovement
        case balanceClasses, validationFraction, testFraction, seed
    }

    /// Decodes a configuration; keys it lacks (written before they existed) take the values
    /// of ``mlp``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var config = ClassifierConfig.mlp
        func take<Value: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<ClassifierConfig, Value>) throws {
            if let value = try container.decodeIfPresent(Value.self, forKey: key) { config[keyPath: path] = value }
        }
        try take(.model, \.model)
        try take(.hiddenSizes, \.hiddenSizes)
        try take(.dropout, \.dropout)
        try take(.learningRate, \.learningRate)
        try take(.weightDecay, \.weightDecay)
        try take(.batchSize, \.batchSize)
        try take(.epochs, \.epochs)
        try take(.patience, \.patience)
        try take(.minimumImprovement, \.minimumImprovement)
        try take(.balanceClasses, \.balanceClasses)
        try take(.validationFraction, \.validationFraction)
        try take(.testFraction, \.testFraction)
        try take(.seed, \.seed)
        self = config
    }
}
