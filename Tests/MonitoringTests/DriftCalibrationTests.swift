import Foundation
import Monitoring
import Testing

/// The calibration the drift checks promise, on seeded data at 100,000 recent rows: with no
/// change at most 1% of features raise an alarm, and a shift of the mean by 0.1 training
/// standard deviations in one feature is caught at least 95% of the time. (The benchmark
/// repeats this with more features and trials.)
@Suite("Drift calibration on seeded data")
struct DriftCalibrationTests {
    /// Draws of one feature shape.
    private static func draw(
        _ shape: Int, _ count: Int, shift: Double = 0, _ generator: inout SystemRandomNumberGeneratorSeeded
    )
        -> [Double]
    {
        (0..<count).map { _ in
            switch shape % 5 {
            case 0: generator.normal() + shift
            case 1: generator.exponential() + shift
            case 2: exp(generator.normal()) + shift * 1.31  // log-normal, σ ≈ 2.16: the shift is 0.1 σ at 0.216
            case 3: generator.poisson(0.3) + shift * 0.548
            default: generator.poisson(5) + shift * 2.236
            }
        }
    }

    @Test("No change: at most 1% of 40 features drift at 100,000 rows (none expected)")
    func noChange() {
        var generator = SystemRandomNumberGeneratorSeeded(seed: 11)
        var features: [FeatureProfile] = []
        var recent: [String: FeatureSample] = [:]
        for index in 0..<40 {
            let name = "f\(index)"
            features.append(.numeric(name, group: "input", Self.draw(index, 50_000, &generator)))
            recent[name] = .numbers(Self.draw(index, 100_000, &generator))
        }
        let profile = TrainingProfile(unit: "rows", rows: 50_000, features: features)
        let report = profile.compare(with: RecentData(rows: 100_000, features: recent))
        #expect(report.driftedFeatures == 0, "\(report.features.filter(\.drifted).map { "\($0.name) \($0.value)" })")
        #expect(report.verdict == "stable")
    }

    @Test("A 0.1 standard deviation shift is caught in at least 19 of 20 trials per shape")
    func meanShift() {
        var generator = SystemRandomNumberGeneratorSeeded(seed: 12)
        for shape in 0..<5 {
            let training = Self.draw(shape, 50_000, &generator)
            let profile = NumericProfile(values: training)
            let feature = FeatureProfile(name: "x", group: "input", distribution: .numeric(profile))
            let shift = 0.1 * profile.standardDeviation
            var caught = 0
            for _ in 0..<20 {
                let recent = Self.draw(shape, 100_000, &generator).map { $0 + shift }
                let report = TrainingProfile(unit: "rows", rows: training.count, features: [feature])
                    .compare(with: RecentData(rows: recent.count, features: ["x": .numbers(recent)]))
                if report.features[0].drifted { caught += 1 }
            }
            #expect(caught >= 19, "shape \(shape): \(caught) of 20")
        }
    }

    @Test("Small samples raise the threshold instead of the alarm rate")
    func noiseGuard() {
        var generator = SystemRandomNumberGeneratorSeeded(seed: 13)
        let feature = FeatureProfile.numeric("x", group: "input", Self.draw(4, 5_000, &generator))
        var alarms = 0
        for _ in 0..<50 {
            let recent = Self.draw(4, 200, &generator)
            let report = TrainingProfile(unit: "rows", rows: 5_000, features: [feature])
                .compare(with: RecentData(rows: 200, features: ["x": .numbers(recent)]))
            #expect(report.features[0].threshold > 0.3)
            if report.features[0].drifted { alarms += 1 }
        }
        #expect(alarms == 0)
        let categories = FeatureProfile.categorical("c", group: "events", (0..<5_000).map { "v\($0 % 37)" })
        let few = TrainingProfile(unit: "rows", rows: 5_000, features: [categories])
            .compare(with: RecentData(rows: 100, features: ["c": .categories((0..<100).map { "v\($0 % 37)" })]))
        #expect(few.features[0].threshold > 0.2 && !few.features[0].drifted)
    }
}
