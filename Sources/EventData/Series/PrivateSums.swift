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

    /// Adds one user (ungrouped): their active periods in a random order, each value counted
    /// in the coverage of every value bound and, clipped at it, filed under the smallest period
    /// candidate that keeps the period.
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
            let index = Int((start - self.start) / period.milliseconds)
            for metric in metrics.indices {
                let value = contribution.sums[ContributionKey(group: nil, metricIndex: metric, start: start)] ?? 0
                for (candidate, bound) in candidates[metric].enumerated() {
                    if abs(value) <= bound { covered[metric][candidate] += share }
                    if tier < periodCandidates.count {
                        increments[tier][metric][candidate][index] += min(max(value, -bound), bound)
                    }
                }
            }
        }
    }

    /// The noisy series: the period bound and each value bound not given chosen privately
    /// (``choose(_:target:epsilon:_:)``), then Gaussian noise calibrated to the rest of ε on
    /// every period; counts below 0 set to 0.
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

    /// The first candidate, in ascending order, whose coverage (a sum over users, each adding
    /// at most 1, that grows with the candidate) reaches `target`, by AboveThreshold (Dwork and
    /// Roth 2014, algorithm 1): a noisy threshold, Laplace noise of scale 2/ε on it and 4/ε on
    /// every candidate's coverage, and the first candidate over it. `coverage - target` moves
    /// by at most 1 when one user is added or removed, so the choice is `epsilon`-DP however
    /// many candidates are looked at. Where several candidates cover about everyone it stops
    /// at the first of them, not at one at random (an exponential mechanism's choice among
    /// them, for a 99th percentile of 500 users, was often the largest bound of the grid).
    static func choose(
        _ covered: [Double], target: Double, epsilon: Double, _ generator: inout RandomGenerator
    ) -> Int {
        func laplace(_ scale: Double) -> Double {
            let uniform = (Double(generator.next() >> 11) + 0.5) / Double(1 << 53) - 0.5
            return -scale * (uniform < 0 ? -1 : 1) * log(1 - 2 * abs(uniform))
        }
        let threshold = target + laplace(2 / epsilon)
        for (index, coverage) in covered.enumerated() where coverage + laplace(4 / epsilon) >= threshold {
            return index
        }
        return covered.count - 1
    }
}
