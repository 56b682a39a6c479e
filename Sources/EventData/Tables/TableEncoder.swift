import Foundation

/// A cell that cannot be encoded with the fitted encoder.
public struct TableValueError: Error, LocalizedError, Sendable, Equatable {
    public var column: String
    public var value: String
    public var expected: ColumnKind
    /// Why a value that parses still cannot be used (too large to scale), or nil when it does
    /// not parse as `expected`.
    public var problem: String?

    public init(column: String, value: String, expected: ColumnKind, problem: String? = nil) {
        self.column = column
        self.value = value
        self.expected = expected
        self.problem = problem
    }

    public var errorDescription: String? {
        if let problem { return "column '\(column)': '\(value)' \(problem)" }
        return
            "column '\(column)': '\(value)' is not \(expected == .numeric ? "a number" : "a \(expected.rawValue) value")"
    }
}

/// Turns table rows into feature vectors, with everything learnt from the training rows only:
/// medians and most frequent values for imputation, means and deviations for z-scores, the
/// category vocabularies. Codable, so a model directory carries it and prediction applies the
/// same transform.
///
/// Per column kind (see ``ColumnKind``):
///
/// | kind | features |
/// | --- | --- |
/// | numeric | `(x - mean) / sd` of the value (of `log(1 + x)` for a right-skewed column of values >= 0), missing -> training median |
/// | boolean | 0 or 1, missing -> most frequent |
/// | categorical | one-hot over up to ``maximumCategories`` training values + `other` (unseen values) |
/// | month, weekday | `sin`, `cos` of the position on the circle, missing -> most frequent |
///
/// plus `name=missing` (0 or 1) for each column that had missing cells in training.
///
/// ```swift
/// let encoder = try TableEncoder.fit(profiles: profiles, rows: trainingRows)
/// let features = try encoder.encode(row, positions: encoder.positions(in: header).get())
/// ```
public struct TableEncoder: Sendable, Codable, Equatable {
    /// The most one-hot slots a categorical column gets (the most frequent values).
    public static let maximumCategories = 50

    /// One encoded source column.
    public struct Column: Sendable, Codable, Equatable {
        public var name: String
        public var kind: ColumnKind
        /// Numeric: the median; boolean, month, weekday: the most frequent value (0/1, index).
        public var fill: Double
        /// Categorical: the most frequent value, used for missing cells.
        public var fillCategory: String?
        public var mean: Double
        public var deviation: Double
        /// Numeric: whether values go through `log(1 + x)` before the z-score (chosen at fit time
        /// for columns of non-negative values with skewness above 1, like durations or amounts,
        /// whose long tail would otherwise squash most rows into a sliver of the scale).
        public var logTransform: Bool
        /// Categorical: the known values, in slot order after `other`.
        public var categories: [String]
        /// Whether a `missing` indicator feature follows the column's features.
        public var indicatesMissing: Bool

        /// The features the column produces.
        public var width: Int {
            let base: Int
            switch kind {
            case .numeric, .boolean: base = 1
            case .categorical: base = categories.count + 1
            case .month, .weekday: base = 2
            case .ignored: base = 0
            }
            return base + (indicatesMissing ? 1 : 0)
        }
    }

    /// The encoded columns, in the training file's order (ignored columns left out).
    public let columns: [Column]

    /// The names of the features, in vector order (`age`, `city=Paris`, `city=other`, `month.sin`, `age=missing`).
    public var featureNames: [String] {
        columns.flatMap { column -> [String] in
            var names: [String]
            switch column.kind {
            case .numeric, .boolean: names = [column.name]
            case .categorical: names = column.categories.map { "\(column.name)=\($0)" } + ["\(column.name)=other"]
            case .month, .weekday: names = ["\(column.name).sin", "\(column.name).cos"]
            case .ignored: names = []
            }
            return names + (column.indicatesMissing ? ["\(column.name)=missing"] : [])
        }
    }

    /// The length of every feature vector.
    public var width: Int { columns.reduce(0) { $0 + $1.width } }

    /// Learns the transform from training rows.
    ///
    /// - Parameters:
    ///   - profiles: One per column of `rows`, in order (from ``ColumnKindInference``).
    ///   - rows: The training rows' cells.
    /// - Throws: ``TableValueError`` for a cell that does not parse as its column's kind.
    public static func fit(profiles: [ColumnProfile], rows: [[String]]) throws(TableValueError) -> TableEncoder {
        var columns: [Column] = []
        for (index, profile) in profiles.enumerated() where profile.kind != .ignored {
            var column = Column(
                name: profile.name, kind: profile.kind, fill: 0, fillCategory: nil, mean: 0, deviation: 0,
                logTransform: false, categories: [], indicatesMissing: false)
            var values: [Double] = []
            var texts: [String: Int] = [:]
            for row in rows {
                let cell = row[index]
                if TableValues.isMissing(cell) {
                    column.indicatesMissing = true
                    continue
                }
                if profile.kind == .categorical {
                    texts[TableValues.trimmed(cell), default: 0] += 1
                } else {
                    values.append(try parse(cell, column: column))
                }
            }
            switch profile.kind {
            case .numeric:
                try column.fitNumeric(values)
            case .boolean, .month, .weekday:
                var counts: [Double: Int] = [:]
                for value in values { counts[value, default: 0] += 1 }
                column.fill = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? 0
            case .categorical:
                let ranked = texts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                column.categories = ranked.prefix(maximumCategories).map(\.key)
                column.fillCategory = ranked.first?.key
            case .ignored:
                break
            }
            columns.append(column)
        }
        return TableEncoder(columns: columns)
    }

    init(columns: [Column]) {
        self.columns = columns
    }

    /// Learns the transform of an all-numeric table (a ``FeatureTable``'s rows, say) without
    /// going through text: every column numeric, scaled as ``fit(profiles:rows:)`` scales numbers.
    ///
    /// - Parameters:
    ///   - names: The column names, in row order.
    ///   - rows: The training rows, each `names.count` long.
    /// - Throws: ``TableValueError`` when a column's values are not finite or overflow its spread.
    public static func fitNumeric(names: [String], rows: [[Double]]) throws(TableValueError) -> TableEncoder {
        var columns: [Column] = []
        for (index, name) in names.enumerated() {
            var column = Column(
                name: name, kind: .numeric, fill: 0, fillCategory: nil, mean: 0, deviation: 0, logTransform: false,
                categories: [], indicatesMissing: false)
            let values = rows.map { $0[index] }
            if let bad = values.first(where: { !$0.isFinite }) {
                throw TableValueError(
                    column: name, value: String(bad), expected: .numeric, problem: "is not a finite number")
            }
            try column.fitNumeric(values)
            columns.append(column)
        }
        return TableEncoder(columns: columns)
    }

    /// The feature vectors of rows of numbers, one after another (`rows.count * width` values),
    /// written into one buffer: what ``encode(numbers:)`` gives for each row, without an array
    /// per row.
    ///
    /// - Precondition: every row has one number per column.
    public func encode(numberRows rows: [[Double]]) -> [Float] {
        var features: [Float] = []
        features.reserveCapacity(rows.count * columns.count)
        for row in rows {
            precondition(
                row.count == columns.count,
                "TableEncoder.encode(numberRows:): \(row.count) numbers for \(columns.count) columns")
            for (column, value) in zip(columns, row) { features.append(column.scaled(value)) }
        }
        return features
    }

    /// The feature vector of a row of numbers, for an encoder whose columns are all numeric
    /// (from ``fitNumeric(names:rows:)``).
    ///
    /// - Precondition: `numbers.count == columns.count`.
    public func encode(numbers: [Double]) -> [Float] {
        precondition(
            numbers.count == columns.count,
            "TableEncoder.encode(numbers:): \(numbers.count) numbers for \(columns.count) columns")
        var features = [Float](repeating: 0, count: numbers.count)
        for (index, column) in columns.enumerated() {
            features[index] = column.scaled(numbers[index])
        }
        return features
    }

    /// Where each encoded column is in a file with `header`, or the names of those it lacks.
    public func positions(in header: [String]) -> Result<[Int], MissingColumns> {
        var index: [String: Int] = [:]
        for (position, name) in header.enumerated() where index[name] == nil { index[name] = position }
        let missing = columns.map(\.name).filter { index[$0] == nil }
        guard missing.isEmpty else { return .failure(MissingColumns(names: missing)) }
        return .success(columns.map { index[$0.name] ?? 0 })
    }

    /// Columns a file must have but lacks.
    public struct MissingColumns: Error, Sendable, Equatable {
        public var names: [String]
    }

    /// The feature vector of one row.
    ///
    /// Unseen categories go to the column's `other` slot; missing cells are imputed.
    ///
    /// - Parameters:
    ///   - cells: The row's cells.
    ///   - positions: From ``positions(in:)`` for the row's header.
    /// - Throws: ``TableValueError`` for a cell that does not parse as its column's kind.
    public func encode(_ cells: [String], positions: [Int]) throws(TableValueError) -> [Float] {
        var features: [Float] = []
        features.reserveCapacity(width)
        for (column, position) in zip(columns, positions) {
            let cell = cells[position]
            let missing = TableValues.isMissing(cell)
            switch column.kind {
            case .numeric:
                let feature = column.scaled(missing ? column.fill : try Self.parse(cell, column: column))
                guard feature.isFinite else {
                    throw TableValueError(
                        column: column.name, value: cell, expected: .numeric,
                        problem: "is too far outside the training values to scale; check the value")
                }
                features.append(feature)
            case .boolean:
                features.append(Float(missing ? column.fill : try Self.parse(cell, column: column)))
            case .month, .weekday:
                let value = missing ? column.fill : try Self.parse(cell, column: column)
                let angle = 2 * Double.pi * value / (column.kind == .month ? 12 : 7)
                features.append(Float(sin(angle)))
                features.append(Float(cos(angle)))
            case .categorical:
                let text = missing ? (column.fillCategory ?? "") : TableValues.trimmed(cell)
                let slot = column.categories.firstIndex(of: text) ?? column.categories.count
                for index in 0...column.categories.count { features.append(index == slot ? 1 : 0) }
            case .ignored:
                break
            }
            if column.indicatesMissing { features.append(missing ? 1 : 0) }
        }
        return features
    }

    fileprivate static func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    /// Whether a numeric column is better scaled as `log(1 + x)`: all values >= 0 and a
    /// skewness above 1 (counts, durations, amounts). Fit on training values only.
    public static func prefersLogTransform(_ values: [Double]) -> Bool {
        (values.min() ?? -1) >= 0 && skewness(values) > 1
    }

    /// The sample skewness `E[(x - m)^3] / sd^3`, 0 for constant columns.
    private static func skewness(_ values: [Double]) -> Double {
        let (mean, deviation) = meanAndDeviation(values)
        guard deviation > 0 else { return 0 }
        let third = values.reduce(0) { $0 + pow(($1 - mean) / deviation, 3) } / Double(values.count)
        return third
    }

    private static func parse(_ cell: String, column: Column) throws(TableValueError) -> Double {
        let value: Double?
        switch column.kind {
        case .numeric: value = TableValues.number(cell)
        case .boolean: value = TableValues.boolean(cell).map { $0 ? 1 : 0 }
        case .month: value = TableValues.month(cell).map(Double.init)
        case .weekday: value = TableValues.weekday(cell).map(Double.init)
        case .categorical, .ignored: value = 0
        }
        guard let value else { throw TableValueError(column: column.name, value: cell, expected: column.kind) }
        return value
    }
}

extension TableEncoder.Column {
    /// Fits a numeric column's fill (the median), log transform, mean and deviation.
    fileprivate mutating func fitNumeric(_ values: [Double]) throws(TableValueError) {
        let sorted = values.sorted()
        fill = sorted.isEmpty ? 0 : (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        logTransform = TableEncoder.prefersLogTransform(values)
        let (mean, deviation) = TableEncoder.meanAndDeviation(logTransform ? values.map { log1p($0) } : values)
        guard mean.isFinite, deviation.isFinite else {
            let largest = values.max { abs($0) < abs($1) } ?? 0
            throw TableValueError(
                column: name, value: String(largest), expected: .numeric,
                problem: "is too large: the column's mean or spread overflows; fix the value or ignore the column")
        }
        self.mean = mean
        self.deviation = deviation
    }

    /// A numeric value as its feature: `log(1 + x)` when the column takes it, then the z-score
    /// (0 for a constant column).
    func scaled(_ raw: Double) -> Float {
        let value = logTransform ? log1p(max(raw, 0)) : raw
        return deviation > 0 ? Float((value - mean) / deviation) : 0
    }
}
