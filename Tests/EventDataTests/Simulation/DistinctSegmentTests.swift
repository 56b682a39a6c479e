import EventData
import Foundation
import Testing

@Suite("Simulator: distinct segments")
struct DistinctSegmentTests {
    @Test("each segment favours its own departments and users browse them; rates spread evenly")
    func distinctSegments() throws {
        let config = SimulationConfig(
            users: 300, items: 200, categories: 12, days: 14, seed: 3, segments: 5, distinctSegments: true)
        var categoryCounts: [String: [String: Int]] = [:]
        let truth = try BehaviorSimulator(config: config).generate { event in
            if let category = event.category { categoryCounts[event.userID, default: [:]][category, default: 0] += 1 }
        }
        for segment in truth.segments {
            let favourites = segment.categoryTaste.indices.sorted {
                segment.categoryTaste[$0] > segment.categoryTaste[$1]
            }
            #expect(Set(favourites.prefix(2)) == [2 * segment.id, 2 * segment.id + 1])
        }
        let rates = truth.segments.map(\.sessionsPerDay)
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 < $1 } && abs(rates[0] - 0.15) < 1e-9)
        // A regular user's most browsed department is one of their segment's two, for most users.
        let regular = truth.users.filter { $0.kind == .regular && $0.segment != nil && $0.events >= 30 }
        let matching = regular.filter { user in
            guard let segment = user.segment, let counts = categoryCounts[user.id],
                let top = counts.max(by: { $0.value < $1.value })?.key,
                let index = truth.categories.firstIndex(of: top)
            else { return false }
            return index / 2 == segment
        }
        #expect(Double(matching.count) >= 0.8 * Double(regular.count), "\(matching.count) of \(regular.count)")
    }

    @Test("off by default, and older ground-truth configurations read as off")
    func defaultOff() throws {
        #expect(SimulationConfig().distinctSegments == false)
        var json = String(decoding: try JSONEncoder().encode(SimulationConfig()), as: UTF8.self)
        json = json.replacingOccurrences(of: ",\"distinctSegments\":false", with: "")
            .replacingOccurrences(of: "\"distinctSegments\":false,", with: "")
        #expect(!json.contains("distinctSegments"))
        #expect(try JSONDecoder().decode(SimulationConfig.self, from: Data(json.utf8)).distinctSegments == false)
    }
}
