import ArgumentParser
import Evaluation
import Foundation
import Recommenders

extension NextItemModelKind: ExpressibleByArgument {}
extension NextItemLoss: ExpressibleByArgument {}
extension RankingProtocol: ExpressibleByArgument {}

/// The hyper-parameter flags of `behave train`; each overrides the model's default (and, for
/// next-item models, the `--config` file).
struct HyperparameterOptions: ParsableArguments {
    @Option(help: "A YAML or JSON file of hyper-parameters (keys as the flags: max-length, hidden, ...).")
    var config: String?

    @Option(parsing: .unconditional, help: "Longest history read (SASRec default 200, GRU4Rec 50).")
    var maxLength: Int?
    @Option(parsing: .unconditional, help: "Embedding and output width (SASRec 50, GRU4Rec 64).")
    var hidden: Int?
    @Option(parsing: .unconditional, help: "SASRec self-attention blocks (default 2).")
    var blocks: Int?
    @Option(parsing: .unconditional, help: "SASRec attention heads (default 1).")
    var heads: Int?
    @Option(
        parsing: .unconditional,
        help: "SASRec feed-forward width (default 50, whatever --hidden is); GRU4Rec GRU width (default 128).")
    var innerSize: Int?
    @Option(parsing: .unconditional, help: "GRU4Rec stacked GRU layers (default 1).")
    var recurrentLayers: Int?
    @Option(parsing: .unconditional, help: "Dropout probability (SASRec 0.2, GRU4Rec 0.3, MLP 0.2).")
    var dropout: Float?
    @Option(parsing: .unconditional, help: "Adam learning rate (default 0.001; logistic baseline 0.01).")
    var learningRate: Float?
    @Option(
        parsing: .unconditional,
        help: "L2 penalty on the weights (default 0; classifiers 0.003, logistic baseline 0.0001).")
    var weightDecay: Float?
    @Option(parsing: .unconditional, help: "Training sequences or rows per step (SASRec 128, GRU4Rec 256, MLP 256).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Most passes over the training data (SASRec 200, GRU4Rec 100, MLP 200).")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Validate every N epochs (SASRec 5, GRU4Rec 1).")
    var evaluateEvery: Int?
    @Option(
        parsing: .unconditional, help: "Stop after N validations without improvement; 0 never stops early (default 10)."
    )
    var patience: Int?
    @Option(help: "Protocol whose validation NDCG@10 picks the checkpoint: full or sampled.")
    var monitor: RankingProtocol?
    @Option(help: "Loss: bce (one sampled negative), ce (full softmax), sampled-ce.")
    var loss: NextItemLoss?
    @Option(parsing: .unconditional, help: "Negatives per position for --loss sampled-ce (default 100).")
    var negatives: Int?
    @Option(parsing: .unconditional, help: "Stop training after this many seconds of training steps.")
    var timeBudget: Double?
    @Option(help: "Cut long histories into windows so every position trains: true or false.")
    var slidingWindows: Bool?
    @Option(parsing: .unconditional, help: "Random seed (default 42).")
    var seed: UInt64?

    /// The next-item-only flags that were given (for tasks that would ignore them).
    var nextItemOnlyFlags: [String] {
        let given: [(String, Bool)] = [
            ("--config", config != nil), ("--max-length", maxLength != nil), ("--hidden", hidden != nil),
            ("--blocks", blocks != nil), ("--heads", heads != nil), ("--inner-size", innerSize != nil),
            ("--recurrent-layers", recurrentLayers != nil), ("--evaluate-every", evaluateEvery != nil),
            ("--monitor", monitor != nil), ("--loss", loss != nil), ("--negatives", negatives != nil),
            ("--time-budget", timeBudget != nil), ("--sliding-windows", slidingWindows != nil),
        ]
        return given.filter(\.1).map(\.0)
    }

    /// Defaults of `model`, then the config file, then the flags; validated.
    func resolve(model: NextItemModelKind) throws -> NextItemConfig {
        var config = NextItemConfig.defaults(for: model)
        if let path = self.config {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--config \(path): cannot read the file; check the path.")
            }
            config = try config.applying(yaml: text, source: path)
        }
        if let maxLength { config.maxLength = maxLength }
        if let hidden { config.hidden = hidden }
        if let blocks { config.blocks = blocks }
        if let heads { config.heads = heads }
        if let innerSize { config.innerSize = innerSize }
        if let recurrentLayers { config.recurrentLayers = recurrentLayers }
        if let dropout { config.dropout = dropout }
        if let learningRate { config.learningRate = learningRate }
        if let weightDecay { config.weightDecay = weightDecay }
        if let batchSize { config.batchSize = batchSize }
        if let epochs { config.epochs = epochs }
        if let evaluateEvery { config.evaluateEvery = evaluateEvery }
        if let patience { config.patience = patience }
        if let monitor { config.monitor = monitor }
        if let loss { config.loss = loss }
        if let negatives { config.negatives = negatives }
        if let timeBudget { config.timeBudget = timeBudget }
        if let slidingWindows { config.slidingWindows = slidingWindows }
        if let seed { config.seed = seed }
        try config.validate()
        return config
    }
}

/// Prints split -> protocol -> metric as a table, one row per split and protocol.
func printRankingTable(_ metrics: SplitReports<ProtocolReports>) {
    let columns = ["hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20", "mrr@10"]
    say(
        "split       protocol  "
            + columns.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined(separator: " "))
    for split in EvaluationSplit.allCases {
        guard let reports = metrics[split] else { continue }
        for rankingProtocol in RankingProtocol.allCases {
            let values = reports[rankingProtocol].values
            let cells = columns.map { String(format: "%-8.4f", values[$0] ?? 0) }
            say(
                split.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + rankingProtocol.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + cells.joined(separator: " "))
        }
    }
    say("(full = target ranked among all items; sampled = among 100 items the user never touched)")
}
