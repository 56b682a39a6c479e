import Settings

/// The strength of seasonality from a classical additive decomposition, and the number of
/// seasonal differences it suggests (forecast's and statsforecast's `nsdiffs(test = "seas")`).
///
/// ```
/// F_s = max(0, 1 - Var(R_t) / Var(S_t + R_t))
/// ```
///
/// where `S_t` and `R_t` are the seasonal and remainder parts. forecast decomposes with STL;
/// here the decomposition is the classical moving-average one (R's `decompose`): the trend
/// is the centred moving average of order `s` (`2 x s` for even `s`), the seasonal part the
/// mean detrended value at each position in the season (centred to sum to zero), the
/// remainder what is left. Both give strengths near 1 for a stable seasonal pattern and near
/// 0 for noise; they differ in between. Times where the trend is undefined (the first and last
/// half season, or a window with a missing value) are left out.
///
/// ```swift
/// let strength = SeasonalStrength.of(monthly, period: 12)   // in [0, 1]
/// let seasonalD = try SeasonalStrength.differencesNeeded(for: monthly, period: 12)   // 0 or 1
/// ```
public enum SeasonalStrength {
    /// The threshold above which one seasonal difference is taken (Wang, Smith and Hyndman 2006).
    public static let defaultThreshold = 0.64

    /// The seasonal strength `F_s` of `series`, in `[0, 1]`; 0 when the series holds fewer
    /// than two full seasons of trend-adjusted values or does not vary.
    ///
    /// - Precondition: `period >= 2`.
    public static func of(_ series: [Double], period s: Int) -> Double {
        precondition(s >= 2, "SeasonalStrength: period \(s) must be at least 2")
        let n = series.count
        let half = s / 2
        guard n > 2 * s else { return 0 }
        var detrended = [Double](repeating: .nan, count: n)
        for t in half..<(n - half) {
            var sum = 0.0
            if s % 2 == 1 {
                for k in (t - half)...(t + half) { sum += series[k] }
            } else {
                sum = 0.5 * (series[t - half] + series[t + half])
                for k in (t - half + 1)..<(t + half) { sum += series[k] }
            }
            detrended[t] = series[t] - sum / Double(s)
        }
        var indexSums = [Double](repeating: 0, count: s)
        var indexCounts = [Int](repeating: 0, count: s)
        for (t, value) in detrended.enumerated() where value.isFinite {
            indexSums[t % s] += value
            indexCounts[t % s] += 1
        }
        var indices = (0..<s).map { indexCounts[$0] > 0 ? indexSums[$0] / Double(indexCounts[$0]) : 0 }
        let average = indices.reduce(0, +) / Double(s)
        indices = indices.map { $0 - average }
        var combined: [Double] = []
        var remainder: [Double] = []
        for (t, value) in detrended.enumerated() where value.isFinite {
            combined.append(value)
            remainder.append(value - indices[t % s])
        }
        let total = variance(combined)
        guard combined.count > s, total > 0 else { return 0 }
        return max(0, 1 - variance(remainder) / total)
    }

    private static func variance(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    }

    /// 1 when the seasonal strength of `series` exceeds `threshold`, else 0 (also for a
    /// constant series or one shorter than two seasons plus one value).
    ///
    /// - Parameters:
    ///   - period: The season length (key `period`), at least 2.
    ///   - threshold: The strength above which to difference (key `seasonal-threshold`), `0 ... 1`.
    /// - Throws: ``InvalidParameter`` for a bad period or threshold.
    public static func differencesNeeded(
        for series: [Double], period: Int, threshold: Double = defaultThreshold
    ) throws(InvalidParameter) -> Int {
        try InvalidParameter.require("period", period, in: 2...ARIMAOrder.maximumPeriod)
        try InvalidParameter.require("seasonal-threshold", threshold, in: 0...1)
        let observed = series.filter { !$0.isNaN }
        guard let first = observed.first, observed.contains(where: { $0 != first }) else { return 0 }
        return of(series, period: period) > threshold ? 1 : 0
    }
}
