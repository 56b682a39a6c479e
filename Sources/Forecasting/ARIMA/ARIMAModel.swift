import Foundation
import Settings

/// One named coefficient of a fitted model (`ar1`, `sma2`, `intercept`, `drift`).
public struct ARIMACoefficient: Sendable, Hashable {
    /// R's name: `ar1`, `ma2`, `sar1`, `sma1`, `intercept` or `drift`.
    public var name: String
    /// The estimate.
    public var value: Double

    /// A coefficient, `ARIMACoefficient(name: "ar1", value: 0.5)`.
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// A fitted ARIMA model: coefficients, innovation variance, likelihood and information
/// criteria, and forecasts.
///
/// The criteria count `k` coefficients plus `σ²` and use the `n` observed values of the
/// differenced series, as forecast's `Arima` does:
///
/// ```
/// AIC  = -2 log L + 2 (k + 1)
/// AICc = AIC + 2 (k + 1)(k + 2) / (n - k - 2)
/// BIC  = AIC + (k + 1)(log n - 2)
/// ```
///
/// ```swift
/// let model = try ARIMA(order: ARIMAOrder(p: 2, d: 0, q: 0), includeConstant: true).fit(y)
/// model.coefficient(named: "ar1")
/// model.logLikelihood
/// let next = try model.forecast(horizon: 6, level: 0.95)
/// ```
public struct ARIMAModel: Sendable {
    /// The orders fitted.
    public let order: ARIMAOrder
    /// Whether an intercept or drift was fitted.
    public let includeConstant: Bool
    /// The series the model was fitted to (forecasts continue it).
    public let series: [Double]
    /// Non-seasonal AR coefficients `φ_1 ... φ_p` of `1 - Σ φ_i B^i`.
    public let ar: [Double]
    /// Non-seasonal MA coefficients `θ_1 ... θ_q` of `1 + Σ θ_i B^i`.
    public let ma: [Double]
    /// Seasonal AR coefficients `Φ_1 ... Φ_P` of `1 - Σ Φ_j B^{sj}`.
    public let seasonalAR: [Double]
    /// Seasonal MA coefficients `Θ_1 ... Θ_Q` of `1 + Σ Θ_j B^{sj}`.
    public let seasonalMA: [Double]
    /// The mean of the differenced series (0 without a constant).
    public let differencedMean: Double
    /// The outside variables regressed on (with their values past the series' end), or nil.
    public let regressors: ExogenousRegressors?
    /// The regression coefficients `β`, one per regressor (empty without regressors).
    public let regression: [Double]
    /// Regressors that were zero wherever the series was observed (after differencing), such
    /// as a holiday outside the fitted span: nothing estimates them, so their coefficients
    /// are 0 and not counted in the criteria.
    public let unestimatedRegressors: [String]
    /// The innovation variance `σ²` (maximum-likelihood estimate).
    public let sigma2: Double
    /// The exact Gaussian log-likelihood of the differenced series.
    public let logLikelihood: Double
    /// The number of observed (non-missing) values of the differenced series.
    public let observationCount: Int
    /// BFGS iterations of both stages of the fit.
    public let iterations: Int
    /// Whether the likelihood stage stopped by its convergence rules.
    public let converged: Bool

    init(
        order: ARIMAOrder, includeConstant: Bool, series: [Double], regressors: ExogenousRegressors?,
        coefficients: ARMACoefficients, sums: ARMAKalmanFilter.Sums, iterations: Int, converged: Bool,
        estimatedRegressors: [Int]? = nil
    ) {
        self.order = order
        self.includeConstant = includeConstant
        self.series = series
        self.regressors = regressors
        regression = coefficients.regression
        let names = regressors?.names ?? []
        let estimated = Set(estimatedRegressors ?? Array(names.indices))
        unestimatedRegressors = names.indices.filter { !estimated.contains($0) }.map { names[$0] }
        ar = coefficients.ar
        ma = coefficients.ma
        seasonalAR = coefficients.seasonalAR
        seasonalMA = coefficients.seasonalMA
        differencedMean = coefficients.mean
        let n = Double(sums.count)
        sigma2 = sums.sumOfSquares / n
        logLikelihood = -0.5 * (n * log(2 * Double.pi * sigma2) + sums.sumOfLogs + n)
        observationCount = sums.count
        self.iterations = iterations
        self.converged = converged
    }

    /// `intercept` when nothing is differenced, `drift` otherwise.
    public var constantName: String { order.differencing.lag == 0 ? "intercept" : "drift" }

    /// The constant as reported: the intercept (series mean) or the drift (slope per step);
    /// nil without a constant.
    public var constant: Double? {
        guard includeConstant else { return nil }
        let differencing = order.differencing
        guard differencing.lag > 0 else { return differencedMean }
        // Differencing the time index t gives the constant -Σ k c_k (1 for d = 1, s for D = 1).
        let slope = -differencing.coefficients.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element }
        return differencedMean / slope
    }

    /// The coefficients in R's order and names: `ar1...`, `ma1...`, `sar1...`, `sma1...`, then
    /// `intercept` or `drift`, then one per regressor under the regressor's name.
    public var coefficients: [ARIMACoefficient] {
        func named(_ prefix: String, _ values: [Double]) -> [ARIMACoefficient] {
            values.enumerated().map { ARIMACoefficient(name: "\(prefix)\($0.offset + 1)", value: $0.element) }
        }
        var result = named("ar", ar) + named("ma", ma) + named("sar", seasonalAR) + named("sma", seasonalMA)
        if let constant { result.append(ARIMACoefficient(name: constantName, value: constant)) }
        for (name, value) in zip(regressors?.names ?? [], regression) {
            result.append(ARIMACoefficient(name: name, value: value))
        }
        return result
    }

    /// The value of the coefficient called `name`, or nil.
    public func coefficient(named name: String) -> Double? {
        coefficients.first { $0.name == name }?.value
    }

    /// The number of estimated coefficients `k` (`σ²` not counted).
    public var coefficientCount: Int {
        ar.count + ma.count + seasonalAR.count + seasonalMA.count + (includeConstant ? 1 : 0) + regression.count
            - unestimatedRegressors.count
    }

    /// Akaike's information criterion, `-2 log L + 2 (k + 1)`.
    public var aic: Double { -2 * logLikelihood + 2 * Double(coefficientCount + 1) }

    /// AIC corrected for small samples; `+∞` when `n ≤ k + 2`.
    public var aicc: Double {
        let parameters = Double(coefficientCount + 1)
        let denominator = Double(observationCount) - parameters - 1
        return denominator > 0 ? aic + 2 * parameters * (parameters + 1) / denominator : .infinity
    }

    /// The Bayesian information criterion, `-2 log L + (k + 1) log n`.
    public var bic: Double { aic + Double(coefficientCount + 1) * (log(Double(observationCount)) - 2) }

    /// Whether the fitted AR and MA polynomials have every root at least `margin` in modulus
    /// (forecast's `auto.arima` rejects a model with a root inside 1.01); `maMargin`, when
    /// given, replaces it for the MA roots.
    public func rootsOutsideUnitCircle(margin: Double = 1.01, maMargin: Double? = nil) -> Bool {
        let coefficients = ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: seasonalAR, seasonalMA: seasonalMA, mean: differencedMean,
            period: order.period)
        return smallestRootModulus(coefficients.expandedAR.map { -$0 }) >= margin
            && smallestRootModulus(coefficients.expandedMA) >= (maMargin ?? margin)
    }
}
