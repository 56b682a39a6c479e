import Foundation

/// Maps unconstrained values to the coefficients of a stationary AR polynomial
/// `1 - a_1 B - ... - a_p B^p` (Jones 1980; R's `partrans`, statsmodels'
/// `constrain_stationary_univariate`): `tanh` gives partial autocorrelations in (-1, 1) and the
/// Durbin-Levinson recursion turns them into AR coefficients.
///
/// For an MA polynomial `1 + b_1 B + ...` the caller negates the result: `b = -a` is invertible
/// exactly when `a` is stationary.
func stationaryCoefficients(_ raw: ArraySlice<Double>) -> [Double] {
    let partials = raw.map { tanh($0) }
    var coefficients = partials
    var work = partials
    for j in 1..<max(partials.count, 1) {
        let a = coefficients[j]
        for k in 0..<j { work[k] -= a * coefficients[j - k - 1] }
        for k in 0..<j { coefficients[k] = work[k] }
    }
    return coefficients
}

/// The coefficients of `φ(B) Φ(B^s)` as `1 - Σ a_k B^k`, returned as `a_1 ... a_{p+sP}`.
func expandedAR(_ regular: [Double], seasonal: [Double], period: Int) -> [Double] {
    var result = [Double](repeating: 0, count: regular.count + period * seasonal.count)
    for (i, phi) in regular.enumerated() { result[i] += phi }
    for (j, seasonalPhi) in seasonal.enumerated() {
        result[(j + 1) * period - 1] += seasonalPhi
        for (i, phi) in regular.enumerated() { result[(j + 1) * period + i] -= phi * seasonalPhi }
    }
    return result
}

/// The coefficients of `θ(B) Θ(B^s)` as `1 + Σ b_k B^k`, returned as `b_1 ... b_{q+sQ}`.
func expandedMA(_ regular: [Double], seasonal: [Double], period: Int) -> [Double] {
    var result = [Double](repeating: 0, count: regular.count + period * seasonal.count)
    for (i, theta) in regular.enumerated() { result[i] += theta }
    for (j, seasonalTheta) in seasonal.enumerated() {
        result[(j + 1) * period - 1] += seasonalTheta
        for (i, theta) in regular.enumerated() { result[(j + 1) * period + i] += theta * seasonalTheta }
    }
    return result
}

/// The smallest modulus of the roots of `1 + Σ c_k z^k`, or `.infinity` for a constant
/// polynomial. Trailing coefficients below 1e-8 in size are dropped first, as forecast's
/// `auto.arima` does before `polyroot`. Roots by the Durand-Kerner iteration (the polynomials
/// here have degree at most ``ARIMAOrder/maximumOrder``).
func smallestRootModulus(_ c: [Double]) -> Double {
    guard let last = c.lastIndex(where: { abs($0) > 1e-8 }) else { return .infinity }
    let degree = last + 1
    // Monic form in z: divide 1 + c_1 z + ... + c_n z^n by c_n.
    let lead = c[last]
    var monic = [Complex](repeating: Complex(0, 0), count: degree + 1)  // monic[k]: coefficient of z^k
    monic[0] = Complex(1 / lead, 0)
    for k in 1...degree { monic[k] = Complex(c[k - 1] / lead, 0) }
    var roots = (0..<degree).map { k in
        Complex.polar(radius: 1.1, angle: 0.4 + 2 * Double.pi * Double(k) / Double(degree))
    }
    for _ in 0..<500 {
        var change = 0.0
        for i in 0..<degree {
            var value = monic[degree]
            for k in stride(from: degree - 1, through: 0, by: -1) { value = value * roots[i] + monic[k] }
            var denominator = Complex(1, 0)
            for j in 0..<degree where j != i { denominator = denominator * (roots[i] - roots[j]) }
            let step = value / denominator
            roots[i] = roots[i] - step
            change = max(change, step.modulus)
        }
        if change < 1e-13 { break }
    }
    // A failed iteration (coincident estimates) counts as a root on the unit circle.
    let moduli = roots.map(\.modulus)
    return moduli.allSatisfy(\.isFinite) ? moduli.min() ?? .infinity : 0
}

/// The few complex operations root finding needs.
struct Complex {
    var re: Double
    var im: Double

    init(_ re: Double, _ im: Double) {
        self.re = re
        self.im = im
    }

    static func polar(radius: Double, angle: Double) -> Complex { Complex(radius * cos(angle), radius * sin(angle)) }

    var modulus: Double { hypot(re, im) }

    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    static func / (a: Complex, b: Complex) -> Complex {
        let scale = b.re * b.re + b.im * b.im
        return Complex((a.re * b.re + a.im * b.im) / scale, (a.im * b.re - a.re * b.im) / scale)
    }
}
