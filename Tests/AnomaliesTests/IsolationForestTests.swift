import Anomalies
import Foundation
import Randomness
import Settings
import Testing

@Suite("Isolation forest")
struct IsolationForestTests {
    @Test("c(n) is the average unsuccessful-search path length of a binary search tree")
    func averagePathLength() {
        #expect(IsolationForestModel.averagePathLength(1) == 0)
        #expect(IsolationForestModel.averagePathLength(2) == 1)
        // 2 (ln 255 + 0.5772156649) - 2 * 255 / 256
        #expect(abs(IsolationForestModel.averagePathLength(256) - 10.244770920119917) < 1e-12)
    }

    @Test("path lengths follow the formula when one cut always isolates the outlier")
    func pathLengthsAgainstFormula() throws {
        // 255 rows at 0 and one at 1000, one feature: every cut in (0, 1000] sends the outlier
        // right alone (depth 1, c(1) = 0) and the 255 equal rows left, where no feature can cut
        // again (depth 1 + c(255)). Scores: 2^(-1 / c(256)) and 2^(-(1 + c(255)) / c(256)).
        let features = [Float](repeating: 0, count: 255) + [1000]
        let forest = try IsolationForest(trees: 20, sampleSize: 256, seed: 1).fit(features: features, featureCount: 1)
        let lengths = forest.meanPathLengths(of: [0, 1000])
        #expect(abs(lengths[0] - (1 + IsolationForestModel.averagePathLength(255))) < 1e-5)
        #expect(abs(lengths[1] - 1) < 1e-9)
        let scores = forest.scores(of: [0, 1000])
        #expect(abs(scores[0] - 0.4675372820285768) < 1e-6)
        #expect(abs(scores[1] - 0.9345794551089974) < 1e-6)
    }

    @Test("identical rows and two distinct rows score 0.5 (to the Float rounding of stored path lengths)")
    func halfScores() throws {
        let same = try IsolationForest(trees: 5, seed: 2).fit(features: [3, 3, 3, 3, 3, 3], featureCount: 2)
        #expect(same.scores(of: [3, 3]).allSatisfy { abs($0 - 0.5) < 1e-6 })
        let pair = try IsolationForest(trees: 5, seed: 2).fit(features: [0, 0, 1, 1], featureCount: 2)
        #expect(pair.scores(of: [0, 0, 1, 1]).allSatisfy { abs($0 - 0.5) < 1e-6 })
    }

    @Test("far points score above a Gaussian cloud, the same way for the same seed")
    func separatesOutliers() throws {
        var rng = RandomGenerator(seed: 4)
        var features: [Float] = []
        for _ in 0..<2_000 * 4 { features.append(rng.nextNormal()) }
        let outliers: [Float] = [6, 6, 6, 6, -6, -6, -6, -6, 6, -6, 6, -6]
        let forest = try IsolationForest(seed: 3).fit(features: features + outliers, featureCount: 4)
        #expect(forest.trees.count == 100 && forest.sampleSize == 256)
        let scores = forest.scores(of: features + outliers)
        let inlierMaximum = scores[..<2_000].max() ?? 1
        #expect(scores[2_000...].allSatisfy { $0 > 0.6 }, "outlier scores \(Array(scores[2_000...]))")
        #expect(scores[2_000...].min() ?? 0 > scores[..<2_000].sorted()[1_990], "outliers rank in the top 0.5%")
        #expect(inlierMaximum < 0.75)
        let again = try IsolationForest(seed: 3).fit(features: features + outliers, featureCount: 4)
        #expect(again == forest)
        let other = try IsolationForest(seed: 4).fit(features: features + outliers, featureCount: 4)
        #expect(other != forest)
    }

    @Test("every tree partitions its subsample and respects the height limit")
    func treeStructure() throws {
        var rng = RandomGenerator(seed: 9)
        let features = (0..<300 * 3).map { _ in rng.nextUniform() }
        let forest = try IsolationForest(trees: 10, sampleSize: 64, seed: 5).fit(features: features, featureCount: 3)
        for tree in forest.trees {
            // Leaves are at depth <= ceil(log2 64) = 6, so a leaf's path length is at most 6 + c(64).
            let leaves = tree.feature.indices.filter { tree.feature[$0] < 0 }
            #expect(leaves.count == (tree.feature.count + 1) / 2, "a full binary tree")
            #expect(
                leaves.allSatisfy {
                    Double(tree.pathLength[$0]) <= 6 + IsolationForestModel.averagePathLength(64) + 1e-4
                })
        }
    }

    @Test("bad settings are named")
    func badSettings() {
        #expect(throws: InvalidParameter("trees", value: 0, allowed: "between 1 and 100000")) {
            try IsolationForest(trees: 0).fit(features: [1, 2], featureCount: 1)
        }
        #expect(throws: InvalidParameter("rows", value: 1, allowed: "at least 2 to grow a forest")) {
            try IsolationForest().fit(features: [1, 2], featureCount: 2)
        }
    }
}

@Suite("Deep isolation forest")
struct DeepIsolationForestTests {
    @Test("far points score above a Gaussian cloud, the same way for the same seed")
    func separatesOutliers() throws {
        var rng = RandomGenerator(seed: 6)
        var features: [Float] = []
        for _ in 0..<1_000 * 3 { features.append(rng.nextNormal()) }
        let outliers: [Float] = [6, 6, 6, -6, -6, -6]
        let settings = DeepIsolationForest(representations: 10, seed: 2)
        let model = try settings.fit(features: features + outliers, featureCount: 3)
        #expect(model.networks.count == 10 && model.forests.allSatisfy { $0.trees.count == 6 })
        #expect(model.networks[0].outputWidth == 3 + 8, "the row's 3 values, then the network's 8")
        let scores = model.scores(of: features + outliers)
        let ninetyNinth = scores[..<1_000].sorted()[989]
        #expect(scores[1_000...].allSatisfy { $0 > ninetyNinth }, "\(Array(scores[1_000...])) vs \(ninetyNinth)")
        #expect(try settings.fit(features: features + outliers, featureCount: 3) == model)
    }

    @Test("bad settings are named")
    func badSettings() {
        #expect(throws: InvalidParameter("representations", value: 0, allowed: "between 1 and 10000")) {
            try DeepIsolationForest(representations: 0).fit(features: [1, 2, 3, 4], featureCount: 1)
        }
    }
}
