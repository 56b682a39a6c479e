import Testing

@testable import Clustering

@Suite("Silhouette")
struct SilhouetteTests {
    @Test("a tiny 1-D case, checked by hand")
    func handComputed() {
        // Points 0, 1 | 10, 11. a = 1 for every point. b: 0 -> (10 + 11) / 2 = 10.5,
        // 1 -> (9 + 10) / 2 = 9.5, 10 -> 9.5, 11 -> 10.5. s = (b - a) / b:
        // 9.5/10.5 and 8.5/9.5 twice each, mean (9.5/10.5 + 8.5/9.5) / 2 = 0.899749373...
        let points = Points(rows: [[0], [1], [10], [11]])
        let expected = (9.5 / 10.5 + 8.5 / 9.5) / 2
        let full = Silhouette.score(points, labels: [0, 0, 1, 1], sampleSize: nil, seed: 0)
        #expect(abs(full - expected) < 1e-6)
        // Label values do not matter, only which points share one.
        #expect(Silhouette.score(points, labels: [7, 7, -3, -3], sampleSize: nil, seed: 0) == full)
    }

    @Test("a point alone in its cluster scores 0")
    func singleton() {
        // 0: a = 1, b = 10 -> 0.9; 1: a = 1, b = 9 -> 8/9; 10 alone -> 0.
        let score = Silhouette.score(Points(rows: [[0], [1], [10]]), labels: [0, 0, 1], sampleSize: nil, seed: 0)
        #expect(abs(score - (0.9 + 8.0 / 9) / 3) < 1e-6)
    }

    @Test("one cluster, or every point its own, gives 0")
    func undefined() {
        let points = Points(rows: [[0], [1], [2]])
        #expect(Silhouette.score(points, labels: [4, 4, 4], seed: 0) == 0)
        #expect(Silhouette.score(points, labels: [0, 1, 2], seed: 0) == 0)
    }

    @Test("a sample as large as the data scores every point; a smaller one comes close")
    func sampling() {
        let (points, truth) = blobs(
            centres: [[0, 0], [5, 5], [0, 8]], counts: [400, 300, 300], spread: 1.5, seed: 9)
        let full = Silhouette.score(points, labels: truth, sampleSize: nil, seed: 0)
        #expect(Silhouette.score(points, labels: truth, sampleSize: 1000, seed: 4) == full)
        #expect(Silhouette.score(points, labels: truth, sampleSize: 5000, seed: 4) == full)
        let sampled = Silhouette.score(points, labels: truth, sampleSize: 300, seed: 4)
        #expect(sampled == Silhouette.score(points, labels: truth, sampleSize: 300, seed: 4))
        #expect(sampled != full)
        #expect(abs(sampled - full) < 0.05)
    }
}
