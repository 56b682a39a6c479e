import Configuration
import Foundation

/// A seasonal ARIMA model to fit by exact maximum likelihood, as R's `forecast::Arima` and
/// statsmodels' `ARIMA` fit it.
///
/// The series is differenced (``ARIMAOrder/differencing``) and the differenced series `w_t`
/// is modelled as a stationary, invertible ARMA process around a constant mean `μ`:
///
/// ```
/// φ(B) Φ(B^s) (w_t - μ) = θ(B) Θ(B^s) ε_t,   ε_t ~ N(0, σ²)
/// ```
///
/// With ``includeConstant`` the constant is reported as forecast's `Arima` names it: the
/// `intercept` (the mean of the series) when `d + D = 0`, the `drift` (slope per time step of
/// the series) when `d + D = 1`, so `μ = drift` for `d = 1` and `μ = s · drift` for `D = 1`.
/// A constant is refused when `d + D ≥ 2`, as `Arima` refuses drift there.
///
/// Fitting runs as R's default `CSS-ML`: ``BFGS`` minimises the conditional sum of squares from
/// zero coefficients, then the exact Gaussian likelihood of the differenced series (Kalman
/// filter from the stationary state covariance, missing values skipped) from there. AR and MA
/// parameters are optimised through the Jones (1980) partial-autocorrelation transform, so the
/// fit is always stationary and invertible; `σ²` is concentrated out (its estimate is the mean
/// squared standardised innovation, the value that maximises the likelihood).
///
/// ```swift
/// let model = try ARIMA(order: ARIMAOrder(p: 1, d: 1, q: 1), includeConstant: true).fit(series)
/// model.coefficients       // ar1, ma1, drift
/// model.aicc
/// let forecast = try model.forecast(horizon: 12, level: 0.8)
/// ```
public struct ARIMA: Sendable, Equatable {
    /// The orders (keys `p`, `d`, `q`, `seasonal-p`, `seasonal-d`, `seasonal-q`, `period`).
    public var order: ARIMAOrder
    /// Whether to fit the intercept (`d + D = 0`) or drift (`d + D = 1`) (key `include-constant`).
    public var includeConstant: Bool
    /// The optimiser for both stages.
    public var optimizer: BFGS

    /// - Parameters:
    ///   - order: The ARIMA orders.
    ///   - includeConstant: Fit an intercept or a drift.
    ///   - optimizer: The BFGS settings for both stages of the fit.
    public init(order: ARIMAOrder, includeConstant: Bool = false, optimizer: BFGS = BFGS()) {
        self.order = order
        self.includeConstant = includeConstant
        self.optimizer = optimizer
    }

    /// The number of estimated coefficients, `σ²` not counted.
    public var coefficientCount: Int {
        order.p + order.q + order.seasonalP + order.seasonalQ + (includeConstant ? 1 : 0)
    }

    /// Checks every setting.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try order.validate()
        try optimizer.validate()
        let differences = order.d + (order.period > 1 ? order.seasonalD : 0)
        try InvalidParameter.require(
            !includeConstant || differences <= 1, "include-constant", includeConstant,
            allowed: "false when d + seasonal-d is 2 or more (the constant would be a quadratic trend)")
    }

    /// Fits the model to `series` (`.nan` for a missing value).
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, or (key `series`) a series with fewer
    ///   than `coefficientCount + 3` observed values after differencing, or constant after
    ///   differencing.
    public func fit(_ series: [Double]) throws(InvalidParameter) -> ARIMAModel {
        try validate()
        let differencing = order.differencing
        let differenced = differencing.apply(series)
        let observed = differenced.filter { !$0.isNaN }
        let needed = coefficientCount + 3
        try InvalidParameter.require(
            observed.count >= needed, "series", "\(observed.count) observed values after differencing",
            allowed: "at least \(needed) for \(order) with \(coefficientCount) coefficients")
        try InvalidParameter.require(
            observed.contains { $0 != observed[0] }, "series", "constant after differencing",
            allowed: "a series that varies after differencing (\(order))")
        try InvalidParameter.require(
            observed.allSatisfy(\.isFinite), "series", "a value that is infinite",
            allowed: "finite numbers or .nan for missing values")

        var objective = ARMAObjective(order: order, differenced: differenced, includeMean: includeConstant)
        let zero = [Double](repeating: 0, count: coefficientCount)
        let css = optimizer.minimize({ objective.conditionalSumOfSquares($0) }, from: zero)
        var start = css.value.isFinite ? css.point : zero
        if !objective.concentratedNegativeLogLikelihood(start).isFinite { start = zero }
        let ml = optimizer.minimize({ objective.concentratedNegativeLogLikelihood($0) }, from: start)
        let coefficients = objective.coefficients(ml.point)
        guard let sums = objective.filterSums(coefficients), sums.count > 0, ml.value.isFinite else {
            throw InvalidParameter(
                "series", value: "\(observed.count) observed values",
                allowed: "a series whose \(order) likelihood is finite somewhere")
        }
        return ARIMAModel(
            order: order, includeConstant: includeConstant, series: series, coefficients: coefficients,
            sums: sums, iterations: css.iterations + ml.iterations, converged: ml.converged)
    }
}

extension ARIMA {
    /// The AICc of a conditional-sum-of-squares fit (R's `CSS`), what auto-ARIMA's approximate
    /// search ranks candidates by (forecast's `approximation`): `n* log(2π σ̂²) + n* + 2(k + 1)`
    /// plus the small-sample correction, with `σ̂²` the mean squared conditional residual and
    /// `n*` the observed values after differencing, the same for every candidate of one search
    /// (forecast's `nstar`; counting only the residuals would favour long AR lags, which
    /// condition more values away). `+∞` when the series is too short, the fit fails, or a root
    /// of the fitted polynomials lies inside `1.01`.
    func approximateAICc(_ series: [Double]) -> Double {
        guard (try? validate()) != nil else { return .infinity }
        let differenced = order.differencing.apply(series)
        var objective = ARMAObjective(order: order, differenced: differenced, includeMean: includeConstant)
        let css = optimizer.minimize(
            { objective.conditionalSumOfSquares($0) }, from: [Double](repeating: 0, count: coefficientCount))
        let halfLogVariance = css.value
        let n = Double(differenced.reduce(0) { $0 + ($1.isNaN ? 0 : 1) })
        let parameters = Double(coefficientCount + 1)
        let c = objective.coefficients(css.point)
        guard halfLogVariance.isFinite, n - parameters - 1 > 0,
            smallestRootModulus(c.expandedAR.map { -$0 }) >= 1.01, smallestRootModulus(c.expandedMA) >= 1.01
        else { return .infinity }
        let aic = n * (log(2 * Double.pi) + 2 * halfLogVariance) + n + 2 * parameters
        return aic + 2 * parameters * (parameters + 1) / (n - parameters - 1)
    }
}

extension ARIMA: Forecaster {
    /// `ARIMA(p,d,q)(P,D,Q)[s]`.
    public var name: String { order.description }

    /// Fits the model; the season is the order's own period, so `seasonPeriod` is not used.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try fit(series)
    }
}
