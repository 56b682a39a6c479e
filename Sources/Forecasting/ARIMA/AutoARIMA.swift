import Settings

/// Automatic ARIMA order selection by AICc, as Hyndman and Khandakar (2008) describe it and
/// forecast's `auto.arima` (with `approximation = FALSE`) runs it.
///
/// 1. `D` (when `period > 1`): one seasonal difference if the seasonal strength exceeds 0.64
///    (``SeasonalStrength``); then `d`: differences while the KPSS test rejects level
///    stationarity at 5% (``KPSSTest/differencesNeeded(for:alpha:maximum:)``), on the
///    seasonally differenced series.
/// 2. A constant (intercept or drift) is considered when `d + D ≤ 1`.
/// 3. Stepwise search: fit ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0),
///    (0,d,1)(0,D,1) (seasonal parts only when `period > 1`) and, with a constant, (0,d,0)(0,D,0)
///    without it. Then, from the best model so far, try changing `P` or `Q` by ±1, both by ±1,
///    `p` or `q` by ±1, both by ±1, and toggling the constant; move to the first model that
///    lowers the AICc and start again, until no neighbour improves or ``maximumModels`` fits
///    were made. With ``stepwise`` off, every model with `p + q + P + Q ≤ maximumOrder` is fitted
///    instead.
///
/// With ``regressors`` every candidate is a regression with ARIMA errors on them, and the
/// differencing tests run on the residuals of a least-squares regression of the series on
/// them (as `auto.arima(xreg =)` does).
///
/// A candidate that cannot be fitted, or whose AR or MA polynomial has a root inside 1.01 in
/// modulus, counts with AICc `+∞`. Unlike forecast, the MA coefficients are optimised inside
/// that margin (``invertibilityMargin``), so a seasonal MA whose likelihood peaks at the unit
/// circle (a fixed weekly pattern, seasonally differenced) is fitted at the margin rather
/// than rejected and refitted as the next candidate. Every candidate is fitted by exact
/// maximum likelihood (forecast's `approximation = TRUE`, the default for series over 150
/// values or periods over 12, uses conditional sums of squares during the search instead).
///
/// ```swift
/// let result = try AutoARIMA(period: 12).fit(monthly)
/// result.model.order          // ARIMA(p,d,q)(P,D,Q)[12]
/// result.candidates.count     // models tried, each with its AICc
/// ```
public struct AutoARIMA: Sendable, Equatable {
    /// The season length (key `period`); 1 for a series without seasons.
    public var period: Int
    /// The largest non-seasonal AR order searched (key `max-p`).
    public var maximumP = 5
    /// The largest non-seasonal MA order searched (key `max-q`).
    public var maximumQ = 5
    /// The largest seasonal AR order searched (key `max-seasonal-p`).
    public var maximumSeasonalP = 2
    /// The largest seasonal MA order searched (key `max-seasonal-q`).
    public var maximumSeasonalQ = 2
    /// The largest `p + q + P + Q` of the full search (key `max-order`; not used stepwise).
    public var maximumOrder = 5
    /// The most regular differences the KPSS rule may choose (key `max-d`).
    public var maximumD = 2
    /// A fixed number of regular differences instead of the KPSS rule (key `d`); nil to test.
    public var d: Int?
    /// A fixed number of seasonal differences instead of the strength rule (key `seasonal-d`); nil to test.
    public var seasonalD: Int?
    /// Whether the intercept or drift may be included (key `allow-constant`).
    public var allowConstant = true
    /// The KPSS test's level (key `kpss-alpha`).
    public var kpssAlpha = 0.05
    /// The seasonal strength above which `D = 1` (key `seasonal-threshold`).
    public var seasonalThreshold = SeasonalStrength.defaultThreshold
    /// Stepwise search (true) or every model up to ``maximumOrder`` (key `stepwise`).
    public var stepwise = true
    /// The most models the stepwise search fits (key `max-models`).
    public var maximumModels = 94
    /// The optimiser of every fit: BFGS stopping at a relative decrease of 1.5e-8 per
    /// iteration, R's `optim` default that forecast's `auto.arima` uses (the search fits
    /// dozens of models; 1e-10 took 15% longer on the speed benchmark's series and chose the
    /// same orders on all 23 series of `forecast_bench.py --parts orders`).
    public var optimizer = BFGS(relativeTolerance: 1.5e-8)
    /// Whether the search ranks candidates by a conditional-sum-of-squares fit's AICc and fits
    /// only the best ones by exact maximum likelihood (forecast's `approximation`); nil
    /// decides as forecast does: approximate for more than 150 values or seasons over 12.
    public var approximation: Bool?
    /// The smallest modulus of the candidates' MA roots, optimised within (key
    /// `invertibility-margin`); 1 optimises over every invertible model and rejects those
    /// that end inside ``rootMargin``, as forecast's `auto.arima` does. The default, 1.01,
    /// was measured on `forecast_bench.py --parts orders,speed` (see benchmarks/README.md).
    public var invertibilityMargin = AutoARIMA.rootMargin
    /// Outside variables every candidate regresses on (key `regressors`), one value per period
    /// from the series' first; nil for none. See ``ARIMA/regressors``.
    public var regressors: ExogenousRegressors?

    /// - Parameters:
    ///   - period: The season length; 1 for a series without seasons.
    ///   - regressors: Outside variables to regress on, covering the series (and the horizon,
    ///     to forecast).
    public init(period: Int = 1, regressors: ExogenousRegressors? = nil) {
        self.period = period
        self.regressors = regressors
    }

    /// The root check of every candidate: AR and MA roots at least this far out (forecast's 1.01).
    public static let rootMargin = 1.01

    /// One model the search fitted.
    public struct Candidate: Sendable, Equatable {
        /// The orders tried.
        public var order: ARIMAOrder
        /// Whether it had an intercept or drift.
        public var includeConstant: Bool
        /// The AICc (of the conditional-sum-of-squares fit when the search approximates); `+∞`
        /// when the fit failed or a root was too close to the unit circle.
        public var aicc: Double
    }

    /// The chosen model and every candidate in the order they were fitted.
    public struct Result: Sendable {
        /// The candidate with the lowest AICc, fitted.
        public var model: ARIMAModel
        /// Every model tried, in order, with its AICc.
        public var candidates: [Candidate]
    }

    /// Checks every setting.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("period", period, in: 1...ARIMAOrder.maximumPeriod)
        try InvalidParameter.require("max-p", maximumP, in: 0...ARIMAOrder.maximumOrder)
        try InvalidParameter.require("max-q", maximumQ, in: 0...ARIMAOrder.maximumOrder)
        try InvalidParameter.require("max-seasonal-p", maximumSeasonalP, in: 0...ARIMAOrder.maximumOrder)
        try InvalidParameter.require("max-seasonal-q", maximumSeasonalQ, in: 0...ARIMAOrder.maximumOrder)
        try InvalidParameter.require("max-order", maximumOrder, in: 0...(4 * ARIMAOrder.maximumOrder))
        try InvalidParameter.require("max-d", maximumD, in: 0...2)
        if let d { try InvalidParameter.require("d", d, in: 0...2) }
        if let seasonalD {
            try InvalidParameter.require("seasonal-d", seasonalD, in: 0...(period > 1 ? 1 : 0))
        }
        try InvalidParameter.require("kpss-alpha", kpssAlpha, in: 0.01...0.1)
        try InvalidParameter.require("seasonal-threshold", seasonalThreshold, in: 0...1)
        try InvalidParameter.require("max-models", maximumModels, in: 1...10_000)
        try InvalidParameter.require("invertibility-margin", invertibilityMargin, in: 1...Self.rootMargin)
        try optimizer.validate()
    }

    /// Chooses the differences and orders for `series` (`.nan` for missing values) and fits
    /// the best model.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, or (key `series`) when no candidate
    ///   could be fitted, or (key `regressors`) regressors that do not cover the series or one
    ///   that is a combination of the others.
    public func fit(_ series: [Double]) throws(InvalidParameter) -> Result {
        try validate()
        let observed = series.filter { !$0.isNaN }
        if regressors == nil, let first = observed.first, observed.allSatisfy({ $0 == first }) {
            throw InvalidParameter(
                "series", value: "constant (every observed value is \(first))",
                allowed: "a series that varies; forecast a constant one with naive")
        }
        let seasonal = period > 1
        let tested = try regressionResiduals(series)
        var chosenSeasonalD = seasonalD ?? 0
        if seasonalD == nil && seasonal {
            chosenSeasonalD = try SeasonalStrength.differencesNeeded(
                for: tested, period: period, threshold: seasonalThreshold)
        }
        var chosenD = d ?? 0
        if d == nil {
            let seasonallyDifferenced = Differencing(
                uncheckedOrder: 0, seasonalOrder: chosenSeasonalD, period: period
            ).apply(tested)
            chosenD = try KPSSTest.differencesNeeded(for: seasonallyDifferenced, alpha: kpssAlpha, maximum: maximumD)
        }
        if regressors != nil {
            // Refuses, naming it, a regressor the differenced data cannot tell from the others.
            let plain = ARIMAOrder(
                p: 0, d: chosenD, q: 0, seasonalD: seasonal ? chosenSeasonalD : 0, period: period)
            _ = try ARIMA(
                order: plain, includeConstant: allowConstant && chosenD + chosenSeasonalD <= 1, regressors: regressors
            ).objective(for: series)
        }
        var search = Search(
            settings: self, series: series, d: chosenD, seasonalD: chosenSeasonalD,
            constantAllowed: allowConstant && chosenD + chosenSeasonalD <= 1,
            approximate: approximation ?? (series.count > 150 || period > 12))
        if stepwise {
            search.runStepwise()
        } else {
            search.runFull()
        }
        if search.approximate { search.refitBest() }
        guard let best = search.best else {
            throw InvalidParameter(
                "series", value: "\(series.count) values",
                allowed: "a series some ARIMA model with d = \(chosenD), seasonal-d = \(chosenSeasonalD) fits")
        }
        return Result(model: best, candidates: search.candidates)
    }

    /// The model the search fits for `order`.
    func candidate(_ order: ARIMAOrder, constant: Bool) -> ARIMA {
        var arima = ARIMA(order: order, includeConstant: constant, optimizer: optimizer, regressors: regressors)
        arima.invertibilityMargin = invertibilityMargin
        return arima
    }

    /// Whether a fitted candidate counts: finite AICc and every root outside ``rootMargin``
    /// (the MA roots allowed to sit on it, up to rounding, when they were fitted within it).
    func accepts(_ model: ARIMAModel) -> Bool {
        model.aicc.isFinite
            && model.rootsOutsideUnitCircle(
                margin: Self.rootMargin, maMargin: invertibilityMargin > 1 ? Self.rootMargin * (1 - 1e-6) : nil)
    }

    /// The series the differencing tests read: itself, or with regressors the residuals of its
    /// least-squares regression on them and an intercept (missing where any is).
    private func regressionResiduals(_ series: [Double]) throws(InvalidParameter) -> [Double] {
        guard let regressors else { return series }
        let columns = [[Double](repeating: 1, count: series.count)] + (try regressors.columns(over: series.count))
        guard case .success(let solution) = LeastSquares.fit(series, on: columns) else {
            // Collinear in levels: the test reads the series itself; the fit's own check, on
            // the differenced data, decides whether the regressors can be used.
            return series
        }
        return series.indices.map { t in
            var value = series[t]
            for (j, column) in columns.enumerated() { value -= solution.coefficients[j] * column[t] }
            return value
        }
    }

    /// The state of one search: candidates fitted so far and the best model.
    private struct Search {
        let settings: AutoARIMA
        let series: [Double]
        let d: Int
        let seasonalD: Int
        let constantAllowed: Bool
        /// Rank by CSS fits, then fit the best by exact ML (``refitBest()``).
        let approximate: Bool
        var candidates: [Candidate] = []
        var tried: Set<Key> = []
        var best: ARIMAModel?
        var bestAICc = Double.infinity

        struct Key: Hashable {
            var p, q, seasonalP, seasonalQ: Int
            var constant: Bool
        }

        /// Fits `key` unless it was tried or is out of bounds; returns whether it became the best.
        mutating func consider(_ key: Key) -> Bool {
            let seasonal = settings.period > 1
            guard key.p >= 0, key.q >= 0, key.seasonalP >= 0, key.seasonalQ >= 0, key.p <= settings.maximumP,
                key.q <= settings.maximumQ, key.seasonalP <= (seasonal ? settings.maximumSeasonalP : 0),
                key.seasonalQ <= (seasonal ? settings.maximumSeasonalQ : 0), !key.constant || constantAllowed,
                !tried.contains(key), !settings.stepwise || candidates.count < settings.maximumModels
            else { return false }
            tried.insert(key)
            let order = ARIMAOrder(
                p: key.p, d: d, q: key.q, seasonalP: key.seasonalP, seasonalD: seasonal ? seasonalD : 0,
                seasonalQ: key.seasonalQ, period: settings.period)
            let arima = settings.candidate(order, constant: key.constant)
            var aicc = Double.infinity
            var model: ARIMAModel?
            if approximate {
                aicc = arima.approximateAICc(series)
            } else if let fitted = try? arima.fit(series), settings.accepts(fitted) {
                aicc = fitted.aicc
                model = fitted
            }
            candidates.append(Candidate(order: order, includeConstant: key.constant, aicc: aicc))
            guard aicc.isFinite, aicc < bestAICc else { return false }
            bestAICc = aicc
            if let model { best = model }
            return true
        }

        /// After an approximate search: the candidates by approximate AICc, the first whose exact
        /// fit succeeds with every root outside 1.01 (as forecast refits without approximation).
        mutating func refitBest() {
            for candidate in candidates.filter({ $0.aicc.isFinite }).sorted(by: { $0.aicc < $1.aicc }) {
                let arima = settings.candidate(candidate.order, constant: candidate.includeConstant)
                if let fitted = try? arima.fit(series), settings.accepts(fitted) {
                    best = fitted
                    return
                }
            }
        }

        mutating func runStepwise() {
            let seasonal = settings.period > 1
            let constant = constantAllowed
            var current = Key(
                p: min(2, settings.maximumP), q: min(2, settings.maximumQ),
                seasonalP: seasonal ? min(1, settings.maximumSeasonalP) : 0,
                seasonalQ: seasonal ? min(1, settings.maximumSeasonalQ) : 0, constant: constant)
            _ = consider(current)
            let starts = [
                Key(p: 0, q: 0, seasonalP: 0, seasonalQ: 0, constant: constant),
                Key(p: 1, q: 0, seasonalP: seasonal ? 1 : 0, seasonalQ: 0, constant: constant),
                Key(p: 0, q: 1, seasonalP: 0, seasonalQ: seasonal ? 1 : 0, constant: constant),
                Key(p: 0, q: 0, seasonalP: 0, seasonalQ: 0, constant: false),
            ]
            for start in starts where consider(start) { current = start }
            // (Δp, Δq, ΔP, ΔQ) in auto.arima's order; the constant toggle comes last.
            let moves: [(Int, Int, Int, Int)] = [
                (0, 0, -1, 0), (0, 0, 0, -1), (0, 0, 1, 0), (0, 0, 0, 1), (0, 0, -1, -1), (0, 0, -1, 1),
                (0, 0, 1, -1), (0, 0, 1, 1), (-1, 0, 0, 0), (0, -1, 0, 0), (1, 0, 0, 0), (0, 1, 0, 0),
                (-1, -1, 0, 0), (-1, 1, 0, 0), (1, -1, 0, 0), (1, 1, 0, 0),
            ]
            var improved = true
            while improved && candidates.count < settings.maximumModels {
                improved = false
                var neighbours = moves.map { move in
                    Key(
                        p: current.p + move.0, q: current.q + move.1, seasonalP: current.seasonalP + move.2,
                        seasonalQ: current.seasonalQ + move.3, constant: current.constant)
                }
                neighbours.append(
                    Key(
                        p: current.p, q: current.q, seasonalP: current.seasonalP, seasonalQ: current.seasonalQ,
                        constant: !current.constant))
                for neighbour in neighbours where consider(neighbour) {
                    current = neighbour
                    improved = true
                    break
                }
            }
        }

        mutating func runFull() {
            let seasonal = settings.period > 1
            for p in 0...settings.maximumP {
                for q in 0...settings.maximumQ {
                    for seasonalP in 0...(seasonal ? settings.maximumSeasonalP : 0) {
                        for seasonalQ in 0...(seasonal ? settings.maximumSeasonalQ : 0)
                        where p + q + seasonalP + seasonalQ <= settings.maximumOrder {
                            for constant in constantAllowed ? [true, false] : [false] {
                                _ = consider(
                                    Key(p: p, q: q, seasonalP: seasonalP, seasonalQ: seasonalQ, constant: constant))
                            }
                        }
                    }
                }
            }
        }
    }
}

extension AutoARIMA: Forecaster {
    /// `auto-arima`.
    public var name: String { "auto-arima" }

    /// Searches with `seasonPeriod` as the season (in place of ``period``) and returns the
    /// chosen model.
    public func fit(_ series: [Double], seasonPeriod: Int) throws -> any FittedForecast {
        var search = self
        search.period = seasonPeriod
        return try search.fit(series).model
    }
}
