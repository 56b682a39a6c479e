import Randomness

/// A seeded random split of tabular rows that keeps each class's share the same in every part.
///
/// Each class (rows with equal labels) is shuffled on its own and cut in the given fractions:
/// with `n` rows in a class, the first `round(n * train)` shuffled rows go to train, the rows up
/// to `round(n * (train + validation))` to validation and the rest to test. So every part holds
/// each class's share to within one row, and a binary label keeps its positive rate in all
/// three parts.
///
/// The split depends only on the labels (their order and values) and the seed: the same input
/// and seed give the same split on every run and machine. Classes draw from one generator in
/// order of first appearance.
///
/// ```swift
/// let split = try StratifiedSplit(fractions: SplitFractions(train: 0.8, validation: 0.1, test: 0.1), seed: 7)
/// let rows = split.split(labels: churnLabels)  // row indexes per part
/// ```
public struct StratifiedSplit: Sendable, Hashable {
    /// The share of each part.
    public let fractions: SplitFractions
    /// The seed of the shuffle.
    public let seed: UInt64

    public init(fractions: SplitFractions, seed: UInt64) {
        self.fractions = fractions
        self.seed = seed
    }

    /// The part of each row, in row order.
    ///
    /// - Parameter labels: Each row's class (a binary label, a category, ...).
    public func assignments<Label: Hashable>(labels: [Label]) -> [SplitPart] {
        var rowsOfClass: [[Int]] = []
        var classIndex: [Label: Int] = [:]
        for (row, label) in labels.enumerated() {
            if let index = classIndex[label] {
                rowsOfClass[index].append(row)
            } else {
                classIndex[label] = rowsOfClass.count
                rowsOfClass.append([row])
            }
        }
        var generator = RandomGenerator(seed: seed)
        var parts = [SplitPart](repeating: .train, count: labels.count)
        for rows in rowsOfClass {
            let count = Double(rows.count)
            let trainEnd = Int((count * fractions.train).rounded())
            let validationEnd = min(rows.count, Int((count * (fractions.train + fractions.validation)).rounded()))
            for (position, shuffled) in generator.permutation(rows.count).enumerated() {
                let row = rows[shuffled]
                if position < trainEnd {
                    parts[row] = .train
                } else {
                    parts[row] = position < validationEnd ? .validation : .test
                }
            }
        }
        return parts
    }

    /// The row indexes of each part, ascending.
    ///
    /// - Parameter labels: Each row's class (a binary label, a category, ...).
    public func split<Label: Hashable>(labels: [Label]) -> SplitParts<[Int]> {
        var indexes = SplitParts<[Int]>(train: [], validation: [], test: [])
        for (row, part) in assignments(labels: labels).enumerated() {
            switch part {
            case .train: indexes.train.append(row)
            case .validation: indexes.validation.append(row)
            case .test: indexes.test.append(row)
            }
        }
        return indexes
    }
}
