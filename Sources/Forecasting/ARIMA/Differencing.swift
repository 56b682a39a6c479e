import Settings

/// Regular and seasonal differencing, `(1 - B)^d (1 - B^s)^D y_t`, and its exact inverse for
/// forecasts.
///
/// Differencing a series of `n` values leaves `n - lag` values, where ``lag`` is `d + s D`
/// (as R's `diff`): value `i` of the result belongs to time `i + lag` of the input. A missing
/// value (`.nan`) makes every difference it enters missing.
///
/// ```swift
/// let differencing = try Differencing(order: 1, seasonalOrder: 1, period: 4)
/// let w = differencing.apply(y)                         // y.count - 5 values
/// let path = differencing.integrate(wForecasts, after: y)  // forecasts of y
/// ```
public struct Differencing: Sendable, Hashable {
    /// Regular differences `d` (key `d`).
    public let order: Int
    /// Seasonal differences `D` at lag ``period`` (key `seasonal-d`).
    public let seasonalOrder: Int
    /// The season length `s` (key `period`).
    public let period: Int
    /// The coefficients `c_0 ... c_lag` of `(1 - B)^d (1 - B^s)^D = Σ c_k B^k` (`c_0 = 1`).
    public let coefficients: [Double]

    /// - Throws: ``InvalidParameter`` for `d` outside 0...2, `D` outside 0...1, a period below 1,
    ///   or `D = 1` with period 1.
    public init(order: Int, seasonalOrder: Int = 0, period: Int = 1) throws(InvalidParameter) {
        try InvalidParameter.require("d", order, in: 0...2)
        try InvalidParameter.require("seasonal-d", seasonalOrder, in: 0...1)
        try InvalidParameter.require("period", period, in: 1...ARIMAOrder.maximumPeriod)
        try InvalidParameter.require(
            seasonalOrder == 0 || period > 1, "period", period, allowed: "above 1 for seasonal differencing")
        self.init(uncheckedOrder: order, seasonalOrder: seasonalOrder, period: period)
    }

    init(uncheckedOrder order: Int, seasonalOrder: Int, period: Int) {
        self.order = order
        self.seasonalOrder = seasonalOrder
        self.period = period
        var polynomial: [Double] = [1]
        for _ in 0..<order { polynomial = Self.multiply(polynomial, byOneMinusBToThe: 1) }
        for _ in 0..<seasonalOrder { polynomial = Self.multiply(polynomial, byOneMinusBToThe: period) }
        coefficients = polynomial
    }

    private static func multiply(_ polynomial: [Double], byOneMinusBToThe power: Int) -> [Double] {
        var result = polynomial + [Double](repeating: 0, count: power)
        for (k, c) in polynomial.enumerated() { result[k + power] -= c }
        return result
    }

    /// The number of values differencing consumes, `d + s D`.
    public var lag: Int { coefficients.count - 1 }

    /// The differenced series, `w_i = Σ_k c_k y_{i + lag - k}`; empty when `series` holds at most
    /// ``lag`` values.
    public func apply(_ series: [Double]) -> [Double] {
        let m = lag
        guard series.count > m else { return [] }
        var result = [Double](repeating: 0, count: series.count - m)
        for i in result.indices {
            var value = 0.0
            for (k, c) in coefficients.enumerated() where c != 0 { value += c * series[i + m - k] }
            result[i] = value
        }
        return result
    }

    /// Undoes differencing for values after the end of `history`: given differenced values
    /// `w_{n+1} ... w_{n+h}` (forecasts), returns `y_{n+1} ... y_{n+h}` from
    /// `y_t = w_t - Σ_{k≥1} c_k y_{t-k}`, starting from the last ``lag`` values of `history`.
    ///
    /// - Precondition: `history` holds at least ``lag`` values.
    public func integrate(_ differenced: [Double], after history: [Double]) -> [Double] {
        let m = lag
        precondition(history.count >= m, "Differencing: integrating needs \(m) past values, got \(history.count)")
        var path = Array(history.suffix(m))
        path.reserveCapacity(m + differenced.count)
        for w in differenced {
            var value = w
            for k in 1..<(m + 1) where coefficients[k] != 0 { value -= coefficients[k] * path[path.count - k] }
            path.append(value)
        }
        return Array(path.suffix(differenced.count))
    }
}
