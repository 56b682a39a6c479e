import Foundation
import PrivacyAccounting
import Randomness

/// A private series' sums while users stream past (see ``SeriesPrivacy``): each user kept to
/// at most `maxPeriods` periods, and each metric's values clipped at every bound it may
/// take, so a bound chosen from the data needs no second pass.
struct PrivateSums {
    let privacy: SeriesPrivacy
    let metrics: [ActivityMetric]
    let period: SeriesPeriod
    let start: Int64
    let count: Int
    let maxPeriods: Int
    /// Per metric: the bounds it may take (one when given).
    let candidates: [[Double]]
    /// Per metric, per candidate bound, per period: the sum of users' clipped values.
    var sums: [[[Double]]]
    /// Per metric, per candidate bound: the sum over users of the share of their periods
    /// whose value the bound covers.
    var covered: [[Double]]
    var users = 0

    init(privacy: SeriesPrivacy, metrics: [ActivityMetric], period: SeriesPeriod, start: Int64, count: Int) {
        self.privacy = privacy
        self.metrics = metrics
        self.period = period
        self.start = start
        self.count = count
        maxPeriods = min(privacy.maxPeriods ?? count, count)
        candidates = metrics.map(privacy.candidates)
        sums = candidates.map { bounds in bounds.map { _ in [Double](repeating: 0, count: count) } }
        covered = candidates.map { [Double](repeating: 0, count: $0.count) }
    }

    /// Adds one user (ungrouped): at most `maxPeriods` of their active periods, chosen at
    /// random when there are more, each value clipped at every candidate bound.
    mutating func add(_ contribution: Contribution, using generator: inout RandomGenerator) {
        var starts = Set(contribution.sums.keys.map(\.start)).sorted()
        guard !starts.isEmpty else { return }
        if starts.count > maxPeriods {
            starts = generator.permutation(starts.count).prefix(maxPeriods).map { starts[$0] }
        }
        users += 1
        let share = 1 / Double(starts.count)
        for metric in metrics.indices {
            for start in starts {
                let value = contribution.sums[ContributionKey(group: nil, metricIndex: metric, start: start)] ?? 0
                let index = Int((start - self.start) / period.milliseconds)
                for (candidate, bound) in candidates[metric].enumerated() {
                    sums[metric][candidate][index] += min(max(value, -bound), bound)
                    if abs(value) <= bound { covered[metric][candidate] += share }
                }
            }
        }
    }

    /// The noisy series: each bound not given chosen by the exponential mechanism, then
    /// Gaussian noise calibrated to the rest of ε on every period; counts below 0 set to 0.
    func series(using generator: inout RandomGenerator) throws -> ActivitySeries {
        let chosenCount = candidates.filter { $0.count > 1 }.count
        let boundEpsilon = chosenCount > 0 ? privacy.epsilon * SeriesPrivacy.boundShare : 0
        let multiplier: Double
        do {
            multiplier = try NoiseCalibration.noiseMultiplier(
                targetEpsilon: privacy.epsilon - boundEpsilon, delta: privacy.delta, samplingRate: 1, steps: 1,
                accountant: privacy.accountant)
        } catch {
            throw EventDataError.invalidOption(name: "dp-epsilon", detail: error.description)
        }
        // Every (metric, period) value over its bound moves by at most 1 for one user, in at
        // most `maxPeriods` periods of each metric: the L2 sensitivity is √(metrics × periods).
        let sensitivity = (Double(metrics.count) * Double(maxPeriods)).squareRoot()
        var values: [[Double]] = []
        var columns: [SeriesPrivacyStatement.Column] = []
        for (index, metric) in metrics.enumerated() {
            let bounds = candidates[index]
            let choice =
                bounds.count == 1
                ? 0 : chooseBound(index, epsilon: boundEpsilon / Double(chosenCount), using: &generator)
            let deviation = multiplier * sensitivity * bounds[choice]
            values.append(
                sums[index][choice].map { value in
                    let noisy = value + deviation * Double(generator.nextNormal())
                    return metric == .revenue ? noisy : max(noisy, 0)
                })
            columns.append(
                .init(name: metric.description, bound: bounds[choice], chosen: bounds.count > 1, noise: deviation))
        }
        let statement = SeriesPrivacyStatement(
            epsilon: privacy.epsilon, delta: privacy.delta, accountant: privacy.accountant,
            noiseMultiplier: multiplier, periods: count, maxPeriods: maxPeriods, period: period, columns: columns,
            boundEpsilon: boundEpsilon, boundQuantile: privacy.boundQuantile)
        return ActivitySeries(
            period: period, start: start, count: count, columns: metrics.map(\.description), values: values,
            privacy: statement)
    }

    /// The exponential mechanism over metric `metric`'s candidate bounds, with utility
    /// `-|covered - quantile × users|`: adding or removing one user moves it by at most 1
    /// (their share lies in 0...1), so each choice is `epsilon`-DP.
    func chooseBound(_ metric: Int, epsilon: Double, using generator: inout RandomGenerator) -> Int {
        let target = privacy.boundQuantile * Double(users)
        let scores = covered[metric].map { -abs($0 - target) * epsilon / 2 }
        let top = scores.max() ?? 0
        let weights = scores.map { exp($0 - top) }
        var draw = Double(generator.next() >> 11) / Double(1 << 53) * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return index }
        }
        return weights.count - 1
    }
}
