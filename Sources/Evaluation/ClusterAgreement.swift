/// The adjusted Rand index of two clusterings of the same items (Hubert & Arabie 1985): their
/// agreement on pairs of items, corrected for chance.
///
/// From the contingency table `n_ij` (items in cluster `i` of `a` and cluster `j` of `b`), its
/// row sums `a_i` and column sums `b_j`, counting ordered pairs as scikit-learn's
/// `pair_confusion_matrix` does:
///
/// ```
/// together in both        = Σ n_ij² - n
/// together in a only      = Σ a_i² - Σ n_ij²
/// together in b only      = Σ b_j² - Σ n_ij²
/// apart in both           = n² - (the three above) - n
/// ARI = 2 (both · apart - a only · b only)
///       / ((both + b only)(b only + apart) + (both + a only)(a only + apart))
/// ```
///
/// 1 means the same partition (whatever the label names), about 0 a chance agreement, and it
/// can go below 0. Full agreement, including two one-cluster labelings and empty ones, is
/// 1.0, as in scikit-learn.
///
/// ```swift
/// adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])    // 1.0
/// ```
///
/// - Precondition: both labelings have the same length.
public func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
    precondition(a.count == b.count, "adjustedRandIndex: \(a.count) labels against \(b.count)")
    let n = a.count
    var cells: [Pair: Int] = [:]
    var rows: [Int: Int] = [:]
    var columns: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        cells[Pair(a: x, b: y), default: 0] += 1
        rows[x, default: 0] += 1
        columns[y, default: 0] += 1
    }
    let cellSquares = cells.values.reduce(0) { $0 + $1 * $1 }
    let rowSquares = rows.values.reduce(0) { $0 + $1 * $1 }
    let columnSquares = columns.values.reduce(0) { $0 + $1 * $1 }
    let both = cellSquares - n
    let onlyA = rowSquares - cellSquares
    let onlyB = columnSquares - cellSquares
    if onlyA == 0 && onlyB == 0 { return 1 }
    let apart = Double(n) * Double(n) - Double(both + onlyA + onlyB) - Double(n)
    let together = Double(both)
    let numerator = 2 * (together * apart - Double(onlyB) * Double(onlyA))
    let denominator =
        (together + Double(onlyB)) * (Double(onlyB) + apart) + (together + Double(onlyA)) * (Double(onlyA) + apart)
    return numerator / denominator
}

/// A cell of the contingency table.
private struct Pair: Hashable {
    let a: Int
    let b: Int
}
