import Foundation

/// The coefficients of one parameter vector, in the form the filter and the report use.
struct ARMACoefficients: Sendable, Equatable {
    var ar: [Double]
    var ma: [Double]
    var seasonalAR: [Double]
    var seasonalMA: [Double]
    /// The mean of the differenced series (0 without a constant).
    var mean: Double
    /// The regression coefficients `β` of the exogenous regressors (empty without them).
    var regression: [Double]
    /// `φ(B) Φ(B^s)` as `1 - Σ a_k B^k` and `θ(B) Θ(B^s)` as `1 + Σ b_k B^k`.
    var expandedAR: [Double]
    var expandedMA: [Double]

    init(
        ar: [Double], ma: [Double], seasonalAR: [Double], seasonalMA: [Double], mean: Double,
        regression: [Double] = [], period: Int
    ) {
        self.ar = ar
        self.ma = ma
        self.seasonalAR = seasonalAR
        self.seasonalMA = seasonalMA
        self.mean = mean
        self.regression = regression
        expandedAR = Forecasting.expandedAR(ar, seasonal: seasonalAR, period: period)
        expandedMA = Forecasting.expandedMA(ma, seasonal: seasonalMA, period: period)
    }
}

/// The two objectives a fit minimises over unconstrained parameters
/// `[ar raw (p), ma raw (q), seasonal ar raw (P), seasonal ma raw (Q), mean raw (0 or 1),
/// regression raw (one per regressor)]`: the conditional sum of squares (for start values) and
/// the exact concentrated likelihood.
///
/// AR and MA blocks pass through the Jones transform, so every parameter vector gives a
/// stationary and invertible model; with ``maRootBound`` above 1 the MA roots are pushed out
/// to at least that modulus. Without regressors the mean is `center + scale * raw`,
/// with the differenced series' mean and standard deviation. With regressors the mean and `β`
/// together are their least-squares estimates plus `s √n L⁻ᵀ raw`, with `s` the differenced
/// series' standard deviation and `L` the Cholesky factor of the regressors' Gram matrix: in
/// those coordinates the sum of squares changes alike in every direction, so a regressor
/// nearly collinear with the mean (a price around a level) does not leave the optimiser a
/// long flat valley (R's `arima` rotates its regressors by an SVD for the same reason). With
/// regressors the ARMA part runs on `w_t - Σ β_j z_jt`, the differenced series less the regression on the
/// differenced regressors (regression with ARIMA errors, as R's `arima(xreg =)`).
struct ARMAObjective {
    let order: ARIMAOrder
    /// The differenced series (`.nan` where missing, or where a regressor is).
    let series: [Double]
    let includeMean: Bool
    /// The MA polynomials' roots stay at least this far out (1: invertible).
    var maRootBound = 1.0
    /// The differenced regressors, `regressors[j][t]`.
    let regressors: [[Double]]
    /// The regressors whose coefficients are parameters (the others are zero over the series).
    let estimated: [Int]
    let center: Double
    let scale: Double
    /// With regressors: the least-squares mean (when included) and `β`, and the square matrix
    /// (row-major) that maps their raw parameters to offsets from them.
    let regressionCenters: [Double]
    let regressionTransform: [Double]
    private var filter: ARMAKalmanFilter
    private var residuals: [Double]
    /// `series - Σ β z` for the coefficients last filtered (unused without regressors).
    private var adjusted: [Double]
    /// Set by ``bridgeGaps(levels:regressors:)``: the undifferenced series (periods where a
    /// regressor is unknown missing) and regressors (unknown values as 0), which the filter
    /// reads across gaps.
    private var levels: (series: [Double], regressors: [[Double]])?
    private var undifferenced: UndifferencedSeries?

    /// The objective without regressors.
    init(order: ARIMAOrder, differenced series: [Double], includeMean: Bool) {
        let moments = Self.moments(series)
        self.init(
            order: order, series: series, includeMean: includeMean, regressors: [], estimated: [],
            center: moments.mean, scale: moments.standardDeviation, regressionCenters: [], regressionTransform: [])
    }

    /// The objective with regressors (a period where one is missing counts as missing). A
    /// regressor that is zero wherever the series is observed (a holiday outside the span) has
    /// no information: its coefficient stays 0 and is not a parameter (see ``estimated``).
    ///
    /// - Parameter regressors: The differenced regressors, each as long as `series`.
    /// - Throws: ``LeastSquares/RankDeficiency`` naming the first regressor that is a
    ///   combination of the mean and the regressors before it.
    init(
        order: ARIMAOrder, differenced series: [Double], includeMean: Bool, regressors: [[Double]]
    ) throws(LeastSquares.RankDeficiency) {
        var series = series
        for t in series.indices where regressors.contains(where: { $0[t].isNaN }) { series[t] = .nan }
        let moments = Self.moments(series)
        let estimated = regressors.indices.filter { j in
            series.indices.contains { series[$0].isFinite && regressors[j][$0] != 0 }
        }
        let ones = includeMean ? [[Double](repeating: 1, count: series.count)] : []
        let solution: LeastSquares.Solution
        switch LeastSquares.fit(series, on: ones + estimated.map { regressors[$0] }) {
        case .success(let fitted): solution = fitted
        case .failure(let deficiency):
            throw LeastSquares.RankDeficiency(column: estimated[deficiency.column - ones.count])
        }
        // U = L⁻ᵀ (upper triangular) from Lᵀ U = I, by back substitution per column.
        let k = solution.coefficients.count
        let factor = solution.factor
        let multiplier = moments.standardDeviation * Double(solution.rows).squareRoot()
        var transform = [Double](repeating: 0, count: k * k)
        for column in 0..<k {
            for i in stride(from: column, through: 0, by: -1) {
                var value = i == column ? 1.0 : 0.0
                for m in (i + 1)..<(column + 1) { value -= factor[m * k + i] * transform[m * k + column] }
                transform[i * k + column] = value / factor[i * k + i]
            }
        }
        self.init(
            order: order, series: series, includeMean: includeMean, regressors: regressors, estimated: estimated,
            center: moments.mean, scale: moments.standardDeviation, regressionCenters: solution.coefficients,
            regressionTransform: transform.map { $0 * multiplier })
    }

    /// The objective for coefficients that are given, not optimised (a saved model): the
    /// regressors need no least-squares start and may be of any rank.
    init(order: ARIMAOrder, differenced series: [Double], includeMean: Bool, fixedRegressors regressors: [[Double]]) {
        var series = series
        for t in series.indices where regressors.contains(where: { $0[t].isNaN }) { series[t] = .nan }
        let moments = Self.moments(series)
        self.init(
            order: order, series: series, includeMean: includeMean, regressors: regressors, estimated: [],
            center: moments.mean, scale: moments.standardDeviation, regressionCenters: [], regressionTransform: [])
    }

    private init(
        order: ARIMAOrder, series: [Double], includeMean: Bool, regressors: [[Double]], estimated: [Int],
        center: Double, scale: Double, regressionCenters: [Double], regressionTransform: [Double]
    ) {
        self.order = order
        self.series = series
        self.includeMean = includeMean
        self.regressors = regressors
        self.estimated = estimated
        self.center = center
        self.scale = scale
        self.regressionCenters = regressionCenters
        self.regressionTransform = regressionTransform
        filter = ARMAKalmanFilter(arOrder: order.expandedAROrder, maOrder: order.expandedMAOrder)
        residuals = [Double](repeating: 0, count: series.count)
        adjusted = regressors.isEmpty ? [] : series
    }

    /// The mean and standard deviation (1 when 0) of the observed values.
    private static func moments(_ series: [Double]) -> (mean: Double, standardDeviation: Double) {
        let observed = series.filter { !$0.isNaN }
        let mean = observed.reduce(0, +) / Double(max(observed.count, 1))
        let variance = observed.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(observed.count - 1, 1))
        return (mean, variance > 0 ? variance.squareRoot() : 1)
    }

    var parameterCount: Int {
        order.p + order.q + order.seasonalP + order.seasonalQ + (includeMean ? 1 : 0) + estimated.count
    }

    func coefficients(_ raw: [Double]) -> ARMACoefficients {
        precondition(raw.count == parameterCount, "ARMAObjective: \(raw.count) parameters for \(parameterCount)")
        var offset = 0
        func block(_ count: Int, negate: Bool) -> [Double] {
            let values = stationaryCoefficients(raw[offset..<(offset + count)])
            offset += count
            return negate ? values.map { -$0 } : values
        }
        let ar = block(order.p, negate: false)
        var ma = block(order.q, negate: true)
        let seasonalAR = block(order.seasonalP, negate: false)
        var seasonalMA = block(order.seasonalQ, negate: true)
        if maRootBound != 1 {
            // θ_k ρ^-k: the roots of an invertible polynomial pushed out by ρ (the seasonal one
            // by ρ^s, so the expanded product's roots are at least ρ too).
            for k in ma.indices { ma[k] *= pow(maRootBound, -Double(k + 1)) }
            let seasonal = Double(order.period)
            for k in seasonalMA.indices { seasonalMA[k] *= pow(maRootBound, -seasonal * Double(k + 1)) }
        }
        var mean = includeMean ? center + scale * raw[offset] : 0
        var regression: [Double] = []
        if !regressors.isEmpty {
            precondition(
                regressionCenters.count == estimated.count + (includeMean ? 1 : 0),
                "ARMAObjective: fixed regressors have no parameters to map")
            let k = regressionCenters.count
            var block = regressionCenters
            for i in 0..<k {
                for j in i..<k { block[i] += regressionTransform[i * k + j] * raw[offset + j] }
            }
            if includeMean { mean = block[0] }
            regression = [Double](repeating: 0, count: regressors.count)
            for (i, j) in estimated.enumerated() { regression[j] = block[k - estimated.count + i] }
        }
        return ARMACoefficients(
            ar: ar, ma: ma, seasonalAR: seasonalAR, seasonalMA: seasonalMA, mean: mean, regression: regression,
            period: order.period)
    }

    /// The series the ARMA part models for `coefficients`: the differenced series, less the
    /// regression when there are regressors.
    private mutating func working(_ coefficients: ARMACoefficients) -> [Double] {
        guard !regressors.isEmpty else { return series }
        for t in series.indices {
            var value = series[t]
            for (j, column) in regressors.enumerated() where coefficients.regression[j] != 0 {
                value -= coefficients.regression[j] * column[t]
            }
            adjusted[t] = value
        }
        return adjusted
    }

    /// Gives the filter the undifferenced series when the model differences and a value is
    /// missing (in the series, or in a regressor), so that a gap costs only its own values
    /// (``GapBridge``); the likelihood is then that of the series' observed values, as R's
    /// `arima` and statsmodels compute it. Without a missing value both likelihoods are equal
    /// and nothing is set.
    ///
    /// - Parameters:
    ///   - series: The undifferenced series this objective's differences come from.
    ///   - regressors: The undifferenced regressors over the series' periods.
    mutating func bridgeGaps(levels series: [Double], regressors: [[Double]]) {
        let differencing = order.differencing
        guard differencing.lag > 0 else { return }
        var masked = series
        for t in masked.indices where regressors.contains(where: { $0[t].isNaN }) { masked[t] = .nan }
        guard masked.contains(where: \.isNaN) else { return }
        levels = (masked, regressors.map { $0.map { $0.isNaN ? 0 : $0 } })
        undifferenced = UndifferencedSeries(levels: masked, differencing: differencing)
    }

    /// Runs the filter for `coefficients`; nil when the AR part has a unit root.
    mutating func filterSums(_ coefficients: ARMACoefficients) -> ARMAKalmanFilter.Sums? {
        guard filter.setCoefficients(ar: coefficients.expandedAR, ma: coefficients.expandedMA) else { return nil }
        guard let levels, var undifferenced else {
            return filter.run(working(coefficients), mean: coefficients.mean)
        }
        self.undifferenced = nil
        for t in levels.series.indices {
            var value = levels.series[t]
            for (j, column) in levels.regressors.enumerated() where coefficients.regression[j] != 0 {
                value -= coefficients.regression[j] * column[t]
            }
            undifferenced.levels[t] = value
        }
        let sums = filter.run(working(coefficients), mean: coefficients.mean, undifferenced: undifferenced)
        self.undifferenced = undifferenced
        return sums
    }

    /// `½ (log(Σ v²/F / n) + Σ log F / n)`: minus the log-likelihood with `σ²` concentrated out,
    /// divided by `n`, without constants (as R's `arima` optimises it).
    mutating func concentratedNegativeLogLikelihood(_ raw: [Double]) -> Double {
        guard let sums = filterSums(coefficients(raw)), sums.count > 0 else { return .infinity }
        let n = Double(sums.count)
        return 0.5 * (log(sums.sumOfSquares / n) + sums.sumOfLogs / n)
    }

    /// `½ log(Σ e_t² / n)`, with `e_t` the residuals of the ARMA recursion started at zero after
    /// the first `p + sP` values (R's `CSS`); a missing value gives no residual.
    mutating func conditionalSumOfSquares(_ raw: [Double]) -> Double {
        let c = coefficients(raw)
        let series = working(c)
        let phi = c.expandedAR
        let theta = c.expandedMA
        let start = phi.count
        var sum = 0.0
        var count = 0
        for t in series.indices {
            guard t >= start else {
                residuals[t] = 0
                continue
            }
            var e = series[t] - c.mean
            for (j, a) in phi.enumerated() { e -= a * (series[t - j - 1] - c.mean) }
            for j in 0..<min(t - start, theta.count) { e -= theta[j] * residuals[t - j - 1] }
            if e.isNaN {
                residuals[t] = 0
            } else {
                residuals[t] = e
                sum += e * e
                count += 1
            }
        }
        return count > 0 ? 0.5 * log(sum / Double(count)) : .infinity
    }
}
