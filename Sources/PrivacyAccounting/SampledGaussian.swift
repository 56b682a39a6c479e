import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Rényi divergence of the Poisson-subsampled Gaussian mechanism, in log space.
///
/// For sampling rate `q` and noise multiplier `σ`, the mechanism's RDP at order `α` is
/// `log(A_α) / (α - 1)` with (Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of
/// the Sampled Gaussian Mechanism", arXiv:1908.10530):
///
/// ```
/// integer α:     A_α = Σ_{i=0..α} C(α, i) (1 - q)^(α - i) q^i exp((i² - i) / (2σ²))
/// fractional α:  A_α = A_0 + A_1, the integrals over (-∞, z₀] and [z₀, ∞) with
///                z₀ = σ² log(1/q - 1) + 1/2, each a series of terms
///                C(α, i) q^i (1-q)^(α-i) exp((i² - i)/(2σ²)) erfc((i - z₀)/(√2 σ)) / 2
///                (and the mirror term with j = α - i)
/// ```
///
/// Every sum is taken in log space, so large orders and small noise overflow nothing. The
/// fractional series follows dp_accounting's `_compute_log_a_frac` (google/differential-privacy,
/// python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant.py) step for step: the
/// binomial coefficients enter by magnitude (`log|C(α, i)|` from log-gamma), the series stops
/// once both terms decrease and are below e^-30 of the total, and a series that has not stopped
/// after 1,000 terms makes that order infinite (dp_accounting then excludes the order from the
/// epsilon it reports; an infinite RDP value has the same effect here).
enum SampledGaussian {
    /// Terms of the fractional-order series before the order is given up as infinite.
    static let maximumFractionalTerms = 1000

    /// RDP of one Poisson-sampled Gaussian step at `order`, from dp_accounting's
    /// `_compute_rdp_poisson_subsampled_gaussian`: 0 when nothing is sampled, infinite without
    /// noise, `α / (2σ²)` (the plain Gaussian) when every example is sampled.
    static func rdp(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if alpha.isInfinite || sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * (sigma * sigma)) }
        let logA =
            alpha.rounded() == alpha
            ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
            : logAFractional(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// `log(A_α)` for an integer order, `0 < q < 1`: a finite sum of `α + 1` terms.
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q)
        let log1mQ = log1p(-q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        let a = Double(alpha)
        for i in 0...alpha {
            let k = Double(i)
            let logCoefficient = logBinomial(a, k) + k * logQ + (a - k) * log1mQ
            logA = logAdd(logA, logCoefficient + (k * k - k) / twoSigmaSquared)
        }
        return logA
    }

    /// `log(A_α)` for a fractional order, `0 < q < 1` (arXiv:1908.10530 Sec. 3.3); infinite when
    /// the series has not converged after ``maximumFractionalTerms`` terms.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        let z0 = (sigma * sigma) * log(1 / q - 1) + 0.5
        let logQ = log(q)
        let log1mQ = log1p(-q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        let erfcScale = 2.0.squareRoot() * sigma
        let logHalf = log(0.5)
        var lastS0 = -Double.infinity
        var lastS1 = -Double.infinity
        for step in 0..<maximumFractionalTerms {
            let i = Double(step)
            let j = alpha - i
            let logCoefficient = logBinomial(alpha, i)
            let logT0 = logCoefficient + i * logQ + j * log1mQ
            let logT1 = logCoefficient + j * logQ + i * log1mQ
            let logE0 = logHalf + logErfc((i - z0) / erfcScale)
            let logE1 = logHalf + logErfc((z0 - j) / erfcScale)
            let logS0 = logT0 + (i * i - i) / twoSigmaSquared + logE0
            let logS1 = logT1 + (j * j - j) / twoSigmaSquared + logE1
            logA0 = logAdd(logA0, logS0)
            logA1 = logAdd(logA1, logS1)
            let total = logAdd(logA0, logA1)
            // Stop once both parts shrink and the newest term is below e^-30 of the sum.
            if logS0 < lastS0, logS1 < lastS1, max(logS0, logS1) < total - 30 { return total }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }

    /// `log(e^x + e^y)` without overflow.
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let (small, large) = x < y ? (x, y) : (y, x)
        if small == -.infinity { return large }
        return log1p(exp(small - large)) + large
    }

    /// `log|C(n, k)| = log|Γ(n+1)| - log|Γ(k+1)| - log|Γ(n-k+1)|`, for real `n` and `k`.
    static func logBinomial(_ n: Double, _ k: Double) -> Double {
        logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
    }

    /// `log|Γ(x)|`; the reentrant form, so concurrent callers share no sign variable.
    static func logGamma(_ x: Double) -> Double {
        #if canImport(Glibc)
            var sign: Int32 = 0
            return lgamma_r(x, &sign)
        #else
            return lgamma(x)
        #endif
    }

    /// `log(erfc(x))`, accurate where `erfc` itself underflows.
    ///
    /// Below x = 25 `erfc` is a normal double with full relative precision (erfc(25) ≈ 8e-274).
    /// Beyond, the asymptotic expansion
    /// `erfc(x) = e^(-x²) / (x √π) · (1 - 1/(2x²) + 3/(2x²)² - 15/(2x²)³ + …)`
    /// is used in log form; at x ≥ 25 each term is below 1/1250 of the one before, so eight
    /// terms are exact to double precision.
    static func logErfc(_ x: Double) -> Double {
        if x < 25 { return log(erfc(x)) }
        let inverseTwoXSquared = 1 / (2 * x * x)
        var term = 1.0
        var series = 1.0
        for k in 1...8 {
            term *= -Double(2 * k - 1) * inverseTwoXSquared
            series += term
        }
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }
}
