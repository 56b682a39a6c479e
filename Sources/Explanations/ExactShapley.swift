import TensorEngine

/// Exact Shapley values of groups of input features, by enumerating every coalition: the
/// reference that attributions of small models are checked against.
///
/// A coalition `S` of groups is scored as the input with the groups outside `S` set to the
/// baseline ("removed"); group `i` gets the average, over the orders in which groups can
/// join, of the score change when it joins:
/// `φ_i = Σ_{S ⊆ N \ {i}} |S|! (n - |S| - 1)! / n! · (v(S ∪ {i}) - v(S))`.
/// All `2^n` coalitions are scored in one batch, so `n` is limited to ``maximumGroups``.
///
/// ```swift
/// let phi = ExactShapley.values({ network($0).sigmoid() }, input: x, baseline: zeros,
///                               groups: [0..<1, 1..<4, 4..<5])   // one value per group
/// ```
public enum ExactShapley {
    /// The most groups enumerated (4,096 coalitions).
    public static let maximumGroups = 12

    /// One Shapley value per group; they add up to `f(x) - f(b)` exactly (efficiency).
    ///
    /// - Precondition: at most ``maximumGroups`` groups, each inside the input.
    public static func values(
        _ model: (Tensor) -> Tensor, input: [Float], baseline: [Float], groups: [Range<Int>]
    ) -> [Double] {
        let count = groups.count
        precondition(count <= maximumGroups, "exact Shapley values: \(count) groups, at most \(maximumGroups)")
        precondition(
            input.count == baseline.count, "exact Shapley values: input \(input.count), baseline \(baseline.count)")
        precondition(
            groups.allSatisfy { $0.upperBound <= input.count }, "exact Shapley values: a group outside the input")
        let width = input.count
        let coalitions = 1 << count
        var rows = [Float](repeating: 0, count: coalitions * width)
        for coalition in 0..<coalitions {
            let base = coalition * width
            for column in 0..<width { rows[base + column] = baseline[column] }
            for (group, range) in groups.enumerated() where coalition & (1 << group) != 0 {
                for column in range { rows[base + column] = input[column] }
            }
        }
        let scores = Tensor.withoutGradients { model(Tensor(shape: [coalitions, width], scalars: rows)) }
            .scalars.map { Double($0) }
        // weight[s] = s! (n - s - 1)! / n!
        var factorial = [Double](repeating: 1, count: count + 1)
        for k in stride(from: 1, through: count, by: 1) { factorial[k] = factorial[k - 1] * Double(k) }
        var values = [Double](repeating: 0, count: count)
        for coalition in 0..<coalitions {
            let size = coalition.nonzeroBitCount
            for group in 0..<count where coalition & (1 << group) == 0 {
                let weight = factorial[size] * factorial[count - size - 1] / factorial[count]
                values[group] += weight * (scores[coalition | (1 << group)] - scores[coalition])
            }
        }
        return values
    }
}
