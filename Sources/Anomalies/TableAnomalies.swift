import Embeddings
import EventData
import FileIO
import Foundation
import NeuralNet

/// A reference table read and encoded for fitting a detector.
public struct ReferenceTable: Sendable {
    public var path: String
    /// The header.
    public var columns: [String]
    /// The columns' inferred (or overridden) kinds.
    public var profiles: [ColumnProfile]
    /// The fitted transform.
    public var encoder: TableEncoder
    /// The rows encoded, `rows * encoder.width` values.
    public var features: [Float]
    public var rows: Int
    /// Rows left out: malformed, or with a cell that does not parse as its column's kind.
    public var rejected: [RowRejection]

    /// Reads `path`, infers the column kinds (identifier-like columns are ignored; `overrides`
    /// wins), fits the encoder on every row and encodes them.
    ///
    /// - Throws: ``UnsupervisedError/badData(path:detail:)`` for an empty table, an unknown
    ///   override, no usable column, or fewer than 2 usable rows; file errors as ``EventDataError``.
    public static func read(path: String, overrides: [String: ColumnKind] = [:]) throws -> ReferenceTable {
        let reader = try DelimitedTableReader(path: path)
        guard !reader.columns.isEmpty else {
            throw UnsupervisedError.badData(path: path, detail: "the file is empty; it needs a header and rows")
        }
        let unknown = overrides.keys.filter { !reader.columns.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let named = unknown.map { "'\($0)'" }.joined(separator: ", ")
            let columns = reader.columns.map { "'\($0)'" }.joined(separator: ", ")
            throw UnsupervisedError.badData(
                path: path, detail: "no column \(named) to set the kind of; the columns are \(columns)")
        }
        var cells: [[String]] = []
        var lines: [Int] = []
        var rejected: [RowRejection] = []
        try reader.forEachRow { line in
            switch line {
            case .rejected(let rejection): rejected.append(rejection)
            case .row(let row):
                cells.append(row.fields)
                lines.append(row.line)
            }
        }
        let profiles = ColumnKindInference.profiles(columns: reader.columns, rows: cells, overrides: overrides)
        let encoder: TableEncoder
        do {
            encoder = try TableEncoder.fit(profiles: profiles, rows: cells)
        } catch {
            throw UnsupervisedError.badData(
                path: path, detail: "\(error.localizedDescription); fix the cell or pass the column's kind")
        }
        guard encoder.width > 0 else {
            let names = profiles.map(\.name).joined(separator: ", ")
            throw UnsupervisedError.badData(
                path: path, detail: "no usable column (every column is ignored: \(names)); set a column's kind")
        }
        guard case .success(let positions) = encoder.positions(in: reader.columns) else {
            preconditionFailure("ReferenceTable: the encoder was fitted on this table's columns")
        }
        var features: [Float] = []
        features.reserveCapacity(cells.count * encoder.width)
        var rows = 0
        for (index, row) in cells.enumerated() {
            do {
                features += try encoder.encode(row, positions: positions)
                rows += 1
            } catch {
                rejected.append(
                    RowRejection(
                        line: lines[index], reason: error.localizedDescription, kind: "bad_value",
                        raw: row.joined(separator: ",")))
            }
        }
        guard rows >= 2 else {
            throw UnsupervisedError.badData(
                path: path, detail: "\(rows) usable row\(rows == 1 ? "" : "s"); fitting a detector needs at least 2")
        }
        return ReferenceTable(
            path: path, columns: reader.columns, profiles: profiles, encoder: encoder, features: features, rows: rows,
            rejected: rejected.sorted { $0.line < $1.line })
    }
}

/// What scoring a table did.
public struct AnomalyScoringSummary: Sendable, Codable, Equatable {
    public var method: AnomalyMethod
    /// Rows written with a score.
    public var scored: Int
    /// Rows written with an error instead (malformed rows, cells that do not parse).
    public var failed: Int
    /// Rows flagged.
    public var flagged: Int
    /// The score at or above which rows are flagged.
    public var cut: Double
    /// How the cut was chosen.
    public var threshold: AnomalyThreshold
    /// Input columns the detector does not use (copied through).
    public var unusedColumns: [String]
}

extension AnomalyDetector {
    /// The columns scoring appends to the input's.
    public static let outputColumns = ["anomaly_score", "flag", "reasons", "error"]

    /// Scores every row of a CSV/TSV file and writes them to `output` as CSV: the input columns,
    /// then `anomaly_score` (higher is more anomalous), `flag` (1 at or above the cut),
    /// `reasons` (for flagged rows, the columns that contribute most: `amount 61%; hour 20%`)
    /// and `error`.
    ///
    /// Columns are matched by name; missing ones are an error, extra ones are copied through. A
    /// row that cannot be scored is written with its reason in `error`, never dropped. The file
    /// is read twice (scores first, then the cut, then the output), so memory stays flat.
    ///
    /// - Parameters:
    ///   - threshold: How the cut is drawn (the share of scored rows, or a false-positive rate on
    ///     the reference rows).
    ///   - progress: Called with the rows done, every 100,000 rows or so.
    /// - Throws: ``UnsupervisedError/badData(path:detail:)`` for missing columns or an unwritable
    ///   output; ``UnsupervisedError/invalidParameter(_:)`` for a bad threshold; file errors.
    public func score(
        file input: String, to output: String, threshold: AnomalyThreshold, progress: ((Int) -> Void)? = nil
    ) throws -> AnomalyScoringSummary {
        do {
            try threshold.validate()
        } catch {
            throw UnsupervisedError.invalidParameter(error)
        }
        let header = try DelimitedTableReader(path: input).columns
        let positions: [Int]
        switch encoder.positions(in: header) {
        case .success(let found): positions = found
        case .failure(let missing):
            let names = missing.names.map { "'\($0)'" }.joined(separator: ", ")
            throw UnsupervisedError.badData(
                path: input,
                detail: "the detector needs \(names), which the file lacks; add the columns (empty cells are "
                    + "imputed) or score a file with the reference's columns")
        }
        // Pass 1: every row's score (nil when it cannot be scored) and error.
        var scores: [Double?] = []
        var errors: [String?] = []
        var pending: [Float] = []
        var pendingRows: [Int] = []
        func flush() {
            let batch = self.scores(of: pending)
            for (row, score) in zip(pendingRows, batch) {
                if score.isFinite {
                    scores[row] = score
                } else {
                    errors[row] = "the score is not a number; check the row for extreme values"
                }
            }
            pending.removeAll(keepingCapacity: true)
            pendingRows.removeAll(keepingCapacity: true)
            progress?(scores.count)
        }
        try DelimitedTableReader(path: input).forEachRow { line in
            scores.append(nil)
            switch line {
            case .rejected(let rejection):
                errors.append("line \(rejection.line): \(rejection.reason)")
            case .row(let row):
                do {
                    pending += try encoder.encode(row.fields, positions: positions)
                    pendingRows.append(scores.count - 1)
                    errors.append(nil)
                } catch {
                    errors.append("line \(row.line): \(error.localizedDescription)")
                }
            }
            if pendingRows.count >= 8192 { flush() }
        }
        flush()
        let cut = threshold.cut(scores: scores.compactMap { $0 }, reference: referenceScores)
        let used = Set(encoder.columns.map(\.name))
        var summary = AnomalyScoringSummary(
            method: config.method, scored: 0, failed: 0, flagged: 0, cut: cut, threshold: threshold,
            unusedColumns: header.filter { !used.contains($0) })

        // Pass 2: the output, with reasons for flagged rows.
        let file: OutputFile
        do {
            file = try OutputFile(path: output)
        } catch {
            throw UnsupervisedError.badData(path: output, detail: "cannot write the output: \(error.reason)")
        }
        var text = CSVText.line(header + Self.outputColumns)
        func write() throws {
            do {
                try file.write(Data(text.utf8))
            } catch {
                throw UnsupervisedError.badData(path: output, detail: "cannot write the output: \(error.reason)")
            }
            text = ""
        }
        var index = 0
        try DelimitedTableReader(path: input).forEachRow { line in
            defer { index += 1 }
            let fields: [String]
            switch line {
            case .rejected: fields = Array(repeating: "", count: header.count)
            case .row(let row): fields = row.fields
            }
            guard index < scores.count, let score = scores[index] else {
                summary.failed += 1
                let error = index < errors.count ? errors[index] : nil
                text += CSVText.line(fields + ["", "", "", error ?? "the file changed while it was being scored"])
                return
            }
            summary.scored += 1
            var reasons = ""
            let flagged = score >= cut
            if flagged {
                summary.flagged += 1
                let row = (try? encoder.encode(fields, positions: positions)) ?? []
                if row.count == encoder.width {
                    reasons = self.reasons(of: row).map { "\($0.column) \(Int(($0.share * 100).rounded()))%" }
                        .joined(separator: "; ")
                }
            }
            text += CSVText.line(fields + [String(format: "%.6g", score), flagged ? "1" : "0", reasons, ""])
            if text.utf8.count >= 1 << 20 { try write() }
        }
        try write()
        do {
            try file.commit()
        } catch {
            throw UnsupervisedError.badData(path: output, detail: "cannot write the output: \(error.reason)")
        }
        return summary
    }
}
