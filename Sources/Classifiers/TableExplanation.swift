import EventData
import Explanations
import Foundation
import TensorEngine

/// One input column's share of a row's score.
public struct ColumnAttribution: Sendable, Codable, Equatable {
    /// The column's name in the table.
    public var column: String
    /// The row's cell, as written.
    public var value: String
    /// How far the column moved the probability from the baseline's (the sum over the
    /// column's features: its value, its one-hot slots, its missing flag).
    public var attribution: Double
}

/// Why a table classifier scored one row as it did.
public struct RowExplanation: Sendable, Codable, Equatable {
    /// The row's line in the file.
    public var line: Int
    public var probability: Double
    /// The probability of the baseline row: every numeric column at its training mean, no
    /// category and nothing missing (all features 0 after scaling).
    public var baselineProbability: Double
    /// Every column the model uses, the largest attribution (by size) first.
    public var columns: [ColumnAttribution]
    /// Integrated-gradient path points, and how far the attributions' sum is from
    /// `probability - baselineProbability` (absolute and as a share of it).
    public var steps: Int
    public var completenessGap: Double
    public var relativeGap: Double
}

extension TableClassifier {
    /// Explains the model's probability for rows of a CSV/TSV file by integrated gradients
    /// (``IntegratedGradients``) against the all-zero baseline of the scaled features,
    /// summed per input column.
    ///
    /// - Parameters:
    ///   - lines: The file lines to explain; nil for the first `limit` rows.
    ///   - limit: The most rows explained when `lines` is nil.
    /// - Throws: ``ClassifierError/missingColumns(path:names:)``,
    ///   ``ClassifierError/badData(path:detail:)`` for a chosen row that cannot be encoded or a
    ///   line the file does not have; file errors.
    public func explain(
        file input: String, lines: [Int]?, limit: Int = 5, explainer: IntegratedGradients = IntegratedGradients()
    ) throws -> [RowExplanation] {
        let reader = try DelimitedTableReader(path: input)
        let encoder = manifest.encoder
        let positions: [Int]
        switch encoder.positions(in: reader.columns) {
        case .success(let found): positions = found
        case .failure(let missing): throw ClassifierError.missingColumns(path: input, names: missing.names)
        }
        let wanted = lines.map(Set.init)
        var explanations: [RowExplanation] = []
        let baseline = [Float](repeating: 0, count: encoder.width)
        let network = model
        network.setTraining(false)
        try reader.forEachRow { entry in
            guard wanted != nil || explanations.count < limit else { return }
            switch entry {
            case .rejected(let rejection):
                if wanted?.contains(rejection.line) == true {
                    throw ClassifierError.badData(
                        path: input, detail: "line \(rejection.line) cannot be read: \(rejection.reason)")
                }
            case .row(let row):
                guard wanted?.contains(row.line) ?? true else { return }
                let features: [Float]
                do {
                    features = try encoder.encode(row.fields, positions: positions)
                } catch {
                    throw ClassifierError.badData(
                        path: input, detail: "line \(row.line): \(error.localizedDescription)")
                }
                let result = explainer.explain({ network($0).sigmoid() }, input: features, baseline: baseline)
                var offset = 0
                var columns: [ColumnAttribution] = []
                for (index, column) in encoder.columns.enumerated() {
                    let share = result.attributions[offset..<(offset + column.width)].reduce(0.0) { $0 + Double($1) }
                    offset += column.width
                    columns.append(
                        ColumnAttribution(column: column.name, value: row.fields[positions[index]], attribution: share))
                }
                columns.sort { abs($0.attribution) > abs($1.attribution) }
                explanations.append(
                    RowExplanation(
                        line: row.line, probability: result.score, baselineProbability: result.baselineScore,
                        columns: columns, steps: result.steps, completenessGap: result.completenessGap,
                        relativeGap: result.relativeGap))
            }
        }
        if let wanted {
            let missing = wanted.subtracting(explanations.map(\.line)).sorted()
            if !missing.isEmpty {
                throw ClassifierError.badData(
                    path: input,
                    detail: "no data row on line \(missing.map(String.init).joined(separator: ", ")) "
                        + "(line 1 is the header; the file has rows on lines 2 and up)")
            }
        }
        return explanations
    }
}
