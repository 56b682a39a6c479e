import EventData
import Foundation
import Monitoring

extension TableClassifier {
    /// The samples of the model's input columns in `rows` (cells by file column; `positions`
    /// maps the encoder's columns to them): numbers for numeric columns (empty and
    /// unparseable cells missing), the trimmed cell for every other kind.
    public static func inputColumns(_ columns: [TableEncoder.Column], positions: [Int], rows: [[String]])
        -> [FeatureColumn]
    {
        zip(columns, positions).map { column, position in
            let cells = rows.lazy.map { position < $0.count ? $0[position] : "" }
            let sample: FeatureSample
            if column.kind == .numeric {
                sample = .numbers(
                    cells.map { TableValues.isMissing($0) ? .nan : (TableValues.number($0) ?? .nan) })
            } else {
                sample = .categories(cells.map { TableValues.isMissing($0) ? nil : TableValues.trimmed($0) })
            }
            return FeatureColumn(name: column.name, group: "input", sample: sample)
        }
    }

    /// The training profile: the input columns of the training rows and the model's
    /// probabilities on the validation rows.
    static func trainingProfile(
        encoder: TableEncoder, positions: [Int], trainingRows: [[String]], validationScores: [Double],
        positiveValue: String, labelColumn: String
    ) -> TrainingProfile {
        TrainingProfile(
            unit: "rows", rows: trainingRows.count,
            features: inputColumns(encoder.columns, positions: positions, rows: trainingRows).map(FeatureProfile.init),
            scores: NumericProfile(values: validationScores),
            scoreMeaning: "probability that \(labelColumn) is \(positiveValue)")
    }

    /// Reads a CSV/TSV file as recent data: its rows' input columns and the model's
    /// probabilities (rows that cannot be encoded are left out of the scores and counted in
    /// the `unscorable rows` fact; malformed lines in `malformed rows`).
    ///
    /// - Throws: ``ClassifierError/missingColumns(path:names:)``, file errors.
    public func recentData(file input: String) throws -> RecentData {
        let reader = try DelimitedTableReader(path: input)
        let positions: [Int]
        switch manifest.encoder.positions(in: reader.columns) {
        case .success(let found): positions = found
        case .failure(let missing): throw ClassifierError.missingColumns(path: input, names: missing.names)
        }
        var rows: [[String]] = []
        var features: [Float] = []
        var (malformed, unscorable) = (0, 0)
        try reader.forEachRow { line in
            switch line {
            case .rejected: malformed += 1
            case .row(let row):
                rows.append(row.fields)
                do {
                    features += try manifest.encoder.encode(row.fields, positions: positions)
                } catch {
                    unscorable += 1
                }
            }
        }
        let scores = probabilities(of: model, features: features, featureCount: manifest.encoder.width)
        return RecentData(
            rows: rows.count,
            columns: Self.inputColumns(manifest.encoder.columns, positions: positions, rows: rows),
            scores: scores, facts: ["malformed rows": malformed, "unscorable rows": unscorable])
    }
}
