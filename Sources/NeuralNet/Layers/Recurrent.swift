import Randomness
import TensorEngine

// Multi-layer LSTM and GRU, batch first, numerically matching PyTorch's `nn.LSTM` and
// `nn.GRU`: same gate order, parameter layout and initialisation, and packed-sequence
// semantics for variable lengths.

/// One LSTM layer: the weights and the step function of PyTorch's `nn.LSTMCell`.
///
/// ```
/// [i, f, g, o] = x W_ih^T + b_ih + h W_hh^T + b_hh       (each H wide, in this order)
/// i, f, o = sigmoid(.),  g = tanh(.)
/// c' = f * c + i * g
/// h' = o * tanh(c')
/// ```
///
/// Shapes: `B` batch, `I` = ``inputSize``, `H` = ``hiddenSize``. Parameter keys are
/// `inputWeight` `[4H, I]`, `hiddenWeight` `[4H, H]`, `inputBias` `[4H]`, `hiddenBias` `[4H]`
/// (PyTorch's `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`).
///
/// ### See Also
/// ``LSTM``, ``GRUCell``
public final class LSTMCell: Layer {
    /// The gates `i, f, g, o`, stacked by rows.
    public let gates: GateWeights

    /// Creates a layer initialised like PyTorch: every tensor from `U(-1/sqrt(H), 1/sqrt(H))`.
    ///
    /// - Parameters:
    ///   - inputSize: `I`, the width of each input step.
    ///   - hiddenSize: `H`, the width of the hidden and cell states.
    ///   - generator: Draws the initial weights.
    public init(inputSize: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        gates = GateWeights(gateCount: 4, inputSize: inputSize, hiddenSize: hiddenSize, generator: &generator)
    }

    /// One time step.
    ///
    /// - Parameters:
    ///   - input: `[B, I]`.
    ///   - hidden: `[B, H]`, the previous hidden state.
    ///   - cell: `[B, H]`, the previous cell state.
    /// - Returns: The next hidden and cell states, `[B, H]` each.
    public func callAsFunction(_ input: Tensor, hidden: Tensor, cell: Tensor) -> (hidden: Tensor, cell: Tensor) {
        let recurrence = makeRecurrence()
        let projected = recurrence.project(input.reshaped([1] + input.shape)).reshaped([input.shape[0], -1])
        let next = recurrence.step(projected, [hidden, cell])
        return (next[0], next[1])
    }

    /// The layer as a recurrence: the input projection `x W_ih^T + b_ih + b_hh` for every
    /// step at once, then per step `gates = projected_t + h W_hh^T` and the fused cell update.
    public func makeRecurrence() -> Recurrence {
        let bias = inputBias + hiddenBias
        let (h, i) = (hiddenSize, inputSize)
        return Recurrence(
            project: { [inputWeight] x in
                precondition(x.shape.last == i, "LSTMCell: input \(x.shape) needs width \(i)")
                return x.matmul(inputWeight, transposeB: true) + bias
            },
            step: { [hiddenWeight] projected, state in
                precondition(
                    state[0].shape == [projected.shape[0], h],
                    "LSTMCell: hidden \(state[0].shape) needs [\(projected.shape[0]), \(h)]")
                let gates = state[0].matmul(hiddenWeight, transposeB: true, adding: projected)
                let cell = Tensor.lstmCellState(gates: gates, previousCell: state[1])
                return [Tensor.lstmHiddenState(gates: gates, cell: cell), cell]
            })
    }
}

/// One GRU layer: the weights and the step function of PyTorch's `nn.GRUCell`.
///
/// ```
/// [r, z] = sigmoid(x W_i{r,z}^T + b_i{r,z} + h W_h{r,z}^T + b_h{r,z})
/// n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
/// h' = (1 - z) * n + z * h
/// ```
///
/// Shapes: `B` batch, `I` = ``inputSize``, `H` = ``hiddenSize``. Parameter keys are
/// `inputWeight` `[3H, I]`, `hiddenWeight` `[3H, H]`, `inputBias` `[3H]`, `hiddenBias` `[3H]`
/// (PyTorch's `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`; rows stacked `r, z, n`).
///
/// ### See Also
/// ``GRU``, ``LSTMCell``
public final class GRUCell: Layer {
    /// The gates `r, z, n`, stacked by rows (the recurrent bias of `n` sits inside the reset
    /// gate's product).
    public let gates: GateWeights

    /// Creates a layer initialised like PyTorch: every tensor from `U(-1/sqrt(H), 1/sqrt(H))`.
    ///
    /// - Parameters:
    ///   - inputSize: `I`, the width of each input step.
    ///   - hiddenSize: `H`, the width of the hidden state.
    ///   - generator: Draws the initial weights.
    public init(inputSize: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        gates = GateWeights(gateCount: 3, inputSize: inputSize, hiddenSize: hiddenSize, generator: &generator)
    }

    /// One time step.
    ///
    /// - Parameters:
    ///   - input: `[B, I]`.
    ///   - hidden: `[B, H]`, the previous hidden state.
    /// - Returns: The next hidden state, `[B, H]`.
    public func callAsFunction(_ input: Tensor, hidden: Tensor) -> Tensor {
        let recurrence = makeRecurrence()
        let projected = recurrence.project(input.reshaped([1] + input.shape)).reshaped([input.shape[0], -1])
        return recurrence.step(projected, [hidden])[0]
    }

    /// The layer as a recurrence: the input projection `x W_ih^T + b_ih` for every step at
    /// once, then per step the gates from `projected_t` and `h W_hh^T + b_hh`.
    public func makeRecurrence() -> Recurrence {
        let (h, i) = (hiddenSize, inputSize)
        return Recurrence(
            project: { [inputWeight, inputBias] x in
                precondition(x.shape.last == i, "GRUCell: input \(x.shape) needs width \(i)")
                return x.matmul(inputWeight, transposeB: true) + inputBias
            },
            step: { [hiddenWeight, hiddenBias] projected, state in
                let previous = state[0]
                precondition(
                    previous.shape == [projected.shape[0], h],
                    "GRUCell: hidden \(previous.shape) needs [\(projected.shape[0]), \(h)]")
                let fromInput = projected.split(sizes: [2 * h, h], axis: 1)
                let fromHidden = (previous.matmul(hiddenWeight, transposeB: true) + hiddenBias)
                    .split(sizes: [2 * h, h], axis: 1)
                let gates = (fromInput[0] + fromHidden[0]).sigmoid().split(sizes: [h, h], axis: 1)
                let candidate = (fromInput[1] + gates[0] * fromHidden[1]).tanh()
                // (1 - z) * n + z * h, with one product fewer.
                return [candidate + gates[1] * (previous - candidate)]
            })
    }
}

/// The state of a stacked LSTM between sequences.
public struct LSTMState: Sendable {
    /// `[L, B, H]`: the hidden state of each layer.
    public var hidden: Tensor
    /// `[L, B, H]`: the cell state of each layer.
    public var cell: Tensor

    public init(hidden: Tensor, cell: Tensor) {
        self.hidden = hidden
        self.cell = cell
    }
}

/// What ``LSTM`` returns for a batch of sequences.
public struct LSTMResult: Sendable {
    /// `[B, T, H]`: the last layer's hidden state at every step, zero at padded steps.
    public let output: Tensor
    /// `[L, B, H]`: each layer's hidden state after the last step of each sequence.
    public let hidden: Tensor
    /// `[L, B, H]`: each layer's cell state after the last step of each sequence.
    public let cell: Tensor

    /// The final state, to continue the sequences with another call.
    public var state: LSTMState { LSTMState(hidden: hidden, cell: cell) }
}

/// A stack of LSTM layers over batch-first sequences, matching PyTorch's
/// `nn.LSTM(I, H, num_layers: L, dropout: p, batch_first: True)`.
///
/// Layer `l > 0` reads the hidden states of layer `l - 1`; in training mode those pass through
/// dropout first (never the last layer's output, nor the final states), as in PyTorch.
///
/// Variable lengths follow PyTorch's packed sequences: sequence `b` runs for `lengths[b]`
/// steps, its output is zero after that and its final state is the state after its last real
/// step. The input projection runs once for all steps; each step is one `h W_hh^T` matmul.
///
/// Shapes: `B` batch, `T` steps, `I` = ``inputSize``, `H` = ``hiddenSize``, `L` = layer count.
/// Parameter keys: `layers.<l>.inputWeight`, `layers.<l>.hiddenWeight`,
/// `layers.<l>.inputBias`, `layers.<l>.hiddenBias` (see ``LSTMCell``), which are PyTorch's
/// `weight_ih_l<l>`, `weight_hh_l<l>`, `bias_ih_l<l>`, `bias_hh_l<l>`.
///
/// ```swift
/// let lstm = LSTM(inputSize: 32, hiddenSize: 64, layerCount: 2, dropout: 0.1, generator: &rng)
/// let result = lstm(x, lengths: [50, 12, 33])   // x [3, 50, 32]
/// let last = result.hidden.slice(axis: 0, 1..<2)  // the top layer's final state, [1, 3, 64]
/// ```
///
/// ### See Also
/// ``LSTMCell``, ``GRU``
public final class LSTM: RecurrentStack<LSTMCell> {
    /// Runs the stack over a batch of sequences.
    ///
    /// - Parameters:
    ///   - x: `[B, T, I]`.
    ///   - lengths: The number of real steps of each sequence, `B` values in `0...T`; nil when
    ///     every sequence has all `T` steps.
    ///   - initialState: `[L, B, H]` hidden and cell states; zeros when nil.
    /// - Returns: The output sequence and the final states.
    public func callAsFunction(_ x: Tensor, lengths: [Int]? = nil, initialState: LSTMState? = nil) -> LSTMResult {
        let run = run(
            x, lengths: lengths, initialState: initialState.map { [$0.hidden, $0.cell] } ?? [],
            stateCount: 2, name: "LSTM")
        return LSTMResult(output: run.output, hidden: run.finalState[0], cell: run.finalState[1])
    }
}

/// What ``GRU`` returns for a batch of sequences.
public struct GRUResult: Sendable {
    /// `[B, T, H]`: the last layer's hidden state at every step, zero at padded steps.
    public let output: Tensor
    /// `[L, B, H]`: each layer's hidden state after the last step of each sequence.
    public let hidden: Tensor
}

/// A stack of GRU layers over batch-first sequences, matching PyTorch's
/// `nn.GRU(I, H, num_layers: L, dropout: p, batch_first: True)`.
///
/// Layers, dropout and variable lengths behave as in ``LSTM``. Parameter keys:
/// `layers.<l>.inputWeight`, `layers.<l>.hiddenWeight`, `layers.<l>.inputBias`,
/// `layers.<l>.hiddenBias` (see ``GRUCell``).
///
/// ```swift
/// let gru = GRU(inputSize: 64, hiddenSize: 64, generator: &rng)
/// let h = gru(embedded, lengths: lengths).hidden   // [1, B, 64]
/// ```
///
/// ### See Also
/// ``GRUCell``, ``LSTM``
public final class GRU: RecurrentStack<GRUCell> {
    /// Runs the stack over a batch of sequences.
    ///
    /// - Parameters:
    ///   - x: `[B, T, I]`.
    ///   - lengths: The number of real steps of each sequence, `B` values in `0...T`; nil when
    ///     every sequence has all `T` steps.
    ///   - initialState: `[L, B, H]`; zeros when nil.
    /// - Returns: The output sequence and the final hidden states.
    public func callAsFunction(_ x: Tensor, lengths: [Int]? = nil, initialState: Tensor? = nil) -> GRUResult {
        let run = run(x, lengths: lengths, initialState: initialState.map { [$0] } ?? [], stateCount: 1, name: "GRU")
        return GRUResult(output: run.output, hidden: run.finalState[0])
    }
}

// MARK: - Shared machinery

/// A recurrent layer that ``RecurrentStack`` can stack.
public protocol RecurrentCell: Layer {
    /// Creates a layer initialised like PyTorch.
    init(inputSize: Int, hiddenSize: Int, generator: inout RandomGenerator)
    /// The gates' weights and biases.
    var gates: GateWeights { get }
    /// The layer split into its input projection and its step.
    func makeRecurrence() -> Recurrence
}

extension RecurrentCell {
    /// `[gH, I]`: the gates' input weights, stacked by rows.
    public var inputWeight: Tensor { gates.inputWeight }
    /// `[gH, H]`: the gates' recurrent weights, stacked by rows.
    public var hiddenWeight: Tensor { gates.hiddenWeight }
    /// `[gH]`: added to the input projection.
    public var inputBias: Tensor { gates.inputBias }
    /// `[gH]`: added to the recurrent projection.
    public var hiddenBias: Tensor { gates.hiddenBias }

    /// PyTorch's four tensors, under the names checkpoints use.
    public var ownParameters: [(name: String, tensor: Tensor)] {
        [
            ("inputWeight", inputWeight), ("hiddenWeight", hiddenWeight),
            ("inputBias", inputBias), ("hiddenBias", hiddenBias),
        ]
    }

    /// `I`, the width of each input step.
    public var inputSize: Int { inputWeight.shape[1] }
    /// `H`, the width of the hidden state.
    public var hiddenSize: Int { hiddenWeight.shape[1] }
}

extension LSTMCell: RecurrentCell {}
extension GRUCell: RecurrentCell {}

/// Layers of one recurrent cell type stacked over batch-first sequences, with dropout
/// between them: what ``LSTM`` and ``GRU`` share.
public class RecurrentStack<Cell: RecurrentCell>: Layer {
    /// The layers, bottom first.
    public let layers: [Cell]
    /// Applied to the outputs of every layer but the last, in training mode.
    public let dropout: Dropout

    /// Creates a stack initialised like PyTorch.
    ///
    /// - Parameters:
    ///   - inputSize: `I`, the width of each input step.
    ///   - hiddenSize: `H`, the width of every layer's states.
    ///   - layerCount: `L`, at least 1.
    ///   - dropout: The probability of dropping each element between layers, in `[0, 1)`.
    ///   - generator: Draws the initial weights and seeds the dropout stream.
    public init(
        inputSize: Int, hiddenSize: Int, layerCount: Int = 1, dropout: Float = 0,
        generator: inout RandomGenerator
    ) {
        precondition(
            inputSize > 0 && hiddenSize > 0 && layerCount > 0,
            "\(Self.self): inputSize \(inputSize), hiddenSize \(hiddenSize) and layerCount \(layerCount) must be positive"
        )
        layers = (0..<layerCount).map { l in
            Cell(inputSize: l == 0 ? inputSize : hiddenSize, hiddenSize: hiddenSize, generator: &generator)
        }
        self.dropout = Dropout(probability: dropout, seed: generator.next())
    }

    public var sublayers: [(name: String, layer: any Layer)] {
        layers.enumerated().map { ("layers.\($0.offset)", $0.element as any Layer) } + [("dropout", dropout)]
    }

    /// `I`, the width of each input step.
    public var inputSize: Int { layers[0].inputSize }
    /// `H`, the width of every layer's states.
    public var hiddenSize: Int { layers[0].hiddenSize }

    func run(
        _ x: Tensor, lengths: [Int]?, initialState: [Tensor], stateCount: Int, name: String
    ) -> (output: Tensor, finalState: [Tensor]) {
        runRecurrentStack(
            x, lengths: lengths, initialState: initialState, layers: layers.map { $0.makeRecurrence() },
            stateCount: stateCount, inputSize: inputSize, hiddenSize: hiddenSize, dropout: dropout, name: name)
    }
}

/// The four tensors of a gated recurrent cell with `g` gates, laid out as PyTorch's
/// `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`.
public struct GateWeights: Sendable {
    /// `[gH, I]`.
    public let inputWeight: Tensor
    /// `[gH, H]`.
    public let hiddenWeight: Tensor
    /// `[gH]`.
    public let inputBias: Tensor
    /// `[gH]`.
    public let hiddenBias: Tensor

    /// Every tensor drawn from `U(-1/sqrt(H), 1/sqrt(H))`, as PyTorch initialises them.
    init(gateCount: Int, inputSize: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        precondition(
            inputSize > 0 && hiddenSize > 0,
            "recurrent cell: inputSize \(inputSize) and hiddenSize \(hiddenSize) must be positive")
        let bound = 1 / Float(hiddenSize).squareRoot()
        let initializer = Initializer.uniform(-bound...bound)
        let rows = gateCount * hiddenSize
        inputWeight = initializer.make([rows, inputSize], generator: &generator)
        hiddenWeight = initializer.make([rows, hiddenSize], generator: &generator)
        inputBias = initializer.make([rows], generator: &generator)
        hiddenBias = initializer.make([rows], generator: &generator)
    }
}

/// A recurrent layer split into its parallel and its sequential part.
public struct Recurrence {
    /// The input projection of every step at once: `[..., I] -> [..., G*H]`.
    public let project: (Tensor) -> Tensor
    /// One step from the projected input `[B, G*H]` and the state (hidden first).
    public let step: (Tensor, [Tensor]) -> [Tensor]
}

/// Runs stacked recurrent layers over `x` `[B, T, I]`.
///
/// Each layer projects its whole input sequence with one matmul (`[B, T, G*H]`) and then
/// steps through time with one `[B, H] x [H, G*H]` matmul per step. Cutting the projection
/// into steps is cheap: the engine adds slice gradients into one buffer. Where
/// `t >= lengths[b]`, row `b` keeps its previous state, so the final state is the one after
/// its last real step.
///
/// - Parameters:
///   - initialState: Per state component, `[L, B, H]`; empty for zeros.
///   - stateCount: The number of state components (2 for LSTM, 1 for GRU).
/// - Returns: The output `[B, T, H]` (zero at padded steps) and, per state component, the
///   final states `[L, B, H]`.
private func runRecurrentStack(
    _ x: Tensor, lengths: [Int]?, initialState: [Tensor], layers: [Recurrence],
    stateCount: Int, inputSize: Int, hiddenSize: Int, dropout: Dropout, name: String
) -> (output: Tensor, finalState: [Tensor]) {
    precondition(
        x.rank == 3 && x.shape[0] > 0 && x.shape[1] > 0 && x.shape[2] == inputSize,
        "\(name): input \(x.shape) must be [B, T, \(inputSize)] with B, T > 0")
    let (batch, length) = (x.shape[0], x.shape[1])
    let stateShape = [layers.count, batch, hiddenSize]
    for component in initialState {
        precondition(component.shape == stateShape, "\(name): initial state \(component.shape) must be \(stateShape)")
    }
    if let lengths {
        precondition(
            lengths.count == batch && lengths.allSatisfy { (0...length).contains($0) },
            "\(name): lengths \(lengths) must be \(batch) values in 0...\(length)")
    }
    // Row b is live at step t when t < lengths[b]; nil when every row is live.
    let liveMasks: [Tensor?] = (0..<length).map { t in
        guard let lengths, lengths.contains(where: { $0 <= t }) else { return nil }
        return Tensor(shape: [batch, 1], scalars: lengths.map { $0 > t ? 1 : 0 })
    }

    var sequence = x  // [B, T, F], then each layer's outputs [B, T, H]
    var finalStates: [[Tensor]] = []  // [layer][component], each [B, H]
    for (l, layer) in layers.enumerated() {
        // Batch-major throughout, so each example's rows stay together where the weights meet
        // the data (what per-example gradients need); a step reads its [B, G*H] rows by a
        // strided slice.
        let projected = layer.project(sequence)  // [B, T, G*H]
        let width = projected.shape[2]
        var state: [Tensor] =
            initialState.isEmpty
            ? [Tensor](repeating: Tensor.zeros([batch, hiddenSize]), count: stateCount)
            : initialState.map { $0.slice(axis: 0, l..<(l + 1)).reshaped([batch, hiddenSize]) }
        var outputs: [Tensor] = []
        outputs.reserveCapacity(length)
        for t in 0..<length {
            let next = layer.step(projected.slice(axis: 1, t..<(t + 1)).reshaped([batch, width]), state)
            if let live = liveMasks[t] {
                state = zip(next, state).map { Tensor.select(live, $0, $1) }
            } else {
                state = next
            }
            outputs.append(state[0].reshaped([batch, 1, hiddenSize]))
        }
        finalStates.append(state)
        sequence = Tensor.concatenate(outputs, axis: 1)  // [B, T, H]
        if l < layers.count - 1 { sequence = dropout(sequence) }
    }

    var output = sequence
    if let lengths, lengths.contains(where: { $0 < length }) {
        let live = (0..<batch).flatMap { b in (0..<length).map { t -> Float in t < lengths[b] ? 1 : 0 } }
        output = output * Tensor(shape: [batch, length, 1], scalars: live)
    }
    let stacked = (0..<stateCount).map { k in
        Tensor.concatenate(finalStates.map { $0[k].reshaped([1, batch, hiddenSize]) }, axis: 0)
    }
    return (output, stacked)
}
