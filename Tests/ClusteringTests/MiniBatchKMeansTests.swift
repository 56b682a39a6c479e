import Settings
import Testing

@testable import Clustering

@Suite("Mini-batch k-means")
struct MiniBatchKMeansTests {
    @Test("on separated blobs it finds the partition of full k-means")
    func matchesFullKMeans() throws {
        let (points, truth) = blobs(
            centres: [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], counts: [900, 800, 700, 600], spread: 1,
            seed: 31)
        let full = try KMeans(clusters: 4, seed: 5).fit(points)
        let mini = try MiniBatchKMeans(clusters: 4, batchSize: 256, seed: 5).fit(points)
        #expect(full.assignments == truth)
        #expect(mini.assignments == full.assignments)
        #expect(mini.restartInertias.count == 3)
        // Centroids near the full fit's, inertia within a few percent of it.
        for (a, b) in zip(mini.centroids.values, full.centroids.values) { #expect(abs(a - b) < 0.2) }
        #expect(mini.inertia <= full.inertia * 1.05)
        #expect(mini.assign(points) == mini.assignments)
    }

    @Test("the same seed gives the same model; the step limit holds")
    func deterministic() throws {
        let points = blobs(centres: [[0, 0], [4, 4]], counts: [300, 300], spread: 1.5, seed: 2).points
        let config = MiniBatchKMeans(clusters: 3, batchSize: 64, maximumSteps: 25, seed: 12)
        let first = try config.fit(points)
        #expect(first == (try config.fit(points)))
        #expect(first.iterations <= 25)
    }

    @Test("a batch larger than the data uses every point")
    func largeBatch() throws {
        let model = try MiniBatchKMeans(clusters: 2, seed: 1).fit(Points(rows: [[0], [1], [10], [12]]))
        #expect(model.assignments == [0, 0, 1, 1])
        // Running means keep some weight on where the seeds started, so the inertia only comes
        // near the optimum 2.5.
        #expect(abs(model.inertia - 2.5) < 0.025)
    }

    @Test("bad settings name their key")
    func invalidParameters() {
        let points = Points(rows: [[0], [1], [2]])
        for (config, key) in [
            (MiniBatchKMeans(clusters: 0, seed: 1), "k"), (MiniBatchKMeans(clusters: 9, seed: 1), "k"),
            (MiniBatchKMeans(clusters: 2, batchSize: 0, seed: 1), "batch-size"),
            (MiniBatchKMeans(clusters: 2, maximumSteps: 0, seed: 1), "max-steps"),
            (MiniBatchKMeans(clusters: 2, restarts: 0, seed: 1), "restarts"),
            (MiniBatchKMeans(clusters: 2, tolerance: .nan, seed: 1), "tolerance"),
            (MiniBatchKMeans(clusters: 2, maximumNoImprovement: -1, seed: 1), "max-no-improvement"),
            (MiniBatchKMeans(clusters: 2, seed: 1, threads: 0), "threads"),
        ] {
            let error = #expect(throws: InvalidParameter.self) { try config.fit(points) }
            #expect(error?.parameter == key)
        }
    }
}
