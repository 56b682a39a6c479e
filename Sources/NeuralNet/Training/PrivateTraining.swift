import Foundation
import PrivacyAccounting
import Randomness
import TensorEngine

/// The settings of differentially private training (DP-SGD): every step draws a Poisson
/// sample of privacy units, clips each unit's gradient to ``clipNorm``, adds Gaussian noise of
/// standard deviation ``noiseMultiplier`` · ``clipNorm`` to the sum and divides by the
/// expected batch size.
///
/// What one unit is, is the caller's choice and the statement's subject: the trainer clips
/// whatever one entry of the per-unit losses covers. For behaviour data that is a user (all of
/// a user's rows summed into one loss entry), so a user's whole history is protected.
///
/// ```swift
/// let privacy = try PrivateTraining.calibrated(
///     epsilon: 3, delta: 1e-5, unit: .user, units: users.count, expectedBatchSize: 256, epochs: 20, clipNorm: 5)
/// let run = try TrainingLoop(schedule: schedule).runPrivately(
///     model, optimizer: Adam(for: model, learningRate: 1e-3), unitCount: users.count, privacy: privacy,
///     losses: { users in binaryCrossEntropyWithLogits(logits: model(x(users)), targets: y(users), reduction: .none) },
///     validate: { _ in Validation(score: auc(model), report: ()) })
/// print(run.statement)   // (ε = 2.98, δ = 1e-05)-differential privacy per user: ...
/// ```
public struct PrivateTraining: Sendable, Equatable, Codable {
    /// Whose privacy is protected: what one loss entry covers.
    public var unit: PrivacyStatement.Unit
    /// The largest L2 norm one unit's gradient may have (C).
    public var clipNorm: Double
    /// Noise standard deviation over ``clipNorm`` (σ).
    public var noiseMultiplier: Double
    /// The probability that a unit joins a step's batch (q = expected batch size / units).
    public var samplingRate: Double
    /// δ of the guarantee reported.
    public var delta: Double
    /// Seeds the noise and the sampling. Nil (the default) draws a secret seed from the
    /// system's random source: whoever knows the seed can regenerate the noise and subtract
    /// it, so pass one only for reproducible experiments, never for a model that is shared.
    public var noiseSeed: UInt64?
    /// How the statement's ε is computed.
    public var accountant: PrivacyStatement.Accountant

    /// - Parameter clipNorm: C; no default here, since the best value depends on the model and
    ///   its loss (the classifiers measured theirs: `ClassifierPrivacy.defaultClipNorm`).
    public init(
        unit: PrivacyStatement.Unit, clipNorm: Double, noiseMultiplier: Double,
        samplingRate: Double, delta: Double, noiseSeed: UInt64? = nil, accountant: PrivacyStatement.Accountant = .rdp
    ) {
        self.unit = unit
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
        self.samplingRate = samplingRate
        self.delta = delta
        self.noiseSeed = noiseSeed
        self.accountant = accountant
    }

    /// Settings whose noise keeps `epochs` epochs within (ε, δ), by `accountant`.
    ///
    /// - Parameters:
    ///   - epsilon: The budget ε, finite and above 0.
    ///   - delta: δ, strictly between 0 and 1 (below 1 / `units` to mean anything).
    ///   - units: How many privacy units train (users, or examples).
    ///   - expectedBatchSize: Units per step on average; the sampling rate is this over `units`.
    ///   - epochs: The most epochs training may run; stopping early spends less.
    ///   - clipNorm: C, the largest gradient norm one unit may contribute.
    /// - Throws: ``PrivacyAccountingError`` naming the setting out of range, or the budget out
    ///   of reach.
    public static func calibrated(
        epsilon: Double, delta: Double, unit: PrivacyStatement.Unit, units: Int, expectedBatchSize: Int, epochs: Int,
        clipNorm: Double, noiseSeed: UInt64? = nil, accountant: PrivacyStatement.Accountant = .rdp
    ) throws(PrivacyAccountingError) -> PrivateTraining {
        let rate = min(1, Double(max(expectedBatchSize, 1)) / Double(max(units, 1)))
        let steps = max(epochs, 1) * stepsPerEpoch(samplingRate: rate)
        let noise = try NoiseCalibration.noiseMultiplier(
            targetEpsilon: epsilon, delta: delta, samplingRate: rate, steps: steps, accountant: accountant)
        return PrivateTraining(
            unit: unit, clipNorm: clipNorm, noiseMultiplier: noise, samplingRate: rate, delta: delta,
            noiseSeed: noiseSeed, accountant: accountant)
    }

    /// Steps in one epoch: one over the sampling rate, so each unit is drawn about once.
    public static func stepsPerEpoch(samplingRate: Double) -> Int {
        samplingRate > 0 ? max(1, Int((1 / samplingRate).rounded())) : 1
    }

    /// A Poisson sample of `0..<count`: each index joins with probability `rate`, drawn by
    /// geometric skips, so the cost follows the sample's size, not `count`. Sorted.
    public static func poissonSample(count: Int, rate: Double, generator: inout RandomGenerator) -> [Int] {
        guard rate > 0 else { return [] }
        guard rate < 1 else { return Array(0..<count) }
        var picked: [Int] = []
        picked.reserveCapacity(Int(Double(count) * rate * 1.2) + 8)
        let logMiss = log1p(-rate)
        var index = -1
        while true {
            // 1 - u is in (0, 1], so the logarithm is finite.
            let u = 1 - Double(generator.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            index += 1 + Int((log(u) / logMiss).rounded(.down))
            guard index < count else { return picked }
            picked.append(index)
        }
    }

    /// The released gradient of one step: `(Σ clipped + N(0, σ²C²)) / (q · units)` for every
    /// parameter, those no unit's loss reached too (their sum is zero, their noise is not).
    ///
    /// - Parameters:
    ///   - sum: The sum of the sampled units' clipped gradients.
    ///   - parameters: Every parameter the optimizer updates.
    ///   - unitCount: The number of privacy units.
    public func noisyMean(
        _ sum: Gradients, parameters: [(key: String, tensor: Tensor)], unitCount: Int,
        generator: inout RandomGenerator
    ) -> Gradients {
        let deviation = Float(noiseMultiplier * clipNorm)
        let scale = Float(1 / max(samplingRate * Double(unitCount), 1e-12))
        var result = Gradients()
        for (_, parameter) in parameters {
            let values = Tensor.zeros(parameter.shape)
            values.withUnsafeMutableScalars { noisy in
                generator.fillNormal(noisy)
                if let clipped = sum[parameter] {
                    clipped.withUnsafeScalars { g in
                        for i in noisy.indices { noisy[i] = (g[i] + deviation * noisy[i]) * scale }
                    }
                } else {
                    for i in noisy.indices { noisy[i] *= deviation * scale }
                }
            }
            result.set(values, for: parameter)
        }
        return result
    }

    /// The guarantee after `steps` steps, or nil before the first.
    public func statement(steps: Int) throws(PrivacyAccountingError) -> PrivacyStatement? {
        guard steps > 0 else { return nil }
        return try PrivacyStatement.poissonSampling(
            unit: unit, samplingRate: samplingRate, noiseMultiplier: noiseMultiplier, steps: steps, delta: delta,
            accountant: accountant)
    }
}

/// How per-unit gradients were computed in a private run.
public enum PerUnitGradients: Sendable, Equatable, CustomStringConvertible {
    /// Split by the engine from one backward pass per step (``Tensor/perExampleGradients()``).
    case engine
    /// One backward pass per unit, because the engine could not split this model's graph.
    case oneAtATime(reason: String)

    public var description: String {
        switch self {
        case .engine: return "split by the engine in one pass per step"
        case .oneAtATime(let reason): return "one unit at a time (\(reason))"
        }
    }
}

/// What a private training run did, and what it guarantees.
public struct PrivateTrainingRun<Report: Sendable>: Sendable {
    /// Epochs, validations, the kept epoch and why training stopped.
    public var history: TrainingHistory<Report>
    /// The guarantee for the steps that ran; nil when none did.
    public var statement: PrivacyStatement?
    /// Steps run (each one accounted, empty batches included).
    public var steps: Int
    /// The share of sampled units whose gradient was clipped: for tuning the clip norm on
    /// data that may be seen; it is not private, so bundles do not keep it.
    public var clippedShare: Double
    /// How per-unit gradients were computed.
    public var perUnitGradients: PerUnitGradients
    /// The settings the run used (with the noise multiplier it was calibrated to).
    public var settings: PrivateTraining

    /// The log line: the guarantee, the noise and clipping settings and how gradients were
    /// split (not ``clippedShare``, a statistic of the private units, to keep it fit to save).
    public var summary: String {
        "private training: \(statement?.description ?? "no step ran, nothing released"); "
            + "σ \(String(format: "%.3f", settings.noiseMultiplier)), clip norm \(settings.clipNorm); "
            + "gradients \(perUnitGradients)"
    }
}

/// An error of a private training run.
public enum PrivateTrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A step's loss or a validation output stopped being finite.
    case diverged(TrainingDiverged)
    /// The settings cannot be accounted (a rate outside 0...1, δ outside (0, 1), ...).
    case accounting(PrivacyAccountingError)

    public var description: String {
        switch self {
        case .diverged(let error): return error.errorDescription ?? "training diverged"
        case .accounting(let error): return "privacy accounting: \(error)"
        }
    }
}

extension TrainingLoop {
    /// Trains `model` in place with DP-SGD and leaves the best validated weights in it.
    ///
    /// Each epoch runs ``PrivateTraining/stepsPerEpoch(samplingRate:)`` steps. A step draws
    /// each unit with probability q (an empty draw is still a step: the noise alone moves the
    /// weights), splits the gradient of the units' losses by unit, clips each to C, adds
    /// `N(0, σ²C²)` to every coordinate of every parameter and divides by the expected batch
    /// size `q · units`. The schedule's batch size and shuffle are not used; its epochs,
    /// validation, patience and time budget are.
    ///
    /// Validation reads data outside the units (a held-out set), so it costs no privacy of the
    /// training units; the statement covers them.
    ///
    /// - Parameters:
    ///   - unitCount: Privacy units `0..<unitCount`.
    ///   - privacy: Clipping, noise, sampling and δ.
    ///   - losses: The loss of each given unit `[n]` (one entry per unit, not their mean), in
    ///     training mode. Entry `i` must depend on unit `i`'s data alone.
    /// - Throws: ``PrivateTrainingError`` when training diverges or the settings cannot be
    ///   accounted.
    public func runPrivately<Report: Sendable>(
        _ model: any Layer, optimizer: any Optimizer, unitCount: Int, privacy: PrivateTraining,
        losses: @escaping ([Int]) -> Tensor,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Report>,
        progress: ((StepProgress) -> Void)? = nil, epochEnd: ((EpochRecord<Report>) -> Void)? = nil
    ) throws(PrivateTrainingError) -> PrivateTrainingRun<Report> {
        do {
            _ = try privacy.statement(steps: 1)
        } catch {
            throw .accounting(error)
        }
        var noise = RandomGenerator(seed: privacy.noiseSeed ?? UInt64.random(in: .min ... .max))
        let stepsPerEpoch = PrivateTraining.stepsPerEpoch(samplingRate: privacy.samplingRate)
        let parameters = uniqueParameters(model.parameters())
        var clipper = UnitClipper(model: model, losses: losses, clipNorm: privacy.clipNorm, unitCount: unitCount)
        var steps = 0
        let history: TrainingHistory<Report>
        do {
            history = try runEpochs(
                model, exampleCount: unitCount, stepsPerEpoch: stepsPerEpoch,
                batches: { _ in
                    (0..<stepsPerEpoch).map { _ in
                        PrivateTraining.poissonSample(count: unitCount, rate: privacy.samplingRate, generator: &noise)
                    }
                },
                step: { batch, epoch throws(TrainingDiverged) in
                    let (sum, loss) = clipper.clippedSum(batch)
                    if let loss {
                        try TrainingDiverged.check(
                            loss: loss, epoch: epoch, learningRate: Double(optimizer.learningRate))
                    }
                    optimizer.step(
                        privacy.noisyMean(sum, parameters: parameters, unitCount: unitCount, generator: &noise))
                    steps += 1
                    return loss
                },
                validate: validate, progress: progress, epochEnd: epochEnd)
        } catch {
            throw .diverged(error)
        }
        do {
            return PrivateTrainingRun(
                history: history, statement: try privacy.statement(steps: steps), steps: steps,
                clippedShare: Double(clipper.clipped) / Double(max(clipper.seen, 1)),
                perUnitGradients: clipper.method ?? .engine, settings: privacy)
        } catch {
            throw .accounting(error)
        }
    }
}

extension TrainingLoop {
    /// ``runPrivately(_:optimizer:unitCount:privacy:losses:validate:progress:epochEnd:)`` with
    /// the epoch being trained (from 1) passed to `losses`, for losses with randomness of
    /// their own (sampled negatives, a VAE's samples, a KL weight that warms up): drawn per
    /// unit and epoch (``PrivateTraining/unitSeed(_:unit:epoch:)``), a unit's loss is the
    /// same function alone as in a batch, which the per-unit split is checked against.
    public func runPrivately<Report: Sendable>(
        _ model: any Layer, optimizer: any Optimizer, unitCount: Int, privacy: PrivateTraining,
        losses: @escaping (_ units: [Int], _ epoch: Int) -> Tensor,
        validate: (_ epoch: Int) throws(TrainingDiverged) -> Validation<Report>,
        progress: ((StepProgress) -> Void)? = nil, epochEnd: ((EpochRecord<Report>) -> Void)? = nil
    ) throws(PrivateTrainingError) -> PrivateTrainingRun<Report> {
        var epoch = 1
        return try runPrivately(
            model, optimizer: optimizer, unitCount: unitCount, privacy: privacy, losses: { losses($0, epoch) },
            validate: validate, progress: progress,
            epochEnd: { record in
                epoch += 1
                epochEnd?(record)
            })
    }
}

extension PrivateTraining {
    /// A seed for what unit `unit` draws in epoch `epoch` (its own generator), from a run's
    /// `seed`: different for every unit and epoch, the same however the unit is batched.
    public static func unitSeed(_ seed: UInt64, unit: Int, epoch: Int) -> UInt64 {
        seed &+ UInt64(truncatingIfNeeded: unit) &* 0x9E37_79B9_7F4A_7C15
            &+ UInt64(truncatingIfNeeded: epoch) &* 0xBF58_476D_1CE4_E5B9
    }
}

/// Clips each unit's gradient and sums them: split by the engine when it can, checked once
/// against one-unit passes, one unit at a time otherwise.
private struct UnitClipper {
    let model: any Layer
    let losses: ([Int]) -> Tensor
    let clipNorm: Double
    let unitCount: Int
    /// Decided at the first non-empty step.
    var method: PerUnitGradients?
    var seen = 0
    var clipped = 0

    init(model: any Layer, losses: @escaping ([Int]) -> Tensor, clipNorm: Double, unitCount: Int) {
        self.model = model
        self.losses = losses
        self.clipNorm = clipNorm
        self.unitCount = unitCount
    }

    func factor(_ norm: Double) -> Float { Float(min(1, clipNorm / (norm + 1e-6))) }

    /// The sum of the clipped gradients of `batch`'s units and their mean loss (nil when empty).
    mutating func clippedSum(_ batch: [Int]) -> (Gradients, Double?) {
        guard !batch.isEmpty else { return (Gradients(), nil) }
        if method == nil { method = chooseMethod() }
        seen += batch.count
        if case .engine = method {
            let values = losses(batch)
            if let split = try? values.perExampleGradients() {
                let factors = split.norms.map(factor)
                clipped += factors.filter { $0 < 1 }.count
                let mean = values.scalars.reduce(0.0) { $0 + Double($1) } / Double(batch.count)
                return (split.weightedSum(factors), mean)
            }
        }
        var total = Gradients()
        var lossSum = 0.0
        for unit in batch {
            let loss = losses([unit]).sum()
            lossSum += Double(loss.scalar)
            let gradients = loss.gradients()
            let norm = gradients.all.reduce(0.0) { sum, entry in
                sum + entry.gradient.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
            }.squareRoot()
            let c = factor(norm)
            if c < 1 { clipped += 1 }
            Tensor.withoutGradients {
                for (leaf, gradient) in gradients.all {
                    total.set(total[leaf].map { $0 + gradient * c } ?? gradient * c, for: leaf)
                }
            }
        }
        return (total, lossSum / Double(batch.count))
    }

    /// The engine's split, when it handles this model and agrees with one-unit passes on the
    /// first three units (compared without dropout, so both see the same function).
    func chooseMethod() -> PerUnitGradients {
        model.setTraining(false)
        defer { model.setTraining(true) }
        let probe = Array(0..<min(3, unitCount))
        let split: PerExampleGradients
        do {
            split = try losses(probe).perExampleGradients()
        } catch {
            return .oneAtATime(reason: error.description)
        }
        for (i, unit) in probe.enumerated() {
            let gradients = losses([unit]).sum().gradients()
            let norm = gradients.all.reduce(0.0) { sum, entry in
                sum + entry.gradient.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
            }.squareRoot()
            if abs(split.norms[i] - norm) > 1e-3 * max(norm, 1e-6) {
                return .oneAtATime(
                    reason: "the engine's split gave norm \(split.norms[i]) where one unit alone gives \(norm)")
            }
        }
        return .engine
    }
}
