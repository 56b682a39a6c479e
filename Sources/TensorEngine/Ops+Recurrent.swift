// The elementwise half of an LSTM step, fused for speed: a step built from slices and
// separate sigmoid / tanh / multiply ops allocates a dozen [B, H] tensors, each walked again
// in the backward pass. Gate layout follows PyTorch: `gates` is `[B, 4H]` holding the
// pre-activations of the input, forget, cell and output gates (i, f, g, o) in that order.

extension Tensor {
    /// The next LSTM cell state: `c' = sigmoid(f) * c + sigmoid(i) * tanh(g)`.
    ///
    /// - Parameters:
    ///   - gates: `[B, 4H]` pre-activations `i, f, g, o`.
    ///   - previousCell: `[B, H]`.
    /// - Returns: `[B, H]`.
    public static func lstmCellState(gates: Tensor, previousCell: Tensor) -> Tensor {
        let (batch, hidden) = checkLSTMShapes(gates, previousCell, "lstmCellState")
        let out = TensorStorage(uninitializedCount: batch * hidden)
        // sigmoid(i), sigmoid(f), tanh(g) per element, kept for the backward pass.
        let activations = TensorStorage(uninitializedCount: batch * 3 * hidden)
        let pg = gates.pointer
        let pc = previousCell.pointer
        let pa = activations.pointer
        let po = out.pointer
        parallelChunks(batch, costPerItem: hidden * 8) { rows in
            for b in rows {
                let row = pg + b * 4 * hidden
                let act = pa + b * 3 * hidden
                for j in 0..<(2 * hidden) { act[j] = FastMath.sigmoid(row[j]) }
                for j in 0..<hidden { act[2 * hidden + j] = FastMath.tanh(row[2 * hidden + j]) }
                for j in 0..<hidden {
                    po[b * hidden + j] = act[hidden + j] * pc[b * hidden + j] + act[j] * act[2 * hidden + j]
                }
            }
        }
        return Tensor.result(
            shape: [batch, hidden], storage: out, inputs: gates, previousCell,
            op: .lstmCellState(gates: gates, previousCell: previousCell, activations: activations))
    }

    /// The next LSTM hidden state: `h' = sigmoid(o) * tanh(c')`.
    ///
    /// - Parameters:
    ///   - gates: `[B, 4H]` pre-activations `i, f, g, o`.
    ///   - cell: `[B, H]`, the new cell state.
    /// - Returns: `[B, H]`.
    public static func lstmHiddenState(gates: Tensor, cell: Tensor) -> Tensor {
        let (batch, hidden) = checkLSTMShapes(gates, cell, "lstmHiddenState")
        let out = TensorStorage(uninitializedCount: batch * hidden)
        // sigmoid(o), tanh(c) per element, kept for the backward pass.
        let activations = TensorStorage(uninitializedCount: batch * 2 * hidden)
        let pg = gates.pointer
        let pc = cell.pointer
        let pa = activations.pointer
        let po = out.pointer
        parallelChunks(batch, costPerItem: hidden * 4) { rows in
            for b in rows {
                let o = pg + b * 4 * hidden + 3 * hidden
                let act = pa + b * 2 * hidden
                for j in 0..<hidden { act[j] = FastMath.sigmoid(o[j]) }
                for j in 0..<hidden { act[hidden + j] = FastMath.tanh(pc[b * hidden + j]) }
                for j in 0..<hidden { po[b * hidden + j] = act[j] * act[hidden + j] }
            }
        }
        return Tensor.result(
            shape: [batch, hidden], storage: out, inputs: gates, cell,
            op: .lstmHiddenState(gates: gates, cell: cell, activations: activations))
    }

    private static func checkLSTMShapes(_ gates: Tensor, _ state: Tensor, _ name: String) -> (Int, Int) {
        precondition(
            gates.rank == 2 && state.rank == 2 && gates.shape[0] == state.shape[0]
                && gates.shape[1] == 4 * state.shape[1],
            "\(name): gates \(gates.shape) and state \(state.shape) need [B, 4H] and [B, H]")
        return (state.shape[0], state.shape[1])
    }

    /// Gradients of ``lstmCellState(gates:previousCell:)`` from the activations the forward
    /// pass kept: for the `i, f, g` columns of the gates (`[B, 3H]`; `o` is untouched) and
    /// for the previous cell.
    static func lstmCellStateBackward(
        previousCell: Tensor, activations: TensorStorage, g: Tensor
    ) -> (Tensor, Tensor) {
        let (batch, hidden) = (previousCell.shape[0], previousCell.shape[1])
        let dGates = TensorStorage(uninitializedCount: batch * 3 * hidden)
        let dCell = TensorStorage(uninitializedCount: batch * hidden)
        let pa = activations.pointer
        let pc = previousCell.pointer
        let pd = g.pointer
        let dg = dGates.pointer
        let dc = dCell.pointer
        // One store stream per loop: with several, the compiler cannot prove the streams
        // apart and leaves the loop scalar (measured 6x slower).
        parallelChunks(batch, costPerItem: hidden * 8) { rows in
            for b in rows {
                let (i, f, t) = (pa + b * 3 * hidden, pa + b * 3 * hidden + hidden, pa + b * 3 * hidden + 2 * hidden)
                let (grad, previous) = (pd + b * hidden, pc + b * hidden)
                let out = dg + b * 3 * hidden
                for j in 0..<hidden { out[j] = grad[j] * t[j] * i[j] * (1 - i[j]) }
                for j in 0..<hidden { out[hidden + j] = grad[j] * previous[j] * f[j] * (1 - f[j]) }
                for j in 0..<hidden { out[2 * hidden + j] = grad[j] * i[j] * (1 - t[j] * t[j]) }
                let cellRow = dc + b * hidden
                for j in 0..<hidden { cellRow[j] = grad[j] * f[j] }
            }
        }
        return (
            Tensor(shape: [batch, 3 * hidden], storage: dGates, op: nil),
            Tensor(shape: previousCell.shape, storage: dCell, op: nil)
        )
    }

    /// Gradients of ``lstmHiddenState(gates:cell:)`` from the activations the forward pass
    /// kept: for the `o` columns of the gates (`[B, H]`) and for the cell.
    static func lstmHiddenStateBackward(cell: Tensor, activations: TensorStorage, g: Tensor) -> (Tensor, Tensor) {
        let (batch, hidden) = (cell.shape[0], cell.shape[1])
        let dOutput = TensorStorage(uninitializedCount: batch * hidden)
        let dCell = TensorStorage(uninitializedCount: batch * hidden)
        let pa = activations.pointer
        let pd = g.pointer
        let dg = dOutput.pointer
        let dc = dCell.pointer
        parallelChunks(batch, costPerItem: hidden * 4) { rows in
            for b in rows {
                let (s, t) = (pa + b * 2 * hidden, pa + b * 2 * hidden + hidden)
                let grad = pd + b * hidden
                let out = dg + b * hidden
                for j in 0..<hidden { out[j] = grad[j] * t[j] * s[j] * (1 - s[j]) }
                let cellRow = dc + b * hidden
                for j in 0..<hidden { cellRow[j] = grad[j] * s[j] * (1 - t[j] * t[j]) }
            }
        }
        return (
            Tensor(shape: [batch, hidden], storage: dOutput, op: nil),
            Tensor(shape: cell.shape, storage: dCell, op: nil)
        )
    }
}
