import Foundation
import Settings
import Testing

@testable import Clustering

@Suite("Gaussian mixture")
struct GaussianMixtureTests {
    /// 600 points from N(0, 1) and 300 from N(6, 0.5²).
    static let twoGaussians = blobs(centres: [[0], [6]], counts: [600, 300], spread: 1, seed: 17)
    static var points: Points {
        // The second blob's spread is 0.5: halve its offsets from 6.
        let values = twoGaussians.points.values.enumerated().map { i, value in
            twoGaussians.truth[i] == 1 ? 6 + (value - 6) / 2 : value
        }
        return Points(values: values, dimension: 1)
    }

    @Test("two 1-D Gaussians: weights, means and variances recovered")
    func recoversComponents() throws {
        let model = try GaussianMixture(components: 2, seed: 3).fit(Self.points)
        // Heaviest first.
        #expect(abs(model.weights[0] - 2.0 / 3) < 0.02 && abs(model.weights[1] - 1.0 / 3) < 0.02)
        #expect(abs(model.means[0][0] - 0) < 0.15 && abs(model.means[1][0] - 6) < 0.1)
        #expect(abs(model.variances[0][0] - 1) < 0.15 && abs(model.variances[1][0] - 0.25) < 0.05)
        #expect(model.assignments == Self.twoGaussians.truth)
        #expect(model.converged)
        #expect(abs(model.logLikelihood(of: Self.points) - model.logLikelihood) < 1e-9 * abs(model.logLikelihood))
    }

    @Test("BIC prefers two components over one and four")
    func bicPicksTwo() throws {
        let bic = try [1, 2, 4].map { try GaussianMixture(components: $0, seed: 3).fit(Self.points).bic }
        #expect(bic[1] < bic[0] && bic[1] < bic[2])
    }

    @Test("one component is the sample mean and variance; BIC is -2 LL + p ln n")
    func singleComponent() throws {
        // Mean 2.5, population variance 1.25 (+ 1e-6), p = 2·1·1 + 1 - 1 = 2.
        let points = Points(rows: [[1], [2], [3], [4]])
        let model = try GaussianMixture(components: 1, seed: 1).fit(points)
        #expect(abs(model.means[0][0] - 2.5) < 1e-12)
        #expect(abs(model.variances[0][0] - 1.250_001) < 1e-12)
        // Σ log N(x; 2.5, 1.250001) over the four points.
        let variance = 1.250_001
        let expected = [1.0, 2, 3, 4].reduce(0) { total, x in
            total - 0.5 * log(2 * Double.pi * variance) - (x - 2.5) * (x - 2.5) / (2 * variance)
        }
        #expect(abs(model.logLikelihood - expected) < 1e-9)
        #expect(abs(model.bic - (-2 * expected + 2 * log(4))) < 1e-9)
    }

    @Test("responsibilities add up to 1 and agree with assign")
    func probabilities() throws {
        let model = try GaussianMixture(components: 2, seed: 3).fit(Self.points)
        let probe = Points(rows: [[-1], [3.2], [6], [40]])
        let p = model.probabilities(probe)
        for row in 0..<4 { #expect(abs(p[row * 2] + p[row * 2 + 1] - 1) < 1e-12) }
        let labels = model.assign(probe)
        #expect(labels[0] == 0 && labels[2] == 1)
        for row in 0..<4 { #expect(p[row * 2 + labels[row]] >= 0.5) }
    }

    @Test("a model round-trips through JSON and a corrupt one is refused")
    func codable() throws {
        let model = try GaussianMixture(components: 2, seed: 3).fit(Points(rows: [[0], [0.5], [9], [9.5]]))
        let data = try JSONEncoder().encode(model)
        #expect(try JSONDecoder().decode(GaussianMixtureModel.self, from: data) == model)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["variances"] = [[-1.0], [1.0]]
        let corrupt = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(GaussianMixtureModel.self, from: corrupt) }
    }

    @Test("bad settings name their key")
    func invalidParameters() {
        let points = Points(rows: [[0], [1], [2]])
        for (config, key) in [
            (GaussianMixture(components: 0, seed: 1), "components"),
            (GaussianMixture(components: 4, seed: 1), "components"),
            (GaussianMixture(components: 2, maximumIterations: 0, seed: 1), "max-iterations"),
            (GaussianMixture(components: 2, tolerance: -1, seed: 1), "tolerance"),
            (GaussianMixture(components: 2, regularization: 0, seed: 1), "regularization"),
            (GaussianMixture(components: 2, restarts: 0, seed: 1), "restarts"),
            (GaussianMixture(components: 2, seed: 1, threads: 0), "threads"),
        ] {
            let error = #expect(throws: InvalidParameter.self) { try config.fit(points) }
            #expect(error?.parameter == key)
        }
    }
}
