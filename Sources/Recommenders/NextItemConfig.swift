import Evaluation
import Foundation
import NeuralNet
import Settings
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

/// Which published or measured setting a configuration starts from.
public enum NextItemPreset: String, Sendable, CaseIterable {
    /// The best setting measured here (see benchmarks/README.md): for SASRec, the paper's
    /// architecture trained with sampled softmax over 20 negatives and early stopping once
    /// validation gains less than 1% in 10 validations.
    case recommended
    /// The papers' own settings: SASRec as pmixer/SASRec.pytorch trains it on MovieLens (BCE
    /// with one negative, 200 epochs), GRU4Rec as RecBole does.
    case paper
}

/// SASRec's architecture (pmixer/SASRec.pytorch's layout).
public struct SASRecConfig: Sendable, Equatable {
    /// The longest history read; longer ones keep their most recent items. Nil fits it to the
    /// data when training starts (see ``NextItemConfig/fitted(to:)``).
    public var maxLength: Int?
    /// The width of item embeddings, of every block and of the output.
    public var hidden: Int
    /// Self-attention blocks.
    public var blocks: Int
    /// Attention heads per block (dividing ``hidden``).
    public var heads: Int
    /// The point-wise feed-forward width, or nil for ``hidden`` (the paper's).
    public var feedForwardSize: Int?
    /// Dropout on embeddings, attention weights and feed-forward layers.
    public var dropout: Float

    /// The paper's MovieLens setting: length 200, width 50, 2 blocks, 1 head, dropout 0.2.
    public static let paper = SASRecConfig(
        maxLength: 200, hidden: 50, blocks: 2, heads: 1, feedForwardSize: nil, dropout: 0.2)

    /// The paper's architecture with the length fitted to the data: 200 on MovieLens, 50 on
    /// Amazon-like logs of short histories (the lengths the paper chose for each).
    public static let fittedPaper = SASRecConfig(
        maxLength: nil, hidden: 50, blocks: 2, heads: 1, feedForwardSize: nil, dropout: 0.2)

    /// The longest length a fitted configuration takes (the paper's for MovieLens).
    public static let longestFittedLength = 200

    public init(maxLength: Int?, hidden: Int, blocks: Int, heads: Int, feedForwardSize: Int?, dropout: Float) {
        self.maxLength = maxLength
        self.hidden = hidden
        self.blocks = blocks
        self.heads = heads
        self.feedForwardSize = feedForwardSize
        self.dropout = dropout
    }

    /// The configuration's keys (YAML files and flags).
    public static let keys = ["max-length", "hidden", "blocks", "heads", "feed-forward-size", "dropout"]

    func validate() throws(InvalidParameter) {
        if let maxLength {
            try InvalidParameter.require("max-length", maxLength, in: 1...NextItemConfig.maximumSize)
        }
        try InvalidParameter.require("hidden", hidden, in: 1...NextItemConfig.maximumSize)
        try InvalidParameter.require("blocks", blocks, in: 1...NextItemConfig.maximumCount)
        try InvalidParameter.require(
            heads >= 1 && heads <= NextItemConfig.maximumCount && hidden % heads == 0, "heads", heads,
            allowed: "at least 1 and a divisor of hidden (\(hidden))")
        if let feedForwardSize {
            try InvalidParameter.require("feed-forward-size", feedForwardSize, in: 1...NextItemConfig.maximumSize)
        }
        try InvalidParameter.require((0..<1).contains(dropout), "dropout", dropout, allowed: "in [0, 1)")
    }
}

/// GRU4Rec's architecture (RecBole's layout: embedding, GRU, projection, tied output).
public struct GRU4RecConfig: Sendable, Equatable {
    /// The longest history read; longer ones keep their most recent items.
    public var maxLength: Int
    /// The width of item embeddings and of the output.
    public var hidden: Int
    /// The GRU's state width.
    public var stateSize: Int
    /// Stacked GRU layers.
    public var layers: Int
    /// Dropout on the input embeddings.
    public var dropout: Float

    /// RecBole's setting: length 50, embedding 64, GRU state 128, 1 layer, dropout 0.3.
    public static let recBole = GRU4RecConfig(maxLength: 50, hidden: 64, stateSize: 128, layers: 1, dropout: 0.3)

    public init(maxLength: Int, hidden: Int, stateSize: Int, layers: Int, dropout: Float) {
        self.maxLength = maxLength
        self.hidden = hidden
        self.stateSize = stateSize
        self.layers = layers
        self.dropout = dropout
    }

    /// The configuration's keys (YAML files and flags).
    public static let keys = ["max-length", "hidden", "state-size", "layers", "dropout"]

    func validate() throws(InvalidParameter) {
        try InvalidParameter.require("max-length", maxLength, in: 1...NextItemConfig.maximumSize)
        try InvalidParameter.require("hidden", hidden, in: 1...NextItemConfig.maximumSize)
        try InvalidParameter.require("state-size", stateSize, in: 1...NextItemConfig.maximumSize)
        try InvalidParameter.require("layers", layers, in: 1...NextItemConfig.maximumCount)
        try InvalidParameter.require((0..<1).contains(dropout), "dropout", dropout, allowed: "in [0, 1)")
    }
}

/// A next-item model's architecture.
public enum NextItemArchitecture: Sendable, Equatable {
    case sasrec(SASRecConfig)
    case gru4rec(GRU4RecConfig)
    /// Most-popular items: nothing to configure.
    case popularity

    public var kind: NextItemModelKind {
        switch self {
        case .sasrec: return .sasrec
        case .gru4rec: return .gru4rec
        case .popularity: return .pop
        }
    }

    /// The longest history the model reads (1 for popularity, which reads none; for a SASRec
    /// length not yet fitted to data, the longest it would be fitted to).
    public var maxLength: Int {
        switch self {
        case .sasrec(let config): return config.maxLength ?? SASRecConfig.longestFittedLength
        case .gru4rec(let config): return config.maxLength
        case .popularity: return 1
        }
    }
}

/// A next-item model and how it trains.
///
/// Start from ``defaults(for:preset:)`` (the best setting measured, or the paper's) and
/// override what you need, in code, with a YAML file (``applying(yaml:source:)``) or with
/// settings by key (``applying(settings:)``; the CLI's flags have the same names):
///
/// ```yaml
/// max-length: 50
/// hidden: 64
/// loss: ce
/// epochs: 100
/// ```
///
/// On disk (`config.json`) the configuration is one flat mapping of those keys plus `model`.
public struct NextItemConfig: Sendable, Equatable {
    /// The model and its sizes.
    public var architecture: NextItemArchitecture
    /// The training objective.
    public var loss: NextItemLoss
    /// Sampled negatives per position for ``NextItemLoss/sampledCE``.
    public var negatives: Int
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
    /// Stop after this many validations without a sufficient gain in validation NDCG@10; 0
    /// never stops early.
    public var patience: Int
    /// The relative NDCG@10 gain that resets the patience (see
    /// ``TrainingSchedule/minimumImprovement``); 0 counts any gain.
    public var minimumImprovement: Double
    /// The protocol whose validation NDCG@10 picks the best checkpoint and drives early stopping.
    public var monitor: RankingProtocol
    /// Training time limit in seconds (checked after every step), or nil for none.
    public var timeBudget: Double?
    /// Cut training sequences longer than the model's length into windows so that every
    /// position is trained on; when false only the most recent positions are (as pmixer's
    /// SASRec does).
    public var slidingWindows: Bool
    /// Seeds initial weights, shuffling, dropout and negative sampling (and, for a private
    /// run, which users are held out).
    public var seed: UInt64
    /// Differentially private training (DP-SGD, one user per privacy unit) within this
    /// budget; nil trains as usual. Start from ``privateDefaults(epsilon:)`` for the settings
    /// measured best with a budget (the command line does). A private run holds out
    /// ``privateHeldOutFraction`` of the users for everything but the weights
    /// (``PrivateNextItemData``).
    public var privacy: PrivacyBudget? = nil

    /// The model family.
    public var model: NextItemModelKind { architecture.kind }
    /// The longest history the model reads.
    public var maxLength: Int { architecture.maxLength }

    /// The largest width or length accepted (2^20): far beyond any useful model, small enough
    /// that a corrupt or hostile value is refused before anything is allocated.
    public static let maximumSize = 1 << 20
    /// The most blocks, heads or stacked layers accepted.
    public static let maximumCount = 1_024

    /// The training keys every model shares (YAML files and flags).
    public static let trainingKeys =
        [
            "loss", "negatives", "learning-rate", "weight-decay", "batch-size", "epochs", "evaluate-every", "patience",
            "minimum-improvement", "monitor", "time-budget", "sliding-windows", "seed",
        ] + PrivacyBudget.keys

    /// The keys a configuration of `model` accepts, sorted.
    public static func keys(for model: NextItemModelKind) -> [String] {
        switch model {
        case .sasrec: return (SASRecConfig.keys + trainingKeys).sorted()
        case .gru4rec: return (GRU4RecConfig.keys + trainingKeys).sorted()
        case .pop: return ["seed"]
        }
    }

    /// The configuration a model trains with unless told otherwise.
    ///
    /// - ``NextItemPreset/recommended`` (the default): SASRec in the paper's architecture, its
    ///   length fitted to the data (``fitted(to:)``), with sampled softmax over 20 negatives,
    ///   200 epochs at most, validation every 5 epochs,
    ///   stopping once NDCG@10 gains less than 1% in 10 validations: the best sampled-protocol
    ///   scores measured here, and full-ranking NDCG@10 above RecBole's. GRU4Rec as
    ///   RecBole trains it, with the same early stopping.
    /// - ``NextItemPreset/paper``: SASRec as pmixer/SASRec.pytorch trains it (BCE with one
    ///   negative, Adam 0.001, batch 128, 200 epochs); GRU4Rec with RecBole's settings
    ///   (full cross-entropy, batch 256, 100 epochs); both stop after 10 validations without
    ///   any gain.
    /// - Popularity: nothing to train; one pass counts the items.
    public static func defaults(for model: NextItemModelKind, preset: NextItemPreset = .recommended) -> NextItemConfig {
        let recommended = preset == .recommended
        switch model {
        case .sasrec:
            return NextItemConfig(
                architecture: .sasrec(recommended ? .fittedPaper : .paper), loss: recommended ? .sampledCE : .bce,
                negatives: 20,
                learningRate: 0.001, weightDecay: 0, batchSize: 128, epochs: 200, evaluateEvery: 5, patience: 10,
                minimumImprovement: recommended ? 0.01 : 0, monitor: .sampled, timeBudget: nil,
                slidingWindows: false, seed: 42)
        case .gru4rec:
            return NextItemConfig(
                architecture: .gru4rec(.recBole), loss: .ce, negatives: 20, learningRate: 0.001, weightDecay: 0,
                batchSize: 256, epochs: 100, evaluateEvery: 1, patience: 10,
                minimumImprovement: recommended ? 0.01 : 0, monitor: .full, timeBudget: nil, slidingWindows: true,
                seed: 42)
        case .pop:
            return NextItemConfig(
                architecture: .popularity, loss: .ce, negatives: 1, learningRate: 0, weightDecay: 0, batchSize: 1,
                epochs: 1, evaluateEvery: 1, patience: 0, minimumImprovement: 0, monitor: .full, timeBudget: nil,
                slidingWindows: false, seed: 42)
        }
    }

    /// This configuration with what is left to the data decided: a SASRec length of nil becomes
    /// the 99th percentile of the users' training history lengths, rounded up to a multiple of
    /// 10, between 10 and ``SASRecConfig/longestFittedLength``. (MovieLens-100K: 200; the
    /// SASRec paper's Amazon Video data: 50, as the paper chose by hand.)
    public func fitted(to data: NextItemData) -> NextItemConfig {
        guard case .sasrec(var sasrec) = architecture, sasrec.maxLength == nil else { return self }
        let lengths = data.users.map(\.train.count).sorted()
        let percentile = lengths.isEmpty ? 0 : lengths[min(lengths.count - 1, lengths.count * 99 / 100)]
        let rounded = (percentile + 9) / 10 * 10
        sasrec.maxLength = min(max(rounded, 10), SASRecConfig.longestFittedLength)
        var config = self
        config.architecture = .sasrec(sasrec)
        return config
    }

    /// The share of users a private run holds out, unprotected, for its vocabulary,
    /// validation, test metrics and drift profile (``PrivateNextItemData``).
    public static let privateHeldOutFraction = 0.2
    /// The clipping norm of a private run when none is given: 1 and 0.3 tied, 3 did worse
    /// (SASRec on a simulated shop of 5,000 users at ε 3; benchmarks/README.md).
    public static let privateClipNorm = 1.0
    /// Adam's learning rate of a private run when none is given: 0.003 beat 0.001 and 0.01
    /// (fewer steps than a usual run, each with noise).
    public static let privateLearningRate: Float = 0.003
    /// The most epochs a private run is calibrated for when none are given: each epoch spends
    /// budget, whether or not early stopping ends training sooner.
    public static let privateEpochs = 20

    /// This configuration with the settings measured best for private training where they
    /// differ (epochs budgeted, the learning rate, one row per user), and the budget. Settings
    /// the user gave are applied after.
    public func privateDefaults(epsilon: Double) -> NextItemConfig {
        var config = self
        config.epochs = Self.privateEpochs
        config.learningRate = Self.privateLearningRate
        config.slidingWindows = false
        config.privacy = PrivacyBudget(epsilon: epsilon, clipNorm: Self.privateClipNorm)
        return config
    }

    /// Checks every value.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key, its value and what it accepts.
    public func validate() throws(InvalidParameter) {
        switch architecture {
        case .sasrec(let config): try config.validate()
        case .gru4rec(let config): try config.validate()
        case .popularity:
            if let privacy {
                throw InvalidParameter(
                    "dp-epsilon", value: privacy.epsilon,
                    allowed: "left out for pop, which counts items and trains nothing")
            }
            return
        }
        try InvalidParameter.require("epochs", epochs, in: 1...Self.maximumSize)
        try InvalidParameter.require("batch-size", batchSize, in: 1...Self.maximumSize)
        try InvalidParameter.require("evaluate-every", evaluateEvery, in: 1...Self.maximumSize)
        try InvalidParameter.require(patience >= 0, "patience", patience, allowed: "0 (never stop early) or more")
        try InvalidParameter.require(
            minimumImprovement >= 0 && minimumImprovement < 1, "minimum-improvement", minimumImprovement,
            allowed: "in [0, 1)")
        try InvalidParameter.require(weightDecay >= 0, "weight-decay", weightDecay, allowed: "0 or more")
        try InvalidParameter.require("negatives", negatives, in: 1...Self.maximumSize)
        try InvalidParameter.require(
            learningRate > 0 && learningRate.isFinite, "learning-rate", learningRate, allowed: "a positive number")
        if let timeBudget {
            try InvalidParameter.require(
                timeBudget > 0 && timeBudget.isFinite, "time-budget", timeBudget,
                allowed: "a positive number of seconds")
        }
        if let privacy {
            try privacy.validate()
            try InvalidParameter.require(
                !slidingWindows, "sliding-windows", slidingWindows,
                allowed: "false with dp-epsilon: a private user trains as one row, their most recent items")
        }
    }

    /// This configuration with settings applied on top, by key (``keys(for:)``), with values
    /// as YAML or JSON would give them (numbers, strings, booleans).
    ///
    /// - Throws: ``InvalidParameter`` for a key the model does not take (a key of another
    ///   model is named as such), or a value of the wrong type.
    public func applying(settings: [String: Any]) throws(InvalidParameter) -> NextItemConfig {
        let accepted = Set(Self.keys(for: model))
        for key in settings.keys.sorted() where key != "model" && !accepted.contains(key) {
            let owners = NextItemModelKind.allCases.filter { Self.keys(for: $0).contains(key) }.map(\.rawValue)
            throw InvalidParameter(
                key, value: describe(settings[key]),
                allowed: owners.isEmpty
                    ? "one of the keys " + Self.keys(for: model).joined(separator: ", ")
                    : "left out: it applies to \(owners.joined(separator: " and ")), not \(model.rawValue)")
        }
        if let chosen = settings["model"], "\(chosen)" != model.rawValue {
            throw InvalidParameter("model", value: "\(chosen)", allowed: "\(model.rawValue), the model chosen first")
        }
        // Merge: encode self, overlay the settings, decode; a bad type names its key. The
        // noise seed is never encoded, so it is carried over.
        var merged: [String: Any] = [:]
        if let encoded = try? JSONEncoder().encode(self),
            let object = try? JSONSerialization.jsonObject(with: encoded) as? [String: Any]
        {
            merged = object
        }
        for (key, value) in settings { merged[key] = value }
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            var config = try JSONDecoder().decode(NextItemConfig.self, from: data)
            config.privacy?.noiseSeed = privacy?.noiseSeed
            return config
        } catch let error as InvalidParameter {
            throw error
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw InvalidParameter(key, value: describe(settings[key]), allowed: "a \(Self.typeName(type))")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw InvalidParameter(key, value: describe(settings[key]), allowed: Self.choices(forKey: key))
        } catch {
            throw InvalidParameter("settings", value: "\(settings)", allowed: "values JSON can hold (\(error))")
        }
    }

    /// This configuration with the keys of a YAML (or JSON) mapping applied on top.
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - source: The file's path, for messages.
    /// - Throws: ``RecommenderError/invalidConfigFile(path:detail:)`` for text that is not a
    ///   mapping, an unknown key or a value of the wrong type.
    public func applying(yaml: String, source: String) throws(RecommenderError) -> NextItemConfig {
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: yaml)
        } catch {
            throw .invalidConfigFile(path: source, detail: "is not valid YAML: \(error)")
        }
        guard let parsed else { return self }
        guard let mapping = parsed as? [String: Any] else {
            throw .invalidConfigFile(path: source, detail: "must be a mapping of keys to values, like `epochs: 50`")
        }
        do {
            return try applying(settings: mapping)
        } catch {
            throw .invalidConfigFile(path: source, detail: error.description)
        }
    }

    private func describe(_ value: Any?) -> String {
        value.map { "\($0)" } ?? "missing"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "whole number"
        case is Float.Type, is Double.Type: return "number"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }

    private static func choices(forKey key: String) -> String {
        switch key {
        case "loss": return "one of " + NextItemLoss.allCases.map(\.rawValue).joined(separator: ", ")
        case "monitor": return "one of " + RankingProtocol.allCases.map(\.rawValue).joined(separator: ", ")
        case "model": return "one of " + NextItemModelKind.allCases.map(\.rawValue).joined(separator: ", ")
        default: return "a value of the key's type"
        }
    }
}

extension NextItemConfig: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes the flat mapping of `config.json` or a merged YAML file; keys it lacks take the
    /// model's ``defaults(for:preset:)`` (recommended), and the spellings of directories
    /// written before per-model keys (`inner-size`, `recurrent-layers`) are read too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let model = try container.decode(NextItemModelKind.self, forKey: Key("model"))
        var config = NextItemConfig.defaults(for: model)
        func value<Value: Decodable>(_ key: String) throws -> Value? {
            try container.decodeIfPresent(Value.self, forKey: Key(key))
        }
        func take<Value: Decodable>(_ key: String, _ path: WritableKeyPath<NextItemConfig, Value>) throws {
            if let found: Value = try value(key) { config[keyPath: path] = found }
        }
        switch config.architecture {
        case .sasrec(var sasrec):
            sasrec.maxLength = try value("max-length") ?? sasrec.maxLength
            sasrec.hidden = try value("hidden") ?? sasrec.hidden
            sasrec.blocks = try value("blocks") ?? sasrec.blocks
            sasrec.heads = try value("heads") ?? sasrec.heads
            sasrec.feedForwardSize = try value("feed-forward-size") ?? value("inner-size") ?? sasrec.feedForwardSize
            sasrec.dropout = try value("dropout") ?? sasrec.dropout
            config.architecture = .sasrec(sasrec)
        case .gru4rec(var gru4rec):
            gru4rec.maxLength = try value("max-length") ?? gru4rec.maxLength
            gru4rec.hidden = try value("hidden") ?? gru4rec.hidden
            gru4rec.stateSize = try value("state-size") ?? value("inner-size") ?? gru4rec.stateSize
            gru4rec.layers = try value("layers") ?? value("recurrent-layers") ?? gru4rec.layers
            gru4rec.dropout = try value("dropout") ?? gru4rec.dropout
            config.architecture = .gru4rec(gru4rec)
        case .popularity:
            break
        }
        try take("loss", \.loss)
        try take("negatives", \.negatives)
        try take("learning-rate", \.learningRate)
        try take("weight-decay", \.weightDecay)
        try take("batch-size", \.batchSize)
        try take("epochs", \.epochs)
        try take("evaluate-every", \.evaluateEvery)
        try take("patience", \.patience)
        try take("minimum-improvement", \.minimumImprovement)
        try take("monitor", \.monitor)
        config.timeBudget = try value("time-budget")
        try take("sliding-windows", \.slidingWindows)
        try take("seed", \.seed)
        var budget: [String: Any] = [:]
        for key in ["dp-epsilon", "dp-delta", "dp-clip-norm"] {
            if let number: Double = try value(key) { budget[key] = number }
        }
        if let accountant: String = try value("dp-accountant") { budget["dp-accountant"] = accountant }
        config.privacy = try PrivacyBudget.applying(budget, to: nil, defaultClipNorm: Self.privateClipNorm)
        self = config
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(model, forKey: Key("model"))
        switch architecture {
        case .sasrec(let sasrec):
            try container.encodeIfPresent(sasrec.maxLength, forKey: Key("max-length"))
            try container.encode(sasrec.hidden, forKey: Key("hidden"))
            try container.encode(sasrec.blocks, forKey: Key("blocks"))
            try container.encode(sasrec.heads, forKey: Key("heads"))
            try container.encodeIfPresent(sasrec.feedForwardSize, forKey: Key("feed-forward-size"))
            try container.encode(sasrec.dropout, forKey: Key("dropout"))
        case .gru4rec(let gru4rec):
            try container.encode(gru4rec.maxLength, forKey: Key("max-length"))
            try container.encode(gru4rec.hidden, forKey: Key("hidden"))
            try container.encode(gru4rec.stateSize, forKey: Key("state-size"))
            try container.encode(gru4rec.layers, forKey: Key("layers"))
            try container.encode(gru4rec.dropout, forKey: Key("dropout"))
        case .popularity:
            break
        }
        try container.encode(loss, forKey: Key("loss"))
        try container.encode(negatives, forKey: Key("negatives"))
        try container.encode(learningRate, forKey: Key("learning-rate"))
        try container.encode(weightDecay, forKey: Key("weight-decay"))
        try container.encode(batchSize, forKey: Key("batch-size"))
        try container.encode(epochs, forKey: Key("epochs"))
        try container.encode(evaluateEvery, forKey: Key("evaluate-every"))
        try container.encode(patience, forKey: Key("patience"))
        try container.encode(minimumImprovement, forKey: Key("minimum-improvement"))
        try container.encode(monitor, forKey: Key("monitor"))
        try container.encodeIfPresent(timeBudget, forKey: Key("time-budget"))
        try container.encode(slidingWindows, forKey: Key("sliding-windows"))
        try container.encode(seed, forKey: Key("seed"))
        if let privacy {
            try container.encode(privacy.epsilon, forKey: Key("dp-epsilon"))
            try container.encode(privacy.delta, forKey: Key("dp-delta"))
            try container.encode(privacy.clipNorm, forKey: Key("dp-clip-norm"))
            try container.encode(privacy.accountant, forKey: Key("dp-accountant"))
        }
    }
}
