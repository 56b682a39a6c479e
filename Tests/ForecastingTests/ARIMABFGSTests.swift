import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite struct ARIMABFGSTests {
    @Test func minimisesTheRosenbrockFunction() {
        // f = 100 (y - x²)² + (1 - x)², minimum 0 at (1, 1).
        let rosenbrock = { (x: [Double]) in 100 * pow(x[1] - x[0] * x[0], 2) + pow(1 - x[0], 2) }
        let result = BFGS(maximumIterations: 500, relativeTolerance: 0).minimize(rosenbrock, from: [-1.2, 1])
        #expect(result.converged)
        #expect(abs(result.point[0] - 1) < 1e-4 && abs(result.point[1] - 1) < 1e-4)
    }

    @Test func backsAwayFromNonFiniteValues() {
        // log-barrier: f = x - log(x) has its minimum 1 at x = 1 and is undefined for x <= 0.
        let result = BFGS().minimize({ $0[0] - log($0[0]) }, from: [4])
        #expect(abs(result.point[0] - 1) < 1e-5)
    }

    @Test func badSettingsNameTheKey() {
        #expect(throws: InvalidParameter("difference-step", value: 0.0, allowed: "between 0 and 1, exclusive")) {
            try BFGS(differenceStep: 0).validate()
        }
    }
}
