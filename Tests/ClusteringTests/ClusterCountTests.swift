import Settings
import Testing

@testable import Clustering

@Suite("Choosing the number of clusters")
struct ClusterCountTests {
    @Test("choosing k on three blobs picks 3 and reports every k")
    func chooseThree() throws {
        let points = blobs(centres: [[0, 0], [10, 0], [5, 9]], counts: [150, 150, 150], spread: 1, seed: 13).points
        let choice = try ClusterCountSelection.kMeans(points, clusters: 2...6, using: KMeans(clusters: 2, seed: 4))
        #expect(choice.candidates.map(\.clusters) == [2, 3, 4, 5, 6])
        #expect(choice.model.clusters == 3)
        let best = choice.candidates.max { $0.silhouette < $1.silhouette }
        #expect(best?.clusters == 3)
        let inertias = choice.candidates.map(\.inertia)
        #expect(zip(inertias, inertias.dropFirst()).allSatisfy { $0 > $1 })
        // Mini-batch k-means plugs in the same way.
        let mini = try ClusterCountSelection.kMeans(
            points, clusters: 2...4, using: MiniBatchKMeans(clusters: 2, batchSize: 128, seed: 4))
        #expect(mini.model.clusters == 3)
    }

    @Test("a range that cannot be scored names its key")
    func invalidRange() {
        let points = Points(rows: [[0], [1], [2], [3]])
        let low = #expect(throws: InvalidParameter.self) {
            try ClusterCountSelection.kMeans(points, clusters: 1...3, using: KMeans(clusters: 2, seed: 1))
        }
        #expect(low?.parameter == "k")
        let high = #expect(throws: InvalidParameter.self) {
            try ClusterCountSelection.kMeans(points, clusters: 2...4, using: KMeans(clusters: 2, seed: 1))
        }
        #expect(high?.parameter == "k")
        let mixture = #expect(throws: InvalidParameter.self) {
            try ClusterCountSelection.gaussianMixture(
                points, components: 0...2, using: GaussianMixture(components: 1, seed: 1))
        }
        #expect(mixture?.parameter == "components")
    }

    @Test("choosing the components of a mixture by BIC picks 2 for two Gaussians")
    func mixtureByBIC() throws {
        let choice = try ClusterCountSelection.gaussianMixture(
            GaussianMixtureTests.points, components: 1...4, using: GaussianMixture(components: 1, seed: 3))
        #expect(choice.candidates.map(\.components) == [1, 2, 3, 4])
        #expect(choice.model.components == 2)
        let bic = choice.candidates.map(\.bic)
        #expect(bic.min() == bic[1])
    }
}
