import Foundation
import Randomness
import Settings

/// A mixture of Gaussians with diagonal covariances, fitted by expectation-maximisation as
/// scikit-learn's `GaussianMixture(covariance_type="diag")` does it.
///
/// Each of ``restarts`` runs starts from the clusters of one k-means run (one seeding) and
/// alternates the two steps: the responsibilities of every component for every point
/// (log-sum-exp in `Double`), then weights, means and variances from them, with
/// ``regularization`` added to every variance. A run stops when the mean log-likelihood per
/// point changes by less than ``tolerance`` or after ``maximumIterations``; the run with the
/// highest log-likelihood wins.
///
/// Log-likelihoods, responsibilities and parameters are computed in `Double`; the
/// statistics of a pass are added up in `Double` over points shifted by the data's column
/// means, per thread, then in thread order, so a fit is the same for the same seed and
/// thread count.
///
/// ```swift
/// let model = try GaussianMixture(components: 3, seed: 7).fit(points)
/// model.means, model.variances, model.bic
/// let p = model.probabilities(newPoints)    // count x components
/// ```
public struct GaussianMixture: Sendable, Equatable {
    /// The number of components (key `components`).
    public var components: Int
    /// The most EM iterations of one run (key `max-iterations`).
    public var maximumIterations: Int
    /// A run ends when the mean log-likelihood per point changes by less than this
    /// (key `tolerance`).
    public var tolerance: Double
    /// Added to every variance, so a component on a few identical points stays a density
    /// (key `regularization`, scikit-learn's `reg_covar`).
    public var regularization: Double
    /// Runs from different k-means starts; the highest log-likelihood wins (key `restarts`).
    public var restarts: Int
    /// Seeds the k-means starts.
    public var seed: UInt64
    /// Threads for the passes over the points (key `threads`).
    public var threads: Int

    /// - Parameters:
    ///   - components: The number of components.
    ///   - maximumIterations: EM iterations per run at most (`max_iter`).
    ///   - tolerance: On the change of the mean log-likelihood per point (`tol`).
    ///   - regularization: Added to every variance (`reg_covar`).
    ///   - restarts: Runs from different k-means starts (`n_init`).
    ///   - seed: Seeds the k-means starts.
    ///   - threads: Threads for the passes over the points.
    public init(
        components: Int, maximumIterations: Int = 100, tolerance: Double = 1e-3, regularization: Double = 1e-6,
        restarts: Int = 1, seed: UInt64, threads: Int = 1
    ) {
        self.components = components
        self.maximumIterations = maximumIterations
        self.tolerance = tolerance
        self.regularization = regularization
        self.restarts = restarts
        self.seed = seed
        self.threads = threads
    }

    /// Checks every value but the components' upper bound, which ``fit(_:)`` checks against
    /// the data.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require(components >= 1, "components", components, allowed: "at least 1")
        try InvalidParameter.require(maximumIterations >= 1, "max-iterations", maximumIterations, allowed: "at least 1")
        try InvalidParameter.require(
            tolerance >= 0 && tolerance.isFinite, "tolerance", tolerance, allowed: "a finite number, 0 or more")
        try InvalidParameter.require(
            regularization > 0 && regularization.isFinite, "regularization", regularization,
            allowed: "a positive finite number")
        try InvalidParameter.require(restarts >= 1, "restarts", restarts, allowed: "at least 1")
        try InvalidParameter.require(threads >= 1, "threads", threads, allowed: "at least 1")
    }

    /// Fits the mixture to `points`.
    ///
    /// - Throws: ``InvalidParameter`` for a bad setting, more components than points, or a
    ///   point with a NaN or infinite value (key `points`).
    public func fit(_ points: Points) throws(InvalidParameter) -> GaussianMixtureModel {
        try validate()
        let n = points.count
        try InvalidParameter.require(
            components <= n, "components", components, allowed: "between 1 and the number of points (\(n))")
        let shift = try checkedStatistics(points).shift.map(Double.init)
        var generator = RandomGenerator(seed: seed)
        var best: (parameters: MixtureParameters, lowerBound: Double, iterations: Int, converged: Bool)?
        for _ in 0..<restarts {
            let kMeans = KMeans(clusters: components, restarts: 1, seed: generator.next(), threads: threads)
            let start = try kMeans.fit(points).assignments
            let startStatistics = hardStatistics(points, labels: start, components: components, shift: shift)
            var parameters = maximisation(startStatistics, shift: shift, count: n)
            var lowerBound = -Double.infinity
            var iterations = 0
            var converged = false
            for iteration in 1...maximumIterations {
                iterations = iteration
                let previous = lowerBound
                let pass = expectation(points, parameters: parameters, shift: shift, threads: threads)
                parameters = maximisation(pass.statistics, shift: shift, count: n)
                lowerBound = pass.logLikelihood / Double(n)
                if abs(lowerBound - previous) < tolerance {
                    converged = true
                    break
                }
            }
            if best.map({ lowerBound > $0.lowerBound }) ?? true {
                best = (parameters, lowerBound, iterations, converged)
            }
        }
        guard let best else { preconditionFailure("GaussianMixture: validate() lets no fit run without a restart") }
        return GaussianMixtureModel(
            fitted: best.parameters, points: points, iterations: best.iterations, converged: best.converged,
            threads: threads)
    }

    /// Weights, means and variances from the statistics of a pass (means shifted back).
    private func maximisation(_ statistics: MixtureStatistics, shift: [Double], count: Int) -> MixtureParameters {
        let k = components
        let d = shift.count
        var parameters = MixtureParameters(
            weights: [Double](repeating: 0, count: k), means: [Double](repeating: 0, count: k * d),
            variances: [Double](repeating: 0, count: k * d))
        // scikit-learn adds 10 machine epsilons so an empty component divides by no zero.
        let counts = statistics.weights.map { $0 + 10 * Double.ulpOfOne }
        let total = counts.reduce(0, +)
        for j in 0..<k {
            parameters.weights[j] = counts[j] / total
            for c in 0..<d {
                let mean = statistics.sums[j * d + c] / counts[j]
                let variance = statistics.squares[j * d + c] / counts[j] - mean * mean
                parameters.means[j * d + c] = mean + shift[c]
                parameters.variances[j * d + c] = max(0, variance) + regularization
            }
        }
        return parameters
    }
}

/// A fitted diagonal Gaussian mixture.
///
/// Components are numbered by weight, heaviest first (ties keep the fitted order).
/// ``logLikelihood``, ``bic`` and ``assignments`` describe the points the model was fitted
/// on, with the final parameters.
///
/// Decoding checks every parameter (finite, positive weights and variances, matching sizes)
/// and every assignment, so a model read from a file is a valid density.
public struct GaussianMixtureModel: Sendable, Codable, Equatable {
    /// The mixing weight of each component (they add up to 1).
    public let weights: [Double]
    /// The mean of each component, one value per dimension.
    public let means: [[Double]]
    /// The variance of each component in each dimension (regularization included).
    public let variances: [[Double]]
    /// The total log-likelihood of the fitted points (natural log).
    public let logLikelihood: Double
    /// The Bayesian information criterion on the fitted points: `-2 logLikelihood + p ln n`
    /// with `p = 2 k d + k - 1` free parameters; lower is better.
    public let bic: Double
    /// The most likely component of each fitted point.
    public let assignments: [Int]
    /// The winning run's EM iterations.
    public let iterations: Int
    /// Whether the winning run met the tolerance before the iteration limit.
    public let converged: Bool

    /// The number of components.
    public var components: Int { weights.count }
    /// The number of values of each point.
    public var dimension: Int { means.first?.count ?? 0 }

    /// The model of `fitted` parameters on `points`, components renumbered by weight.
    init(fitted: MixtureParameters, points: Points, iterations: Int, converged: Bool, threads: Int) {
        let k = fitted.weights.count
        let d = points.dimension
        let order = (0..<k).sorted { (fitted.weights[$0], -$0) > (fitted.weights[$1], -$1) }
        let parameters = MixtureParameters(
            weights: order.map { fitted.weights[$0] },
            means: order.flatMap { fitted.means[($0 * d)..<(($0 + 1) * d)] },
            variances: order.flatMap { fitted.variances[($0 * d)..<(($0 + 1) * d)] })
        var labels = [Int](repeating: 0, count: points.count)
        let pass = labels.withUnsafeMutableBufferPointer { buffer in
            expectation(
                points, parameters: parameters, shift: [Double](repeating: 0, count: d), threads: threads,
                accumulating: false, labels: buffer.baseAddress)
        }
        weights = parameters.weights
        means = (0..<k).map { Array(parameters.means[($0 * d)..<(($0 + 1) * d)]) }
        variances = (0..<k).map { Array(parameters.variances[($0 * d)..<(($0 + 1) * d)]) }
        logLikelihood = pass.logLikelihood
        let n = Double(points.count)
        let freeParameters = Double(2 * k * d + k - 1)
        bic = -2 * pass.logLikelihood + freeParameters * log(n)
        assignments = labels
        self.iterations = iterations
        self.converged = converged
    }

    /// The parameters as flat arrays.
    private var parameters: MixtureParameters {
        MixtureParameters(weights: weights, means: means.flatMap { $0 }, variances: variances.flatMap { $0 })
    }

    /// The responsibility of each component for each of `points`: a `count x components`
    /// row-major array whose rows add up to 1.
    ///
    /// - Precondition: the points have the model's dimension.
    public func probabilities(_ points: Points, threads: Int = 1) -> [Double] {
        precondition(points.dimension == dimension, "GaussianMixtureModel: points of \(points.dimension) values")
        var result = [Double](repeating: 0, count: points.count * components)
        result.withUnsafeMutableBufferPointer { buffer in
            _ = expectation(
                points, parameters: parameters, shift: [Double](repeating: 0, count: dimension), threads: threads,
                accumulating: false, probabilities: buffer.baseAddress)
        }
        return result
    }

    /// The most likely component of each of `points` (the lower one on ties).
    ///
    /// - Precondition: the points have the model's dimension.
    public func assign(_ points: Points, threads: Int = 1) -> [Int] {
        precondition(points.dimension == dimension, "GaussianMixtureModel: points of \(points.dimension) values")
        var labels = [Int](repeating: 0, count: points.count)
        labels.withUnsafeMutableBufferPointer { buffer in
            _ = expectation(
                points, parameters: parameters, shift: [Double](repeating: 0, count: dimension), threads: threads,
                accumulating: false, labels: buffer.baseAddress)
        }
        return labels
    }

    /// The total log-likelihood of `points` under the model.
    ///
    /// - Precondition: the points have the model's dimension.
    public func logLikelihood(of points: Points, threads: Int = 1) -> Double {
        precondition(points.dimension == dimension, "GaussianMixtureModel: points of \(points.dimension) values")
        return expectation(
            points, parameters: parameters, shift: [Double](repeating: 0, count: dimension), threads: threads,
            accumulating: false
        ).logLikelihood
    }

    private enum CodingKeys: String, CodingKey {
        case weights, means, variances, logLikelihood, bic, assignments, iterations, converged
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weights = try container.decode([Double].self, forKey: .weights)
        means = try container.decode([[Double]].self, forKey: .means)
        variances = try container.decode([[Double]].self, forKey: .variances)
        logLikelihood = try container.decode(Double.self, forKey: .logLikelihood)
        bic = try container.decode(Double.self, forKey: .bic)
        assignments = try container.decode([Int].self, forKey: .assignments)
        iterations = try container.decode(Int.self, forKey: .iterations)
        converged = try container.decode(Bool.self, forKey: .converged)
        let k = weights.count
        let d = means.first?.count ?? 0
        let shapes =
            k >= 1 && d >= 1 && means.count == k && variances.count == k
            && means.allSatisfy { $0.count == d } && variances.allSatisfy { $0.count == d }
        let values =
            weights.allSatisfy { $0 > 0 && $0.isFinite } && means.allSatisfy { $0.allSatisfy(\.isFinite) }
            && variances.allSatisfy { $0.allSatisfy { $0 > 0 && $0.isFinite } }
        guard shapes, values, assignments.allSatisfy({ (0..<k).contains($0) }), logLikelihood.isFinite,
            bic.isFinite, iterations >= 0
        else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "GaussianMixtureModel: needs at least one component, means and variances of one equal length, positive finite weights and variances, finite means, assignments between 0 and \(k - 1)"
                ))
        }
    }
}

/// Mixture parameters as flat arrays: `k` weights, `k x d` means and variances.
struct MixtureParameters: Sendable {
    var weights: [Double]
    var means: [Double]
    var variances: [Double]
}

/// What the maximisation step needs from a pass, over points shifted by the column means:
/// per component the sum of responsibilities, of responsibility-weighted values and of
/// responsibility-weighted squares.
struct MixtureStatistics {
    var weights: [Double]
    var sums: [Double]
    var squares: [Double]

    init(components k: Int, dimension d: Int) {
        weights = [Double](repeating: 0, count: k)
        sums = [Double](repeating: 0, count: k * d)
        squares = [Double](repeating: 0, count: k * d)
    }
}

/// The statistics of hard assignments (responsibility 1 for the labelled component).
private func hardStatistics(_ points: Points, labels: [Int], components k: Int, shift: [Double]) -> MixtureStatistics {
    let d = points.dimension
    var statistics = MixtureStatistics(components: k, dimension: d)
    for (i, label) in labels.enumerated() {
        statistics.weights[label] += 1
        for c in 0..<d {
            let value = Double(points.values[i * d + c]) - shift[c]
            statistics.sums[label * d + c] += value
            statistics.squares[label * d + c] += value * value
        }
    }
    return statistics
}

/// One pass over `points` with `parameters`: the total log-likelihood and, with
/// `accumulating`, the statistics of the responsibilities (values shifted by `shift`).
/// Optionally writes each point's most likely component into `labels` and its
/// responsibilities (`count x k`) into `probabilities`.
func expectation(
    _ points: Points, parameters: MixtureParameters, shift: [Double], threads: Int, accumulating: Bool = true,
    labels: UnsafeMutablePointer<Int>? = nil, probabilities: UnsafeMutablePointer<Double>? = nil
) -> (statistics: MixtureStatistics, logLikelihood: Double) {
    let n = points.count
    let d = points.dimension
    let k = parameters.weights.count
    // log w_k - (d ln 2π + Σ ln σ²) / 2, the means shifted, and the precisions 1 / σ².
    let constants = (0..<k).map { j in
        var logDeterminant = 0.0
        for c in 0..<d { logDeterminant += log(parameters.variances[j * d + c]) }
        return log(parameters.weights[j]) - 0.5 * (Double(d) * log(2 * Double.pi) + logDeterminant)
    }
    var shiftedMeans = parameters.means
    for j in 0..<k {
        for c in 0..<d { shiftedMeans[j * d + c] -= shift[c] }
    }
    let precisions = parameters.variances.map { 1 / $0 }
    let parts = max(1, min(threads, n / 1024))
    var partStatistics = (0..<parts).map { _ in MixtureStatistics(components: accumulating ? k : 0, dimension: d) }
    var partLikelihoods = [Double](repeating: 0, count: parts)
    partStatistics.withUnsafeMutableBufferPointer { statisticsBuffer in
        partLikelihoods.withUnsafeMutableBufferPointer { likelihoodBuffer in
            points.withUnsafeValues { base in
                forEachPart(n, parts: parts) { part, range in
                    var statistics = MixtureStatistics(components: accumulating ? k : 0, dimension: d)
                    var x = [Double](repeating: 0, count: d)
                    var logDensities = [Double](repeating: 0, count: k)
                    var total = 0.0
                    for i in range {
                        for c in 0..<d { x[c] = Double(base[i * d + c]) - shift[c] }
                        var largest = -Double.infinity
                        var label = 0
                        for j in 0..<k {
                            var distance = 0.0
                            for c in 0..<d {
                                let difference = x[c] - shiftedMeans[j * d + c]
                                distance += difference * difference * precisions[j * d + c]
                            }
                            let density = constants[j] - 0.5 * distance
                            logDensities[j] = density
                            if density > largest {
                                largest = density
                                label = j
                            }
                        }
                        var sum = 0.0
                        for j in 0..<k { sum += exp(logDensities[j] - largest) }
                        let logSum = largest + log(sum)
                        total += logSum
                        labels?[i] = label
                        if accumulating || probabilities != nil {
                            for j in 0..<k {
                                let responsibility = exp(logDensities[j] - logSum)
                                probabilities?[i * k + j] = responsibility
                                if accumulating {
                                    statistics.weights[j] += responsibility
                                    for c in 0..<d {
                                        let weighted = responsibility * x[c]
                                        statistics.sums[j * d + c] += weighted
                                        statistics.squares[j * d + c] += weighted * x[c]
                                    }
                                }
                            }
                        }
                    }
                    statisticsBuffer[part] = statistics
                    likelihoodBuffer[part] = total
                }
            }
        }
    }
    var statistics = MixtureStatistics(components: accumulating ? k : 0, dimension: d)
    var logLikelihood = 0.0
    for part in 0..<parts {
        logLikelihood += partLikelihoods[part]
        for j in 0..<statistics.weights.count { statistics.weights[j] += partStatistics[part].weights[j] }
        for j in 0..<statistics.sums.count {
            statistics.sums[j] += partStatistics[part].sums[j]
            statistics.squares[j] += partStatistics[part].squares[j]
        }
    }
    return (statistics, logLikelihood)
}
