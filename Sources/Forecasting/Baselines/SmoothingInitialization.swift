/// Initial level, trend and seasonal states of exponential smoothing, estimated from the
/// start of the series.
///
/// ``heuristic(_:trend:seasonality:seasonPeriod:)`` is the heuristic of Hyndman, Koehler,
/// Ord & Snyder, *Forecasting with Exponential Smoothing* (2008), §2.6.1, step for step as
/// statsmodels implements it (`_initialization_heuristic`): a centred moving average
/// (2×m when m is even) over the first `min(5, n/m)` seasons, at least enough for 10
/// averages, gives the trend-cycle; the average detrended value of each season position,
/// normalised, gives the seasonal states; a straight line through the first 10 trend-cycle
/// values (or the first 10 values, without seasons) at times 1...10 gives the level (its
/// intercept) and the trend (its slope). Series too short for it take fpp3 §8's simple
/// start (statsmodels' `_initialization_simple`): the first value and first difference, or
/// the first season's mean, the mean seasonal change between the first two seasons, and
/// the first season less (or over) its mean.
///
/// Missing values are skipped: averages over windows with a missing value are left out,
/// and each regression point keeps its own time.
public struct SmoothingStates: Codable, Sendable, Equatable {
    /// The level `l_0`.
    public var level: Double
    /// The trend `b_0` (0 without a trend).
    public var trend: Double
    /// The seasonal states `s_(1-m) ... s_0`, the one for the series' first value first (empty without seasons).
    public var seasonal: [Double]

    /// - Parameters:
    ///   - level: The level `l_0`.
    ///   - trend: The trend `b_0` (0 without a trend).
    ///   - seasonal: `s_(1-m) ... s_0`, applied to the series' first `m` values in order.
    public init(level: Double, trend: Double = 0, seasonal: [Double] = []) {
        self.level = level
        self.trend = trend
        self.seasonal = seasonal
    }

    /// The heuristic start, or the simple one for a series too short for it; `nil` when even
    /// the simple start lacks observed values (no two observed values; a season position
    /// never observed in the first two seasons).
    static func heuristic(
        _ y: [Double], trend: Bool, seasonality: ExponentialSmoothing.Seasonality, seasonPeriod m: Int
    ) -> SmoothingStates? {
        let n = y.count
        guard n >= 10 else { return simple(y, trend: trend, seasonality: seasonality, seasonPeriod: m) }
        var seasonal: [Double] = []
        var base = y
        if seasonality != .none {
            let minimum = 10 + 2 * (m / 2)
            guard n >= 2 * m, n >= minimum else {
                return simple(y, trend: trend, seasonality: seasonality, seasonPeriod: m)
            }
            let cycles = max(min(5, n / m), (minimum + m - 1) / m)
            let length = min(n, cycles * m)
            let average = centredMovingAverage(Array(y.prefix(length)), period: m)
            var sums = [Double](repeating: 0, count: m)
            var counts = [Int](repeating: 0, count: m)
            for t in 0..<length where !average[t].isNaN && !y[t].isNaN {
                sums[t % m] += seasonality == .additive ? y[t] - average[t] : y[t] / average[t]
                counts[t % m] += 1
            }
            guard !counts.contains(0) else {
                return simple(y, trend: trend, seasonality: seasonality, seasonPeriod: m)
            }
            seasonal = (0..<m).map { sums[$0] / Double(counts[$0]) }
            let mean = seasonal.reduce(0, +) / Double(m)
            seasonal = seasonal.map { seasonality == .additive ? $0 - mean : $0 / mean }
            // The line is fitted through the trend-cycle, from its first value on.
            base = Array(average.drop { $0.isNaN })
        }
        var points: [(x: Double, y: Double)] = []
        for (t, value) in base.enumerated() where !value.isNaN {
            points.append((Double(t + 1), value))
            if points.count == 10 { break }
        }
        guard points.count == 10 else { return simple(y, trend: trend, seasonality: seasonality, seasonPeriod: m) }
        let meanX = points.reduce(0) { $0 + $1.x } / 10
        let meanY = points.reduce(0) { $0 + $1.y } / 10
        let sxy = points.reduce(0) { $0 + ($1.x - meanX) * ($1.y - meanY) }
        let sxx = points.reduce(0) { $0 + ($1.x - meanX) * ($1.x - meanX) }
        let slope = sxy / sxx
        return SmoothingStates(level: meanY - slope * meanX, trend: trend ? slope : 0, seasonal: seasonal)
    }

    /// fpp3's simple start (see the type's summary), over observed values.
    static func simple(
        _ y: [Double], trend: Bool, seasonality: ExponentialSmoothing.Seasonality, seasonPeriod m: Int
    ) -> SmoothingStates? {
        if seasonality == .none {
            let observed = y.filter { !$0.isNaN }
            guard observed.count >= 2 else { return nil }
            return SmoothingStates(level: observed[0], trend: trend ? observed[1] - observed[0] : 0)
        }
        guard y.count >= 2 * m else { return nil }
        let first = y.prefix(m).filter { !$0.isNaN }
        guard !first.isEmpty else { return nil }
        let level = first.reduce(0, +) / Double(first.count)
        var changes: [Double] = []
        for t in m..<2 * m where !y[t].isNaN && !y[t - m].isNaN { changes.append((y[t] - y[t - m]) / Double(m)) }
        guard !trend || !changes.isEmpty else { return nil }
        // A season position missing in the first season takes its value from the second.
        var seasonal: [Double] = []
        for i in 0..<m {
            let value = y[i].isNaN ? y[i + m] : y[i]
            guard !value.isNaN else { return nil }
            seasonal.append(seasonality == .additive ? value - level : value / level)
        }
        return SmoothingStates(
            level: level, trend: trend ? changes.reduce(0, +) / Double(changes.count) : 0, seasonal: seasonal)
    }

    /// The centred moving average of `period` values (the 2×`period` average when `period` is
    /// even), `.nan` where the window leaves the series or holds a missing value.
    static func centredMovingAverage(_ y: [Double], period m: Int) -> [Double] {
        let n = y.count
        var result = [Double](repeating: .nan, count: n)
        let half = m / 2
        guard n > 2 * half else { return result }
        for t in half..<(n - half) {
            var sum = 0.0
            if m % 2 == 1 {
                for j in (t - half)...(t + half) { sum += y[j] }
                result[t] = sum / Double(m)
            } else {
                // Weights 1/2 at both ends: the mean of the two m-averages either side of t.
                for j in (t - half + 1)...(t + half - 1) { sum += y[j] }
                sum += 0.5 * (y[t - half] + y[t + half])
                result[t] = sum / Double(m)
            }
        }
        return result
    }
}
