import Foundation

/// How one series is put on the network's scale.
///
/// Each window is centred on its own level (the mean of the last season of observed inputs),
/// so a trend or a level shift is relative to the window, and divided by the series' scale
/// (the mean absolute seasonal difference of its training values, MASE's denominator), so
/// series of any size share one network.
struct SeriesScaling: Codable, Sendable, Equatable {
    /// The series' scale: every value is divided by it.
    var scale: Double

    init(scale: Double) { self.scale = scale }

    /// The scale of `values` (missing values skipped): the mean absolute difference at lag
    /// `seasonPeriod`, or at lag 1, or the standard deviation, whichever is first positive; 1
    /// for a constant series.
    init(fitting values: [Double], seasonPeriod: Int) {
        func meanAbsoluteDifference(lag: Int) -> Double? {
            guard lag >= 1, values.count > lag else { return nil }
            var sum = 0.0
            var count = 0
            for t in lag..<values.count where !values[t].isNaN && !values[t - lag].isNaN {
                sum += Swift.abs(values[t] - values[t - lag])
                count += 1
            }
            return count > 0 && sum > 0 ? sum / Double(count) : nil
        }
        func standardDeviation() -> Double {
            let observed = values.filter { !$0.isNaN }
            let mean = observed.reduce(0, +) / Double(max(observed.count, 1))
            let variance = observed.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(observed.count, 1))
            return variance > 0 ? variance.squareRoot() : 1
        }
        scale = meanAbsoluteDifference(lag: seasonPeriod) ?? meanAbsoluteDifference(lag: 1) ?? standardDeviation()
    }
}

/// The inputs the networks read for a batch of forecast origins, as flat `Float` arrays.
struct WindowBatch {
    /// `[B, L, 4]`: per input step the scaled value (0 where missing), a missing flag, and the
    /// sine and cosine of the step's position in the season.
    var steps: [Float]
    /// `[B, H]`: the seasonal naive forecast in scaled units (the last observed season
    /// repeated), which the networks' outputs correct.
    var baseline: [Float]
    /// `[B, H]`: the scaled targets (0 where missing or unknown).
    var targets: [Float]
    /// `[B, H]`: 1 where a target was observed, else 0.
    var weights: [Float]
    /// `[B, 2]`: the sine and cosine of the origin's position in the season.
    var originPhases: [Float]
    /// Per window, the level its values were centred on.
    var levels: [Double]
    var count: Int
}

/// Windows of a set of series: the lookback before each forecast origin and the horizon after it.
struct ForecastWindows {
    /// Input features per step (``WindowBatch/steps``).
    static let stepFeatures = 4

    let series: [[Double]]
    let scalings: [SeriesScaling]
    /// Each series' season position of its first value.
    let phaseOffsets: [Int]
    let lookback: Int
    let horizon: Int
    let seasonPeriod: Int

    /// Builds a batch for the given (series, origin) pairs; the origin is the index of the
    /// first forecast period, and the inputs are the `lookback` periods before it (missing
    /// before the series begins). Targets past the end of a series are left out.
    func batch(_ origins: [(series: Int, origin: Int)]) -> WindowBatch {
        let l = lookback
        let h = horizon
        let f = Self.stepFeatures
        let angle = 2 * Double.pi / Double(max(seasonPeriod, 1))
        var result = WindowBatch(
            steps: [Float](repeating: 0, count: origins.count * l * f),
            baseline: [Float](repeating: 0, count: origins.count * h),
            targets: [Float](repeating: 0, count: origins.count * h),
            weights: [Float](repeating: 0, count: origins.count * h), originPhases: [], levels: [],
            count: origins.count)
        for (b, (s, origin)) in origins.enumerated() {
            let values = series[s]
            let scale = scalings[s].scale
            let level = Self.level(values, before: origin, lookback: l, seasonPeriod: seasonPeriod)
            result.levels.append(level)
            let originPhase = Double(origin + phaseOffsets[s]) * angle
            result.originPhases += [Float(sin(originPhase)), Float(cos(originPhase))]
            for i in 0..<l {
                let t = origin - l + i
                let base = (b * l + i) * f
                let value = t >= 0 && t < values.count ? values[t] : .nan
                if value.isNaN {
                    result.steps[base + 1] = 1
                } else {
                    result.steps[base] = Float((value - level) / scale)
                }
                let phase = Double(t + phaseOffsets[s]) * angle
                result.steps[base + 2] = Float(sin(phase))
                result.steps[base + 3] = Float(cos(phase))
            }
            let m = min(max(seasonPeriod, 1), l)
            for j in 0..<h {
                // The mean of the same season position over the seasons in the lookback.
                var t = origin - m + j % m
                var sum = 0.0
                var count = 0
                while t >= origin - l, t >= 0 {
                    if !values[t].isNaN {
                        sum += values[t]
                        count += 1
                    }
                    t -= m
                }
                if count > 0 {
                    result.baseline[b * h + j] = Float((sum / Double(count) - level) / scale)
                }
                let target = origin + j
                if target < values.count, !values[target].isNaN {
                    result.targets[b * h + j] = Float((values[target] - level) / scale)
                    result.weights[b * h + j] = 1
                }
            }
        }
        return result
    }

    /// The mean of the observed values among the last season before `origin` (the last
    /// observed value when that season is all missing; 0 when the window has none).
    static func level(_ values: [Double], before origin: Int, lookback: Int, seasonPeriod: Int) -> Double {
        let start = max(0, origin - lookback)
        let end = min(origin, values.count)
        var sum = 0.0
        var count = 0
        for t in max(start, origin - max(seasonPeriod, 1))..<end where !values[t].isNaN {
            sum += values[t]
            count += 1
        }
        if count > 0 { return sum / Double(count) }
        return values[start..<end].last { !$0.isNaN } ?? 0
    }
}
