import Foundation
import Settings

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
/// With ``regressors`` the model is a regression with ARIMA errors, as R's `Arima(xreg =)` and
/// statsmodels' `ARIMA(exog =)` fit it: `y_t = Σ β_j x_jt + η_t` with `η_t` the ARIMA process
/// above. The series and every regressor are differenced alike, and `β` is estimated jointly
/// with the ARMA coefficients, starting from least squares on the differenced data. A period
/// where a regressor is unknown counts as missing; forecasts need the regressors' values over
/// the horizon.
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
    /// Outside variables to regress on (key `regressors`), one value per period from the
    /// series' first period; nil for none.
    public var regressors: ExogenousRegressors?
    /// The smallest modulus the fitted MA polynomial's roots may have (key
    /// `invertibility-margin`): 1 for any invertible model, as R and statsmodels fit; above 1
    /// the MA coefficients are optimised inside that margin (``AutoARIMA`` uses 1.01, the
    /// margin its root check demands).
    public var invertibilityMargin = 1.0

    /// - Parameters:
    ///   - order: The ARIMA orders.
    ///   - includeConstant: Fit an intercept or a drift.
    ///   - optimizer: The BFGS settings for both stages of the fit.
    ///   - regressors: Outside variables covering at least the series' periods (and the
    ///     forecast horizon, to forecast).
    public init(
        order: ARIMAOrder, includeConstant: Bool = false, optimizer: BFGS = BFGS(),
        regressors: ExogenousRegressors? = nil
    ) {
        self.order = order
        self.includeConstant = includeConstant
        self.optimizer = optimizer
        self.regressors = regressors
    }

    /// The number of coefficients, `σ²` not counted (a regressor that is zero over the whole
    /// series is counted here but not estimated; see ``ARIMAModel/unestimatedRegressors``).
    public var coefficientCount: Int {
        order.p + order.q + order.seasonalP + order.seasonalQ + (includeConstant ? 1 : 0)
            + (regressors?.names.count ?? 0)
    }

    /// Checks every setting.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try order.validate()
        try optimizer.validate()
        try InvalidParameter.require("invertibility-margin", invertibilityMargin, in: 1...1.1)
        let differences = order.d + (order.period > 1 ? order.seasonalD : 0)
        try InvalidParameter.require(
            !includeConstant || differences <= 1, "include-constant", includeConstant,
            allowed: "false when d + seasonal-d is 2 or more (the constant would be a quadratic trend)")
    }

    /// Fits the model to `series` (`.nan` for a missing value).
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, or (key `series`) a series with fewer
    ///   than `coefficientCount + 3` observed values after differencing, or constant after
    ///   differencing; (key `regressors`) regressors shorter than the series, or one that is a
    ///   combination of the constant and the others (one that is zero wherever the differenced
    ///   series is observed is not estimated: ``ARIMAModel/unestimatedRegressors``).
    public func fit(_ series: [Double]) throws(InvalidParameter) -> ARIMAModel {
        try validate()
        var objective = try objective(for: series)
        let differenced = objective.series
        let observed = differenced.filter { !$0.isNaN }
        let needed = objective.parameterCount + 3
        try InvalidParameter.require(
            observed.count >= needed, "series", "\(observed.count) observed values after differencing",
            allowed: "at least \(needed) for \(order) with \(objective.parameterCount) coefficients")
        try InvalidParameter.require(
            observed.contains { $0 != observed[0] }, "series", "constant after differencing",
            allowed: "a series that varies after differencing (\(order))")
        try InvalidParameter.require(
            observed.allSatisfy(\.isFinite), "series", "a value that is infinite",
            allowed: "finite numbers or .nan for missing values")

        let zero = [Double](repeating: 0, count: objective.parameterCount)
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
            order: order, includeConstant: includeConstant, series: series, regressors: regressors,
            coefficients: coefficients, sums: sums, iterations: css.iterations + ml.iterations,
            converged: ml.converged, estimatedRegressors: objective.estimated)
    }

    /// The fit's objective on `series`, with the regressors' first `series.count` periods
    /// differenced like the series.
    ///
    /// - Throws: ``InvalidParameter`` (key `regressors`) for regressors shorter than the series
    ///   or one that adds nothing to the constant and the regressors before it.
    func objective(for series: [Double]) throws(InvalidParameter) -> ARMAObjective {
        let differencing = order.differencing
        let differenced = differencing.apply(series)
        guard let regressors else {
            var objective = ARMAObjective(order: order, differenced: differenced, includeMean: includeConstant)
            objective.maRootBound = invertibilityMargin
            objective.bridgeGaps(levels: series, regressors: [])
            return objective
        }
        let levels = try regressors.columns(over: series.count)
        do {
            var objective = try ARMAObjective(
                order: order, differenced: differenced, includeMean: includeConstant,
                regressors: levels.map(differencing.apply))
            objective.maRootBound = invertibilityMargin
            objective.bridgeGaps(levels: series, regressors: levels)
            return objective
        } catch {
            let others = includeConstant ? "the \(order.differencing.lag == 0 ? "intercept" : "drift") and " : ""
            throw InvalidParameter(
                "regressors", value: regressors.names[error.column],
                allowed: "a regressor that varies after differencing (\(order)) and is not a combination of "
                    + "\(others)the regressors before it")
        }
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
        guard (try? validate()) != nil, var objective = try? objective(for: series) else { return .infinity }
        let differenced = objective.series
        let css = optimizer.minimize(
            { objective.conditionalSumOfSquares($0) }, from: [Double](repeating: 0, count: objective.parameterCount))
        let halfLogVariance = css.value
        let n = Double(differenced.reduce(0) { $0 + ($1.isNaN ? 0 : 1) })
        let parameters = Double(objective.parameterCount + 1)
        let c = objective.coefficients(css.point)
        guard halfLogVariance.isFinite, n - parameters - 1 > 0,
            smallestRootModulus(c.expandedAR.map { -$0 }) >= AutoARIMA.rootMargin,
            smallestRootModulus(c.expandedMA) >= AutoARIMA.rootMargin * (invertibilityMargin > 1 ? 1 - 1e-6 : 1)
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
