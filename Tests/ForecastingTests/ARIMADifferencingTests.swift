import Settings
import Testing

@testable import Forecasting

@Suite struct ARIMADifferencingTests {
    @Test func firstDifferencesAreConsecutiveChanges() throws {
        let differencing = try Differencing(order: 1)
        #expect(differencing.apply([1, 4, 9, 16, 25]) == [3, 5, 7, 9])
        #expect(differencing.lag == 1)
    }

    @Test func secondDifferencesOfSquaresAreConstant() throws {
        // (1 - B)² n² = n² - 2 (n-1)² + (n-2)² = 2.
        let differencing = try Differencing(order: 2)
        #expect(differencing.coefficients == [1, -2, 1])
        #expect(differencing.apply([1, 4, 9, 16, 25]) == [2, 2, 2])
    }

    @Test func seasonalAndRegularDifferencesMultiply() throws {
        // (1 - B)(1 - B²) = 1 - B - B² + B³.
        let differencing = try Differencing(order: 1, seasonalOrder: 1, period: 2)
        #expect(differencing.coefficients == [1, -1, -1, 1])
        let y: [Double] = [1, 3, 2, 7, 4, 11]
        // w_3 = y3 - y2 - y1 + y0 = 7 - 2 - 3 + 1 = 3; w_4 = 4 - 7 - 2 + 3 = -2; w_5 = 11 - 4 - 7 + 2 = 2.
        #expect(differencing.apply(y) == [3, -2, 2])
    }

    @Test func integratingDifferencesRebuildsTheSeries() throws {
        let y: [Double] = [5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]
        let differencing = try Differencing(order: 1, seasonalOrder: 1, period: 4)
        let w = differencing.apply(y)
        let history = Array(y.prefix(8))
        let rebuilt = differencing.integrate(Array(w.suffix(6)), after: history)
        #expect(rebuilt == Array(y.suffix(6)))
    }

    @Test func aMissingValueSpoilsOnlyTheDifferencesItEnters() throws {
        let w = try Differencing(order: 1).apply([1, 2, .nan, 4, 6])
        #expect(w[0] == 1 && w[1].isNaN && w[2].isNaN && w[3] == 2)
    }

    @Test func tooShortSeriesDifferenceToNothing() throws {
        #expect(try Differencing(order: 0, seasonalOrder: 1, period: 12).apply([1, 2, 3]).isEmpty)
    }

    @Test func badSettingsNameTheKey() {
        #expect(throws: InvalidParameter("d", value: 3, allowed: "between 0 and 2")) { try Differencing(order: 3) }
        #expect(throws: InvalidParameter("period", value: 1, allowed: "above 1 for seasonal differencing")) {
            try Differencing(order: 0, seasonalOrder: 1, period: 1)
        }
    }
}
