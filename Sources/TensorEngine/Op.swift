/// How a tensor was computed: one case per primitive, each capturing its inputs and whatever
/// its backward rule needs. ``Tensor/gradients(seed:)`` handles every case in one exhaustive
/// switch (Backward.swift), so a primitive without a gradient rule does not compile.
///
/// Composite ops (mean, softmax cross-entropy, linear layers, ...) are built from these and
/// need no rule of their own.
enum Op {
    /// Elementwise function of one tensor.
    case unary(Tensor, UnaryFunction)
    /// Elementwise function of one tensor and constant scalars.
    case scalar(Tensor, ScalarFunction)
    /// Elementwise function of two tensors with NumPy broadcasting.
    case binary(Tensor, Tensor, BinaryFunction)
    /// `op(a) x op(b)` over the last two axes, batched over the leading ones.
    case matmul(Tensor, Tensor, transposeA: Bool, transposeB: Bool)
    /// `addend + a x op(b)` for matrices, summed inside BLAS.
    case addMatmul(Tensor, Tensor, Tensor, transposeB: Bool)
    /// Sum over one axis (the result keeps or drops it; the backward rule only needs counts).
    case sum(Tensor, axis: Int)
    /// Maximum over one axis; `argmax` holds the winning position per output element.
    case max(Tensor, axis: Int, argmax: [Int32])
    /// Broadcast (expand) to the result's shape.
    case broadcast(Tensor)
    /// Same values, new shape.
    case reshape(Tensor)
    /// Axis permutation: result axis `i` is input axis `permutation[i]`.
    case permute(Tensor, permutation: [Int])
    /// Concatenation along an axis.
    case concat([Tensor], axis: Int)
    /// A contiguous range `start..<start+length` along an axis (length from the result shape).
    case slice(Tensor, axis: Int, start: Int)
    /// Selecting entries along an axis by index (embedding lookup when axis is 0).
    case indexSelect(Tensor, axis: Int, indices: IndexTensor)
    /// One entry per row along the last axis (`x[..., indices[...]]`).
    case gatherLast(Tensor, indices: IndexTensor)
    /// Elements where the constant `mask` is non-zero replaced by a constant.
    case maskedFill(Tensor, mask: Tensor)
    /// `condition ? a : b` elementwise, with a constant condition.
    case select(condition: Tensor, Tensor, Tensor)
    /// Inverted dropout; `mask` holds 0 or `1 / (1 - p)` per element.
    case dropout(Tensor, mask: TensorStorage)
    /// Softmax along an axis (the backward rule reads the result).
    case softmax(Tensor, axis: Int)
    /// Log-softmax along an axis (the backward rule reads the result).
    case logSoftmax(Tensor, axis: Int)
    /// `(x - mean) / sqrt(var + eps)` over the last axis; `inverseStd` is per row.
    case normalize(Tensor, inverseStd: TensorStorage)
    /// LSTM cell state `sigmoid(f) * c + sigmoid(i) * tanh(g)` from gates `[B, 4H]`;
    /// `activations` keeps `sigmoid(i), sigmoid(f), tanh(g)` per row for the backward rule.
    case lstmCellState(gates: Tensor, previousCell: Tensor, activations: TensorStorage)
    /// LSTM hidden state `sigmoid(o) * tanh(c)` from gates `[B, 4H]` and the new cell;
    /// `activations` keeps `sigmoid(o), tanh(c)` per row for the backward rule.
    case lstmHiddenState(gates: Tensor, cell: Tensor, activations: TensorStorage)
    /// 1-D convolution patches: `[N, C, L] -> [N, Lout, C * K]`.
    case im2col(Tensor, kernelSize: Int, stride: Int, padding: Int, dilation: Int)
}

/// Elementwise functions of one tensor.
enum UnaryFunction {
    case negate, exp, log, sqrt, abs, relu, sigmoid, tanh, gelu
}

/// Elementwise functions of a tensor and constants.
enum ScalarFunction {
    case add(Float)
    case multiply(Float)
    case power(Float)
    case clamp(Float, Float)
    case leakyRelu(Float)
}

/// Elementwise functions of two broadcast tensors.
enum BinaryFunction {
    case add, subtract, multiply, divide
}
