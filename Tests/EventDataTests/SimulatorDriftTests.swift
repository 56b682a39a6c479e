import EventData
import Foundation
import Testing

@Suite("Simulated catalogue drift")
struct SimulatorDriftTests {
    /// The day (from 0) each item is first seen.
    private func firstDays(_ config: SimulationConfig) throws -> [String: Int64] {
        let start = Int64((config.start.timeIntervalSince1970 * 1_000).rounded())
        var first: [String: Int64] = [:]
        try BehaviorSimulator(config: config).generate { event in
            guard let item = event.itemID else { return }
            first[item] = min(first[item] ?? .max, (event.timestamp - start) / 86_400_000)
        }
        return first
    }

    @Test("New items appear only in the second half; without drift nearly the whole catalogue shows early")
    func newItems() throws {
        var config = SimulationConfig(users: 300, items: 200, days: 20, seed: 3)
        let steady = try firstDays(config)
        config.newItemShare = 0.3
        let drifting = try firstDays(config)
        let late = { (days: [String: Int64]) in days.values.filter { $0 >= 10 }.count }
        #expect(late(drifting) > late(steady) + 20, "late items: \(late(drifting)) against \(late(steady))")
        // The same seed gives the same log.
        #expect(try firstDays(config) == drifting)
        config.newItemShare = 0.95
        #expect(throws: (any Error).self) { try config.validate() }
    }

    @Test("A late drift start releases the new items late: a launch, not a gradual drift")
    func launch() throws {
        var config = SimulationConfig(users: 300, items: 200, days: 20, seed: 3)
        config.newItemShare = 0.3
        let gradual = try firstDays(config)
        config.driftStart = 0.8
        let launch = try firstDays(config)
        // The drift spans days 16-20 and releases in days 18-20: most of the 60 new items are
        // first seen on those days (one released in the last hours may go untouched), and
        // almost nothing is first seen in the days before, unlike the gradual drift.
        let launched = launch.filter { $0.value >= 18 }
        #expect((30...60).contains(launched.count), "\(launched.count) items first seen from day 18")
        #expect(launch.values.filter { (10..<18).contains($0) }.count < 5)
        #expect(gradual.values.filter { (10..<18).contains($0) }.count > 30)
        config.driftStart = 1
        #expect(throws: (any Error).self) { try config.validate() }
    }
}
