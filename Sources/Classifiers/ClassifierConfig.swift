import Foundation
import NeuralNet
import Settings

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
    /// The most seconds of training steps, or nil for no limit.
    public var timeBudget: Double?
    /// Weigh positives by `negatives / positives` in the loss (for rare positives).
    public var balanceClasses: Bool
    /// Shares of the rows held out for validation and test (stratified by label).
    public var validationFraction: Double
    public var testFraction: Double
    /// Seeds the split, initial weights, shuffling and dropout.
    public var seed: UInt64
    /// Differentially private training (DP-SGD) within this budget; nil trains as usual. Start
    /// from ``privateDefaults(epsilon:)`` for the settings measured best with a budget (the
    /// command line does); setting only this keeps the non-private ones, 200 epochs included.
    public var privacy: PrivacyBudget? = nil

    /// MLP 128-64, dropout 0.2, Adam 0.001 with an L2 penalty of 0.003, batch 256, up to 200
    /// epochs with patience 10, balanced classes, a 70/15/15 split. (The penalty was chosen on
    /// validation ROC-AUC of the UCI online-shoppers table among 0, 0.0001, 0.001, 0.003 and
    /// 0.01; see benchmarks/README.md.)
    public static let mlp = ClassifierConfig(
        model: .mlp, hiddenSizes: [128, 64], dropout: 0.2, learningRate: 0.001, weightDecay: 0.003, batchSize: 256,
        epochs: 200, patience: 10, minimumImprovement: 0, timeBudget: nil, balanceClasses: true,
        validationFraction: 0.15, testFraction: 0.15, seed: 42)

    /// This configuration with the settings measured best for private training where they
    /// differ (epochs budgeted, and for an MLP smaller hidden layers and a larger learning
    /// rate; ``ClassifierPrivacy``), and the budget. Settings the user gave are applied after.
    public func privateDefaults(epsilon: Double) -> ClassifierConfig {
        var config = self
        config.epochs = ClassifierPrivacy.defaultEpochs
        if model == .mlp {
            config.hiddenSizes = ClassifierPrivacy.defaultHiddenSizes
            config.learningRate = ClassifierPrivacy.defaultLearningRate
        }
        config.privacy = ClassifierPrivacy.budget(epsilon: epsilon)
        return config
    }

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

    /// The widest hidden layer accepted (``InvalidParameter/maximumLayerWidth``).
    public static let maximumWidth = InvalidParameter.maximumLayerWidth

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key (as in ``keys``), its value and
    ///   what it accepts.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.requireLayerWidths("hidden-layers", hiddenSizes, count: 64, example: "128,64")
        try InvalidParameter.require(
            model == .logistic || !hiddenSizes.isEmpty, "hidden-layers", "none",
            allowed: "at least one width for an MLP")
        try InvalidParameter.require((0..<1).contains(dropout), "dropout", dropout, allowed: "in [0, 1)")
        try InvalidParameter.require(
            learningRate > 0 && learningRate.isFinite, "learning-rate", learningRate, allowed: "a positive number")
        try InvalidParameter.require(weightDecay >= 0, "weight-decay", weightDecay, allowed: "0 or more")
        try InvalidParameter.require("batch-size", batchSize, in: 1...Self.maximumWidth)
        try InvalidParameter.require("epochs", epochs, in: 1...1_000_000)
        try InvalidParameter.require(patience >= 0, "patience", patience, allowed: "0 (never stop early) or more")
        try InvalidParameter.require(
            minimumImprovement >= 0 && minimumImprovement < 1, "minimum-improvement", minimumImprovement,
            allowed: "in [0, 1)")
        if let timeBudget {
            try InvalidParameter.require(
                timeBudget > 0 && timeBudget.isFinite, "time-budget", timeBudget,
                allowed: "a positive number of seconds")
        }
        try privacy?.validate()
        try InvalidParameter.require(
            validationFraction > 0 && testFraction > 0 && validationFraction + testFraction < 0.9,
            "validation-fraction", "\(validationFraction) with test-fraction \(testFraction)",
            allowed: "positive, with test-fraction positive too, leaving at least 10% for training")
    }

    /// The keys ``applying(settings:)`` takes (the command line's flag names).
    public static let keys = [
        "model", "hidden-layers", "dropout", "learning-rate", "weight-decay", "batch-size", "epochs", "patience",
        "minimum-improvement", "time-budget", "balance-classes", "validation-fraction", "test-fraction", "seed",
        "dp-epsilon", "dp-delta", "dp-clip-norm", "dp-accountant",
    ]

    /// This configuration with settings applied by key (``keys``); values as YAML or JSON
    /// would give them, `hidden-layers` as a list of widths or text like `128,64`.
    ///
    /// - Throws: ``InvalidParameter`` for an unknown key or a value of the wrong type.
    public func applying(settings: [String: Any]) throws(InvalidParameter) -> ClassifierConfig {
        var config = self
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) where !PrivacyBudget.keys.contains(key) {
            func number() throws(InvalidParameter) -> Double {
                if let number = value as? Double { return number }
                if let number = value as? Int { return Double(number) }
                if let text = value as? String, let number = Double(text) { return number }
                throw InvalidParameter(key, value: "\(value)", allowed: "a number")
            }
            func whole() throws(InvalidParameter) -> Int {
                let found = try number()
                guard found.rounded() == found, abs(found) < 0x1p62 else {
                    throw InvalidParameter(key, value: "\(value)", allowed: "a whole number")
                }
                return Int(found)
            }
            switch key {
            case "model":
                guard let model = ClassifierModelKind(rawValue: "\(value)") else {
                    throw InvalidParameter(
                        key, value: "\(value)",
                        allowed: ClassifierModelKind.allCases.map(\.rawValue).joined(separator: " or "))
                }
                config.model = model
            case "hidden-layers":
                let parts = (value as? [Any])?.map { "\($0)" } ?? "\(value)".split(separator: ",").map(String.init)
                let widths = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard widths.count == parts.count, !widths.isEmpty else {
                    throw InvalidParameter(key, value: "\(value)", allowed: "widths separated by commas, like 128,64")
                }
                config.hiddenSizes = widths
            case "dropout": config.dropout = Float(try number())
            case "learning-rate": config.learningRate = Float(try number())
            case "weight-decay": config.weightDecay = Float(try number())
            case "batch-size": config.batchSize = try whole()
            case "epochs": config.epochs = try whole()
            case "patience": config.patience = try whole()
            case "minimum-improvement": config.minimumImprovement = try number()
            case "time-budget": config.timeBudget = try number()
            case "balance-classes":
                guard let flag = value as? Bool else {
                    throw InvalidParameter(key, value: "\(value)", allowed: "true or false")
                }
                config.balanceClasses = flag
            case "validation-fraction": config.validationFraction = try number()
            case "test-fraction": config.testFraction = try number()
            case "seed":
                let seed = try whole()
                guard seed >= 0 else { throw InvalidParameter(key, value: "\(value)", allowed: "0 or more") }
                config.seed = UInt64(seed)
            default:
                throw InvalidParameter(
                    key, value: "\(value)", allowed: "one of the keys " + Self.keys.joined(separator: ", "))
            }
        }
        config.privacy = try PrivacyBudget.applying(
            settings, to: config.privacy, defaultClipNorm: ClassifierPrivacy.defaultClipNorm)
        return config
    }
}

extension ClassifierConfig {
    enum CodingKeys: String, CodingKey {
        case model, hiddenSizes, dropout, learningRate, weightDecay, batchSize, epochs, patience, minimumImprovement
        case timeBudget, balanceClasses, validationFraction, testFraction, seed, privacy
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
        config.timeBudget = try container.decodeIfPresent(Double.self, forKey: .timeBudget)
        try take(.balanceClasses, \.balanceClasses)
        try take(.validationFraction, \.validationFraction)
        try take(.testFraction, \.testFraction)
        try take(.seed, \.seed)
        config.privacy = try container.decodeIfPresent(PrivacyBudget.self, forKey: .privacy)
        self = config
    }
}
