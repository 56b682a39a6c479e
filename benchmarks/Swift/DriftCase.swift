import Foundation
import Monitoring
import Randomness

extension Cases {
    /// Drift checks at the sizes issue 15 names: 1,000 numeric features of five shapes (normal,
    /// exponential, log-normal, Poisson 0.3 and 5), 100,000 training and 100,000 recent rows.
    /// Times building the profile and comparing with it (three runs each), counts false alarms
    /// with no change, and the share of 40 trials per shape in which a mean shift of 0.1 training
    /// standard deviations in one feature is caught.
    static func drift(features: Int = 1_000, rows: Int = 100_000) -> [String: Any] {
        var rng = RandomGenerator(seed: 15)
        let columns = (0..<features).map { shape in draw(shape: shape, count: rows, shift: 0, &rng) }
        var profileSeconds: [Double] = []
        var profile = TrainingProfile(unit: "rows", rows: rows, features: [])
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            profile = TrainingProfile(
                unit: "rows", rows: rows,
                features: columns.enumerated().map {
                    FeatureProfile.numeric("f\($0.offset)", group: "input", $0.element)
                })
            profileSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let recentColumns = (0..<features).map { shape in draw(shape: shape, count: rows, shift: 0, &rng) }
        let recent = RecentData(
            rows: rows,
            features: Dictionary(
                uniqueKeysWithValues: recentColumns.enumerated().map { ("f\($0.offset)", .numbers($0.element)) }))
        var compareSeconds: [Double] = []
        var report = profile.compare(with: recent)
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            report = profile.compare(with: recent)
            compareSeconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        var caught: [String: Double] = [:]
        for shape in 0..<5 {
            guard case .numeric(let numeric) = profile.features[shape].distribution else { continue }
            let single = TrainingProfile(unit: "rows", rows: rows, features: [profile.features[shape]])
            var hits = 0
            for _ in 0..<40 {
                let shifted = draw(shape: shape, count: rows, shift: 0.1 * numeric.standardDeviation, &rng)
                if single.compare(with: RecentData(rows: rows, features: ["f\(shape)": .numbers(shifted)]))
                    .features[0].drifted
                {
                    hits += 1
                }
            }
            caught[shapeNames[shape]] = Double(hits) / 40
        }
        return [
            "features": features, "rows": rows, "profile_seconds": profileSeconds, "compare_seconds": compareSeconds,
            "value": Timing.median(compareSeconds), "unit": "s", "runs": compareSeconds,
            "profile_bytes": profile.encoded().count, "false_alarm_share": report.driftedShare,
            "false_alarms": report.driftedFeatures, "shift_caught": caught,
        ]
    }

    static let shapeNames = ["normal", "exponential", "log-normal", "poisson-0.3", "poisson-5"]

    /// `count` draws of shape `shape % 5`, plus `shift`.
    private static func draw(shape: Int, count: Int, shift: Double, _ rng: inout RandomGenerator) -> [Double] {
        (0..<count).map { _ in
            let value: Double
            switch shape % 5 {
            case 0: value = Double(rng.nextNormal())
            case 1: value = -log(max(Double(rng.nextUniform()), 1e-9))
            case 2: value = exp(Double(rng.nextNormal()))
            case 3: value = poisson(0.3, &rng)
            default: value = poisson(5, &rng)
            }
            return value + shift
        }
    }

    private static func poisson(_ mean: Double, _ rng: inout RandomGenerator) -> Double {
        let limit = exp(-mean)
        var (count, product) = (0.0, Double(rng.nextUniform()))
        while product > limit {
            count += 1
            product *= Double(rng.nextUniform())
        }
        return count
    }
}
