import Datasets
import NeuralNet
import Randomness
import TensorEngine

/// A sequence VAE over users' event histories: a GRU reads the events, the code is a diagonal
/// Gaussian, and a second GRU driven by the code alone rebuilds every event.
///
/// ```
/// x_t      = [E_type(type_t), E_item(item_t), E_category(category_t), gap_t, value_t, age_t]
/// h        = GRU_enc(x) after the last real event                       [B, H]
/// (mu, lv) = split(Linear(h))                                           [B, L] each
/// z        = mu + exp(lv / 2) * eps
/// d        = GRU_dec(z repeated at every step, initial state tanh(Linear(z)))   [B, T, H]
/// per step: type, item and category logits and the three numbers, all from d_t
/// ```
///
/// The decoder never sees the events it rebuilds (no teacher forcing), so everything it needs
/// has to pass through the code: the code cannot collapse onto the prior while the decoder
/// models the sequence on its own (Bowman et al. 2016's problem with autoregressive decoders).
///
/// Parameters: `typeEmbedding`, `itemEmbedding`, `categoryEmbedding` (`.weight`), `encoder`
/// and `decoder` (GRU stacks), `code`, `initialState`, `typeHead`, `itemHead`, `categoryHead`,
/// `numberHead` (Linear).
public final class SequenceAutoencoderNetwork: Layer {
    public let hiddenSize: Int
    public let latentSize: Int
    let typeEmbedding: Embedding
    let itemEmbedding: Embedding
    let categoryEmbedding: Embedding
    let encoder: GRU
    let code: Linear
    let initialState: Linear
    let decoder: GRU
    let typeHead: Linear
    let itemHead: Linear
    let categoryHead: Linear
    let numberHead: Linear

    static let typeWidth = 8
    static let itemWidth = 16
    static let categoryWidth = 8
    static var inputWidth: Int { typeWidth + itemWidth + categoryWidth + EventSequenceEncoder.numberCount }

    /// - Parameters:
    ///   - vocabularies: The fitted token vocabularies (sizes of the embedding tables and of
    ///     the decoder's outputs).
    ///   - hiddenSize: The width of both GRUs.
    ///   - latentSize: The code's width.
    public init(
        vocabularies: EventSequenceEncoder, hiddenSize: Int, latentSize: Int, generator rng: inout RandomGenerator
    ) {
        precondition(
            hiddenSize >= 1 && latentSize >= 1,
            "SequenceAutoencoderNetwork: hidden width \(hiddenSize) and code width \(latentSize) must be positive")
        self.hiddenSize = hiddenSize
        self.latentSize = latentSize
        typeEmbedding = Embedding(
            count: vocabularies.typeTokens, dimension: Self.typeWidth, paddingIndex: 0, generator: &rng)
        itemEmbedding = Embedding(
            count: vocabularies.itemTokens, dimension: Self.itemWidth, paddingIndex: 0, generator: &rng)
        categoryEmbedding = Embedding(
            count: vocabularies.categoryTokens, dimension: Self.categoryWidth, paddingIndex: 0, generator: &rng)
        encoder = GRU(inputSize: Self.inputWidth, hiddenSize: hiddenSize, generator: &rng)
        code = Linear(inputSize: hiddenSize, outputSize: 2 * latentSize, generator: &rng)
        initialState = Linear(inputSize: latentSize, outputSize: hiddenSize, generator: &rng)
        decoder = GRU(inputSize: latentSize, hiddenSize: hiddenSize, generator: &rng)
        typeHead = Linear(inputSize: hiddenSize, outputSize: vocabularies.typeTokens, generator: &rng)
        itemHead = Linear(inputSize: hiddenSize, outputSize: vocabularies.itemTokens, generator: &rng)
        categoryHead = Linear(inputSize: hiddenSize, outputSize: vocabularies.categoryTokens, generator: &rng)
        numberHead = Linear(inputSize: hiddenSize, outputSize: EventSequenceEncoder.numberCount, generator: &rng)
    }

    /// The parameter shapes of a network built with the same arguments, without building it.
    public static func parameterShapes(vocabularies: EventSequenceEncoder, hiddenSize: Int, latentSize: Int)
        -> ParameterShapes
    {
        var shapes = ParameterShapes()
        shapes.add(.embedding(count: vocabularies.typeTokens, dimension: typeWidth), under: "typeEmbedding")
        shapes.add(.embedding(count: vocabularies.itemTokens, dimension: itemWidth), under: "itemEmbedding")
        shapes.add(
            .embedding(count: vocabularies.categoryTokens, dimension: categoryWidth), under: "categoryEmbedding")
        shapes.add(
            .recurrentStack(gateCount: 3, inputSize: inputWidth, hiddenSize: hiddenSize, layerCount: 1),
            under: "encoder")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: 2 * latentSize), under: "code")
        shapes.add(.linear(inputSize: latentSize, outputSize: hiddenSize), under: "initialState")
        shapes.add(
            .recurrentStack(gateCount: 3, inputSize: latentSize, hiddenSize: hiddenSize, layerCount: 1),
            under: "decoder")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: vocabularies.typeTokens), under: "typeHead")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: vocabularies.itemTokens), under: "itemHead")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: vocabularies.categoryTokens), under: "categoryHead")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: EventSequenceEncoder.numberCount), under: "numberHead")
        return shapes
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [
            ("typeEmbedding", typeEmbedding), ("itemEmbedding", itemEmbedding),
            ("categoryEmbedding", categoryEmbedding), ("encoder", encoder), ("code", code),
            ("initialState", initialState), ("decoder", decoder), ("typeHead", typeHead), ("itemHead", itemHead),
            ("categoryHead", categoryHead), ("numberHead", numberHead),
        ]
    }

    /// The posterior of each sequence: mean and log variance, `[B, L]` each.
    public func encode(_ batch: EventSequenceBatch) -> (mean: Tensor, logVariance: Tensor) {
        let x = Tensor.concatenate(
            [
                typeEmbedding(batch.types), itemEmbedding(batch.items), categoryEmbedding(batch.categories),
                batch.numbers,
            ],
            axis: 2)
        let rows = x.shape[0]
        let summary = encoder(x, lengths: batch.lengths).hidden.reshaped([rows, hiddenSize])
        let halves = code(summary).split(sizes: [latentSize, latentSize], axis: 1)
        return (halves[0], halves[1])
    }

    /// Per sequence, the negative log-likelihood of its real events under the decoder given
    /// codes `z [B, L]`, `[B]`: the cross-entropies of each event's type, item and category
    /// (events without an item or category skip that term) plus `1/2 |numbers - predicted|^2`.
    public func reconstructionLoss(_ z: Tensor, of batch: EventSequenceBatch) -> Tensor {
        let rows = z.shape[0]
        let steps = batch.types.shape[1]
        let input = z.reshaped([rows, 1, latentSize]).broadcast(to: [rows, steps, latentSize])
        let start = initialState(z).tanh().reshaped([1, rows, hiddenSize])
        let output = decoder(input, lengths: batch.lengths, initialState: start).output.reshaped([
            rows * steps, hiddenSize,
        ])
        func tokenLoss(_ head: Linear, _ targets: IndexTensor) -> Tensor {
            let ignoring = IndexTensor(shape: [rows * steps], indices: targets.indices.map { $0 == 0 ? -100 : $0 })
            return softmaxCrossEntropy(logits: head(output), targets: ignoring, reduction: .none)
        }
        let width = EventSequenceEncoder.numberCount
        let real = Tensor(
            shape: [rows * steps, 1], scalars: batch.types.indices.map { $0 == 0 ? Float(0) : 1 })
        let numbers =
            ((numberHead(output) - batch.numbers.reshaped([rows * steps, width])) * real).squared()
            .sum(axis: 1) * 0.5
        let perStep =
            tokenLoss(typeHead, batch.types) + tokenLoss(itemHead, batch.items)
            + tokenLoss(categoryHead, batch.categories) + numbers
        return perStep.reshaped([rows, steps]).sum(axis: 1)
    }
}
