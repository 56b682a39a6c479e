import Datasets
import EventData
import Foundation
import NeuralNet
import Randomness
import TensorEngine

/// How an ``EventSequenceClassifier`` summarises a sequence.
public enum SequenceEncoderKind: String, Sendable, Codable, CaseIterable {
    /// The LSTM's state after the last real event.
    case lstm
    /// The GRU's state after the last real event.
    case gru
    /// A width-3 convolution, ReLU, and the maximum over real positions.
    case cnn
}

/// A binary classifier over event sequences:
///
/// ```
/// x_t = [E_type(type_t), E_item(item_t), E_category(category_t), gap_t, value_t, age_t]
/// h   = LSTM / GRU last state, or max_t ReLU(Conv1D_3(x))_t
/// logit = W h + b
/// ```
public final class EventSequenceClassifier: Layer {
    let typeEmbedding: Embedding
    let itemEmbedding: Embedding
    let categoryEmbedding: Embedding
    let lstm: LSTM?
    let gru: GRU?
    let convolution: Conv1D?
    let head: Linear
    public let kind: SequenceEncoderKind

    /// - Parameters:
    ///   - encoder: The fitted vocabularies (sizes of the embedding tables).
    ///   - hidden: The width of the summary `h`.
    public init(
        kind: SequenceEncoderKind, encoder: EventSequenceEncoder, hidden: Int = 64, generator rng: inout RandomGenerator
    ) {
        self.kind = kind
        typeEmbedding = Embedding(count: encoder.typeTokens, dimension: 8, paddingIndex: 0, generator: &rng)
        itemEmbedding = Embedding(count: encoder.itemTokens, dimension: 16, paddingIndex: 0, generator: &rng)
        categoryEmbedding = Embedding(count: encoder.categoryTokens, dimension: 8, paddingIndex: 0, generator: &rng)
        let width = 8 + 16 + 8 + EventSequenceEncoder.numberCount
        lstm = kind == .lstm ? LSTM(inputSize: width, hiddenSize: hidden, generator: &rng) : nil
        gru = kind == .gru ? GRU(inputSize: width, hiddenSize: hidden, generator: &rng) : nil
        convolution =
            kind == .cnn
            ? Conv1D(inputChannels: width, outputChannels: hidden, kernelSize: 3, padding: 1, generator: &rng) : nil
        head = Linear(inputSize: hidden, outputSize: 1, generator: &rng)
    }

    /// The parameter shapes ``init(kind:encoder:hidden:generator:)`` makes, without building.
    public static func parameterShapes(kind: SequenceEncoderKind, encoder: EventSequenceEncoder, hidden: Int = 64)
        -> ParameterShapes
    {
        var shapes = ParameterShapes()
        shapes.add(.embedding(count: encoder.typeTokens, dimension: 8), under: "typeEmbedding")
        shapes.add(.embedding(count: encoder.itemTokens, dimension: 16), under: "itemEmbedding")
        shapes.add(.embedding(count: encoder.categoryTokens, dimension: 8), under: "categoryEmbedding")
        let width = 8 + 16 + 8 + EventSequenceEncoder.numberCount
        switch kind {
        case .lstm:
            shapes.add(
                .recurrentStack(gateCount: 4, inputSize: width, hiddenSize: hidden, layerCount: 1), under: "lstm")
        case .gru:
            shapes.add(.recurrentStack(gateCount: 3, inputSize: width, hiddenSize: hidden, layerCount: 1), under: "gru")
        case .cnn:
            shapes.add(.conv1d(inputChannels: width, outputChannels: hidden, kernelSize: 3), under: "convolution")
        }
        shapes.add(.linear(inputSize: hidden, outputSize: 1), under: "head")
        return shapes
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        var layers: [(name: String, layer: any Layer)] = [
            ("typeEmbedding", typeEmbedding), ("itemEmbedding", itemEmbedding),
            ("categoryEmbedding", categoryEmbedding),
        ]
        if let lstm { layers.append(("lstm", lstm)) }
        if let gru { layers.append(("gru", gru)) }
        if let convolution { layers.append(("convolution", convolution)) }
        return layers + [("head", head)]
    }

    /// The logits `[B]` of a batch.
    public func callAsFunction(_ batch: EventSequenceBatch) -> Tensor {
        logits(embedded: embedded(batch), lengths: batch.lengths)
    }

    /// What the encoder reads of each event: its type, item and category embeddings and its
    /// numbers (gap, value, age), `[B, T, 35]`; padding positions are all zero.
    public func embedded(_ batch: EventSequenceBatch) -> Tensor {
        Tensor.concatenate(
            [
                typeEmbedding(batch.types), itemEmbedding(batch.items), categoryEmbedding(batch.categories),
                batch.numbers,
            ],
            axis: 2)
    }

    /// The logits `[B]` of embedded events `x` `[B, T, 35]` with `lengths` real events each;
    /// differentiable in `x`, which is how explanations attribute a score to events.
    public func logits(embedded x: Tensor, lengths: [Int]) -> Tensor {
        let rows = x.shape[0]
        let summary: Tensor
        if let lstm {
            summary = lstm(x, lengths: lengths).hidden.reshaped([rows, -1])  // [1, B, H] -> [B, H]
        } else if let gru {
            summary = gru(x, lengths: lengths).hidden.reshaped([rows, -1])
        } else if let convolution {
            let length = x.shape[1]
            let padding = Tensor(
                shape: [rows, length],
                scalars: lengths.flatMap { real in (0..<length).map { $0 < real ? Float(0) : 1 } })
            summary = convolution(x.permuted([0, 2, 1])).relu().globalMaxPooled(excluding: padding)
        } else {
            preconditionFailure("EventSequenceClassifier: no encoder for \(kind)")
        }
        return head(summary).reshaped([-1])
    }
}

extension EventSequenceClassifier {
    /// The probabilities of `histories`, 512 users at a time.
    ///
    /// - Parameters:
    ///   - encoder: The vocabularies the classifier was built with.
    ///   - itemIDs: External ids by the store's dense item index.
    ///   - referenceTime: The prediction time event ages are measured from.
    public func probabilities(
        of histories: [UserHistory], encoder: EventSequenceEncoder, itemIDs: Vocabulary, referenceTime: Int64
    ) -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(histories.count)
        for start in stride(from: 0, to: histories.count, by: 512) {
            let batch = encoder.batch(
                Array(histories[start..<min(start + 512, histories.count)]), itemIDs: itemIDs,
                referenceTime: referenceTime)
            result += Tensor.withoutGradients { self(batch).sigmoid() }.scalars.map(Double.init)
        }
        return result
    }
}
