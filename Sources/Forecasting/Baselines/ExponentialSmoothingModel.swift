import Foundation
import Randomness
import Settings

/// The components of an exponential smoothing model and its recursions.
struct SmoothingShape: Codable, Sendable, Equatable {
    let trend: ExponentialSmoothing.Trend
    let seasonality: ExponentialSmoothing.Seasonality
    /// Periods per season (1 without seasons).
    let seasonPeriod: Int

    /// The states after the last period: level, trend and the seasonal states of the next `m`
    /// periods, the next period's first.
    struct Final: Codable, Sendable, Equatable {
        var level: Double
        var trend: Double
        var seasonal: [Double]
    }

    /// One pass over a series.
    struct Run: Sendable {
        var sumOfSquares: Double
        var observed: Int
        /// One-step forecasts (empty unless kept).
        var fitted: [Double]
        var final: Final
    }

    /// Runs the recursions over `y` (see ``ExponentialSmoothing``); a missing value advances the
    /// states with `e = 0`.
    func filter(
        _ y: [Double], parameters p: SmoothingParameters, states: SmoothingStates, keepFitted: Bool = true
    ) -> Run {
        let m = seasonPeriod
        var level = states.level
        var slope = states.trend
        var seasonal = seasonality == .none ? [Double](repeating: 0, count: m) : states.seasonal
        var fitted: [Double] = []
        if keepFitted { fitted.reserveCapacity(y.count) }
        var sse = 0.0
        var observed = 0
        for t in y.indices {
            let position = t % m
            let forecast = self.forecast(level: level, slope: slope, season: seasonal[position], parameters: p)
            let error: Double? = y[t].isNaN ? nil : y[t] - forecast
            update(&level, &slope, &seasonal[position], parameters: p, error: error)
            if keepFitted { fitted.append(forecast) }
            if let error {
                sse += error * error
                observed += 1
            }
        }
        let ahead = (0..<m).map { seasonal[(y.count + $0) % m] }
        return Run(
            sumOfSquares: sse, observed: observed, fitted: fitted,
            final: Final(level: level, trend: slope, seasonal: seasonality == .none ? [] : ahead))
    }

    /// The one-step forecast from the states before a period.
    func forecast(level: Double, slope: Double, season: Double, parameters p: SmoothingParameters) -> Double {
        let base = level + p.phi * slope
        switch seasonality {
        case .none: return base
        case .additive: return base + season
        case .multiplicative: return base * season
        }
    }

    /// Moves the states over one period by its one-step `error` (`nil` when the value is
    /// missing: the states advance with the forecast).
    func update(
        _ level: inout Double, _ slope: inout Double, _ season: inout Double, parameters p: SmoothingParameters,
        error: Double?
    ) {
        let damped = p.phi * slope
        let base = level + damped
        guard let error else {
            level = base
            slope = damped
            return
        }
        // The level and trend see the error deseasonalised; the season sees it detrended.
        let scaled = seasonality == .multiplicative ? error / season : error
        level = base + p.alpha * scaled
        slope = trend == .none ? 0 : damped + p.alpha * p.beta * scaled
        switch seasonality {
        case .none: break
        case .additive: season += p.gamma * error
        case .multiplicative: season += p.gamma * error / base
        }
    }

    /// Point forecasts `h = 1...horizon` from the final states.
    func means(from final: Final, parameters p: SmoothingParameters, horizon: Int) -> [Double] {
        var damping = 0.0
        var power = 1.0
        return (1...horizon).map { h in
            power *= p.phi
            damping += trend == .none ? 0 : power
            let base = final.level + damping * final.trend
            switch seasonality {
            case .none: return base
            case .additive: return base + final.seasonal[(h - 1) % seasonPeriod]
            case .multiplicative: return base * final.seasonal[(h - 1) % seasonPeriod]
            }
        }
    }

    /// `σ²_h / σ²` of the class-1 models: `1 + Σ_(j<h) c_j²` with
    /// `c_j = α + αβ(φ + … + φ^j) + γ [j mod m = 0]`.
    func relativeVariances(parameters p: SmoothingParameters, horizon: Int) -> [Double] {
        var total = 1.0
        var damping = 0.0
        var power = 1.0
        var result = [1.0]
        for j in 1..<max(horizon, 1) {
            power *= p.phi
            damping += power
            var c = p.alpha
            if trend != .none { c += p.alpha * p.beta * damping }
            if seasonality != .none, j % seasonPeriod == 0 { c += p.gamma }
            total += c * c
            result.append(total)
        }
        return Array(result.prefix(horizon))
    }
}

/// A fitted exponential smoothing model: parameters, states, in-sample fit and information
/// criteria; forecasts with prediction intervals.
///
/// ```swift
/// let model = try ExponentialSmoothing(trend: .damped).fitModel(values, seasonPeriod: 1)
/// model.parameters.phi; model.aicc
/// let forecast = try model.forecast(horizon: 7, level: 0.95)
/// ```
public struct ExponentialSmoothingModel: FittedForecast, Codable, Equatable {
    /// The ETS name (`ets(A,A,M)`).
    public let name: String
    let shape: SmoothingShape
    let final: SmoothingShape.Final
    /// The smoothing parameters (fitted or fixed).
    public let parameters: SmoothingParameters
    /// The states the recursions started from.
    public let initialStates: SmoothingStates
    /// One-step forecasts of every period of the series (also where the value is missing).
    public let fitted: [Double]
    /// The sum of squared one-step errors over observed values.
    public let sumOfSquares: Double
    /// Observed values (`n`).
    public let observedCount: Int
    /// Parameters counted by the information criteria: free smoothing parameters, initial
    /// states taken from the data (`m - 1` seasonal ones, as they are normalised) and σ².
    public let parameterCount: Int
    /// Sample paths for multiplicative-season intervals.
    public let simulationPaths: Int
    /// Seeds the sample paths.
    public let seed: UInt64

    init(
        name: String, shape: SmoothingShape, parameters: SmoothingParameters, initialStates: SmoothingStates,
        run: SmoothingShape.Run, parameterCount: Int, simulationPaths: Int, seed: UInt64
    ) {
        self.name = name
        self.shape = shape
        self.final = run.final
        self.parameters = parameters
        self.initialStates = initialStates
        self.fitted = run.fitted
        self.sumOfSquares = run.sumOfSquares
        self.observedCount = run.observed
        self.parameterCount = parameterCount + 1
        self.simulationPaths = simulationPaths
        self.seed = seed
    }

    /// The error variance `σ² = SSE / n` (the maximum-likelihood estimate, as statsmodels' `ETSModel`).
    public var variance: Double { sumOfSquares / Double(observedCount) }

    /// The Gaussian log-likelihood with σ² at its maximum: `-n/2 (log(2π SSE/n) + 1)`.
    public var logLikelihood: Double {
        let n = Double(observedCount)
        return -0.5 * n * (log(2 * Double.pi * variance) + 1)
    }

    /// Akaike's information criterion `-2 log L + 2k`.
    public var aic: Double { -2 * logLikelihood + 2 * Double(parameterCount) }

    /// AIC corrected for small samples, `AIC + 2k(k+1)/(n-k-1)` (infinite when `n ≤ k + 1`).
    public var aicc: Double {
        let n = Double(observedCount)
        let k = Double(parameterCount)
        return n - k - 1 > 0 ? aic + 2 * k * (k + 1) / (n - k - 1) : .infinity
    }

    /// The Bayesian information criterion `-2 log L + k log n`.
    public var bic: Double { -2 * logLikelihood + Double(parameterCount) * log(Double(observedCount)) }

    /// Point forecasts and intervals: exact class-1 variances without a multiplicative season,
    /// quantiles of seeded sample paths with one.
    public func forecast(horizon: Int, level: Double) throws -> Forecast {
        try Forecast.validate(horizon: horizon, level: level)
        let means = shape.means(from: final, parameters: parameters, horizon: horizon)
        if shape.seasonality != .multiplicative {
            let deviations = shape.relativeVariances(parameters: parameters, horizon: horizon).map {
                (variance * $0).squareRoot()
            }
            return Forecast(mean: means, standardDeviations: deviations, level: level)
        }
        let paths = samplePaths(horizon: horizon)
        var lower: [Double] = []
        var upper: [Double] = []
        for h in 0..<horizon {
            let sorted = paths.map { $0[h] }.sorted()
            lower.append(quantile(sorted, (1 - level) / 2))
            upper.append(quantile(sorted, (1 + level) / 2))
        }
        return Forecast(mean: means, lower: lower, upper: upper, level: level)
    }

    /// ``simulationPaths`` futures of `horizon` periods, errors drawn from `N(0, σ²)` with ``seed``.
    public func samplePaths(horizon: Int) -> [[Double]] {
        var generator = RandomGenerator(seed: seed)
        let sigma = variance.squareRoot()
        let m = shape.seasonPeriod
        return (0..<simulationPaths).map { _ in
            var level = final.level
            var slope = final.trend
            var seasonal = shape.seasonality == .none ? [Double](repeating: 0, count: m) : final.seasonal
            return (0..<horizon).map { h in
                // The drawn error is the observation less the forecast; the states follow it.
                let noise = sigma * Double(generator.nextNormal())
                let forecast = shape.forecast(
                    level: level, slope: slope, season: seasonal[h % m], parameters: parameters)
                shape.update(&level, &slope, &seasonal[h % m], parameters: parameters, error: noise)
                return forecast + noise
            }
        }
    }

    /// The `p`-quantile of sorted values, interpolating linearly (R's type 7, NumPy's default).
    private func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }
}
