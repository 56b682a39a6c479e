import Foundation
import Monitoring
import Testing

@Suite("Training profiles: building, saving, merging, comparing")
struct TrainingProfileTests {
    @Test("Percentile edges without repeats; cells hold every value")
    func numericEdges() {
        let counts = NumericProfile(values: [0, 0, 0, 0, 1, 1, 2, 5, .nan])
        #expect(counts.edges == [0, 1, 2, 5])
        #expect(counts.counts == [4, 2, 1, 1] && counts.means == [0, 1, 2, 5])
        #expect(counts.missing == 1 && counts.count == 8)
        let smooth = NumericProfile(values: (0..<10_000).map(Double.init))
        #expect(smooth.edges.count == 107 && smooth.counts.count == 107 && smooth.counts.last == 1)
        #expect(smooth.edges.prefix(5) == [0, 9, 19, 49, 99])
        #expect(smooth.counts.reduce(0, +) == 10_000)
        #expect(smooth.minimum == 0 && smooth.maximum == 9_999)
        #expect(abs(smooth.standardDeviation - 2_886.751_331) < 1e-5)
    }

    @Test("Categories keep the most frequent values, ties by value, and count the rest")
    func categories() {
        let profile = CategoryProfile(values: ["b", "a", "c", "a", nil, "b", "d"], keep: 2)
        #expect(profile.values == ["a", "b"] && profile.counts == [2, 2])
        #expect(profile.other == 2 && profile.missing == 1 && profile.total == 7)
        let tally = CategoryTally(values: ["a", "z", nil], in: profile)
        #expect(tally.counts == [1, 0] && tally.other == 1 && tally.unseen == 0 && tally.missing == 1)
        let complete = CategoryProfile(values: ["a", "b"])
        #expect(CategoryTally(values: ["z", "a"], in: complete).unseen == 1)
    }

    @Test("The same data gives the same bytes; a saved profile reads back equal")
    func roundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let make = {
            TrainingProfile(
                unit: "users", rows: 3, firstEvent: 1_000, lastEvent: 2_000, watermark: 2_500,
                features: [
                    .numeric("recency", group: "input", [1, 2, 3.5]),
                    .categorical("event_type", group: "events", ["view", "cart", "view", nil]),
                ],
                scores: NumericProfile(values: [0.1, 0.9]), scoreMeaning: "purchase probability")
        }
        try make().save(in: directory)
        let first = try Data(contentsOf: directory.appendingPathComponent(TrainingProfile.fileName))
        try make().save(in: directory)
        #expect(try Data(contentsOf: directory.appendingPathComponent(TrainingProfile.fileName)) == first)
        #expect(try TrainingProfile.load(from: directory) == make())
    }

    @Test("Missing, corrupted, newer and inconsistent profiles are named errors")
    func badProfiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: MonitoringError.noProfile(path: directory.path)) { try TrainingProfile.load(from: directory) }
        let url = directory.appendingPathComponent(TrainingProfile.fileName)
        for (text, fragment) in [
            ("{not json", "unreadable"),
            (#"{"format":9,"unit":"rows","rows":0,"features":[]}"#, "newer"),
            (
                #"{"format":1,"unit":"rows","rows":2,"features":[{"name":"x","group":"input","kind":"numeric","numeric":{"count":2,"missing":0,"mean":0,"standardDeviation":1,"minimum":0,"maximum":1,"edges":[1,0],"counts":[2],"means":[0.5]}}]}"#,
                "'x' does not add up"
            ),
        ] {
            try Data(text.utf8).write(to: url)
            do {
                _ = try TrainingProfile.load(from: directory)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.localizedDescription.contains(fragment), "\(error.localizedDescription)")
            }
        }
    }

    @Test("Numeric profiles on the same edges merge to the profile of the union")
    func merging() throws {
        let base = NumericProfile(values: (0..<100).map(Double.init))
        let halves = [(0..<100).filter { $0 % 2 == 0 }, (0..<100).filter { $0 % 2 == 1 }].map { part in
            var profile = base
            let tally = NumericTally(values: part.map(Double.init), in: base)
            profile.counts = tally.counts
            profile.means = tally.counts.indices.map {
                tally.counts[$0] > 0 ? tally.sums[$0] / Double(tally.counts[$0]) : base.edges[$0]
            }
            profile.count = part.count
            profile.mean = Double(part.reduce(0, +)) / Double(part.count)
            let variance = part.reduce(0.0) { $0 + (Double($1) - profile.mean) * (Double($1) - profile.mean) }
            profile.standardDeviation = (variance / Double(part.count)).squareRoot()
            profile.minimum = Double(part[0])
            profile.maximum = Double(part[part.count - 1])
            return profile
        }
        let merged = try #require(halves[0].merged(with: halves[1]))
        #expect(merged.counts == base.counts && merged.count == 100)
        #expect(zip(merged.means, base.means).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(merged.mean - base.mean) < 1e-12 && abs(merged.standardDeviation - base.standardDeviation) < 1e-9)
        #expect(merged.minimum == 0 && merged.maximum == 99)
        #expect(base.merged(with: NumericProfile(values: [1, 2, 3])) == nil)
        let categories = CategoryProfile(values: ["a", "b"]).merged(with: CategoryProfile(values: ["b", "c", nil]))
        #expect(categories.values == ["b", "a", "c"] && categories.counts == [2, 1, 1] && categories.missing == 1)
    }

    @Test("A report: drifted features, the score's PSI, the verdict, absent features")
    func report() {
        let profile = TrainingProfile(
            unit: "rows", rows: 1_000,
            features: [
                .numeric("same", group: "input", (0..<1_000).map { Double($0 % 100) }),
                .numeric("moved", group: "input", (0..<1_000).map { Double($0 % 100) }),
                .categorical("kind", group: "input", (0..<1_000).map { $0 % 2 == 0 ? "a" : "b" }),
                .numeric("gone", group: "input", [1, 2, 3]),
            ],
            scores: NumericProfile(values: (0..<1_000).map { Double($0) / 1_000 }))
        let recent = RecentData(
            rows: 1_000,
            features: [
                "same": .numbers((0..<1_000).map { Double($0 % 100) }),
                "moved": .numbers((0..<1_000).map { Double($0 % 100) + 30 }),
                "kind": .categories((0..<1_000).map { $0 % 10 == 0 ? "b" : "a" }),
            ],
            scores: (0..<1_000).map { Double($0) / 1_000 })
        let report = profile.compare(with: recent)
        let byName = Dictionary(uniqueKeysWithValues: report.features.map { ($0.name, $0) })
        #expect(byName["same"]?.drifted == false && byName["same"]?.value == 0)
        #expect(byName["moved"]?.drifted == true && byName["moved"]?.statistic == "wasserstein")
        #expect(byName["kind"]?.drifted == true && byName["kind"]?.statistic == "jensen-shannon")
        #expect(byName["gone"]?.statistic == "absent" && byName["gone"]?.drifted == true)
        #expect(report.scores?.statistic == "psi" && report.scores?.drifted == false)
        #expect(report.driftedFeatures == 3 && report.driftedShare == 0.75)
        #expect(report.drifted && report.verdict == "drifted")
        // Shares of about ten bins of equal training mass, for plots.
        #expect((byName["same"]?.bins.count ?? 0) == 10)
    }

    @Test("A feature whose values went missing drifts on its missing share")
    func missingShare() {
        let profile = TrainingProfile(
            unit: "rows", rows: 2_000, features: [.numeric("x", group: "input", (0..<2_000).map { Double($0 % 50) })])
        let values = (0..<2_000).map { $0 % 5 == 0 ? Double.nan : Double($0 % 50) }
        let report = profile.compare(with: RecentData(rows: 2_000, features: ["x": .numbers(values)]))
        #expect(report.features[0].statistic == "missing-share" && report.features[0].drifted)
        #expect(abs(report.features[0].recentMissingShare - 0.2) < 1e-12)
    }
}

@Suite("Cell means stay inside their cells")
struct CellMeanTests {
    @Test("Rounding never puts a cell's mean outside the cell, so a saved profile always reads back")
    func meansInsideCells() throws {
        // 0.1 added 1,000 times is not 100: the mean of a cell of equal values can round past it.
        let values =
            [Double](repeating: 0.1, count: 1_000) + [Double](repeating: 0.7, count: 999) + [0.30000000000000004]
        let profile = NumericProfile(values: values)
        #expect(profile.isConsistent)
        for cell in profile.means.indices {
            #expect(profile.means[cell] >= profile.edges[cell])
            #expect(profile.means[cell] <= profile.edges[min(cell + 1, profile.edges.count - 1)])
        }
    }
}
