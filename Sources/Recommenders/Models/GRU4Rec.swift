import Datasets
import EventData
import NeuralNet
import Randomness
import TensorEngine

/// GRU4Rec (Hidasi et al., ICLR 2016) as RecBole builds it for next-item prediction:
///
/// ```
/// h = GRU(dropout(E[item]))          (right-padded; padded steps keep their state)
/// output = W h;  score(item) = output · E[item]
/// ```
public final class GRU4Rec: SequenceRecommender {
    public let itemEmbedding: Embedding
    let embeddingDropout: Dropout
    let recurrent: GRU
    let projection: Linear
    public let maxLength: Int

    public var padding: SequencePadding { .right }

    /// - Parameters:
    ///   - itemCount: Items `0..<itemCount`.
    ///   - dimension: The width of item embeddings and of the output.
    ///   - hiddenSize: The GRU's state width.
    ///   - layers: Stacked GRU layers.
    ///   - maxLength: The longest history read.
    ///   - dropout: Dropout on the input embeddings.
    public init(
        itemCount: Int, dimension: Int, hiddenSize: Int, layers: Int = 1, maxLength: Int, dropout: Float = 0.3,
        generator rng: inout RandomGenerator
    ) {
        itemEmbedding = Embedding(
            count: itemCount + 1, dimension: dimension, paddingIndex: 0,
            initializer: .xavierNormal(), generator: &rng)
        embeddingDropout = Dropout(probability: dropout, seed: rng.next())
        recurrent = GRU(inputSize: dimension, hiddenSize: hiddenSize, layerCount: layers, generator: &rng)
        projection = Linear(inputSize: hiddenSize, outputSize: dimension, generator: &rng)
        self.maxLength = maxLength
    }

    /// The parameter shapes ``init(itemCount:dimension:hiddenSize:layers:maxLength:dropout:generator:)``
    /// makes, without building.
    public static func parameterShapes(itemCount: Int, dimension: Int, hiddenSize: Int, layers: Int) -> ParameterShapes
    {
        var shapes = ParameterShapes()
        shapes.add(.embedding(count: itemCount + 1, dimension: dimension), under: "itemEmbedding")
        shapes.add(
            .recurrentStack(gateCount: 3, inputSize: dimension, hiddenSize: hiddenSize, layerCount: layers),
            under: "recurrent")
        shapes.add(.linear(inputSize: hiddenSize, outputSize: dimension), under: "projection")
        return shapes
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        [
            ("itemEmbedding", itemEmbedding), ("embeddingDropout", embeddingDropout),
            ("recurrent", recurrent), ("projection", projection),
        ]
    }

    public func features(_ tokens: IndexTensor, lengths: [Int]) -> Tensor {
        features(embeddedItems: itemEmbedding(tokens), lengths: lengths)
    }

    public func lastFeatures(embeddedItems: Tensor, batch: SequenceBatch) -> Tensor {
        lastRows(of: features(embeddedItems: embeddedItems, lengths: batch.lengths), batch: batch)
    }

    private func features(embeddedItems: Tensor, lengths: [Int]) -> Tensor {
        let lengths = lengths.map { Swift.max($0, 1) }
        return projection(recurrent(embeddingDropout(embeddedItems), lengths: lengths).output)
    }
}
