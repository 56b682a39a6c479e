import Monitoring
import Testing

@Suite("Drift windows of served models")
struct DriftWindowTests {
    private let profile = TrainingProfile(
        unit: "rows", rows: 1_000,
        features: [
            .numeric("x", group: "input", (0..<1_000).map { Double($0 % 100) }),
            .categorical("c", group: "input", (0..<1_000).map { $0 % 2 == 0 ? "a" : "b" }),
        ],
        scores: NumericProfile(values: (0..<1_000).map { Double($0) / 1_000 }))

    @Test("Nothing recorded: no report; unknown features dropped; only recorded features reported")
    func empty() {
        let window = DriftWindow(profile: profile, capacity: 10)
        #expect(window.report() == nil)
        window.record(rows: 1, columns: [FeatureColumn(name: "y", group: "input", sample: .numbers([1]))], scores: [])
        let report = window.report()
        #expect(report?.features.isEmpty == true && report?.scores == nil)
        window.record(
            rows: 1, columns: [FeatureColumn(name: "x", group: "input", sample: .numbers([5]))], scores: [0.5])
        #expect(window.report()?.features.map(\.name) == ["x"] && window.recordedRows == 2)
    }

    @Test("Each feature keeps its latest values: old drift ages out")
    func agesOut() {
        let window = DriftWindow(profile: profile, capacity: 200)
        window.record(
            rows: 200,
            columns: [FeatureColumn(name: "x", group: "input", sample: .numbers(Array(repeating: 500, count: 200)))],
            scores: [])
        #expect(window.report()?.features.first?.drifted == true)
        for start in stride(from: 0, to: 200, by: 50) {
            let values = (start..<(start + 50)).map { Double($0 % 100) }
            window.record(
                rows: 50, columns: [FeatureColumn(name: "x", group: "input", sample: .numbers(values))], scores: [])
        }
        let report = window.report()
        #expect(report?.features.first?.drifted == false && report?.recentRows == 200)
        #expect(report?.features.first?.recentMean == 49.5)
    }
}
