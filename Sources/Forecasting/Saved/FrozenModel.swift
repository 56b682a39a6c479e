import Foundation
import Settings

/// A fitted model with its parameters frozen, as saved to a file: applied to a series it runs
/// only the model's recursions (ARIMA's Kalman filter, the smoothing equations), so a model
/// fitted once forecasts a longer or newer stretch of its series without being fitted again.
///
/// ```swift
/// let fitted = try AutoARIMA(period: 7).fit(history).model
/// let frozen = try #require(FrozenModel(freezing: fitted))
/// let data = try JSONEncoder().encode(frozen)
/// // Next week, with seven more days:
/// let forecast = try JSONDecoder().decode(FrozenModel.self, from: data)
///     .apply(to: history + newDays, seasonPeriod: 7).forecast(horizon: 28, level: 0.8)
/// ```
public enum FrozenModel: Codable, Sendable, Equatable {
    /// ARIMA's coefficients; the innovation variance σ² is concentrated out again from the
    /// series the model is applied to, as in the fit.
    case arima(specification: ARIMASpecification)
    /// Exponential smoothing with every smoothing parameter fixed; the initial states come
    /// from the series by the same heuristic as in the fit.
    case exponentialSmoothing(
        trend: ExponentialSmoothing.Trend, seasonality: ExponentialSmoothing.Seasonality,
        parameters: SmoothingParameters)
    /// The last value.
    case naive
    /// The value one season earlier.
    case seasonalNaive
    /// The last value plus the average change.
    case drift

    /// ARIMA's order and coefficients.
    public struct ARIMASpecification: Codable, Sendable, Equatable {
        public var order: ARIMAOrder
        public var includeConstant: Bool
        public var ar: [Double]
        public var ma: [Double]
        public var seasonalAR: [Double]
        public var seasonalMA: [Double]
        /// The mean of the differenced series (0 without a constant).
        public var mean: Double
        /// The names of the regressors of a regression with ARIMA errors; nil without them.
        public var regressors: [String]?
        /// Their coefficients `β`, in the same order; nil without regressors.
        public var regression: [Double]?

        enum CodingKeys: String, CodingKey {
            case order
            case includeConstant = "include-constant"
            case ar, ma
            case seasonalAR = "seasonal-ar"
            case seasonalMA = "seasonal-ma"
            case mean, regressors, regression
        }
    }

    /// Freezes a fitted ARIMA or exponential smoothing model; nil for other models (the
    /// benchmarks have no parameters: freeze them by name, as ``naive``, ``seasonalNaive``, ``drift``).
    public init?(freezing model: any FittedForecast) {
        if let model = model as? ARIMAModel {
            self = .arima(
                specification: ARIMASpecification(
                    order: model.order, includeConstant: model.includeConstant, ar: model.ar, ma: model.ma,
                    seasonalAR: model.seasonalAR, seasonalMA: model.seasonalMA, mean: model.differencedMean,
                    regressors: model.regressors?.names, regression: model.regressors == nil ? nil : model.regression))
        } else if let model = model as? ExponentialSmoothingModel {
            self = .exponentialSmoothing(
                trend: model.shape.trend, seasonality: model.shape.seasonality, parameters: model.parameters)
        } else {
            return nil
        }
    }

    /// A short name for reports.
    public var name: String {
        switch self {
        case .arima(let specification): return specification.order.description
        case .exponentialSmoothing(let trend, let seasonality, _):
            return ExponentialSmoothing(trend: trend, seasonality: seasonality).name
        case .naive: return "naive"
        case .seasonalNaive: return "seasonal-naive"
        case .drift: return "drift"
        }
    }

    /// Throws unless the parameters are usable (they may come from an edited file).
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad parameter.
    public func validate() throws(InvalidParameter) {
        switch self {
        case .arima(let s):
            try s.order.validate()
            for (key, values, count) in [
                ("ar", s.ar, s.order.p), ("ma", s.ma, s.order.q), ("seasonal-ar", s.seasonalAR, s.order.seasonalP),
                ("seasonal-ma", s.seasonalMA, s.order.seasonalQ),
            ] {
                try InvalidParameter.require(
                    values.count == count && values.allSatisfy(\.isFinite), key, values.count,
                    allowed: "\(count) finite coefficients for \(s.order)")
            }
            try InvalidParameter.require(
                s.mean.isFinite && (s.includeConstant || s.mean == 0), "mean", s.mean,
                allowed: "a finite number, 0 without a constant")
            let names = s.regressors ?? []
            let regression = s.regression ?? []
            try InvalidParameter.require(
                regression.count == names.count && regression.allSatisfy(\.isFinite), "regression", regression.count,
                allowed: "one finite coefficient per regressor (\(names.count))")
        case .exponentialSmoothing(_, _, let p):
            for (key, value) in [("alpha", p.alpha), ("beta", p.beta), ("gamma", p.gamma)] {
                try InvalidParameter.require(value >= 0 && value <= 1, key, value, allowed: "in [0, 1]")
            }
            try InvalidParameter.require(p.phi > 0 && p.phi <= 1, "phi", p.phi, allowed: "in (0, 1]")
        case .naive, .seasonalNaive, .drift:
            return
        }
    }

    /// The names of the regressors the model needs (an ARIMA fitted with them); empty otherwise.
    public var regressorNames: [String] {
        guard case .arima(let specification) = self else { return [] }
        return specification.regressors ?? []
    }

    /// The model with these parameters on `series`, ready to forecast what follows it.
    ///
    /// - Parameter regressors: For an ARIMA fitted with regressors, the same regressors (by name)
    ///   on `series`' calendar, over the series and the horizon to forecast.
    /// - Throws: ``InvalidParameter`` for bad parameters, a series the model cannot filter, or
    ///   (key `regressors`) regressors missing or named differently from the fit's;
    ///   ``ForecastingError`` when the series is too short.
    public func apply(
        to series: [Double], seasonPeriod: Int, regressors: ExogenousRegressors? = nil
    ) throws -> any FittedForecast {
        try validate()
        if regressors?.names ?? [] != regressorNames {
            throw InvalidParameter(
                "regressors", value: regressors?.names.joined(separator: ",") ?? "none",
                allowed: regressorNames.isEmpty
                    ? "none: \(name) was fitted without regressors"
                    : "the ones \(name) was fitted with: \(regressorNames.joined(separator: ","))")
        }
        switch self {
        case .arima(let s):
            return try ARIMAModel(applying: s, to: series, regressors: regressors)
        case .exponentialSmoothing(let trend, let seasonality, let p):
            let fixed = ExponentialSmoothing.FixedParameters(
                alpha: p.alpha, beta: trend == .none ? nil : p.beta, gamma: seasonality == .none ? nil : p.gamma,
                phi: trend == .damped ? p.phi : nil)
            return try ExponentialSmoothing(trend: trend, seasonality: seasonality, fixed: fixed)
                .fit(series, seasonPeriod: seasonPeriod)
        case .naive:
            return try Naive().fit(series, seasonPeriod: seasonPeriod)
        case .seasonalNaive:
            return try SeasonalNaive().fit(series, seasonPeriod: seasonPeriod)
        case .drift:
            return try Drift().fit(series, seasonPeriod: seasonPeriod)
        }
    }
}

extension ARIMAModel {
    /// The model with `specification`'s coefficients on `series`: one pass of the Kalman
    /// filter gives σ² and the likelihood; nothing is optimised.
    ///
    /// - Throws: ``InvalidParameter`` (key `series`) when the series leaves nothing to filter,
    ///   (key `regressors`) when the regressors are shorter than the series.
    init(
        applying specification: FrozenModel.ARIMASpecification, to series: [Double],
        regressors: ExogenousRegressors?
    ) throws(InvalidParameter) {
        let order = specification.order
        let differencing = order.differencing
        let levels = try regressors?.columns(over: series.count) ?? []
        var objective = ARMAObjective(
            order: order, differenced: differencing.apply(series), includeMean: specification.includeConstant,
            fixedRegressors: levels.map(differencing.apply))
        objective.bridgeGaps(levels: series, regressors: levels)
        let coefficients = ARMACoefficients(
            ar: specification.ar, ma: specification.ma, seasonalAR: specification.seasonalAR,
            seasonalMA: specification.seasonalMA, mean: specification.mean,
            regression: specification.regression ?? [], period: order.period)
        guard let sums = objective.filterSums(coefficients), sums.count > 0 else {
            throw InvalidParameter(
                "series", value: "\(series.count) values",
                allowed: "observed values after differencing for \(order) to filter")
        }
        self.init(
            order: order, includeConstant: specification.includeConstant, series: series, regressors: regressors,
            coefficients: coefficients, sums: sums, iterations: 0, converged: true)
    }
}
