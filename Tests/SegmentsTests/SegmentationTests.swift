import Embeddings
import EventData
import Foundation
import Randomness
import Segments
import Testing

/// Three well-separated groups of users in 4 features.
private func groups(perGroup: Int = 60, seed: UInt64 = 1) -> (rows: [[Double]], truth: [Int]) {
    var rng = RandomGenerator(seed: seed)
    let centres: [[Double]] = [[0, 0, 0, 0], [10, 10, 0, 0], [0, 10, 10, 10]]
    var rows: [[Double]] = []
    var truth: [Int] = []
    for (group, centre) in centres.enumerated() {
        for _ in 0..<perGroup {
            rows.append(centre.map { $0 + Double(rng.nextNormal()) })
            truth.append(group)
        }
    }
    return (rows, truth)
}

/// Whether two labelings put the same rows together.
private func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
    var map: [Int: Int] = [:]
    var reverse: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        if map[x, default: y] != y || reverse[y, default: x] != x { return false }
        map[x] = y
        reverse[y] = x
    }
    return true
}

@Suite("Segmentation")
struct SegmentationTests {
    @Test(
        "k-means, the mixture and the embedding find three separated groups, choosing k = 3",
        arguments: [SegmentMethod.kmeans, .gmm, .embedding])
    func findsGroups(method: SegmentMethod) throws {
        let data = groups()
        var config = SegmentationConfig(method: method, seed: 3)
        config.candidateCounts = 2...5
        config.autoencoder.epochs = 60
        config.autoencoder.latentSize = 2
        let result = try Segmentation.fit(columns: ["a", "b", "c", "d"], rows: data.rows, config: config)
        #expect(result.names == ["1", "2", "3"])
        #expect(samePartition(result.labels, data.truth), "\(method): \(result.candidates)")
        #expect(result.candidates.map(\.segments) == [2, 3, 4, 5])
        #expect((result.stability ?? 0) > 0.99)
        #expect(method != .embedding || result.embeddings?.count == 180 * 2)
    }

    @Test("the same seed gives the same segments; a given k is kept")
    func deterministic() throws {
        let data = groups(seed: 5)
        let config = SegmentationConfig(method: .kmeans, segments: 4, seed: 9)
        let first = try Segmentation.fit(columns: ["a", "b", "c", "d"], rows: data.rows, config: config)
        let second = try Segmentation.fit(columns: ["a", "b", "c", "d"], rows: data.rows, config: config)
        #expect(first.labels == second.labels && first.names.count == 4 && first.candidates.isEmpty)
    }

    @Test("RFM segments come from the recency, purchase and spend columns, and need them")
    func rfm() throws {
        let rows: [[Double]] = [[1, 9, 500], [2, 7, 100], [30, 3, 60], [60, 1, 10], [90, 8, 900], [5, 0, 0]]
        let result = try Segmentation.fit(
            columns: ["recency_days", "count_purchase", "monetary"], rows: rows,
            config: SegmentationConfig(method: .rfm))
        #expect(
            result.labels.map { result.names[$0] } == [
                "champions", "potential_loyalists", "about_to_sleep", "hibernating", "at_risk", "no_purchase",
            ])
        #expect(throws: UnsupervisedError.self) {
            try Segmentation.fit(
                columns: ["a", "b"], rows: [[1, 2], [3, 4], [5, 6]], config: SegmentationConfig(method: .rfm))
        }
    }

    @Test("a per-user table file: numeric and true/false columns, ids checked, other columns named")
    func tableFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("segment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("customers.csv").path
        try "customer,orders,vip,city\nc1,3,yes,Paris\nc2,,no,Lyon\nc1,9,no,Nice\nc3,5,yes,Lyon\nc4,7,no,Paris\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let file = try SegmentTableFile.read(path: path, id: "customer")
        #expect(file.table.columns == ["orders", "vip"])
        #expect(file.table.userIDs == ["c1", "c2", "c3", "c4"])
        #expect(file.table.rows[1] == [5, 0], "the empty cell takes the median of 3, 5, 7")
        #expect(file.skipped.map(\.column) == ["city"])
        #expect(file.rejected.map(\.line) == [4])
        #expect(throws: UnsupervisedError.self) { try SegmentTableFile.read(path: path, id: "id") }
    }
}
