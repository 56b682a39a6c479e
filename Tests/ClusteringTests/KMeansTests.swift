import Foundation
import Randomness
import Settings
import Testing

@testable import Clustering

@Suite("k-means")
struct KMeansTests {
    /// Three well separated blobs of 140, 120 and 100 points in 2-D.
    static let separated = blobs(
        centres: [[0, 0], [20, 0], [0, 20]], counts: [140, 120, 100], spread: 1, seed: 11)

    @Test("well separated blobs come back exactly, the largest as cluster 0")
    func recoversBlobs() throws {
        let (points, truth) = Self.separated
        let model = try KMeans(clusters: 3, seed: 1).fit(points)
        // Blob sizes already decrease, so the canonical labels are the blob numbers.
        #expect(model.assignments == truth)
        #expect(model.clusterSizes == [140, 120, 100])
        #expect(model.restartInertias.count == 4)
        #expect(model.inertia == model.restartInertias.min())
    }

    @Test("inertia and centroids of a tiny 1-D case, checked by hand")
    func tinyCase() throws {
        // {0, 1} around 0.5 and {10, 12} around 11: (0.25 + 0.25) + (1 + 1) = 2.5. Equal sizes:
        // the cluster holding point 0 comes first.
        let model = try KMeans(clusters: 2, seed: 3).fit(Points(rows: [[0], [1], [10], [12]]))
        #expect(model.assignments == [0, 0, 1, 1])
        #expect(model.centroids.values == [0.5, 11])
        #expect(abs(model.inertia - 2.5) < 1e-6)
    }

    @Test("the same seed gives the same model")
    func deterministic() throws {
        let points = blobs(centres: [[0, 0, 0], [3, 3, 3], [6, 0, 3]], counts: [80, 80, 80], spread: 1.5, seed: 5)
            .points
        let first = try KMeans(clusters: 4, seed: 9).fit(points)
        let second = try KMeans(clusters: 4, seed: 9).fit(points)
        #expect(first == second)
    }

    @Test("two threads find the partition one thread finds")
    func threads() throws {
        let points = blobs(
            centres: [[0, 0, 0, 0], [9, 0, 0, 9], [0, 9, 9, 0]], counts: [1500, 1200, 900], spread: 1, seed: 21
        ).points
        let one = try KMeans(clusters: 3, seed: 2).fit(points)
        let two = try KMeans(clusters: 3, seed: 2, threads: 2).fit(points)
        #expect(one.assignments == two.assignments)
        #expect(abs(one.inertia - two.inertia) <= 1e-6 * one.inertia)
    }

    @Test("k-means++ picks distinct points, one per blob when blobs are far apart")
    func seedsAreDistinct() {
        let (points, truth) = Self.separated
        let shift = (points.columnStatistics()?.means ?? []).map { Float($0) }
        let workspaces = makeWorkspaces(points: points, threads: 1, centroids: 8)
        var generator = RandomGenerator(seed: 4)
        for k in [3, 8] {
            let seeds = KMeansPlusPlus.centroids(
                points, shift: shift, clusters: k, workspaces: workspaces, generator: &generator)
            // The point each seed was taken from (seeds are shifted, so compare within rounding).
            let sources = (0..<k).map { j in
                (0..<points.count).first { i in
                    (0..<2).allSatisfy { abs(points.values[i * 2 + $0] - (seeds[j * 2 + $0] + shift[$0])) < 1e-5 }
                }
            }
            #expect(sources.allSatisfy { $0 != nil })
            #expect(Set(sources.compactMap { $0 }).count == k)
            if k == 3 { #expect(Set(sources.compactMap { $0.map { truth[$0] } }) == [0, 1, 2]) }
        }
    }

    @Test("an empty cluster takes the point farthest from its centroid")
    func emptyClusterRelocation() throws {
        // The centroid at 100 gets no point; 11 (1 from its centroid, the farthest) moves to it.
        let points = Points(rows: [[0], [0], [0], [10], [10], [10], [11]])
        let model = try KMeans(clusters: 3, seed: 0).fit(points, startingFrom: Points(rows: [[0], [100], [10]]))
        #expect(model.assignments == [0, 0, 0, 1, 1, 1, 2])
        #expect(model.centroids.values == [0, 10, 11])
        #expect(model.inertia == 0)
    }

    @Test("duplicate points: more clusters than distinct points stay finite")
    func duplicatePoints() throws {
        let points = Points(rows: Array(repeating: [1, 2], count: 6))
        let model = try KMeans(clusters: 3, seed: 8).fit(points)
        #expect(model.inertia == 0)
        #expect(model.centroids.values.allSatisfy { $0.isFinite })
        #expect(model.clusterSizes == [6, 0, 0])
        #expect(model.assign(points) == model.assignments)
    }

    @Test("bad settings and data name their key")
    func invalidParameters() throws {
        let points = Points(rows: [[0], [1], [2]])
        for (config, key) in [
            (KMeans(clusters: 0, seed: 1), "k"), (KMeans(clusters: 4, seed: 1), "k"),
            (KMeans(clusters: 2, restarts: 0, seed: 1), "restarts"),
            (KMeans(clusters: 2, maximumIterations: 0, seed: 1), "max-iterations"),
            (KMeans(clusters: 2, tolerance: -1, seed: 1), "tolerance"),
            (KMeans(clusters: 2, tolerance: .infinity, seed: 1), "tolerance"),
            (KMeans(clusters: 2, seed: 1, threads: 0), "threads"),
        ] {
            let error = #expect(throws: InvalidParameter.self) { try config.fit(points) }
            #expect(error?.parameter == key)
        }
        let error = #expect(throws: InvalidParameter.self) {
            try KMeans(clusters: 1, seed: 1).fit(Points(rows: [[0], [.nan]]))
        }
        #expect(error?.parameter == "points")
        #expect(error?.value.contains("row 1") == true)
    }

    @Test("a model assigns new points and gives distances to every centroid")
    func assignAndDistances() throws {
        let (points, _) = Self.separated
        let model = try KMeans(clusters: 3, seed: 1).fit(points)
        #expect(model.assign(points) == model.assignments)
        let probe = Points(rows: [[19, 1], [0, 0]])
        #expect(model.assign(probe) == [1, 0])
        let distances = model.distances(probe)
        #expect(distances.count == 2 && distances.dimension == 3)
        let c = Array(model.centroids[row: 1]).map(Double.init)
        let expected = ((19 - c[0]) * (19 - c[0]) + (1 - c[1]) * (1 - c[1])).squareRoot()
        #expect(abs(Double(distances.values[1]) - expected) < 1e-4)
    }

    @Test("assignments are the nearest centroids, as a brute-force search finds them")
    func nearestMatchesBruteForce() throws {
        // 13 clusters and 1,001 points: neither a multiple of the 8-row search blocks.
        var generator = RandomGenerator(seed: 6)
        let values = (0..<(1001 * 5)).map { _ in generator.nextNormal() * 3 + 100 }
        let points = Points(values: values, dimension: 5)
        let model = try KMeans(clusters: 13, restarts: 1, seed: 2).fit(points)
        let c = model.centroids
        var inertia = 0.0
        for i in 0..<points.count {
            let distances = (0..<13).map { j in
                (0..<5).reduce(0.0) { sum, d in
                    let difference = Double(points.values[i * 5 + d]) - Double(c.values[j * 5 + d])
                    return sum + difference * difference
                }
            }
            let nearest = distances.min() ?? 0
            #expect(distances[model.assignments[i]] <= nearest * (1 + 1e-4) + 1e-6)
            inertia += distances[model.assignments[i]]
        }
        #expect(abs(model.inertia - inertia) <= 1e-4 * inertia)
    }

    @Test("a model round-trips through JSON and a corrupt one is refused")
    func codable() throws {
        let model = try KMeans(clusters: 2, seed: 3).fit(Points(rows: [[0], [1], [10], [12]]))
        let data = try JSONEncoder().encode(model)
        #expect(try JSONDecoder().decode(KMeansModel.self, from: data) == model)
        let text = try #require(String(data: data, encoding: .utf8))
        let corrupt = text.replacingOccurrences(of: "\"assignments\":[0,0,1,1]", with: "\"assignments\":[0,0,1,7]")
        #expect(corrupt != text)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(KMeansModel.self, from: Data(corrupt.utf8)) }
    }

    @Test("inertia and silhouette of 2,000 x 5 blobs match scikit-learn")
    func matchesScikitLearn() throws {
        // The points of `Self.reference` were written to CSV once and clustered with
        // scikit-learn 1.9.1: KMeans(n_clusters=4, n_init=4, random_state=0).fit(X) on float32
        // X (inertia_ 22219.494; 22219.489 on float64 X), then silhouette_score(X, labels_) on
        // every point. The blobs overlap a little (that partition has an ARI of 0.996 against
        // the blobs), so the inertia tells whether both found the same optimum.
        let points = Self.reference.points
        let model = try KMeans(clusters: 4, seed: 1).fit(points)
        #expect(abs(model.inertia - Self.referenceInertia) <= 1e-4 * Self.referenceInertia)
        let silhouette = Silhouette.score(points, labels: model.assignments, sampleSize: nil, seed: 0)
        #expect(abs(silhouette - Self.referenceSilhouette) < 1e-4)
    }

    static let reference = blobs(
        centres: [[0, 0, 0, 0, 0], [6, 6, 0, 0, 0], [0, 6, 6, 6, 0], [6, 0, 0, 6, 6]], counts: [500, 500, 500, 500],
        spread: 1.5, seed: 2024)
    static let referenceInertia = 22_219.494
    static let referenceSilhouette = 0.544_408_9
}
