import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite("Nelder-Mead")
struct NelderMeadTests {
    @Test("finds the minimum of Rosenbrock's valley from (-1.2, 1)")
    func rosenbrock() {
        let function: ([Double]) -> Double = { x in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }
        let result = NelderMead().minimize(function, from: [-1.2, 1])
        #expect(result.converged)
        expectClose(result.point, [1, 1], tolerance: 1e-6)
        #expect(result.value < 1e-12)
    }

    @Test("a quadratic bowl in four variables")
    func bowl() {
        let centre = [1.0, -2, 0.5, 3]
        let result = NelderMead().minimize(
            { x in zip(x, centre).reduce(0) { $0 + Double($1.0 - $1.1) * ($1.0 - $1.1) } }, from: [0, 0, 0, 0])
        expectClose(result.point, centre, tolerance: 1e-5)
    }

    @Test("bounds hold: the minimum outside the box ends at its edge, inside points are found")
    func bounded() {
        let outside = NelderMead().minimize(
            { x in pow(x[0] - 2, 2) + pow(x[1] - 0.25, 2) }, from: [0.5, 0.5], lower: [0, 0], upper: [1, 1])
        #expect(outside.point[0] <= 1 && outside.point[0] > 0.999)
        expectClose(outside.point[1], 0.25, tolerance: 1e-6)
    }

    @Test("NaN values count as infinitely bad; bad settings are named")
    func nanAndSettings() {
        let result = NelderMead().minimize({ x in x[0] < 0 ? .nan : pow(x[0] - 1, 2) }, from: [3])
        expectClose(result.point[0], 1, tolerance: 1e-6)
        #expect(throws: InvalidParameter("max-iterations", value: 0, allowed: "at least 1")) {
            try NelderMead(maximumIterations: 0).validate()
        }
    }
}
