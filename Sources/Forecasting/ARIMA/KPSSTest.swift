import Foundation
import Settings

/// The KPSS test of level stationarity (Kwiatkowski, Phillips, Schmidt and Shin 1992), as R's
/// `tseries::kpss.test(x, null = "Level")` computes it, and the number of differences it
/// suggests (forecast's and statsforecast's `ndiffs(test = "kpss")`).
///
/// With `e_t = y_t - ȳ` and partial sums `S_t = e_1 + ... + e_t`,
///
/// ```
/// KPSS = Σ S_t² / (n² s²(l)),   s²(l) = Σ e_t²/n + (2/n) Σ_{j=1..l} (1 - j/(l+1)) Σ_{t>j} e_t e_{t-j}
/// ```
///
/// (Bartlett weights). The default truncation lag is the "short" rule `l = ⌊4 (n/100)^{1/4}⌋`;
/// the p-value interpolates linearly in the table of the paper (0.347, 0.463, 0.574, 0.739 for
/// 10%, 5%, 2.5%, 1%), clamped to `[0.01, 0.1]`. Missing values are dropped first.
///
/// ```swift
/// let test = try KPSSTest(series: y)
/// test.statistic, test.pValue          // small p-value: not level-stationary
/// let d = try KPSSTest.differencesNeeded(for: y)   // 0, 1 or 2
/// ```
public struct KPSSTest: Sendable, Equatable {
    /// The KPSS statistic.
    public let statistic: Double
    /// The truncation lag `l` used.
    public let lags: Int
    /// The p-value interpolated in the critical-value table, within `[0.01, 0.1]`.
    public let pValue: Double

    /// The critical values for level stationarity and their significance levels (KPSS 1992, Table 1).
    public static let criticalValues: [(statistic: Double, level: Double)] = [
        (0.347, 0.10), (0.463, 0.05), (0.574, 0.025), (0.739, 0.01),
    ]

    /// The "short" truncation lag `⌊4 (n/100)^{1/4}⌋` of `tseries::kpss.test` and `ndiffs`.
    public static func shortLag(count n: Int) -> Int { Int((4 * pow(Double(n) / 100, 0.25)).rounded(.towardZero)) }

    /// Tests `series` (`.nan` values dropped) for level stationarity.
    ///
    /// - Parameters:
    ///   - series: The values; at least 3 observed, not all equal.
    ///   - lags: The truncation lag (key `lags`), `0 ..< n`; nil for ``shortLag(count:)``.
    /// - Throws: ``InvalidParameter`` for a bad lag, or (key `series`) too few values or a
    ///   constant series.
    public init(series: [Double], lags: Int? = nil) throws(InvalidParameter) {
        let x = series.filter { !$0.isNaN }
        let n = x.count
        try InvalidParameter.require(n >= 3, "series", "\(n) observed values", allowed: "at least 3 observed values")
        try InvalidParameter.require(
            x.allSatisfy(\.isFinite), "series", "a value that is infinite", allowed: "finite numbers or .nan")
        try InvalidParameter.require(
            x.contains { $0 != x[0] }, "series", "constant", allowed: "a series that varies")
        let l = lags ?? Self.shortLag(count: n)
        try InvalidParameter.require("lags", l, in: 0...(n - 1))
        let mean = x.reduce(0, +) / Double(n)
        let e = x.map { $0 - mean }
        var partial = 0.0
        var eta = 0.0
        for value in e {
            partial += value
            eta += partial * partial
        }
        var longRun = e.reduce(0) { $0 + $1 * $1 }
        for j in stride(from: 1, through: l, by: 1) {
            var sum = 0.0
            for t in j..<n { sum += e[t] * e[t - j] }
            longRun += 2 * (1 - Double(j) / Double(l + 1)) * sum
        }
        longRun /= Double(n)
        statistic = eta / (Double(n) * Double(n) * longRun)
        self.lags = l
        pValue = Self.interpolatedPValue(statistic)
    }

    private static func interpolatedPValue(_ statistic: Double) -> Double {
        let table = criticalValues
        guard let first = table.first, let last = table.last else { return 1 }
        if statistic <= first.statistic { return first.level }
        if statistic >= last.statistic { return last.level }
        for (low, high) in zip(table, table.dropFirst()) where statistic <= high.statistic {
            let fraction = (statistic - low.statistic) / (high.statistic - low.statistic)
            return low.level + fraction * (high.level - low.level)
        }
        return last.level
    }

    /// The number of regular differences that make `series` level-stationary by the KPSS test:
    /// difference while the test rejects at `alpha` (p-value below it) and the series still
    /// varies, at most `maximum` times (forecast's `ndiffs`).
    ///
    /// - Parameters:
    ///   - alpha: The test's level (key `kpss-alpha`), within the table's `0.01 ... 0.1`.
    ///   - maximum: The most differences (key `max-d`), `0 ... 2`.
    /// - Throws: ``InvalidParameter`` for a bad `alpha` or `maximum`.
    public static func differencesNeeded(
        for series: [Double], alpha: Double = 0.05, maximum: Int = 2
    ) throws(InvalidParameter) -> Int {
        try InvalidParameter.require("kpss-alpha", alpha, in: 0.01...0.1)
        try InvalidParameter.require("max-d", maximum, in: 0...2)
        var x = series.filter { !$0.isNaN }
        var d = 0
        while d < maximum {
            guard x.count >= 3, x.contains(where: { $0 != x[0] }), x.allSatisfy(\.isFinite),
                let test = try? KPSSTest(series: x), test.pValue < alpha
            else { break }
            d += 1
            x = zip(x.dropFirst(), x).map { $0 - $1 }
        }
        return d
    }
}
