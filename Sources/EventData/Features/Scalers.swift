import Foundation

/// Scales each numeric column to `[0, 1]` with the minimum and maximum of the training data.
///
/// ```
/// x' = (x - min_j) / (max_j - min_j)     a constant column (max_j == min_j) maps to 0
/// ```
///
/// Fit on the training rows only, then transform every split with the fitted value, so nothing
/// from validation or test data leaks into the parameters. Test values outside the training range
/// map outside `[0, 1]` (no clipping). Rows are `N` rows of `F` values (`NF`).
///
/// Missing values: `NaN` is skipped when fitting and stays `NaN` when transforming. Infinite
/// values are rejected by both, since they would make the range meaningless.
///
/// ```swift
/// let scaler = try MinMaxScaler().fit(trainRows)
/// let test = try scaler.transform(testRows)
/// let json = try JSONEncoder().encode(scaler)    // saved with the model
/// ```
///
/// See Also: ``StandardScaler``.
public struct MinMaxScaler: Sendable, Hashable {
    /// Creates an unfitted scaler; call ``fit(_:)`` on training rows to get one that transforms.
    public init() {}

    /// Learns each column's minimum and maximum from rows `NF`.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when there are no rows, rows differ
    ///   in length, a value is infinite, or a column has only `NaN`.
    public func fit(_ rows: [[Double]]) throws -> Fitted {
        try fit(columns: ColumnwiseScaling.columns(ofRows: rows, context: "MinMaxScaler.fit"))
    }

    /// Learns each column's minimum and maximum from columns `FN`.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` as ``fit(_:)`` does.
    public func fit(columns: [[Double]]) throws -> Fitted {
        let present = try ColumnwiseScaling.presentValues(columns, context: "MinMaxScaler.fit")
        return Fitted(
            minimums: present.map { $0.min() ?? 0 }, maximums: present.map { $0.max() ?? 0 })
    }

    /// A min-max scaler fitted on training data; the only type that can transform.
    public struct Fitted: Sendable, Hashable, Codable {
        /// The smallest training value of each column.
        public let minimums: [Double]
        /// The largest training value of each column.
        public let maximums: [Double]

        /// The number of columns `F` the scaler was fitted on.
        public var width: Int { minimums.count }

        init(minimums: [Double], maximums: [Double]) {
            self.minimums = minimums
            self.maximums = maximums
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let minimums = try container.decode([Double].self, forKey: .minimums)
            let maximums = try container.decode([Double].self, forKey: .maximums)
            guard minimums.count == maximums.count,
                zip(minimums, maximums).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 })
            else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "MinMaxScaler: minimums and maximums must be finite, equally long, with minimum <= maximum; refit the scaler and save it again"
                    ))
            }
            self.init(minimums: minimums, maximums: maximums)
        }

        /// Scales rows `NF` with the training minimum and maximum of each column.
        ///
        /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a row's length is not
        ///   ``width`` or a value is infinite.
        public func transform(_ rows: [[Double]]) throws -> [[Double]] {
            try ColumnwiseScaling.mapRows(rows, width: width, context: "MinMaxScaler.transform", scale)
        }

        /// Scales columns `FN` with the training minimum and maximum of each column.
        ///
        /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when the number of columns is
        ///   not ``width`` or a value is infinite.
        public func transform(columns: [[Double]]) throws -> [[Double]] {
            try ColumnwiseScaling.mapColumns(columns, width: width, context: "MinMaxScaler.transform", scale)
        }

        private func scale(_ column: Int, _ value: Double) -> Double {
            let range = maximums[column] - minimums[column]
            guard range > 0 else { return value.isNaN ? value : 0 }
            return (value - minimums[column]) / range
        }
    }
}

/// Standardises each numeric column to zero mean and unit variance with training statistics.
///
/// ```
/// x' = (x - mean_j) / std_j,   std_j = sqrt(sum_i (x_ij - mean_j)^2 / n_j)   (population std)
/// ```
///
/// A constant column (`std_j == 0`) maps to 0. Fit on the training rows only, then transform
/// every split with the fitted value. Rows are `N` rows of `F` values (`NF`).
///
/// Missing values: `NaN` is skipped when fitting (so `n_j` counts the present values) and stays
/// `NaN` when transforming. Infinite values are rejected by both.
///
/// ```swift
/// let scaler = try StandardScaler().fit(trainRows)
/// let test = try scaler.transform(testRows)
/// ```
///
/// See Also: ``MinMaxScaler``.
public struct StandardScaler: Sendable, Hashable {
    /// Creates an unfitted scaler; call ``fit(_:)`` on training rows to get one that transforms.
    public init() {}

    /// Learns each column's mean and population standard deviation from rows `NF`.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when there are no rows, rows differ
    ///   in length, a value is infinite, or a column has only `NaN`.
    public func fit(_ rows: [[Double]]) throws -> Fitted {
        try fit(columns: ColumnwiseScaling.columns(ofRows: rows, context: "StandardScaler.fit"))
    }

    /// Learns each column's mean and population standard deviation from columns `FN`.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` as ``fit(_:)`` does.
    public func fit(columns: [[Double]]) throws -> Fitted {
        let present = try ColumnwiseScaling.presentValues(columns, context: "StandardScaler.fit")
        var means: [Double] = []
        var deviations: [Double] = []
        for values in present {
            let count = Double(values.count)
            // Two passes: subtracting the mean first keeps the variance accurate for large values.
            let mean = values.reduce(0, +) / count
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
            means.append(mean)
            deviations.append(variance.squareRoot())
        }
        return Fitted(means: means, standardDeviations: deviations)
    }

    /// A standard scaler fitted on training data; the only type that can transform.
    public struct Fitted: Sendable, Hashable, Codable {
        /// The training mean of each column.
        public let means: [Double]
        /// The training population standard deviation of each column.
        public let standardDeviations: [Double]

        /// The number of columns `F` the scaler was fitted on.
        public var width: Int { means.count }

        init(means: [Double], standardDeviations: [Double]) {
            self.means = means
            self.standardDeviations = standardDeviations
        }

        /// A scaler from statistics stored elsewhere (a model's manifest), checked as decoding checks them.
        ///
        /// - Throws: ``EventDataError/invalidOption(name:detail:)`` unless the two lists are equally
        ///   long, finite, and the deviations >= 0.
        public init(validatingMeans means: [Double], standardDeviations deviations: [Double]) throws {
            guard means.count == deviations.count,
                zip(means, deviations).allSatisfy({ $0.isFinite && $1.isFinite && $1 >= 0 })
            else {
                throw EventDataError.invalidOption(name: "StandardScaler", detail: Self.invalidStatistics)
            }
            self.init(means: means, standardDeviations: deviations)
        }

        private static let invalidStatistics =
            "means and standard deviations must be finite, equally long, with deviations >= 0; refit the scaler and save it again"

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let means = try container.decode([Double].self, forKey: .means)
            let deviations = try container.decode([Double].self, forKey: .standardDeviations)
            do {
                try self.init(validatingMeans: means, standardDeviations: deviations)
            } catch {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: decoder.codingPath, debugDescription: "StandardScaler: " + Self.invalidStatistics))
            }
        }

        /// Standardises rows `NF` with the training mean and deviation of each column.
        ///
        /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a row's length is not
        ///   ``width`` or a value is infinite.
        public func transform(_ rows: [[Double]]) throws -> [[Double]] {
            try ColumnwiseScaling.mapRows(rows, width: width, context: "StandardScaler.transform", scale)
        }

        /// Standardises columns `FN` with the training mean and deviation of each column.
        ///
        /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when the number of columns is
        ///   not ``width`` or a value is infinite.
        public func transform(columns: [[Double]]) throws -> [[Double]] {
            try ColumnwiseScaling.mapColumns(columns, width: width, context: "StandardScaler.transform", scale)
        }

        private func scale(_ column: Int, _ value: Double) -> Double {
            let deviation = standardDeviations[column]
            guard deviation > 0 else { return value.isNaN ? value : 0 }
            return (value - means[column]) / deviation
        }
    }
}

/// The input checks and loops both scalers share.
enum ColumnwiseScaling {
    /// Turns rows `NF` into columns `FN`, checking there is at least one row and all have `F` values.
    static func columns(ofRows rows: [[Double]], context: String) throws -> [[Double]] {
        guard let width = rows.first?.count else {
            throw EventDataError.invalidOption(
                name: context, detail: "there are no rows to fit on; pass the training rows")
        }
        var columns = Array(repeating: [Double](), count: width)
        for (index, row) in rows.enumerated() {
            guard row.count == width else {
                throw EventDataError.invalidOption(
                    name: context,
                    detail:
                        "row \(index) has \(row.count) values but row 0 has \(width); give every row the same columns")
            }
            for (column, value) in row.enumerated() { columns[column].append(value) }
        }
        return columns
    }

    /// Each column's values without `NaN`, checking none is infinite and none is empty.
    static func presentValues(_ columns: [[Double]], context: String) throws -> [[Double]] {
        guard !columns.isEmpty else {
            throw EventDataError.invalidOption(
                name: context, detail: "there are no columns to fit on; pass at least one column")
        }
        return try columns.enumerated().map { column, values in
            try checkFinite(values, column: column, context: context)
            let present = values.filter { !$0.isNaN }
            guard !present.isEmpty else {
                throw EventDataError.invalidOption(
                    name: context,
                    detail:
                        "column \(column) has no values (only NaN or none); drop the column or fill its missing values")
            }
            return present
        }
    }

    static func mapRows(
        _ rows: [[Double]], width: Int, context: String, _ scale: (Int, Double) -> Double
    ) throws -> [[Double]] {
        try rows.enumerated().map { index, row in
            guard row.count == width else {
                throw EventDataError.invalidOption(
                    name: context,
                    detail:
                        "row \(index) has \(row.count) values but the scaler was fitted on \(width) columns; pass the same columns as in training"
                )
            }
            try checkFinite(row, row: index, context: context)
            return row.enumerated().map { scale($0, $1) }
        }
    }

    static func mapColumns(
        _ columns: [[Double]], width: Int, context: String, _ scale: (Int, Double) -> Double
    ) throws -> [[Double]] {
        guard columns.count == width else {
            throw EventDataError.invalidOption(
                name: context,
                detail:
                    "got \(columns.count) columns but the scaler was fitted on \(width); pass the same columns as in training"
            )
        }
        return try columns.enumerated().map { column, values in
            try checkFinite(values, column: column, context: context)
            return values.map { scale(column, $0) }
        }
    }

    private static func checkFinite(_ values: [Double], row: Int, context: String) throws {
        if let column = values.firstIndex(where: { $0.isInfinite }) {
            throw infinite(row: row, column: column, context: context)
        }
    }

    private static func checkFinite(_ values: [Double], column: Int, context: String) throws {
        if let row = values.firstIndex(where: { $0.isInfinite }) {
            throw infinite(row: row, column: column, context: context)
        }
    }

    private static func infinite(row: Int, column: Int, context: String) -> EventDataError {
        .invalidOption(
            name: context,
            detail: "row \(row), column \(column) is infinite; replace it with a finite value or NaN (missing)")
    }
}
