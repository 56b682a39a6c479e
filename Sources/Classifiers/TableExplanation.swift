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
    /// The row's line in the file (in a server request, its index in `rows`).
    public var line: Int
    public var probability: Double
    /// The probability of the baseline row: every numeric column at its training mean,
    /// booleans false, no category and nothing missing (all features 0 after scaling).
    public var baselineProbability: Double
    /// Every column the model uses, the largest attribution (by size) first.
    public var columns: [ColumnAttribution]
    /// Integrated-gradient path points (exact Shapley values: the coalitions scored), and how
    /// far the attributions' sum is from `probability - baselineProbability` (absolute and as a
    /// share of it).
    public var steps: Int
    public var completenessGap: Double
    public var relativeGap: Double
}

/// How a table model's scores are attributed to its columns.
public enum TableAttribution: Sendable {
    /// Integrated gradients, summed over each column's features (any number of columns).
    case integratedGradients(IntegratedGradients)
    /// Exact Shapley values of the columns (``ExactShapley``; at most 12 columns): a column
    /// leaves a coalition by taking its baseline features.
    case exactShapley
}

extension TableClassifier {
    /// Explains the model's probability for rows of a CSV/TSV file against the all-zero
    /// baseline of the scaled features, per input column.
    ///
    /// - Parameters:
    ///   - lines: The file lines to explain; nil for the first `limit` rows.
    ///   - limit: The most rows explained when `lines` is nil.
    ///   - method: Integrated gradients (the default) or exact Shapley values.
    /// - Throws: ``ClassifierError/missingColumns(path:names:)``,
    ///   ``ClassifierError/badData(path:detail:)`` for a chosen row that cannot be encoded or a
    ///   line the file does not have; file errors.
    public func explain(
        file input: String, lines: [Int]?, limit: Int = 5,
        method: TableAttribution = .integratedGradients(IntegratedGradients())
    ) throws -> [RowExplanation] {
        let reader = try DelimitedTableReader(path: input)
        let encoder = manifest.encoder
        let positions: [Int]
        switch encoder.positions(in: reader.columns) {
        case .success(let found): positions = found
        case .failure(let missing): throw ClassifierError.missingColumns(path: input, names: missing.names)
        }
        if case .exactShapley = method, encoder.columns.count > ExactShapley.maximumGroups {
            throw ClassifierError.badData(
                path: input,
                detail: "exact Shapley values enumerate every coalition of columns, at most "
                    + "\(ExactShapley.maximumGroups); this model uses \(encoder.columns.count): use integrated gradients"
            )
        }
        let wanted = lines.map(Set.init)
        var explanations: [RowExplanation] = []
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
                explanations.append(
                    explainRow(
                        features: features, cells: positions.map { row.fields[$0] }, line: row.line, method: method))
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

    /// Explains one encoded row: `features` from the encoder, `cells` the row's values in the
    /// encoder's column order (for the answer), `line` its place in the caller's input.
    ///
    /// - Precondition: `features` has the encoder's width and `cells` one value per encoded
    ///   column; with ``TableAttribution/exactShapley``, at most 12 columns.
    public func explainRow(features: [Float], cells: [String], line: Int, method: TableAttribution) -> RowExplanation {
        let encoder = manifest.encoder
        precondition(
            features.count == encoder.width && cells.count == encoder.columns.count,
            "explainRow: \(features.count) features and \(cells.count) cells for \(encoder.width) and \(encoder.columns.count)"
        )
        var groups: [Range<Int>] = []
        for column in encoder.columns {
            let start = groups.last?.upperBound ?? 0
            groups.append(start..<(start + column.width))
        }
        let network = model
        network.setTraining(false)
        let baseline = [Float](repeating: 0, count: encoder.width)
        let score = { (x: Tensor) in network(x).sigmoid() }
        let shares: [Double]
        let ends: [Double]
        let steps: Int
        switch method {
        case .integratedGradients(let explainer):
            let result = explainer.explain(score, input: features, baseline: baseline)
            shares = groups.map { range in result.attributions[range].reduce(0.0) { $0 + Double($1) } }
            (ends, steps) = ([result.score, result.baselineScore], result.steps)
        case .exactShapley:
            shares = ExactShapley.values(score, input: features, baseline: baseline, groups: groups)
            ends = Tensor.withoutGradients {
                score(Tensor(shape: [2, features.count], scalars: features + baseline)).scalars.map(Double.init)
            }
            steps = 1 << groups.count
        }
        let gap = abs(shares.reduce(0, +) - (ends[0] - ends[1]))
        var columns = encoder.columns.indices.map { index in
            ColumnAttribution(
                column: encoder.columns[index].name, value: cells[index], attribution: shares[index])
        }
        columns.sort { abs($0.attribution) > abs($1.attribution) }
        return RowExplanation(
            line: line, probability: ends[0], baselineProbability: ends[1], columns: columns, steps: steps,
            completenessGap: gap, relativeGap: abs(ends[0] - ends[1]) > 0 ? gap / abs(ends[0] - ends[1]) : gap)
    }
}
