import Foundation
import Testing

@testable import Evaluation

@Suite struct ReportsTests {
    @Test func rankingReportsReadTypedAndKeepTheFileFormat() throws {
        let json = #"{"test":{"full":{"hr@10":0.5,"ndcg@10":0.25,"mrr@10":0.2},"sampled":{"ndcg@10":0.75}}}"#
        let reports = try JSONDecoder().decode(SplitReports<ProtocolReports>.self, from: Data(json.utf8))
        #expect(reports.validation == nil)
        #expect(reports[.test]?.full.ndcg(at: 10) == 0.25 && reports.test?.full.hitRate(at: 10) == 0.5)
        #expect(reports.test?[.sampled].ndcg(at: 10) == 0.75 && reports.test?.sampled.mrr(at: 10) == nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let again = try JSONSerialization.jsonObject(with: encoder.encode(reports)) as? NSDictionary
        #expect(again == (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary))
    }

    @Test func rankingMetricsBecomeAReport() {
        var metrics = RankingMetrics(cutoffs: [1, 10])
        metrics.add(rank: 1)
        metrics.add(rank: 3)
        let report = RankingReport(metrics)
        #expect(report.hitRate(at: 1) == 0.5 && report.hitRate(at: 10) == 1 && report.ndcg(at: 5) == nil)
    }
}
