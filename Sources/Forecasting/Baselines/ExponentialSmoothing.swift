import Foundation
import Settings

/// Exponential smoothing with additive errors: simple (SES), Holt's linear trend (optionally
/// damped) and Holt-Winters with additive or multiplicative seasonality, the ETS(A,·,·)
/// models of Hyndman et al., *Forecasting with Exponential Smoothing* (2008).
///
/// With `T_t = l_(t-1) + φ b_(t-1)` (φ = 1 without damping, `b = 0` without trend), `s = s_(t-m)`,
/// the one-step forecast `ŷ_t = T_t + s` (additive), `T_t · s` (multiplicative) or `T_t`, and
/// the error `e_t = y_t - ŷ_t`, the states move as
///
/// ```
/// additive or no season:   l_t = T_t + α e_t       b_t = φ b_(t-1) + α β e_t       s_t = s + γ e_t
/// multiplicative season:   l_t = T_t + α e_t / s   b_t = φ b_(t-1) + α β e_t / s   s_t = s + γ e_t / T_t
/// ```
///
/// which is Holt-Winters' component form with smoothing parameters α (level), β (trend, as
/// statsmodels' `smoothing_trend`; ETS's β is `α β`), γ (season) and damping φ. A missing
/// value skips the update: the states advance with the forecast (`e_t = 0`).
///
/// Parameters not fixed are fitted by minimising the sum of squared one-step errors (the
/// Gaussian likelihood with σ² concentrated out) with ``NelderMead`` over the admissible box
/// `0 < α < 1`, `0 < β < 1`, `0 < γ < 1 - α` (searched as `γ = γ* (1 - α)`), `0.8 ≤ φ ≤ 0.98`.
/// Initial states are ``SmoothingStates``' heuristic unless given; they are not refined by
/// the optimiser.
///
/// Prediction intervals: the class-1 models (no or additive season) use the exact variance
/// `σ²_h = σ² (1 + Σ_(j<h) c_j²)`, `c_j = α + α β (φ + … + φ^j) + γ [j mod m = 0]`
/// (Hyndman et al. 2008, ch. 6; fpp3 §8.7), with `σ² = SSE / n` as statsmodels' `ETSModel`;
/// multiplicative seasons draw ``simulationPaths`` seeded sample paths and take their quantiles.
///
/// ```swift
/// let holtWinters = ExponentialSmoothing(trend: .additive, seasonality: .additive)
/// let model = try holtWinters.fitModel(series.values, seasonPeriod: 7)
/// model.parameters.alpha
/// let forecast = try model.forecast(horizon: 14, level: 0.8)
/// ```
public struct ExponentialSmoothing: Forecaster, Equatable {
    /// The trend component.
    public enum Trend: String, Codable, Sendable, CaseIterable {
        case none
        /// Holt's linear trend.
        case additive
        /// A linear trend damped by φ, flattening out at long horizons.
        case damped

        /// The letter of ETS names: N, A or Ad.
        public var letter: String {
            switch self {
            case .none: return "N"
            case .additive: return "A"
            case .damped: return "Ad"
            }
        }
    }

    /// The seasonal component.
    public enum Seasonality: String, Codable, Sendable, CaseIterable {
        case none
        /// Seasonal effects added to the level (constant swing).
        case additive
        /// Seasonal factors multiplying the level (swing proportional to the level; positive data only).
        case multiplicative

        /// The letter of ETS names: N, A or M.
        public var letter: String {
            switch self {
            case .none: return "N"
            case .additive: return "A"
            case .multiplicative: return "M"
            }
        }
    }

    /// Smoothing parameters held at given values instead of fitted; `nil` entries are fitted.
    public struct FixedParameters: Codable, Sendable, Equatable {
        public var alpha: Double?
        public var beta: Double?
        public var gamma: Double?
        public var phi: Double?

        public init(alpha: Double? = nil, beta: Double? = nil, gamma: Double? = nil, phi: Double? = nil) {
            self.alpha = alpha
            self.beta = beta
            self.gamma = gamma
            self.phi = phi
        }
    }

    /// The trend component.
    public var trend: Trend
    /// The seasonal component.
    public var seasonality: Seasonality
    /// Parameters held fixed (the rest are fitted).
    public var fixed: FixedParameters
    /// Initial states to use instead of the heuristic ones (statsmodels' `initialization_method="known"`).
    public var initialStates: SmoothingStates?
    /// Sample paths drawn for intervals of multiplicative-season models (key `simulation-paths`).
    public var simulationPaths: Int
    /// Seeds the sample paths.
    public var seed: UInt64
    /// The optimiser of the free parameters.
    public var optimizer: NelderMead

    /// - Parameters:
    ///   - trend: The trend component.
    ///   - seasonality: The seasonal component.
    ///   - fixed: Parameters held at given values.
    ///   - initialStates: Initial states, or `nil` for the heuristic ones.
    ///   - simulationPaths: Sample paths for intervals of multiplicative-season models.
    ///   - seed: Seeds the sample paths.
    ///   - optimizer: The optimiser of the free parameters.
    public init(
        trend: Trend = .none, seasonality: Seasonality = .none, fixed: FixedParameters = FixedParameters(),
        initialStates: SmoothingStates? = nil, simulationPaths: Int = 5000, seed: UInt64 = 1,
        optimizer: NelderMead = NelderMead()
    ) {
        self.trend = trend
        self.seasonality = seasonality
        self.fixed = fixed
        self.initialStates = initialStates
        self.simulationPaths = simulationPaths
        self.seed = seed
        self.optimizer = optimizer
    }

    /// The ETS name: `ets(A,N,N)` for SES, `ets(A,Ad,M)` for damped multiplicative Holt-Winters.
    public var name: String {
        "ets(A,\(trend.letter),\(seasonality.letter))"
    }

    /// Throws unless every setting can work for seasons of `seasonPeriod` periods.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad setting.
    public func validate(seasonPeriod: Int) throws(InvalidParameter) {
        for (key, value) in [("alpha", fixed.alpha), ("beta", fixed.beta), ("gamma", fixed.gamma)] {
            if let value { try InvalidParameter.require(key, value, in: 0...1) }
        }
        if let phi = fixed.phi { try InvalidParameter.require(phi > 0 && phi <= 1, "phi", phi, allowed: "in (0, 1]") }
        if seasonality != .none {
            try InvalidParameter.require(
                seasonPeriod >= 2, "season-period", seasonPeriod, allowed: "at least 2 for a seasonal model")
        }
        try InvalidParameter.require(
            simulationPaths >= 100, "simulation-paths", simulationPaths, allowed: "at least 100")
        if let states = initialStates, seasonality != .none {
            try InvalidParameter.require(
                states.seasonal.count == seasonPeriod, "initial-seasonal", states.seasonal.count,
                allowed: "one state per season position (\(seasonPeriod))")
        }
        try optimizer.validate()
    }

    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try fitModel(series, seasonPeriod: seasonPeriod)
    }

    /// Fits the model and returns it with its parameters, states and fit statistics.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting; ``ForecastingError/seriesTooShort(model:needed:got:)``
    ///   when too few values are observed for the initial states and parameters;
    ///   ``ForecastingError/unsuitableValues(model:detail:)`` for multiplicative seasons on values
    ///   that are not all positive.
    public func fitModel(_ series: [Double], seasonPeriod: Int) throws -> ExponentialSmoothingModel {
        try validate(seasonPeriod: seasonPeriod)
        let m = seasonality == .none ? 1 : seasonPeriod
        let observed = series.reduce(0) { $0 + ($1.isNaN ? 0 : 1) }
        if seasonality == .multiplicative, series.contains(where: { !$0.isNaN && $0 <= 0 }) {
            throw ForecastingError.unsuitableValues(
                model: name, detail: "multiplicative seasonality needs positive values; use additive seasonality")
        }
        let guessed = SmoothingStates.heuristic(
            series, trend: trend != .none, seasonality: seasonality, seasonPeriod: m)
        guard let states = initialStates ?? guessed else {
            let needed =
                seasonality == .none
                ? "2 observed values"
                : "2 full seasons (\(2 * m) periods) with "
                    + "every season position observed"
            throw ForecastingError.seriesTooShort(model: name, needed: needed, got: series.count)
        }
        let search = ParameterSearch(self)
        guard observed >= search.free.count + 2 else {
            throw ForecastingError.seriesTooShort(
                model: name, needed: "\(search.free.count + 2) observed values", got: observed)
        }
        let shape = SmoothingShape(trend: trend, seasonality: seasonality, seasonPeriod: m)
        var parameters = search.parameters(search.start)
        if !search.free.isEmpty {
            let result = optimizer.minimize(
                { search.sumOfSquares(series, shape: shape, states: states, point: $0) }, from: search.start,
                lower: search.lower, upper: search.upper)
            parameters = search.parameters(result.point)
        }
        let run = shape.filter(series, parameters: parameters, states: states)
        guard run.sumOfSquares.isFinite else {
            throw ForecastingError.unsuitableValues(
                model: name, detail: "the one-step errors overflow for every parameter tried; try a simpler model")
        }
        let initialStateCount = initialStates != nil ? 0 : 1 + (trend == .none ? 0 : 1) + (m > 1 ? m - 1 : 0)
        return ExponentialSmoothingModel(
            name: name, shape: shape, parameters: parameters, initialStates: states, run: run,
            parameterCount: search.free.count + initialStateCount, simulationPaths: simulationPaths, seed: seed)
    }

    /// The free parameters of a fit, their box and the map from a search point to parameters.
    private struct ParameterSearch {
        enum Name { case alpha, beta, gamma, phi }
        var free: [Name] = []
        var lower: [Double] = []
        var upper: [Double] = []
        var start: [Double] = []
        let model: ExponentialSmoothing

        init(_ model: ExponentialSmoothing) {
            self.model = model
            func add(_ name: Name, _ low: Double, _ high: Double, _ first: Double) {
                free.append(name)
                lower.append(low)
                upper.append(high)
                start.append(first)
            }
            // Starts inside the box where smoothing is moderate; γ is searched as γ* = γ / (1 - α).
            if model.fixed.alpha == nil { add(.alpha, 1e-4, 0.9999, 0.3) }
            if model.trend != .none, model.fixed.beta == nil { add(.beta, 1e-4, 0.9999, 0.1) }
            if model.seasonality != .none, model.fixed.gamma == nil { add(.gamma, 1e-4, 0.9999, 0.1) }
            if model.trend == .damped, model.fixed.phi == nil { add(.phi, 0.8, 0.98, 0.95) }
        }

        func parameters(_ point: [Double]) -> SmoothingParameters {
            var result = SmoothingParameters(
                alpha: model.fixed.alpha ?? 0, beta: model.trend == .none ? 0 : model.fixed.beta ?? 0,
                gamma: model.seasonality == .none ? 0 : model.fixed.gamma ?? 0,
                phi: model.trend == .damped ? model.fixed.phi ?? 0.98 : 1)
            var gammaStar: Double?
            for (name, value) in zip(free, point) {
                switch name {
                case .alpha: result.alpha = value
                case .beta: result.beta = value
                case .gamma: gammaStar = value
                case .phi: result.phi = value
                }
            }
            if let gammaStar { result.gamma = gammaStar * (1 - result.alpha) }
            return result
        }

        func sumOfSquares(_ y: [Double], shape: SmoothingShape, states: SmoothingStates, point: [Double]) -> Double {
            let sse = shape.filter(y, parameters: parameters(point), states: states, keepFitted: false).sumOfSquares
            return sse.isFinite ? sse : .infinity
        }
    }
}

/// The smoothing parameters of a fitted model, in Holt-Winters' component form (statsmodels'
/// `smoothing_level`, `smoothing_trend`, `smoothing_seasonal`, `damping_trend`).
public struct SmoothingParameters: Codable, Sendable, Equatable {
    /// Level smoothing α.
    public var alpha: Double
    /// Trend smoothing β (0 without trend).
    public var beta: Double
    /// Seasonal smoothing γ (0 without seasons).
    public var gamma: Double
    /// Damping φ (1 without damping).
    public var phi: Double

    public init(alpha: Double, beta: Double = 0, gamma: Double = 0, phi: Double = 1) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.phi = phi
    }
}
