import Foundation
import Testing

@testable import PrivacyAccounting

/// The accountant against dp_accounting 0.6.0's `RdpAccountant`. The numbers come from
/// `benchmarks/privacy/make_accounting_fixtures.py` (see its docstring): ε for 6 sampling
/// rates × 5 noise multipliers × 4 step counts × 2 deltas, the one-step RDP curve of each
/// (rate, noise) pair at all 156 default orders, δ for target epsilons, and
/// `calibrate_dp_mechanism`'s noise multipliers.
///
/// Measured: ε within 2.5e-11 relative of dp_accounting over the grid (same optimal order in
/// every row), RDP within 5.5e-11, δ within 5.2e-11, calibrated noise within 5e-10. The
/// tolerances below leave a margin of about 20.
@Suite struct RDPAccountantTests {
    struct Fixtures: Decodable {
        struct EpsilonRow: Decodable, CustomStringConvertible {
            var samplingRate: Double
            var noiseMultiplier: Double
            var steps: Int
            var delta: Double
            var epsilon: Double?
            var order: Double
            var description: String { "q=\(samplingRate) σ=\(noiseMultiplier) steps=\(steps) δ=\(delta)" }
        }
        struct RDPCurve: Decodable {
            var samplingRate: Double
            var noiseMultiplier: Double
            var rdp: [Double?]
        }
        struct DeltaRow: Decodable {
            var samplingRate: Double
            var noiseMultiplier: Double
            var steps: Int
            var epsilon: Double
            var delta: Double
            var order: Double
        }
        struct Calibration: Decodable {
            var samplingRate: Double
            var steps: Int
            var delta: Double
            var targetEpsilon: Double
            var noiseMultiplier: Double
        }
        struct Published: Decodable {
            struct OncePerEpoch: Decodable {
                var epochs: Int
                var epsilon: Double
                var order: Double
                var printedEpsilon: Double
            }
            var numberOfExamples: Int
            var batchSize: Int
            var epochs: Double
            var statedNoiseMultiplier: Double
            var noiseMultiplier: Double
            var samplingRate: Double
            var delta: Double
            var steps: Int
            var epsilon: Double
            var order: Double
            var printedEpsilon: Double
            var epsilonStatedNoiseWithoutHalving: Double
            var oncePerEpoch: OncePerEpoch
            var pldEpsilon: Double
        }
        var dpAccountingVersion: String
        var orders: [Double]
        var epsilon: [EpsilonRow]
        var rdp: [RDPCurve]
        var delta: [DeltaRow]
        var calibration: [Calibration]
        var published: Published
    }

    static let fixtures: Fixtures = {
        guard let url = Bundle.module.url(forResource: "Fixtures/rdp_accounting", withExtension: "json"),
            let data = try? Data(contentsOf: url), let fixtures = try? JSONDecoder().decode(Fixtures.self, from: data)
        else { preconditionFailure("RDPAccountantTests: Fixtures/rdp_accounting.json is missing or malformed") }
        return fixtures
    }()

    static let tolerance = 1e-9

    /// |a - b| / |b|, with an infinite `a` matching a null (infinite) fixture value.
    static func relativeError(_ value: Double, _ expected: Double?) -> Double {
        guard let expected else { return value == .infinity ? 0 : .infinity }
        return value == expected ? 0 : abs(value - expected) / abs(expected)
    }

    static func accountant(rate: Double, noise: Double, steps: Int) throws -> RDPAccountant {
        var accountant = RDPAccountant()
        try accountant.compose(.poissonSampledGaussian(samplingRate: rate, noiseMultiplier: noise), count: steps)
        return accountant
    }

    // MARK: - Parity with dp_accounting

    @Test func defaultOrdersAreDPAccountingsDefaults() {
        #expect(Self.fixtures.dpAccountingVersion == "0.6.0")
        #expect(RDPAccountant.defaultOrders == Self.fixtures.orders)
        #expect(RDPAccountant.defaultOrders.count == 156)
    }

    @Test func oneStepRDPMatchesDPAccountingAtEveryOrder() throws {
        for curve in Self.fixtures.rdp {
            let accountant = try Self.accountant(rate: curve.samplingRate, noise: curve.noiseMultiplier, steps: 1)
            for (index, expected) in curve.rdp.enumerated() {
                let value = accountant.rdp[index]
                #expect(
                    Self.relativeError(value, expected) <= Self.tolerance,
                    "q=\(curve.samplingRate) σ=\(curve.noiseMultiplier) α=\(accountant.orders[index]): \(value) vs \(String(describing: expected))"
                )
            }
        }
    }

    @Test(arguments: [0.001, 0.0064, 0.01, 0.1, 0.5, 1.0])
    func epsilonMatchesDPAccountingOverTheGrid(samplingRate: Double) throws {
        let rows = Self.fixtures.epsilon.filter { $0.samplingRate == samplingRate }
        #expect(rows.count == 40)
        for row in rows {
            let accountant = try Self.accountant(rate: row.samplingRate, noise: row.noiseMultiplier, steps: row.steps)
            let (epsilon, order) = try accountant.epsilon(delta: row.delta)
            #expect(
                Self.relativeError(epsilon, row.epsilon) <= Self.tolerance,
                "\(row): \(epsilon) vs \(row.epsilon ?? .infinity)")
            #expect(order == row.order, "\(row): order \(order) vs \(row.order)")
        }
    }

    @Test func deltaMatchesDPAccounting() throws {
        for row in Self.fixtures.delta {
            let accountant = try Self.accountant(rate: row.samplingRate, noise: row.noiseMultiplier, steps: row.steps)
            let (delta, order) = try accountant.delta(epsilon: row.epsilon)
            #expect(
                Self.relativeError(delta, row.delta) <= Self.tolerance,
                "q=\(row.samplingRate) σ=\(row.noiseMultiplier) ε=\(row.epsilon): \(delta) vs \(row.delta)")
            #expect(order == row.order)
        }
    }

    /// TensorFlow Privacy's statement example (compute_dp_sgd_privacy_test.py): 10,000 examples,
    /// batch 64, noise multiplier 2.0 "with microbatching", 5 epochs, δ = 1e-6 prints ε = 1.616
    /// under Poisson sampling and 13.376 with each example once per epoch. Its
    /// `_compute_dp_sgd_example_privacy` halves the noise multiplier for microbatching (the
    /// sensitivity doubles), counts ceil(epochs / q) = 782 Poisson steps and ceil(epochs) = 5
    /// full-batch Gaussians.
    @Test func tensorFlowPrivacysPublishedExampleGives1Point616() throws {
        let published = Self.fixtures.published
        let rate = Double(published.batchSize) / Double(published.numberOfExamples)
        let steps = Int((published.epochs / rate).rounded(.up))
        let noise = published.statedNoiseMultiplier / 2
        #expect(rate == 0.0064 && steps == 782 && steps == published.steps && noise == published.noiseMultiplier)

        let accountant = try Self.accountant(rate: rate, noise: noise, steps: steps)
        let (epsilon, order) = try accountant.epsilon(delta: published.delta)
        #expect((epsilon * 1000).rounded() / 1000 == published.printedEpsilon)
        #expect(Self.relativeError(epsilon, published.epsilon) <= Self.tolerance)
        #expect(order == published.order)
        // RDP is an upper bound; dp_accounting's PLD accountant is tighter on the same run.
        #expect(epsilon > published.pldEpsilon)
        // Without the microbatching halving, σ = 2 would claim far less.
        let undoubled = try Self.accountant(rate: rate, noise: published.statedNoiseMultiplier, steps: steps)
        #expect(
            Self.relativeError(
                try undoubled.epsilon(delta: published.delta).epsilon, published.epsilonStatedNoiseWithoutHalving)
                <= Self.tolerance)

        let statement = try PrivacyStatement.shuffledBatches(
            unit: .example, noiseMultiplier: noise, epochs: published.oncePerEpoch.epochs, delta: published.delta)
        #expect((statement.epsilon * 1000).rounded() / 1000 == published.oncePerEpoch.printedEpsilon)
        #expect(Self.relativeError(statement.epsilon, published.oncePerEpoch.epsilon) <= Self.tolerance)
    }

    @Test func calibratedNoiseMatchesDPAccountingAndIsTheSmallestThatMeetsTheTarget() throws {
        let tolerance = NoiseCalibration.defaultTolerance
        for fixture in Self.fixtures.calibration {
            let noise = try NoiseCalibration.noiseMultiplier(
                targetEpsilon: fixture.targetEpsilon, delta: fixture.delta, samplingRate: fixture.samplingRate,
                steps: fixture.steps)
            let label = "q=\(fixture.samplingRate) steps=\(fixture.steps) ε=\(fixture.targetEpsilon)"
            #expect(
                Self.relativeError(noise, fixture.noiseMultiplier) <= 1e-8,
                "\(label): \(noise) vs \(fixture.noiseMultiplier)")
            let reached = try Self.accountant(rate: fixture.samplingRate, noise: noise, steps: fixture.steps)
            #expect(try reached.epsilon(delta: fixture.delta).epsilon <= fixture.targetEpsilon, "\(label)")
            let less = try Self.accountant(
                rate: fixture.samplingRate, noise: noise * (1 - 2 * tolerance), steps: fixture.steps)
            #expect(try less.epsilon(delta: fixture.delta).epsilon > fixture.targetEpsilon, "\(label)")
        }
    }

    // MARK: - Edge cases

    @Test func samplingNothingCostsNothing() throws {
        let accountant = try Self.accountant(rate: 0, noise: 0, steps: 1000)
        #expect(accountant.rdp.allSatisfy { $0 == 0 })
        #expect(try accountant.epsilon(delta: 1e-6).epsilon == 0)
        #expect(try accountant.delta(epsilon: 0).delta == 0)
        #expect(try NoiseCalibration.noiseMultiplier(targetEpsilon: 1, delta: 1e-6, samplingRate: 0, steps: 10) == 0)
    }

    @Test func noNoiseMeansNoGuarantee() throws {
        let accountant = try Self.accountant(rate: 0.01, noise: 0, steps: 1)
        #expect(accountant.rdp.allSatisfy { $0 == .infinity })
        #expect(try accountant.epsilon(delta: 1e-5).epsilon == .infinity)
        #expect(try accountant.delta(epsilon: 10).delta == 1)
        let statement = try PrivacyStatement.shuffledBatches(unit: .user, noiseMultiplier: 0, epochs: 1, delta: 1e-5)
        #expect(statement.description.hasPrefix("no finite differential privacy guarantee per user"))
    }

    @Test func fullSamplingIsThePlainGaussian() throws {
        // Given σ = 1.1 and q = 1, R(α) = α / (2σ²) at every order, sampled or not.
        let sampled = try Self.accountant(rate: 1, noise: 1.1, steps: 3)
        var plain = RDPAccountant()
        try plain.compose(.gaussian(noiseMultiplier: 1.1), count: 3)
        #expect(sampled == plain)
        for (order, r) in zip(plain.orders, plain.rdp) { #expect(r == 3 * (order / (2 * 1.1 * 1.1))) }
    }

    @Test func nestedCountsMultiplyAndZeroCountsAddNothing() throws {
        let step = PrivacyEvent.poissonSampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.1)
        var nested = RDPAccountant()
        try nested.compose(.selfComposed(.selfComposed(step, count: 10), count: 5), count: 2)
        let flat = try Self.accountant(rate: 0.01, noise: 1.1, steps: 100)
        #expect(nested == flat)
        var unchanged = flat
        try unchanged.compose(.gaussian(noiseMultiplier: 0), count: 0)
        #expect(unchanged == flat)
        let empty = try RDPAccountant().epsilon(delta: 1e-5)
        #expect(empty.epsilon == 0 && empty.order == 1.1)
    }

    @Test func largeAndFractionalOrdersStayFiniteOrInfiniteNeverNaN() throws {
        // Small noise at high orders overflows a direct sum; in log space it is finite.
        let tight = try RDPAccountant(orders: [1.5, 2.5, 1024, 2048])
        for (rate, noise) in [(0.5, 0.5), (0.001, 0.3), (0.999, 10.0), (1e-9, 50.0)] {
            var accountant = tight
            try accountant.compose(.poissonSampledGaussian(samplingRate: rate, noiseMultiplier: noise), count: 10_000)
            #expect(accountant.rdp.allSatisfy { !$0.isNaN && $0 >= 0 }, "q=\(rate) σ=\(noise): \(accountant.rdp)")
            #expect(accountant.rdp[2].isFinite && accountant.rdp[3].isFinite)
            #expect(!(try accountant.epsilon(delta: 1e-6).epsilon.isNaN))
        }
    }

    @Test func epsilonFallsWithNoiseAndGrowsWithSteps() throws {
        var previous = Double.infinity
        for noise in [0.6, 0.9, 1.3, 2.0, 4.0] {
            let epsilon = try Self.accountant(rate: 0.01, noise: noise, steps: 1000).epsilon(delta: 1e-5).epsilon
            #expect(epsilon < previous)
            previous = epsilon
        }
        previous = 0
        for steps in [1, 10, 100, 1000] {
            let epsilon = try Self.accountant(rate: 0.01, noise: 1.0, steps: steps).epsilon(delta: 1e-5).epsilon
            #expect(epsilon > previous)
            previous = epsilon
        }
    }

    @Test func aTargetBeyondTheSearchLimitIsReportedAsUnreachable() throws {
        let error = #expect(throws: PrivacyAccountingError.self) {
            try NoiseCalibration.noiseMultiplier(
                targetEpsilon: 0.01, delta: 1e-6, samplingRate: 1, steps: 10_000, maximumNoiseMultiplier: 100)
        }
        guard case .unreachableTarget(let target, let maximum, let reached) = error else {
            Issue.record("expected unreachableTarget, got \(String(describing: error))")
            return
        }
        #expect(target == 0.01 && maximum == 100 && reached > 0.01)
        #expect(error?.description.hasPrefix("target epsilon 0.01 is unreachable: noise multiplier 100.0") == true)
    }

    // MARK: - Invalid input

    @Test func invalidParametersAreRefusedWithTheirRange() throws {
        var accountant = RDPAccountant()
        #expect(throws: PrivacyAccountingError.invalidSamplingRate(1.5)) {
            try accountant.compose(.poissonSampledGaussian(samplingRate: 1.5, noiseMultiplier: 1))
        }
        #expect(throws: PrivacyAccountingError.invalidSamplingRate(-0.1)) {
            try accountant.compose(.poissonSampledGaussian(samplingRate: -0.1, noiseMultiplier: 1))
        }
        #expect(throws: PrivacyAccountingError.invalidNoiseMultiplier(-1)) {
            try accountant.compose(.gaussian(noiseMultiplier: -1))
        }
        #expect(throws: PrivacyAccountingError.invalidNoiseMultiplier(.infinity)) {
            try accountant.compose(.gaussian(noiseMultiplier: .infinity))
        }
        #expect(throws: PrivacyAccountingError.invalidCount(-1)) {
            try accountant.compose(.gaussian(noiseMultiplier: 1), count: -1)
        }
        // Counts whose product overflows are refused by the count that overflowed it.
        #expect(throws: PrivacyAccountingError.invalidCount(2)) {
            try accountant.compose(.selfComposed(.gaussian(noiseMultiplier: 1), count: Int.max), count: 2)
        }
        #expect(accountant == RDPAccountant(), "a refused event leaves the accountant unchanged")
        for delta in [0.0, 1.0, -1e-5, 2.0] {
            #expect(throws: PrivacyAccountingError.invalidDelta(delta)) { try accountant.epsilon(delta: delta) }
        }
        #expect(throws: PrivacyAccountingError.invalidEpsilon(-1)) { try accountant.delta(epsilon: -1) }
        #expect(throws: PrivacyAccountingError.noOrders) { try RDPAccountant(orders: []) }
        #expect(throws: PrivacyAccountingError.invalidOrder(1)) { try RDPAccountant(orders: [2, 1]) }
        #expect(throws: PrivacyAccountingError.invalidEpochs(0)) {
            try PrivacyStatement.shuffledBatches(unit: .example, noiseMultiplier: 1, epochs: 0, delta: 1e-5)
        }
        #expect(throws: PrivacyAccountingError.invalidSteps(0)) {
            try PrivacyStatement.poissonSampling(
                unit: .example, samplingRate: 0.01, noiseMultiplier: 1, steps: 0, delta: 1e-5)
        }
    }

    @Test func calibrationRefusesEachBadParameterByName() {
        func calibrate(
            epsilon: Double = 1, delta: Double = 1e-5, rate: Double = 0.01, steps: Int = 100, tolerance: Double = 1e-9,
            maximum: Double = 1e6
        ) throws(PrivacyAccountingError) -> Double {
            try NoiseCalibration.noiseMultiplier(
                targetEpsilon: epsilon, delta: delta, samplingRate: rate, steps: steps, tolerance: tolerance,
                maximumNoiseMultiplier: maximum)
        }
        #expect(throws: PrivacyAccountingError.invalidTargetEpsilon(0)) { try calibrate(epsilon: 0) }
        #expect(throws: PrivacyAccountingError.invalidTargetEpsilon(-3)) { try calibrate(epsilon: -3) }
        #expect(throws: PrivacyAccountingError.invalidTargetEpsilon(.infinity)) { try calibrate(epsilon: .infinity) }
        #expect(throws: PrivacyAccountingError.invalidDelta(0)) { try calibrate(delta: 0) }
        #expect(throws: PrivacyAccountingError.invalidDelta(1)) { try calibrate(delta: 1) }
        #expect(throws: PrivacyAccountingError.invalidSamplingRate(1.01)) { try calibrate(rate: 1.01) }
        #expect(throws: PrivacyAccountingError.invalidSteps(0)) { try calibrate(steps: 0) }
        #expect(throws: PrivacyAccountingError.invalidTolerance(0)) { try calibrate(tolerance: 0) }
        #expect(throws: PrivacyAccountingError.invalidMaximumNoiseMultiplier(-1)) { try calibrate(maximum: -1) }
    }

    @Test func errorDescriptionsNameTheParameterAndTheAllowedRange() {
        #expect(
            PrivacyAccountingError.invalidSamplingRate(1.5).description
                == "sampling rate is 1.5; it must be between 0 and 1 (inclusive)")
        #expect(
            PrivacyAccountingError.invalidDelta(0).description == "delta is 0.0; it must be strictly between 0 and 1")
        #expect(
            PrivacyAccountingError.invalidTargetEpsilon(-1).description
                == "target epsilon is -1.0; it must be finite and greater than 0")
        #expect(PrivacyAccountingError.invalidSteps(0).description == "steps is 0; it must be at least 1")
        #expect(
            PrivacyAccountingError.invalidNoiseMultiplier(-2).localizedDescription
                == "noise multiplier is -2.0; it must be finite and at least 0")
    }

    // MARK: - Statements

    @Test func poissonStatementRecordsWhatReproducesItsEpsilon() throws {
        let statement = try PrivacyStatement.poissonSampling(
            unit: .user, samplingRate: 0.0064, noiseMultiplier: 1, steps: 782, delta: 1e-6)
        let accountant = try Self.accountant(
            rate: statement.samplingRate, noise: statement.noiseMultiplier, steps: statement.steps)
        #expect(statement.epsilon == (try accountant.epsilon(delta: statement.delta).epsilon))
        #expect(statement.accountant == .rdp && statement.sampling == .poisson && statement.unit == .user)
        #expect(
            statement.description
                == "(ε = 1.616, δ = 1e-06)-differential privacy per user: RDP accounting of 782 steps of Poisson "
                + "sampling at rate 0.0064 with noise multiplier 1")
    }

    @Test func shuffledStatementClaimsNoAmplificationAndRoundTripsThroughJSON() throws {
        // Given 5 epochs of shuffled batches at σ = 1.1, each example is one Gaussian per epoch.
        let statement = try PrivacyStatement.shuffledBatches(
            unit: .example, noiseMultiplier: 1.1, epochs: 5, delta: 1e-5)
        var fiveGaussians = RDPAccountant()
        try fiveGaussians.compose(.gaussian(noiseMultiplier: 1.1), count: 5)
        #expect(statement.epsilon == (try fiveGaussians.epsilon(delta: 1e-5).epsilon))
        #expect(statement.samplingRate == 1 && statement.steps == 5)
        // Poisson sampling at rate 1 over the recorded steps gives the same ε.
        let reproduced = try Self.accountant(rate: 1, noise: 1.1, steps: 5)
        #expect(statement.epsilon == (try reproduced.epsilon(delta: 1e-5).epsilon))
        #expect(statement.description.contains("5 epochs of shuffled batches"))
        #expect(statement.description.contains("no amplification by sampling claimed"))

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(statement)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["sampling"] as? String == "shuffled (no amplification claimed)")
        #expect(object["accountant"] as? String == "rdp")
        #expect(object["unit"] as? String == "example")
        #expect(object["description"] as? String == statement.description)
        #expect(try JSONDecoder().decode(PrivacyStatement.self, from: data) == statement)
    }
}
