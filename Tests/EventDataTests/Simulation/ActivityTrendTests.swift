import EventData
import Foundation
import Settings
import Testing

@Suite("Simulator: growth and campaigns")
struct ActivityTrendTests {
    /// Events per day of a simulation.
    private func dailyEvents(_ config: SimulationConfig) throws -> [Int] {
        let start = Int64(config.start.timeIntervalSince1970 * 1000)
        var counts = [Int](repeating: 0, count: config.days)
        _ = try BehaviorSimulator(config: config).generate { event in
            let day = Int((event.timestamp - start) / 86_400_000)
            if counts.indices.contains(day) { counts[day] += 1 }
        }
        return counts
    }

    @Test("a campaign multiplies the activity of its days; the ground truth records it")
    func campaign() throws {
        let campaign = SimulationConfig.Campaign(startDay: 28, days: 3, lift: 3)
        let config = SimulationConfig(users: 400, items: 200, days: 42, seed: 5, campaign: campaign)
        let counts = try dailyEvents(config)
        let plain = try dailyEvents(SimulationConfig(users: 400, items: 200, days: 42, seed: 5))
        let lifted = Double(counts[28...30].reduce(0, +)) / Double(plain[28...30].reduce(0, +))
        let elsewhere = Double(counts[14..<28].reduce(0, +)) / Double(plain[14..<28].reduce(0, +))
        #expect(lifted > 2.2 && lifted < 3.8, "campaign days: \(lifted)x")
        #expect(abs(elsewhere - 1) < 0.15, "before the campaign: \(elsewhere)x")
        #expect(config.activityFactor(dayIndex: 29) == 3 && config.activityFactor(dayIndex: 31) == 1)
        let truth = try BehaviorSimulator(config: config).generate { _ in }
        #expect(truth.config.campaign == campaign)
    }

    @Test("growth raises activity year on year; bad settings are named")
    func growth() throws {
        let config = SimulationConfig(users: 300, items: 200, days: 180, seed: 6, churnFraction: 0, growth: 3)
        let counts = try dailyEvents(config)
        let plain = try dailyEvents(
            SimulationConfig(users: 300, items: 200, days: 180, seed: 6, churnFraction: 0))
        // 4^(150/365) = 1.77 in the last month against 4^(15/365) = 1.06 in the first.
        let late = Double(counts[150...].reduce(0, +)) / Double(plain[150...].reduce(0, +))
        let early = Double(counts[..<30].reduce(0, +)) / Double(plain[..<30].reduce(0, +))
        #expect(late > 1.5 && early < 1.2, "late \(late)x, early \(early)x")
        #expect(throws: InvalidParameter.self) { try SimulationConfig(growth: -1).validate() }
        #expect(throws: InvalidParameter.self) {
            try SimulationConfig(days: 30, campaign: .init(startDay: 30)).validate()
        }
        // Ground truth written before growth existed reads as flat.
        let json = String(decoding: try JSONEncoder().encode(SimulationConfig()), as: UTF8.self)
            .replacingOccurrences(of: ",\"growth\":0", with: "").replacingOccurrences(of: "\"growth\":0,", with: "")
        #expect(!json.contains("growth"))
        #expect(try JSONDecoder().decode(SimulationConfig.self, from: Data(json.utf8)).growth == 0)
    }
}
