import Foundation
import PrivacyAccounting
import Randomness

/// A private series' sums while users stream past (see ``SeriesPrivacy``), kept for every
/// bound the release may take, so bounds chosen from the data need no second pass: for every
/// candidate number of periods per user and every candidate value bound per metric, the sum
/// per period of users' clipped values in their first periods of a random order.
struct PrivateSums {
    let privacy: SeriesPrivacy
    let metrics: [ActivityMetric]
    let period: SeriesPeriod
    let start: Int64
    let count: Int
    /// The numbers of periods per user the release may keep (one when given).
    let periodCandidates: [Int]
    /// Per metric: the value bounds it may take (one when given).
    let candidates: [[Double]]
    /// Per period candidate, per metric, per value bound, per period: the clipped values of
    /// the periods a user keeps under this period candidate but not the one before (the
    /// candidate's sums are the running total over candidates).
    var increments: [[[[Double]]]]
    /// Per metric, per value bound: the sum over users of the share of their periods whose
    /// value the bound covers.
    var covered: [[Double]]
    /// Per period candidate: the users active in at most that many periods.
    var coveredUsers: [Double]
    var users = 0

    init(privacy: SeriesPrivacy, metrics: [ActivityMetric], period: SeriesPeriod, start: Int64, count: Int) {
        self.privacy = privacy
        self.metrics = metrics
        self.period = period
        self.start = start
        self.count = count
        periodCandidates = privacy.periodCandidates(count: count)
        candidates = metrics.map(privacy.candidates)
        let zeros = candidates.map { bounds in bounds.map { _ in [Double](repeating: 0, count: count) } }
        increments = periodCandidates.map { _ in zeros }
        covered = candidates.map { [Double](repeating: 0, count: $0.count) }
        coveredUsers = periodCandidates.map { _ in 0 }
    }

    /// Adds one user (ungrouped): their active periods in a random order, each value clipped
    /// at every value bound, filed under the smallest period candidate that keeps it.
    mutating func add(_ contribution: Contribution, using generator: inout RandomGenerator) {
        let active = Set(contribution.sums.keys.map(\.start)).sorted()
        guard !active.isEmpty else { return }
        let order = active.count > periodCandidates[0] ? generator.permutation(active.count).map { active[$0] } : active
        users += 1
        for (index, limit) in periodCandidates.enumerated() where active.count <= limit { coveredUsers[index] += 1 }
        let share = 1 / Double(active.count)
        var tier = 0
        for (position, start) in order.enumerated() {
            while tier < periodCandidates.count, position >= periodCandidates[tier] { tier += 1 }
            guard tier < periodCandidates.count else { break }
            let index = Int((start - self.start) / period.milliseconds)
            for metric in metrics.indices {
                let value = contribution.sums[ContributionKey(group: nil, metricIndex: metric, start: start)] ?? 0
                for (candidate, bound) in candidates[metric].enumerated() {
                    increments[tier][metric][candidate][index] += min(max(value, -bound), bound)
                }
            }
        }
        for metric in metrics.indices {
            for start in active {
                let value = contribution.sums[ContributionKey(group: nil, metricIndex: metric, start: start)] ?? 0
                for (candidate, bound) in candidates[metric].enumerated() where abs(value) <= bound {
                    covered[metric][candidate] += share
                }
            }
        }
    }

    /// The noisy series: the period bound and each value bound not given chosen by the
    /// exponential mechanism, then Gaussian noise calibrated to the rest of ε on every
    /// period; counts below 0 set to 0.
    func series(using generator: inout RandomGenerator) throws -> ActivitySeries {
        let choices = (periodCandidates.count > 1 ? 1 : 0) + candidates.filter { $0.count > 1 }.count
        let boundEpsilon = choices > 0 ? privacy.epsilon * SeriesPrivacy.boundShare : 0
        let each = choices > 0 ? boundEpsilon / Double(choices) : 0
        let multiplier: Double
        do {
            multiplier = try NoiseCalibration.noiseMultiplier(
                targetEpsilon: privacy.epsilon - boundEpsilon, delta: privacy.delta, samplingRate: 1, steps: 1,
                accountant: privacy.accountant)
        } catch {
            throw EventDataError.invalidOption(name: "dp-epsilon", detail: error.description)
        }
        let tier =
            periodCandidates.count == 1
            ? 0 : Self.choose(coveredUsers, target: privacy.boundQuantile * Double(users), epsilon: each, &generator)
        let maxPeriods = periodCandidates[tier]
        // Every (metric, period) value over its bound moves by at most 1 for one user, in at
        // most `maxPeriods` periods of each metric: the L2 sensitivity is √(metrics × periods).
        let sensitivity = (Double(metrics.count) * Double(maxPeriods)).squareRoot()
        var values: [[Double]] = []
        var columns: [SeriesPrivacyStatement.Column] = []
        for (index, metric) in metrics.enumerated() {
            let bounds = candidates[index]
            let choice =
                bounds.count == 1
                ? 0
                : Self.choose(covered[index], target: privacy.boundQuantile * Double(users), epsilon: each, &generator)
            let deviation = multiplier * sensitivity * bounds[choice]
            var sums = [Double](repeating: 0, count: count)
            for kept in 0...tier {
                for (position, value) in increments[kept][index][choice].enumerated() { sums[position] += value }
            }
            values.append(
                sums.map { value in
                    let noisy = value + deviation * Double(generator.nextNormal())
                    return metric == .revenue ? noisy : max(noisy, 0)
                })
            columns.append(
                .init(name: metric.description, bound: bounds[choice], chosen: bounds.count > 1, noise: deviation))
        }
        let statement = SeriesPrivacyStatement(
            epsilon: privacy.epsilon, delta: privacy.delta, accountant: privacy.accountant,
            noiseMultiplier: multiplier, periods: count, maxPeriods: maxPeriods,
            maxPeriodsChosen: periodCandidates.count > 1, period: period, columns: columns,
            boundEpsilon: boundEpsilon, boundQuantile: privacy.boundQuantile)
        return ActivitySeries(
            period: period, start: start, count: count, columns: metrics.map(\.description), values: values,
            privacy: statement)
    }

    /// The exponential mechanism over candidates whose coverage (a sum over users, each adding
    /// at most 1) should come near `target`, with utility `-|covered - target|`: adding or
    /// removing one user moves it by at most 1, so the choice is `epsilon`-DP.
    static func choose(
        _ covered: [Double], target: Double, epsilon: Double, _ generator: inout RandomGenerator
    ) -> Int {
        let scores = covered.map { -abs($0 - target) * epsilon / 2 }
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
