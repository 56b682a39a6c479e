import EventData
import Foundation

/// A CSV/TSV table read for binary classification: the feature columns' cells, a 0/1 label per
/// row, and every row that could not be used with its line and reason.
public struct LabelledTable: Sendable {
    public var path: String
    /// The feature columns (every column but the label), in file order.
    public var columns: [String]
    /// The label column.
    public var labelColumn: String
    /// The label value counted as positive (1).
    public var positiveValue: String
    /// The cells of the feature columns, one array per kept row.
    public var rows: [[String]]
    public var labels: [Int]
    /// The file line of each kept row.
    public var lines: [Int]
    /// Rows left out: malformed, or with an empty or unknown label.
    public var rejections: [RowRejection]

    /// Reads `path`, taking `label` as the target.
    ///
    /// The positive class is `positive` when given; otherwise `true`/`yes` for truth words,
    /// `1` for 0/1 labels. Any other two-valued label needs `positive`.
    ///
    /// - Throws: ``ClassifierError/badData(path:detail:)`` when the label column is absent, the
    ///   label has more or fewer than two values, or no row is usable; file errors as
    ///   ``EventDataError``.
    public static func read(path: String, label: String, positive: String? = nil) throws -> LabelledTable {
        let reader = try DelimitedTableReader(path: path)
        guard !reader.columns.isEmpty else {
            throw ClassifierError.badData(path: path, detail: "the file is empty; it needs a header and rows")
        }
        guard let labelIndex = reader.columns.firstIndex(of: label) else {
            throw ClassifierError.badData(
                path: path,
                detail: "no column '\(label)'; the columns are "
                    + reader.columns.map { "'\($0)'" }.joined(separator: ", ")
                    + "; choose one of them as the label")
        }
        var cells: [[String]] = []
        var rawLabels: [String] = []
        var lines: [Int] = []
        var rejections: [RowRejection] = []
        try reader.forEachRow { line in
            switch line {
            case .rejected(let rejection):
                rejections.append(rejection)
            case .row(let row):
                let value = row.fields[labelIndex].trimmingCharacters(in: .whitespaces)
                if TableValues.isMissing(value) {
                    rejections.append(
                        RowRejection(
                            line: row.line, reason: "the label '\(label)' is empty", kind: RejectionKind.missingField,
                            raw: row.fields.joined(separator: ",")))
                    return
                }
                var features = row.fields
                features.remove(at: labelIndex)
                cells.append(features)
                rawLabels.append(value)
                lines.append(row.line)
            }
        }
        let distinct = Set(rawLabels)
        let positiveValue: String
        if let positive {
            guard distinct.contains(positive) else {
                throw ClassifierError.badData(
                    path: path,
                    detail: "the positive value '\(positive)' never occurs in '\(label)'; its values are "
                        + distinct.sorted().prefix(10).map { "'\($0)'" }.joined(separator: ", "))
            }
            positiveValue = positive
        } else {
            guard distinct.count == 2 else {
                throw ClassifierError.badData(
                    path: path,
                    detail:
                        "the label '\(label)' has \(distinct.count) distinct value\(distinct.count == 1 ? "" : "s") ("
                        + distinct.sorted().prefix(10).map { "'\($0)'" }.joined(separator: ", ")
                        + "); a binary classifier needs exactly two, or a positive value to count against all others"
                )
            }
            if let truth = distinct.first(where: { TableValues.boolean($0) == true }),
                distinct.allSatisfy({ TableValues.boolean($0) != nil })
            {
                positiveValue = truth
            } else if distinct == ["0", "1"] {
                positiveValue = "1"
            } else {
                throw ClassifierError.badData(
                    path: path,
                    detail: "cannot tell which of " + distinct.sorted().map { "'\($0)'" }.joined(separator: " and ")
                        + " is the positive class; name the positive value")
            }
        }
        let labels = rawLabels.map { $0 == positiveValue ? 1 : 0 }
        let positives = labels.reduce(0, +)
        guard positives > 0, positives < labels.count else {
            throw ClassifierError.badData(
                path: path, detail: "every usable row has the same label; both classes are needed")
        }
        var columns = reader.columns
        columns.remove(at: labelIndex)
        return LabelledTable(
            path: path, columns: columns, labelColumn: label, positiveValue: positiveValue, rows: cells, labels: labels,
            lines: lines, rejections: rejections)
    }
}
