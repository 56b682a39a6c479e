import TensorEngine

// Training losses, written as composites of engine ops: none needs a backward rule of its own.
// The only care taken is numerical: every log-sigmoid goes through `softplus`, which never
// exponentiates a large positive number.

/// How a loss combines its per-element values.
public enum LossReduction: Sendable, Equatable {
    /// The average over the elements that count (for masked losses, the unmasked ones).
    case mean
    /// The sum over the elements.
    case sum
    /// No reduction: one loss per element, in the input's shape.
    case none

    /// Reduces `losses` by this rule; `.mean` divides by `count`.
    func apply(_ losses: Tensor, count: Int) -> Tensor {
        switch self {
        case .mean: return losses.sum() * (1 / Float(Swift.max(count, 1)))
        case .sum: return losses.sum()
        case .none: return losses
        }
    }
}

/// Mean squared error `(prediction - target)^2`, reduced.
///
/// ```
/// loss_i = (prediction_i - target_i)^2
/// ```
///
/// - Parameters:
///   - prediction: Any shape.
///   - target: The same shape as `prediction`; treated as a constant if it needs no gradient.
///   - reduction: `.mean` (default) over all elements, `.sum`, or `.none` for the elementwise
///     squares.
/// - Returns: A 0-dimensional tensor, or the prediction's shape for `.none`.
public func meanSquaredError(
    _ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean
) -> Tensor {
    precondition(
        prediction.shape == target.shape,
        "meanSquaredError: prediction \(prediction.shape) and target \(target.shape) must have the same shape")
    return reduction.apply((prediction - target).squared(), count: prediction.count)
}

/// Binary cross-entropy on logits, `-[w y log σ(x) + (1 - y) log(1 - σ(x))]`, computed without
/// overflow for any logit.
///
/// With `w = 1 + (positiveWeight - 1) y` (or `w = 1` without a positive weight) and
/// `softplus(z) = log(1 + e^z)`, the loss is the algebraically equal, stable form PyTorch uses
/// for `binary_cross_entropy_with_logits`:
///
/// ```
/// loss_i = (1 - y_i) x_i + w_i softplus(-x_i)
///        = max(x, 0) - x y + log(1 + e^-|x|)        when w = 1
/// ```
///
/// Logits of ±100 give exact, finite losses and gradients `σ(x) - y`.
///
/// - Parameters:
///   - logits: `x`, any shape.
///   - targets: `y`, the same shape, usually 0 or 1 (soft labels in between are allowed).
///   - positiveWeight: Scales the loss of positive targets (PyTorch's `pos_weight`), e.g.
///     `negatives / positives` to balance classes.
///   - reduction: `.mean` (default), `.sum` or `.none`.
/// - Returns: A 0-dimensional tensor, or the logits' shape for `.none`.
public func binaryCrossEntropyWithLogits(
    logits: Tensor, targets: Tensor, positiveWeight: Float? = nil, reduction: LossReduction = .mean
) -> Tensor {
    precondition(
        logits.shape == targets.shape,
        "binaryCrossEntropyWithLogits: logits \(logits.shape) and targets \(targets.shape) must have the same shape")
    let negativeLogSigmoid = softplus(-logits)
    let weighted: Tensor
    if let positiveWeight {
        weighted = (1 + (positiveWeight - 1) * targets) * negativeLogSigmoid
    } else {
        weighted = negativeLogSigmoid
    }
    return reduction.apply((1 - targets) * logits + weighted, count: logits.count)
}

/// Cross-entropy of class logits against integer targets, `-log softmax(x)[target]`, with an
/// optional ignored target value (as PyTorch's `cross_entropy`).
///
/// ```
/// loss_r = -(x_r[t_r] - log Σ_c e^{x_r[c]})     for every row r with t_r != ignoreIndex
/// mean   = Σ_r loss_r / (number of rows not ignored)
/// ```
///
/// Ignored rows contribute nothing and get a zero gradient. When every row is ignored, the
/// `.mean` loss is 0 (PyTorch returns NaN), so a fully padded batch does not poison training.
///
/// - Parameters:
///   - logits: `[..., C]` unnormalised class scores (commonly `[N, C]`).
///   - targets: `[...]` class indices in `0..<C`, or `ignoreIndex`.
///   - ignoreIndex: A target value that marks rows to skip (default -100, as PyTorch); nil to
///     use every row.
///   - reduction: `.mean` (default) over rows not ignored, `.sum`, or `.none` for one loss
///     per row (0 at ignored rows).
/// - Returns: A 0-dimensional tensor, or `[...]` for `.none`.
/// - Precondition: every target is in `0..<C` or equals `ignoreIndex`.
public func softmaxCrossEntropy(
    logits: Tensor, targets: IndexTensor, ignoreIndex: Int? = -100, reduction: LossReduction = .mean
) -> Tensor {
    let rows = Array(logits.shape.dropLast())
    precondition(
        logits.rank >= 1 && targets.shape == rows,
        "softmaxCrossEntropy: targets \(targets.shape) must be the logits' shape \(logits.shape) without its last axis")
    let classes = logits.shape[logits.rank - 1]
    var safeTargets = targets.indices
    var keep = [Float](repeating: 1, count: targets.count)
    var kept = targets.count
    for (row, target) in targets.indices.enumerated() {
        if target == ignoreIndex {
            safeTargets[row] = 0
            keep[row] = 0
            kept -= 1
        } else {
            precondition(
                (0..<classes).contains(target),
                "softmaxCrossEntropy: target \(target) at row \(row) is outside 0..<\(classes) "
                    + "and is not the ignore index \(ignoreIndex.map(String.init) ?? "nil")")
        }
    }
    let picked = logits.logSoftmax(axis: -1).gatherLast(IndexTensor(shape: rows, indices: safeTargets))
    let losses = kept == targets.count ? -picked : -picked * Tensor(shape: rows, scalars: keep)
    return reduction.apply(losses, count: kept)
}

/// The negative-sampling loss of SASRec and word2vec: each position's positive item should
/// score high and its sampled negatives low, averaged over positions the mask keeps.
///
/// ```
/// loss_p = -log σ(pos_p) - Σ_s log(1 - σ(neg_{p,s}))
///        = softplus(-pos_p) + Σ_s softplus(neg_{p,s})
/// loss   = Σ_{p: mask_p != 0} loss_p / #{p: mask_p != 0}
/// ```
///
/// With one negative per position this is SASRec's objective exactly. Several negatives per
/// position are summed, as in word2vec. When the mask keeps nothing the loss is 0.
///
/// - Parameters:
///   - positiveLogits: `[B, T]` (any shape `P`) scores of the true next items.
///   - negativeLogits: `P` (one negative each) or `P + [S]` (`S` negatives each).
///   - mask: `P`; non-zero where the position counts (not padding). A constant.
///   - reduction: `.mean` (default) over the positions kept, `.sum`, or `.none` for one loss
///     per position `P` (0 where the mask is 0).
/// - Returns: A 0-dimensional tensor, or `P` for `.none`.
public func negativeSamplingBinaryCrossEntropy(
    positiveLogits: Tensor, negativeLogits: Tensor, mask: Tensor, reduction: LossReduction = .mean
) -> Tensor {
    let positions = positiveLogits.shape
    precondition(
        mask.shape == positions,
        "negativeSamplingBinaryCrossEntropy: mask \(mask.shape) must match positive logits \(positions)")
    let negatives: Tensor
    if negativeLogits.shape == positions {
        negatives = softplus(negativeLogits)
    } else {
        precondition(
            negativeLogits.rank == positions.count + 1 && Array(negativeLogits.shape.dropLast()) == positions,
            "negativeSamplingBinaryCrossEntropy: negative logits \(negativeLogits.shape) "
                + "must be \(positions) or \(positions) + [S]")
        negatives = softplus(negativeLogits).sum(axis: -1)
    }
    let keep = mask.scalars.map { $0 != 0 ? Float(1) : 0 }
    let kept = keep.reduce(0) { $0 + Int($1) }
    let losses = (softplus(-positiveLogits) + negatives) * Tensor(shape: positions, scalars: keep)
    return reduction.apply(losses, count: kept)
}

/// `log(1 + e^x)` for any `x`, as `max(x, 0) + log(1 + e^-|x|)`.
///
/// `max(x, 0)` is written `(x + |x|) / 2`: at exactly `x = 0` the engine's `abs` passes a zero
/// gradient, which here gives the true derivative σ(0) = 1/2, where `relu` would give 0 (and a
/// freshly zero-initialised output layer would then learn nothing from its negatives).
private func softplus(_ x: Tensor) -> Tensor {
    let magnitude = x.abs()
    return (x + magnitude) * 0.5 + (1 + (-magnitude).exp()).log()
}

/// The quantile (pinball) loss of predicted quantiles, the loss of quantile regression and of
/// probabilistic forecasters (MQ-RNN, DeepAR's quantile variant, TFT).
///
/// With `e = y - ŷ_q` for each target `y` and each predicted quantile `ŷ_q` of level `τ_q`:
///
/// ```
/// loss_{i,q} = w_i max(τ_q e, (τ_q - 1) e) = w_i (τ_q e + relu(-e))
/// mean       = Σ loss / (Q Σ_i w_i)
/// ```
///
/// Minimising it puts `ŷ_q` at the `τ_q`-quantile of `y`; `τ = 0.5` is half the absolute error.
///
/// - Parameters:
///   - predictions: `[..., Q]`, one prediction per quantile level.
///   - targets: `[...]`, the predictions' shape without its last axis.
///   - quantiles: The `Q` levels `τ_q`, each strictly between 0 and 1.
///   - weights: `[...]` non-negative weights per target (0 leaves a target out, e.g. a missing
///     value); nil weighs every target 1.
///   - reduction: `.mean` (default) over the weighted targets and the levels, `.sum`, or
///     `.none` for the `[..., Q]` losses.
/// - Returns: A 0-dimensional tensor, or the predictions' shape for `.none`.
public func quantileLoss(
    predictions: Tensor, targets: Tensor, quantiles: [Float], weights: Tensor? = nil,
    reduction: LossReduction = .mean
) -> Tensor {
    let rows = Array(predictions.shape.dropLast())
    precondition(
        predictions.rank >= 1 && targets.shape == rows && predictions.shape.last == quantiles.count,
        "quantileLoss: predictions \(predictions.shape) must be the targets' shape \(targets.shape) "
            + "plus one axis of \(quantiles.count) quantile levels")
    precondition(
        quantiles.allSatisfy { $0 > 0 && $0 < 1 }, "quantileLoss: levels \(quantiles) must lie strictly in (0, 1)")
    precondition(
        weights.map { $0.shape == rows } ?? true,
        "quantileLoss: weights \(weights?.shape ?? []) must have the targets' shape \(rows)")
    let levels = Tensor(shape: [quantiles.count], scalars: quantiles)
    let errors = targets.reshaped(rows + [1]) - predictions
    let losses = levels * errors + (-errors).relu()
    guard let weights else { return reduction.apply(losses, count: losses.count) }
    let weighted = losses * weights.reshaped(rows + [1])
    guard reduction == .mean else { return reduction.apply(weighted, count: weighted.count) }
    let total = weights.scalars.reduce(0, +) * Float(quantiles.count)
    return weighted.sum() * (1 / Swift.max(total, Float.leastNormalMagnitude))
}
