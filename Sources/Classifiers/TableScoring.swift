import EventData
import FileIO
import Foundation

/// What scoring a file did.
public struct ScoringSummary: Sendable, Codable, Equatable {
    /// Rows written with a probability.
    public var scored: Int
    /// Rows written with an error instead (malformed rows, cells that do not parse).
    public var failed: Int
    /// Rows decided positive at the threshold.
    public var positives: Int
    public var threshold: Double
    /// Input columns the model does not use (copied through).
    public var extraColumns: [String]
}

extension TableClassifier {
    /// Scores every row of a CSV/TSV file and writes them to `output` as CSV: the input columns,
    /// then `probability`, `decision` (1 at or above the threshold) and `error`.
    ///
    /// Columns are matched by name; extra columns are copied through, missing ones are an
    /// error. Unseen categories fall into their column's `other` slot and empty cells are
    /// imputed as in training. A row that cannot be scored (wrong column count, a cell that
    /// does not parse) is written with empty `probability` and `decision` and the reason in
    /// `error`, never dropped.
    ///
    /// - Parameters:
    ///   - threshold: The decision threshold; the model's validation-tuned one by default.
    ///   - progress: Called with the rows done every 100,000 rows or so.
    /// - Throws: ``ClassifierError/missingColumns(path:names:)``, file errors.
    public func score(
        file input: String, to output: String, threshold: Double? = nil, progress: ((Int) -> Void)? = nil
    ) throws -> ScoringSummary {
        let reader = try DelimitedTableReader(path: input)
        let positions: [Int]
        switch manifest.encoder.positions(in: reader.columns) {
        case .success(let found): positions = found
        case .failure(let missing): throw ClassifierError.missingColumns(path: input, names: missing.names)
        }
        let used = Set(manifest.encoder.columns.map(\.name) + [manifest.labelColumn])
        let threshold = threshold ?? manifest.threshold
        let file = try outputFile(output)
        var summary = ScoringSummary(
            scored: 0, failed: 0, positives: 0, threshold: threshold,
            extraColumns: reader.columns.filter { !used.contains($0) })
        var text = CSVText.line(reader.columns + ["probability", "decision", "error"])
        let width = manifest.encoder.width
        var pendingFields: [[String]] = []
        var pendingFeatures: [Float] = []
        var pendingErrors: [String?] = []

        func flush() throws {
            let p = probabilities(of: model, features: pendingFeatures, featureCount: width)
            var next = 0
            for (index, fields) in pendingFields.enumerated() {
                if let error = pendingErrors[index] {
                    text += CSVText.line(fields + ["", "", error])
                    summary.failed += 1
                } else if !p[next].isFinite {
                    next += 1
                    text += CSVText.line(fields + ["", "", Self.nonFiniteScore])
                    summary.failed += 1
                } else {
                    let probability = p[next]
                    next += 1
                    let decision = probability >= threshold
                    if decision { summary.positives += 1 }
                    text += CSVText.line(fields + [CSVText.fixed6(probability), decision ? "1" : "0", ""])
                    summary.scored += 1
                }
            }
            try writeOutput(text, to: file)
            text = ""
            pendingFields.removeAll(keepingCapacity: true)
            pendingFeatures.removeAll(keepingCapacity: true)
            pendingErrors.removeAll(keepingCapacity: true)
            progress?(summary.scored + summary.failed)
        }

        try reader.forEachRow { line in
            switch line {
            case .rejected(let rejection):
                // The fields of a malformed row are unknown: its raw text goes into the error.
                pendingFields.append(Array(repeating: "", count: reader.columns.count))
                pendingErrors.append("line \(rejection.line): \(rejection.reason): \(rejection.raw)")
            case .row(let row):
                do {
                    pendingFeatures += try manifest.encoder.encode(row.fields, positions: positions)
                    pendingErrors.append(nil)
                } catch {
                    pendingErrors.append("line \(row.line): \(error.localizedDescription)")
                }
                pendingFields.append(row.fields)
            }
            if pendingFields.count >= 8192 { try flush() }
        }
        try flush()
        try commitOutput(file)
        return summary
    }

    /// The error written for a row whose probability is not a number.
    static let nonFiniteScore = "the model's output for this row is not a number; check the row for extreme values"
}

/// The output of a scoring run, written under a temporary name until complete.
func outputFile(_ path: String) throws(ClassifierError) -> OutputFile {
    do {
        return try OutputFile(path: path)
    } catch {
        throw .badData(path: path, detail: "cannot write the output: \(error.reason)")
    }
}

/// Appends text to a scoring run's output.
func writeOutput(_ text: String, to file: OutputFile) throws(ClassifierError) {
    do {
        try file.write(Data(text.utf8))
    } catch {
        throw .badData(path: file.path, detail: "cannot write the output: \(error.reason)")
    }
}

/// Moves a complete output into place.
func commitOutput(_ file: OutputFile) throws(ClassifierError) {
    do {
        try file.commit()
    } catch {
        throw .badData(path: file.path, detail: "cannot write the output: \(error.reason)")
    }
}

extension CSVText {
    /// A probability in `[0, 1]` with six decimals ("0.305474"), without `String(format:)`'s cost.
    ///
    /// - Precondition: `value` is a number (callers report NaN rows as errors instead).
    static func fixed6(_ value: Double) -> String {
        precondition(!value.isNaN, "CSVText.fixed6: NaN")
        let scaled = Int((min(max(value, 0), 1) * 1_000_000).rounded())
        let fraction = String(scaled % 1_000_000)
        return "\(scaled / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
