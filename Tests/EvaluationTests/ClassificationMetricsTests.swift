import Foundation
import Testing

@testable import Evaluation

@Suite struct ClassificationMetricsTests {
    // Given four examples whose positives score 0.35 and 0.8, negatives 0.1 and 0.4.
    let probabilities = [0.1, 0.4, 0.35, 0.8]
    let labels = [0, 0, 1, 1]

    @Test func areasMatchHandComputedValues() throws {
        let report = ClassificationReport(probabilities: probabilities, labels: labels)
        // Pairs (pos, neg): 0.35>0.1, 0.35<0.4, 0.8>0.1, 0.8>0.4 -> 3 of 4 ordered right.
        #expect(abs(try #require(report.rocAUC) - 0.75) < 1e-12)
        // Thresholds 0.8 (P 1, R 0.5), 0.4 (P 0.5, R 0.5), 0.35 (P 2/3, R 1): AP = 0.5*1 + 0.5*2/3.
        #expect(abs(try #require(report.prAUC) - (0.5 + 1.0 / 3)) < 1e-12)
        // -(log 0.9 + log 0.6 + log 0.35 + log 0.8) / 4
        #expect(abs(report.logLoss - 0.472_287_3) < 1e-6)
        // (0.01 + 0.16 + 0.4225 + 0.04) / 4
        #expect(abs(report.brierScore - 0.158_125) < 1e-12)
    }

    @Test func thresholdsGiveConfusionMatricesAndTheBestF1() {
        let report = ClassificationReport(probabilities: probabilities, labels: labels)
        #expect(
            report.atHalf.confusion
                == ConfusionMatrix(truePositives: 1, falsePositives: 0, trueNegatives: 2, falseNegatives: 1))
        #expect(report.atHalf.accuracy == 0.75 && report.atHalf.precision == 1 && report.atHalf.recall == 0.5)
        // At 0.35 both positives are found with one false positive: F1 = 2 * (2/3 * 1) / (5/3) = 0.8.
        #expect(report.atBestF1.threshold == 0.35)
        #expect(abs(report.atBestF1.f1 - 0.8) < 1e-12)
    }

    @Test func tiesCountHalfInTheROCArea() {
        let report = ClassificationReport(probabilities: [0.5, 0.5, 0.5, 0.5], labels: [0, 1, 0, 1])
        #expect(report.rocAUC == 0.5)
        #expect(report.rocCurve.count == 2)
    }

    @Test func oneClassLeavesTheAreasUndefinedAndStillEncodes() throws {
        let report = ClassificationReport(probabilities: [0.2, 0.7], labels: [0, 0])
        #expect(report.rocAUC == nil && report.prAUC == nil)
        #expect(report.atBestF1.f1 == 0)
        _ = try JSONEncoder().encode(report)
    }

    @Test func calibrationBinsAverageWithinEachTenth() {
        let report = ClassificationReport(probabilities: [0.05, 0.15, 0.12, 0.95, 1.0], labels: [0, 1, 0, 1, 1])
        #expect(report.calibration.count == 10)
        #expect(report.calibration[0].count == 1 && report.calibration[1].count == 2)
        #expect(abs(report.calibration[1].meanPredicted - 0.135) < 1e-12 && report.calibration[1].observedRate == 0.5)
        #expect(report.calibration[9].count == 2 && report.calibration[9].observedRate == 1)
    }

    @Test func longCurvesAreThinnedKeepingBothEnds() {
        let n = 5_000
        let p = (0..<n).map { Double($0) / Double(n) }
        let y = (0..<n).map { $0 % 3 == 0 ? 1 : 0 }
        let report = ClassificationReport(probabilities: p, labels: y)
        #expect(report.rocCurve.count == ClassificationReport.maximumCurvePoints)
        #expect(report.rocCurve.first?.truePositiveRate == 0 && report.rocCurve.last?.truePositiveRate == 1)
    }
}

@Suite struct NonFiniteProbabilityTests {
    @Test func nanProbabilitiesEndTheCurveWalkAndCountAsZero() {
        let labels = [1, 0, 1, 0, 1, 0]
        let report = ClassificationReport(
            probabilities: [.nan, 0.2, 0.9, .nan, 0.7, 0.1], labels: labels, threshold: .nan)
        let asZero = ClassificationReport(probabilities: [0, 0.2, 0.9, 0, 0.7, 0.1], labels: labels)
        #expect(report.nonFiniteCount == 2)
        #expect(asZero.nonFiniteCount == 0)
        #expect(report.rocAUC == asZero.rocAUC)
        #expect(report.rocCurve == asZero.rocCurve)
        #expect(report.calibration == asZero.calibration)
        #expect(report.logLoss.isFinite)
        #expect(report.atChosenThreshold?.confusion.truePositives == 0)
    }

    @Test func anAllNaNSplitStillReports() {
        let report = ClassificationReport(
            probabilities: [Double](repeating: .nan, count: 1_000), labels: (0..<1_000).map { $0 % 2 })
        #expect(report.nonFiniteCount == 1_000)
        #expect(report.rocAUC == 0.5)
        #expect(report.rocCurve.count == 2)
    }
}
