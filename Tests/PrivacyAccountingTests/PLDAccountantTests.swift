import Foundation
import Testing

@testable import PrivacyAccounting

@Suite("PLD accountant")
struct PLDAccountantTests {
    struct Fixtures: Decodable {
        /// One case: ε at δ (`epsilon`, `published`), or δ at ε (`delta`).
        struct Row: Decodable {
            var samplingRate: Double
            var noiseMultiplier: Double
            var steps: Int
            var delta: Double
            var epsilon: Double
            /// The RDP accountant's ε (not recorded for the published example).
            var rdpEpsilon: Double?
        }
        var dpAccountingVersion: String
        var epsilon: [Row]
        var delta: [Row]
        var published: Row
    }

    static let fixtures: Fixtures = {
        guard let url = Bundle.module.url(forResource: "Fixtures/pld_accounting", withExtension: "json"),
            let data = try? Data(contentsOf: url), let fixtures = try? JSONDecoder().decode(Fixtures.self, from: data)
        else { preconditionFailure("PLDAccountantTests: Fixtures/pld_accounting.json is missing or malformed") }
        return fixtures
    }()

    static func accountant(rate: Double, noise: Double, steps: Int) throws -> PLDAccountant {
        var accountant = PLDAccountant()
        try accountant.compose(.poissonSampledGaussian(samplingRate: rate, noiseMultiplier: noise), count: steps)
        return accountant
    }

    @Test("Epsilon matches dp_accounting's PLD accountant on a grid, and is below the RDP accountant's")
    func epsilonGrid() throws {
        var worst = 0.0
        // The rows that take seconds, not minutes, in a debug build.
        for row in Self.fixtures.epsilon
        where Double(row.steps) * row.samplingRate <= 10
            && (row.noiseMultiplier >= 2
                || (row.noiseMultiplier >= 1.1 && row.steps <= 100 && row.samplingRate <= 0.01))
        {
            let epsilon = try Self.accountant(rate: row.samplingRate, noise: row.noiseMultiplier, steps: row.steps)
                .epsilon(delta: row.delta)
            let error = abs(epsilon - row.epsilon) / max(row.epsilon, 1e-3)
            worst = max(worst, error)
            #expect(
                error < 1e-3,
                "q \(row.samplingRate), σ \(row.noiseMultiplier), \(row.steps) steps: \(epsilon) vs \(row.epsilon)")
            #expect(epsilon <= (row.rdpEpsilon ?? 0) * (1 + 1e-9))
        }
        print("PLD accountant against dp_accounting: worst relative error \(worst)")
    }

    @Test("TensorFlow Privacy's published example: 782 steps at rate 0.0064, noise 1, delta 1e-6 give 1.199")
    func published() throws {
        let published = Self.fixtures.published
        let epsilon = try Self.accountant(
            rate: published.samplingRate, noise: published.noiseMultiplier, steps: published.steps
        ).epsilon(delta: published.delta)
        #expect(abs(epsilon - 1.199) < 5e-4 && abs(epsilon - published.epsilon) < 1e-3 * published.epsilon)
    }

    @Test("Delta matches dp_accounting at given epsilons")
    func deltas() throws {
        for row in Self.fixtures.delta {
            let delta = try Self.accountant(rate: row.samplingRate, noise: row.noiseMultiplier, steps: row.steps)
                .delta(epsilon: row.epsilon)
            #expect(abs(delta - row.delta) / row.delta < 1e-2, "ε \(row.epsilon): \(delta) vs \(row.delta)")
        }
    }

    @Test(
        "A PLD statement reproduces its ε, says so, and round-trips through JSON; calibration with it needs less noise")
    func statementAndCalibration() throws {
        let statement = try PrivacyStatement.poissonSampling(
            unit: .user, samplingRate: 0.01, noiseMultiplier: 2, steps: 100, delta: 1e-5, accountant: .pld)
        let expected = try Self.accountant(rate: 0.01, noise: 2, steps: 100).epsilon(delta: 1e-5)
        #expect(statement.accountant == .pld && statement.epsilon == expected)
        #expect(
            statement.description.hasSuffix(
                "per user: PLD accounting of 100 steps of Poisson sampling at rate 0.01 with noise multiplier 2"))
        let decoded = try JSONDecoder().decode(PrivacyStatement.self, from: try JSONEncoder().encode(statement))
        #expect(decoded == statement)
        let rdp = try NoiseCalibration.noiseMultiplier(targetEpsilon: 0.5, delta: 1e-5, samplingRate: 0.01, steps: 100)
        let pld = try NoiseCalibration.noiseMultiplier(
            targetEpsilon: 0.5, delta: 1e-5, samplingRate: 0.01, steps: 100, accountant: .pld, tolerance: 1e-3)
        #expect(pld < rdp)
        #expect(try Self.accountant(rate: 0.01, noise: pld, steps: 100).epsilon(delta: 1e-5) <= 0.5)
        #expect(try Self.accountant(rate: 0.01, noise: pld * (1 - 2e-3), steps: 100).epsilon(delta: 1e-5) > 0.5)
    }

    @Test("Composition adds counts; no noise gives an infinite ε; bad arguments are named")
    func edges() throws {
        var split = PLDAccountant()
        try split.compose(.poissonSampledGaussian(samplingRate: 0.01, noiseMultiplier: 2), count: 30)
        try split.compose(
            .selfComposed(.poissonSampledGaussian(samplingRate: 0.01, noiseMultiplier: 2), count: 10), count: 7)
        let whole = try Self.accountant(rate: 0.01, noise: 2, steps: 100)
        #expect(try split.epsilon(delta: 1e-5) == whole.epsilon(delta: 1e-5))
        #expect(try PLDAccountant().epsilon(delta: 1e-5) == 0)
        var noiseless = PLDAccountant()
        try noiseless.compose(.gaussian(noiseMultiplier: 0))
        #expect(try noiseless.epsilon(delta: 1e-5) == .infinity)
        #expect(throws: PrivacyAccountingError.invalidDelta(0)) { try whole.epsilon(delta: 0) }
        #expect(throws: PrivacyAccountingError.invalidEpsilon(-1)) { try whole.delta(epsilon: -1) }
        var accountant = PLDAccountant()
        #expect(throws: PrivacyAccountingError.invalidSamplingRate(2)) {
            try accountant.compose(.poissonSampledGaussian(samplingRate: 2, noiseMultiplier: 1))
        }
        #expect(accountant.mechanisms.isEmpty)
    }

    @Test("ε is solved between grid values, also for losses whose e^-l underflows")
    func epsilonSolver() {
        // Half the mass at a loss of 800: δ(ε) = 0.5 (1 - e^(ε - 800)), so δ 0.1 needs ε = 800 + log 0.8.
        let far = LossDistribution(start: 8_000_000, masses: [0.5], infinity: 0, interval: 1e-4)
        #expect(abs(far.epsilon(delta: 0.1) - (800 + log(0.8))) < 1e-9)
        #expect(far.delta(epsilon: far.epsilon(delta: 0.1)) <= 0.1 + 1e-12)
        // Masses at 1 and 2: between them δ(ε) = 0.5 - 0.5 e^(ε - 2).
        let near = LossDistribution(
            start: 10_000, masses: [0.5] + [Double](repeating: 0, count: 9_999) + [0.5],
            infinity: 0, interval: 1e-4)
        #expect(abs(near.epsilon(delta: 0.2) - (2 + log(0.6))) < 1e-9)
        // Below the lowest loss: δ(ε) = 1 - e^ε (0.5 e^-1 + 0.5 e^-2).
        #expect(abs(near.epsilon(delta: 0.5) - log(1 / (exp(-1) + exp(-2)))) < 1e-9)
        #expect(near.epsilon(delta: 0.8) == 0 && far.epsilon(delta: 0.6) == 0)
    }

    @Test("The FFT convolution equals the direct sum")
    func convolution() {
        let a = (0..<100).map { Double(($0 * 37) % 11) / 10 }
        let b = (0..<70).map { Double(($0 * 13) % 7) / 7 }
        let direct = (0..<(a.count + b.count - 1)).map { k in
            (max(0, k - b.count + 1)...min(k, a.count - 1)).reduce(0.0) { $0 + a[$1] * b[k - $1] }
        }
        let fast = FFT.convolve(a, b)
        #expect(fast.count == direct.count && zip(fast, direct).allSatisfy { abs($0 - $1) < 1e-10 })
    }
}
