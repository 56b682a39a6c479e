import Foundation

/// The standard normal quantile `Φ⁻¹(p)` for `0 < p < 1`: Acklam's rational approximation
/// (relative error below 1.2e-9) polished by one Halley step on `Φ(x) = erfc(-x/√2)/2`, which
/// brings it to about machine precision.
func normalQuantile(_ p: Double) -> Double {
    precondition(p > 0 && p < 1, "normalQuantile: p = \(p) is outside (0, 1)")
    let a = [
        -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690, -30.66479806614716,
        2.506628277459239,
    ]
    let b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
    let c = [
        -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
        4.374664141464968, 2.938163982698783,
    ]
    let d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
    let low = 0.02425
    var x: Double
    if p < low || p > 1 - low {
        let u = (-2 * log(p < low ? p : 1 - p)).squareRoot()
        let value =
            (((((c[0] * u + c[1]) * u + c[2]) * u + c[3]) * u + c[4]) * u + c[5])
            / ((((d[0] * u + d[1]) * u + d[2]) * u + d[3]) * u + 1)
        x = p < low ? value : -value
    } else {
        let u = p - 0.5
        let v = u * u
        x =
            (((((a[0] * v + a[1]) * v + a[2]) * v + a[3]) * v + a[4]) * v + a[5]) * u
            / (((((b[0] * v + b[1]) * v + b[2]) * v + b[3]) * v + b[4]) * v + 1)
    }
    let error = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let step = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= step / (1 + x * step / 2)
    return x
}
