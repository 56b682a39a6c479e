import Settings

/// Known outside variables for a regression with ARIMA errors: a promotion flag, a price,
/// holiday or calendar dummies. Each column holds one value per period of the series' own
/// calendar, from its first period on, and may run past the series' end: those later values
/// are what forecasts use.
///
/// ```swift
/// // A promotion flag for 100 observed days and the 14 days to forecast.
/// let promotion = try ExogenousRegressors(names: ["promotion"], columns: [flags])   // 114 values
/// let model = try ARIMA(order: ARIMAOrder(p: 1, d: 0, q: 0), includeConstant: true, regressors: promotion)
///     .fit(sales)                                                                    // 100 values
/// let forecast = try model.forecast(horizon: 14)   // reads flags[100..<114]
/// ```
public struct ExogenousRegressors: Codable, Sendable, Equatable {
    /// The regressors' names, as the fitted coefficients are named.
    public let names: [String]
    /// `columns[j][t]`: regressor `j` in period `t` (`.nan` where unknown).
    public let columns: [[Double]]

    /// - Throws: ``InvalidParameter``: key `regressors` for no columns, a name that is empty or
    ///   repeated, a column count that differs from the names', columns of different lengths,
    ///   or an infinite value.
    public init(names: [String], columns: [[Double]]) throws(InvalidParameter) {
        try InvalidParameter.require(
            !names.isEmpty && names.count == columns.count, "regressors",
            "\(names.count) names, \(columns.count) columns",
            allowed: "one name per column, at least one")
        for (j, name) in names.enumerated() {
            try InvalidParameter.require(
                !name.isEmpty && !names[..<j].contains(name), "regressors", "name '\(name)'",
                allowed: "non-empty names, each used once")
            try InvalidParameter.require(
                columns[j].count == columns[0].count, "regressors", "\(name) with \(columns[j].count) values",
                allowed: "\(columns[0].count) values, as many as \(names[0])")
            try InvalidParameter.require(
                !columns[j].contains { $0.isInfinite }, "regressors", "\(name) with an infinite value",
                allowed: "finite numbers, or .nan where unknown")
        }
        self.names = names
        self.columns = columns
    }

    /// The number of periods the columns cover.
    public var periods: Int { columns.first?.count ?? 0 }

    /// The regressors followed by `other`'s.
    ///
    /// - Throws: ``InvalidParameter`` (key `regressors`) when a name repeats or the lengths differ.
    public func appending(_ other: ExogenousRegressors) throws(InvalidParameter) -> ExogenousRegressors {
        try ExogenousRegressors(names: names + other.names, columns: columns + other.columns)
    }

    /// The columns over the first `count` periods (a series' span).
    ///
    /// - Throws: ``InvalidParameter`` (key `regressors`) when they cover fewer periods.
    func columns(over count: Int) throws(InvalidParameter) -> [[Double]] {
        try InvalidParameter.require(
            periods >= count, "regressors", "\(periods) periods", allowed: "at least the series' \(count) periods")
        return columns.map { Array($0.prefix(count)) }
    }

    /// `Σ_j β_j x_j[t]`.
    func effect(_ beta: [Double], at t: Int) -> Double {
        var sum = 0.0
        for j in columns.indices { sum += beta[j] * columns[j][t] }
        return sum
    }
}

/// Ordinary least squares by the normal equations with a Cholesky factor, for start values.
enum LeastSquares {
    /// A fit: the coefficients, the Cholesky factor `L` of the Gram matrix `XᵀX = L Lᵀ`
    /// (row-major, lower triangle) and the number of rows used.
    struct Solution {
        var coefficients: [Double]
        var factor: [Double]
        var rows: Int
    }

    /// The coefficients of `y` on `columns` over the rows where `y` and every column are known,
    /// or the index of the first column that is zero or a combination of the ones before it.
    static func fit(_ y: [Double], on columns: [[Double]]) -> Result<Solution, RankDeficiency> {
        let k = columns.count
        var gram = [Double](repeating: 0, count: k * k)
        var moment = [Double](repeating: 0, count: k)
        var rows = 0
        for t in y.indices where y[t].isFinite && columns.allSatisfy({ $0[t].isFinite }) {
            rows += 1
            for i in 0..<k {
                moment[i] += columns[i][t] * y[t]
                for j in 0...i { gram[i * k + j] += columns[i][t] * columns[j][t] }
            }
        }
        // Cholesky G = L Lᵀ in place (lower triangle); a pivot that vanishes relative to its
        // column's own sum of squares marks a column the earlier ones explain.
        for j in 0..<k {
            let own = gram[j * k + j]
            var pivot = own
            for m in 0..<j { pivot -= gram[j * k + m] * gram[j * k + m] }
            guard own > 0, pivot > 1e-10 * own else { return .failure(RankDeficiency(column: j)) }
            let root = pivot.squareRoot()
            gram[j * k + j] = root
            for i in (j + 1)..<max(j + 1, k) {
                var value = gram[i * k + j]
                for m in 0..<j { value -= gram[i * k + m] * gram[j * k + m] }
                gram[i * k + j] = value / root
            }
        }
        var solution = moment
        for i in 0..<k {
            for m in 0..<i { solution[i] -= gram[i * k + m] * solution[m] }
            solution[i] /= gram[i * k + i]
        }
        for i in stride(from: k - 1, through: 0, by: -1) {
            for m in (i + 1)..<max(i + 1, k) { solution[i] -= gram[m * k + i] * solution[m] }
            solution[i] /= gram[i * k + i]
        }
        for i in 0..<k {
            for j in (i + 1)..<max(i + 1, k) { gram[i * k + j] = 0 }
        }
        return .success(Solution(coefficients: solution, factor: gram, rows: rows))
    }

    /// A column that adds nothing to the ones before it.
    struct RankDeficiency: Error {
        var column: Int
    }
}
