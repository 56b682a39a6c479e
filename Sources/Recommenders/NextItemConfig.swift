import Evaluation
import Foundation
import Yams

/// Which next-item model to train.
public enum NextItemModelKind: String, Sendable, Codable, CaseIterable {
    /// Self-attentive sequential recommendation (Kang & McAuley, 2018).
    case sasrec
    /// A GRU over the session's items (Hidasi et al., 2016), as RecBole builds it.
    case gru4rec
    /// Most-popular items: the same ranking for everyone, the floor any model must beat.
    case pop
}

/// The training objective of a sequence recommender. Every real position of a training
/// sequence predicts the item after it.
public enum NextItemLoss: String, Sendable, Codable, CaseIterable {
    /// Binary cross-entropy of the true next item against one sampled negative per position
    /// (the SASRec paper's objective).
    case bce
    /// Softmax cross-entropy over the whole catalogue (RecBole's default).
    case ce
    /// Softmax cross-entropy over the true item and ``NextItemConfig/negatives`` sampled items.
    case sampledCE = "sampled-ce"
}

/// Every hyper-parameter of a next-item model and its training, with the papers' defaults.
///
/// Start from ``defaults(for:)`` and override what you need, from code, the CLI flags of the
/// same names (`--max-length 50`), or a YAML file (``applying(yaml:source:)``):
///
/// ```yaml
/// max-length: 50
/// hidden: 64
/// loss: ce
/// epochs: 100
/// ```
public struct NextItemConfig: Sendable, Codable, Equatable {
    /// The model family.
    public var model: NextItemModelKind
    /// The training objective.
    public var loss: NextItemLoss
    /// The longest history the model reads; longer ones keep their most recent items.
    public var maxLength: Int
    /// The width of item embeddings and of the model's outputs.
    public var hidden: Int
    /// SASRec: the number of self-attention blocks.
    public var blocks: Int
    /// SASRec: attention heads per block (must divide ``hidden``).
    public var heads: Int
    /// SASRec: the width of the point-wise feed-forward layer. GRU4Rec: the GRU's state width.
    public var innerSize: Int
    /// GRU4Rec: stacked GRU layers.
    public var recurrentLayers: Int
    /// Dropout probability (embeddings, attention, feed-forward; GRU4Rec: embeddings).
    public var dropout: Float
    /// Adam's step size.
    public var learningRate: Float
    /// L2 penalty added to the gradients (Adam's classic weight decay); 0 for none.
    public var weightDecay: Float
    /// Training sequences per step.
    public var batchSize: Int
    /// The most passes over the training sequences.
    public var epochs: Int
    /// Validation every this many epochs (and after the last).
    public var evaluateEvery: Int
    /// Stop after this many validations without a better validation NDCG@10; 0 never stops early.
    public var patience: Int
    /// The relative NDCG@10 gain that resets the patience (see
    /// ``TrainingSchedule/minimumImprovement``); 0 counts any gain.
    public var minimumImprovement: Double
    /// The protocol whose validation NDCG@10 picks the best checkpoint and drives early stopping.
    public var monitor: RankingProtocol
    /// Sampled negatives per position for ``NextItemLoss/sampledCE``.
    public var negatives: Int
    /// Training time limit in seconds (checked after every step), or nil for none.
    public var timeBudget: Double?
    /// Cut training sequences longer than ``maxLength`` into windows so that every position is
    /// trained on; when false only the most recent ``maxLength`` positions are (as pmixer's
    /// SASRec does).
    public var slidingWindows: Bool
    /// Seeds initial weights, shuffling, dropout and negative sampling.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, loss, hidden, blocks, heads, dropout, epochs, patience, monitor, negatives, seed
        case maxLength = "max-length"
        case innerSize = "inner-size"
        case recurrentLayers = "recurrent-layers"
        case learningRate = "learning-rate"
        case weightDecay = "weight-decay"
        case batchSize = "batch-size"
        case evaluateEvery = "evaluate-every"
        case minimumImprovement = "minimum-improvement"
        case timeBudget = "time-budget"
        case slidingWindows = "sliding-windows"
    }

    /// The names accepted in a YAML config and as CLI flags.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue).sorted() }

    /// The published defaults of each model.
    ///
    /// - SASRec: the paper's MovieLens settings as in pmixer/SASRec.pytorch: length 200,
    ///   width 50, 2 blocks, 1 head, dropout 0.2, Adam 0.001, batch 128, BCE with one negative.
    /// - GRU4Rec: RecBole's settings: length 50, embedding 64, GRU 128, 1 layer, dropout 0.3,
    ///   Adam 0.001, batch 256, full cross-entropy.
    /// - Popularity: nothing to train; one pass counts the items.
    public static func defaults(for model: NextItemModelKind) -> NextItemConfig {
        switch model {
        case .sasrec:
            return NextItemConfig(
                model: .sasrec, loss: .bce, maxLength: 200, hidden: 50, blocks: 2, heads: 1, innerSize: 50,
                recurrentLayers: 1, dropout: 0.2, learningRate: 0.001, weightDecay: 0, batchSize: 128, epochs: 200,
                evaluateEvery: 5, patience: 10, minimumImprovement: 0, monitor: .sampled, negatives: 100,
                timeBudget: nil,
                slidingWindows: false, seed: 42)
        case .gru4rec:
            return NextItemConfig(
                model: .gru4rec, loss: .ce, maxLength: 50, hidden: 64, blocks: 1, heads: 1, innerSize: 128,
                recurrentLayers: 1, dropout: 0.3, learningRate: 0.001, weightDecay: 0, batchSize: 256, epochs: 100,
                evaluateEvery: 1, patience: 10, minimumImprovement: 0, monitor: .full, negatives: 100, timeBudget: nil,
                slidingWindows: true, seed: 42)
        case .pop:
            return NextItemConfig(
                model: .pop, loss: .ce, maxLength: 1, hidden: 1, blocks: 0, heads: 1, innerSize: 1,
                recurrentLayers: 1, dropout: 0, learningRate: 0, weightDecay: 0, batchSize: 1, epochs: 1,
                evaluateEvery: 1, patience: 0, minimumImprovement: 0, monitor: .full, negatives: 1, timeBudget: nil,
                slidingWindows: false, seed: 42)
        }
    }

    /// The largest width or length accepted (2^20): far beyond any useful model, small enough
    /// that a corrupt or hostile value is refused before anything is allocated.
    public static let maximumSize = 1 << 20
    /// The most blocks, heads or stacked layers accepted.
    public static let maximumCount = 1_024

    /// Checks every value, naming the key and the fix of the first bad one.
    ///
    /// - Throws: ``RecommenderError/invalidConfig(key:detail:)``.
    public func validate() throws(RecommenderError) {
        func require(_ ok: Bool, _ key: CodingKeys, _ detail: String) throws(RecommenderError) {
            if !ok { throw .invalidConfig(key: key.rawValue, detail: detail) }
        }
        func size(_ value: Int, _ key: CodingKeys, maximum: Int = Self.maximumSize) throws(RecommenderError) {
            try require(
                (1...maximum).contains(value), key, "must be between 1 and \(maximum) (got \(value))")
        }
        try size(maxLength, .maxLength)
        try size(hidden, .hidden)
        try size(epochs, .epochs)
        try size(batchSize, .batchSize)
        try require(evaluateEvery >= 1, .evaluateEvery, "must be at least 1 (got \(evaluateEvery))")
        try require(patience >= 0, .patience, "must be 0 (never stop early) or more (got \(patience))")
        try require(
            minimumImprovement >= 0 && minimumImprovement < 1, .minimumImprovement,
            "must be in [0, 1) (got \(minimumImprovement))")
        try require((0..<1).contains(dropout), .dropout, "must be in [0, 1) (got \(dropout))")
        try require(weightDecay >= 0, .weightDecay, "must be 0 or more (got \(weightDecay))")
        try size(negatives, .negatives)
        if let timeBudget {
            try require(
                timeBudget > 0 && timeBudget.isFinite, .timeBudget,
                "must be a positive number of seconds (got \(timeBudget))")
        }
        guard model != .pop else { return }
        try require(learningRate > 0 && learningRate.isFinite, .learningRate, "must be positive (got \(learningRate))")
        try size(innerSize, .innerSize)
        if model == .sasrec {
            try size(blocks, .blocks, maximum: Self.maximumCount)
            try require(
                heads >= 1 && heads <= Self.maximumCount && hidden % heads == 0, .heads,
                "must be at least 1 and divide hidden = \(hidden) (got \(heads))")
        } else {
            try size(recurrentLayers, .recurrentLayers, maximum: Self.maximumCount)
        }
    }

    /// This configuration with the keys of a YAML (or JSON) mapping applied on top.
    ///
    /// Keys are the CLI flag names (``keys``); `model` may not change here (pick it first).
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - source: The file's path, for messages.
    /// - Throws: ``RecommenderError/invalidConfig(key:detail:)`` naming the file and key of an
    ///   unknown key, a value of the wrong type, or text that is not a mapping.
    public func applying(yaml: String, source: String) throws(RecommenderError) -> NextItemConfig {
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: yaml)
        } catch {
            throw .invalidConfig(key: source, detail: "is not valid YAML: \(error)")
        }
        guard let parsed else { return self }
        guard let mapping = parsed as? [String: Any] else {
            throw .invalidConfig(key: source, detail: "must be a mapping of option names to values, like `epochs: 50`")
        }
        let known = Set(Self.keys)
        if let unknown = mapping.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidConfig(
                key: "\(source): \(unknown)",
                detail: "is not an option; valid keys: \(Self.keys.joined(separator: ", "))")
        }
        if let model = mapping["model"] as? String, model != self.model.rawValue {
            throw .invalidConfig(
                key: "\(source): model",
                detail: "says '\(model)' but '\(self.model.rawValue)' was chosen; pass --model \(model)")
        }
        // Merge: encode self, overlay the file's values, decode; a bad type names its key.
        var merged: [String: Any] = [:]
        do {
            let encoded = try JSONEncoder().encode(self)
            merged = (try JSONSerialization.jsonObject(with: encoded) as? [String: Any]) ?? [:]
        } catch {
            throw .invalidConfig(key: source, detail: "could not be merged: \(error)")
        }
        for (key, value) in mapping { merged[key] = value }
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            return try JSONDecoder().decode(NextItemConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalidConfig(key: "\(source): \(key)", detail: "must be a \(type)")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalidConfig(key: "\(source): \(key)", detail: context.debugDescription)
        } catch {
            throw .invalidConfig(key: source, detail: "\(error)")
        }
    }
}

extension NextItemConfig {
    /// Decodes a configuration; keys it lacks (written before they existed) take the chosen
    /// model's defaults (``defaults(for:)``).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var config = NextItemConfig.defaults(for: try container.decode(NextItemModelKind.self, forKey: .model))
        func take<Value: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<NextItemConfig, Value>) throws {
            if let value = try container.decodeIfPresent(Value.self, forKey: key) { config[keyPath: path] = value }
        }
        try take(.loss, \.loss)
        try take(.maxLength, \.maxLength)
        try take(.hidden, \.hidden)
        try take(.blocks, \.blocks)
        try take(.heads, \.heads)
        try take(.innerSize, \.innerSize)
        try take(.recurrentLayers, \.recurrentLayers)
        try take(.dropout, \.dropout)
        try take(.learningRate, \.learningRate)
        try take(.weightDecay, \.weightDecay)
        try take(.batchSize, \.batchSize)
        try take(.epochs, \.epochs)
        try take(.evaluateEvery, \.evaluateEvery)
        try take(.patience, \.patience)
        try take(.minimumImprovement, \.minimumImprovement)
        try take(.monitor, \.monitor)
        try take(.negatives, \.negatives)
        config.timeBudget = try container.decodeIfPresent(Double.self, forKey: .timeBudget)
        try take(.slidingWindows, \.slidingWindows)
        try take(.seed, \.seed)
        self = config
    }
}
