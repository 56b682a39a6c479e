import Testing

/// Expects `actual` and `expected` to have the same length and agree within `tolerance`
/// (absolute, or relative to the expected value when that is larger than 1).
func expectClose(
    _ actual: [Double], _ expected: [Double], tolerance: Double, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, comment, sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let scale = max(1, abs(e))
        #expect(
            abs(a - e) <= tolerance * scale, "\(comment?.description ?? "") [\(index)]: \(a) vs \(e)",
            sourceLocation: sourceLocation)
    }
}

/// Expects two numbers to agree within `tolerance` (absolute, or relative above 1).
func expectClose(
    _ actual: Double, _ expected: Double, tolerance: Double, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose([actual], [expected], tolerance: tolerance, comment, sourceLocation: sourceLocation)
}

/// A quarterly-looking series (season 4) with trend and noise, the input of the statsmodels
/// fixtures: `np.round(20 + 0.5 t + [3, -1, -4, 2][t % 4] + rng.normal(0, 1, 24), 2)` with
/// `rng = np.random.default_rng(7)`, `t = 0...23`.
let seasonalFixture: [Double] = [
    23.0, 19.8, 16.73, 22.61, 24.55, 20.51, 19.06, 26.84, 26.51, 22.88, 21.49, 27.86, 29.11, 24.57, 22.97, 30.2,
    29.66, 27.04, 23.1, 30.21, 31.16, 29.26, 25.73, 33.77,
]
