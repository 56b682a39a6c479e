import Classifiers
import EventData
import Explanations
import Foundation
import Monitoring
import Synchronization

/// A table classifier (`behave train classify`) behind `score`: rows as objects of column
/// name to value, the columns it was trained on (others are ignored).
final class TableClassifierServing: ServedModel {
    static let task = "classify"

    private let classifier: Mutex<TableClassifier>
    /// Every encoded column, in the encoder's order, and those a row must give (not ignored).
    private let columns: [String]
    private let needed: [String]
    private let threshold: Double
    private let encoderColumns: [TableEncoder.Column]
    let driftWindow: DriftWindow?

    init(directory: URL) throws {
        let loaded = try TableClassifier.load(from: directory)
        encoderColumns = loaded.manifest.encoder.columns
        driftWindow = Self.driftWindow(forBundle: directory)
        columns = loaded.manifest.encoder.columns.map(\.name)
        needed = loaded.manifest.encoder.columns.filter { $0.kind != .ignored }.map(\.name)
        threshold = loaded.manifest.threshold
        classifier = Mutex(loaded)
    }

    /// The most rows one explain request may hold (each costs 32 or more forward and backward
    /// passes of the network).
    static let maximumExplainedRows = 100

    /// The request's rows, checked: present, not empty, at most `limit`.
    private func rows(of request: ScoreRequest, limit: Int) throws(APIError) -> [[String: ScoreRequest.Cell]] {
        guard request.users == nil && request.at == nil else {
            throw .badRequest(
                "this model scores table rows, not users; send rows", field: request.users == nil ? "at" : "users")
        }
        guard let rows = request.rows else {
            throw .badRequest("rows is required: an array of objects, column name to value", field: "rows")
        }
        guard !rows.isEmpty else { throw .badRequest("rows is empty; send at least one row", field: "rows") }
        guard rows.count <= limit else {
            throw .badRequest("rows holds \(rows.count) rows; at most \(limit) per request", field: "rows")
        }
        return rows
    }

    /// Each row's cells in the encoder's column order and its features.
    private func encode(_ rows: [[String: ScoreRequest.Cell]], with encoder: TableEncoder) throws(APIError) -> (
        cells: [[String]], features: [Float]
    ) {
        let positions = Array(columns.indices)
        var cells: [[String]] = []
        var features: [Float] = []
        features.reserveCapacity(rows.count * encoder.width)
        for (index, row) in rows.enumerated() {
            if let missing = needed.first(where: { row[$0] == nil }) {
                throw .badRequest(
                    "row \(index) lacks column \(missing); the model needs \(needed.joined(separator: ", ")) "
                        + "(null for a missing value)",
                    field: "rows[\(index)].\(missing)")
            }
            let rowCells = columns.map { row[$0]?.text ?? "" }
            cells.append(rowCells)
            do {
                features += try encoder.encode(rowCells, positions: positions)
            } catch {
                throw .badRequest(
                    "row \(index): \(error.localizedDescription)", field: "rows[\(index)].\(error.column)")
            }
        }
        return (cells, features)
    }

    func explain(_ request: ScoreRequest, context: ServingContext) throws(APIError) -> ExplainResult {
        let rows = try rows(of: request, limit: min(context.maximumRows, Self.maximumExplainedRows))
        let explanations = try classifier.withLock { classifier throws(APIError) -> [RowExplanation] in
            let encoder = classifier.manifest.encoder
            let (cells, features) = try encode(rows, with: encoder)
            return cells.indices.map { index in
                classifier.explainRow(
                    features: Array(features[(index * encoder.width)..<((index + 1) * encoder.width)]),
                    cells: cells[index], line: index, method: .integratedGradients(IntegratedGradients()))
            }
        }
        return ExplainResult(explanations: explanations)
    }

    func score(_ request: ScoreRequest, context: ServingContext) throws(APIError) -> ScoreResult {
        let rows = try rows(of: request, limit: context.maximumRows)
        let positions = Array(columns.indices)
        var cells: [[String]] = []
        let result = try classifier.withLock { classifier throws(APIError) -> ScoreResult in
            let encoder = classifier.manifest.encoder
            let encoded = try encode(rows, with: encoder)
            let features = encoded.features
            if driftWindow != nil { cells = encoded.cells }
            let probabilities = probabilities(of: classifier.model, features: features, featureCount: encoder.width)
            if let bad = probabilities.firstIndex(where: { !$0.isFinite }) {
                throw .badRequest(
                    "row \(bad): the model's output is not a number; check the row for extreme values",
                    field: "rows[\(bad)]")
            }
            return ScoreResult(
                scores: probabilities.map { .init(probability: $0, decision: $0 >= threshold) }, threshold: threshold)
        }
        driftWindow?.record(
            rows: cells.count,
            columns: TableClassifier.inputColumns(encoderColumns, positions: positions, rows: cells),
            scores: result.scores.map(\.probability))
        return result
    }
}
