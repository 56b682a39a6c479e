/// Picks the exponential smoothing model with the lowest AICc among the additive-error
/// ETS models that fit: trend none, additive or damped; seasons none, additive or (on
/// positive data) multiplicative.
///
/// Every candidate is fitted as ``ExponentialSmoothing`` fits; their likelihoods are on the
/// same data and error scale, so their AICc compare. Seasonal candidates are tried only when
/// `seasonPeriod` is at least 2; candidates the series is too short or unsuitable for are
/// skipped.
///
/// ```swift
/// let model = try AutoETS().fitModel(series.values, seasonPeriod: 7)
/// model.name    // "ets(A,Ad,A)"
/// ```
public struct AutoETS: Forecaster, Equatable {
    /// Sample paths for the intervals of a multiplicative-season winner.
    public var simulationPaths: Int
    /// Seeds those sample paths.
    public var seed: UInt64

    public init(simulationPaths: Int = 5000, seed: UInt64 = 1) {
        self.simulationPaths = simulationPaths
        self.seed = seed
    }

    public var name: String { "auto-ets" }

    /// The candidates tried for seasons of `seasonPeriod` periods.
    public func candidates(seasonPeriod: Int) -> [ExponentialSmoothing] {
        let seasons: [ExponentialSmoothing.Seasonality] =
            seasonPeriod >= 2 ? [.none, .additive, .multiplicative] : [.none]
        return seasons.flatMap { seasonality in
            ExponentialSmoothing.Trend.allCases.map {
                ExponentialSmoothing(trend: $0, seasonality: seasonality, simulationPaths: simulationPaths, seed: seed)
            }
        }
    }

    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        try fitModel(series, seasonPeriod: seasonPeriod)
    }

    /// Fits every candidate and returns the one with the lowest AICc.
    ///
    /// - Throws: the error of the simplest candidate (SES) when no candidate fits.
    public func fitModel(_ series: [Double], seasonPeriod: Int) throws -> ExponentialSmoothingModel {
        var best: ExponentialSmoothingModel?
        var firstError: (any Error)?
        for candidate in candidates(seasonPeriod: seasonPeriod) {
            do {
                let model = try candidate.fitModel(series, seasonPeriod: seasonPeriod)
                if model.aicc < best?.aicc ?? .infinity || best == nil { best = model }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let best { return best }
        throw firstError ?? ForecastingError.seriesTooShort(model: name, needed: "2 observed values", got: series.count)
    }
}
