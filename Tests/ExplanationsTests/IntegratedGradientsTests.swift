import Foundation
import Randomness
import TensorEngine
import Testing

@testable import Explanations

@Suite("Integrated gradients")
struct IntegratedGradientsTests {
    @Test("A linear score's attributions are its weights times the input's distance from the baseline")
    func linear() {
        let weights = Tensor(shape: [3, 1], scalars: [2, -1, 0])
        let result = IntegratedGradients(steps: 4).explain(
            { $0.matmul(weights) }, input: [1, 2, 3], baseline: [0, 1, -1])
        #expect(result.attributions == [2, -1, 0])
        #expect(abs(result.score - (-0.0)) < 1e-6 && abs(result.baselineScore - (-1)) < 1e-6)
        #expect(result.steps == 4 && result.completenessGap < 1e-5)
        // A score that ends where it started stops at the first points (1% of 1, not of 0).
        let level = IntegratedGradients().explain({ $0.matmul(weights) }, input: [1, 2, 3], baseline: [0, 0, 3])
        #expect(level.score == level.baselineScore && level.steps == 16 && level.attributions == [2, -2, 0])
    }

    @Test("On a small network points are added until the attributions add up to the score's change within 1%")
    func completeness() {
        var generator = RandomGenerator(seed: 3)
        let hidden = Tensor(shape: [5, 8], scalars: (0..<40).map { _ in generator.nextNormal() * 1.5 })
        let output = Tensor(shape: [8, 1], scalars: (0..<8).map { _ in generator.nextNormal() })
        func model(_ x: Tensor) -> Tensor { x.matmul(hidden).tanh().matmul(output).sigmoid() }
        let input: [Float] = [1.5, -2, 0.5, 3, -1]
        let baseline = [Float](repeating: 0, count: 5)
        let coarse = IntegratedGradients(steps: 2, maximumSteps: 2).explain(model, input: input, baseline: baseline)
        let adapted = IntegratedGradients(steps: 2).explain(model, input: input, baseline: baseline)
        #expect(adapted.relativeGap <= 0.01, "gap \(adapted.relativeGap) at \(adapted.steps) steps")
        #expect(adapted.steps > 2 && adapted.completenessGap < coarse.completenessGap)
        let total = adapted.attributions.reduce(0.0) { $0 + Double($1) }
        #expect(abs(total - (adapted.score - adapted.baselineScore)) == adapted.completenessGap)
    }

    @Test("Points go to the piece of the path holding a ReLU's kink, which the halving closes in on")
    func kink() {
        // f(x) = relu(x0 + 3 x1 - 1.2) from (0, 0) to (1, 1): the kink is at 0.3 of the path, and
        // the exact attributions are the path's share of each term once the unit is on: 0.7, 2.1.
        func model(_ x: Tensor) -> Tensor { (x.matmul(Tensor(shape: [2, 1], scalars: [1, 3])) - 1.2).relu() }
        let first = IntegratedGradients(steps: 16, maximumSteps: 16).explain(model, input: [1, 1], baseline: [0, 0])
        let result = IntegratedGradients(steps: 16, maximumSteps: 1_024, tolerance: 1e-4).explain(
            model, input: [1, 1], baseline: [0, 0])
        #expect(abs(result.score - 2.8) < 1e-5 && result.baselineScore == 0)
        #expect(first.relativeGap > 0.01)
        #expect(result.relativeGap <= 1e-4, "gap \(result.relativeGap) at \(result.steps) points")
        // Only the piece holding the kink is halved, 16 points a round; one rule of 1,024 points
        // over the whole path falls shorter.
        #expect(result.steps <= 16 + 16 * 10, "\(result.steps) points")
        var uniform = IntegratedGradients(steps: 1_024, maximumSteps: 1_024)
        uniform.pointsPerPiece = 1_024
        let everywhere = uniform.explain(model, input: [1, 1], baseline: [0, 0])
        #expect(everywhere.steps == 1_024 && everywhere.completenessGap > result.completenessGap)
        #expect(abs(Double(result.attributions[0]) - 0.7) < 1e-3 && abs(Double(result.attributions[1]) - 2.1) < 1e-3)
    }

    @Test(
        "A feature the score ignores gets nothing; an additive score gets each term's change exactly (its Shapley values)"
    )
    func additive() {
        // f(x) = tanh(x0) + 2 x1², x2 ignored: Shapley values are the per-term changes.
        func model(_ x: Tensor) -> Tensor {
            let first = x.matmul(Tensor(shape: [3, 1], scalars: [1, 0, 0])).tanh()
            let second = x.matmul(Tensor(shape: [3, 1], scalars: [0, 1, 0]))
            return first + second * second * 2
        }
        let result = IntegratedGradients(steps: 64).explain(model, input: [1, 0.5, 7], baseline: [0, 0, 0])
        #expect(abs(Double(result.attributions[0]) - 0.7616) < 1e-3)
        #expect(abs(Double(result.attributions[1]) - 0.5) < 1e-3)
        #expect(result.attributions[2] == 0)
    }

    @Test("Exact Shapley values add up to the score's change and equal the terms of an additive score")
    func exactShapley() {
        func additive(_ x: Tensor) -> Tensor {
            let first = x.matmul(Tensor(shape: [3, 1], scalars: [1, 0, 0])).tanh()
            let second = x.matmul(Tensor(shape: [3, 1], scalars: [0, 1, 1]))
            return first + second * second
        }
        // Groups {x0} and {x1, x2}: (x1 + x2)^2 is one group's term.
        let values = ExactShapley.values(
            additive, input: [1, 0.5, 0.25], baseline: [0, 0, 0], groups: [0..<1, 1..<3])
        #expect(abs(values[0] - 0.76159) < 1e-4 && abs(values[1] - 0.5625) < 1e-6)
        // An interaction is split evenly: f = x0 * x1 from (0, 0) to (1, 1) gives 1/2 each.
        func product(_ x: Tensor) -> Tensor {
            x.matmul(Tensor(shape: [2, 1], scalars: [1, 0])) * x.matmul(Tensor(shape: [2, 1], scalars: [0, 1]))
        }
        let split = ExactShapley.values(product, input: [1, 1], baseline: [0, 0], groups: [0..<1, 1..<2])
        #expect(abs(split[0] - 0.5) < 1e-6 && abs(split[1] - 0.5) < 1e-6)
    }
}

@Suite("Gauss-Legendre points on [0, 1]")
struct GaussLegendreTests {
    @Test(
        "Weights sum to 1 and the rule integrates polynomials up to degree 2n - 1 exactly",
        arguments: [1, 2, 5, 32, 1024])
    func exactness(points: Int) {
        let (nodes, weights) = IntegratedGradients.gaussLegendre(points)
        #expect(nodes.allSatisfy { $0 > 0 && $0 < 1 } && nodes == nodes.sorted())
        for degree in 0..<min(2 * points, 12) {
            let integral = zip(nodes, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(degree)) }
            #expect(abs(integral - 1 / Double(degree + 1)) < 1e-12, "degree \(degree): \(integral)")
        }
    }
}
