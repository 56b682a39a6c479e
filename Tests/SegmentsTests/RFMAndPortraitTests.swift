import EventData
import Foundation
import Segments
import Testing

@Suite("RFM segments and portraits")
struct RFMAndPortraitTests {
    @Test("quintile scores split ranks into fifths, ties in input order")
    func quintiles() {
        #expect(
            RFMSegmentation.quintiles([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        #expect(RFMSegmentation.quintiles([5, 5, 5, 5, 5]) == [1, 2, 3, 4, 5])
        #expect(RFMSegmentation.quintiles([3, 1, 2]) == [4, 1, 2])
    }

    @Test("the segment map follows the recency and frequency grid")
    func segmentMap() {
        #expect(RFMSegmentation.segment(recency: 5, frequency: 5) == .champions)
        #expect(RFMSegmentation.segment(recency: 4, frequency: 4) == .loyal)
        #expect(RFMSegmentation.segment(recency: 5, frequency: 1) == .newCustomers)
        #expect(RFMSegmentation.segment(recency: 4, frequency: 1) == .promising)
        #expect(RFMSegmentation.segment(recency: 5, frequency: 3) == .potentialLoyalists)
        #expect(RFMSegmentation.segment(recency: 3, frequency: 3) == .needAttention)
        #expect(RFMSegmentation.segment(recency: 3, frequency: 2) == .aboutToSleep)
        #expect(RFMSegmentation.segment(recency: 2, frequency: 4) == .atRisk)
        #expect(RFMSegmentation.segment(recency: 1, frequency: 5) == .cannotLose)
        #expect(RFMSegmentation.segment(recency: 2, frequency: 2) == .hibernating)
    }

    @Test("buyers are scored on a hand-checked table; users without a purchase are not")
    func scoring() {
        // Five buyers and one browser. Ranks: recency (recent first) u4 < u3 < u2 < u1 < u0,
        // purchases u3 < u2 < u1 < u4 < u0, spend u3 < u2 < u1 < u0 < u4; one buyer per fifth.
        let scores = RFMSegmentation.score(
            recencyDays: [1, 2, 30, 60, 90, 5], purchases: [9, 7, 3, 1, 8, 0], spend: [500, 100, 60, 10, 900, 0])
        #expect(scores.map(\.code) == ["554", "433", "322", "211", "145", "000"])
        #expect(
            scores.map(\.segment) == [
                .champions, .potentialLoyalists, .aboutToSleep, .hibernating, .atRisk, .noPurchase,
            ])
    }

    @Test("a portrait compares a segment with everyone and says so in one line")
    func portrait() {
        // Segment 0 buys 4x as often as the population and mostly in the evening; segment 1 rarely buys.
        let columns =
            ["count_purchase", "monetary", "distinct_categories"]
            + (0..<24).map { $0 < 10 ? "hour_0\($0)" : "hour_\($0)" }
        func row(purchases: Double, evening: Bool) -> [Double] {
            let hours = (0..<24).map { hour -> Double in evening ? (hour >= 18 ? 1.0 / 6 : 0) : 1.0 / 24 }
            return [purchases, purchases * 20, 1] + hours
        }
        var rows: [[Double]] = []
        var labels: [Int] = []
        for user in 0..<40 {
            let buyer = user < 10
            rows.append(row(purchases: buyer ? 8 : 0.67, evening: buyer))
            labels.append(buyer ? 0 : 1)
        }
        let portraits = Portraits.build(columns: columns, rows: rows, labels: labels, names: ["buyers", "others"])
        #expect(portraits.map(\.size) == [10, 30] && portraits[0].share == 0.25)
        let purchases = portraits[0].features[0]
        #expect(abs(purchases.mean - 8) < 1e-9 && abs(purchases.populationMean - 2.5025) < 1e-9)
        #expect(abs((purchases.lift ?? 0) - 8 / 2.5025) < 1e-9)
        #expect(portraits[0].purchaseRate == 1 && portraits[0].meanSpend == 160)
        #expect(portraits[0].description == "buys 3.2x as often as average, spends 3.2x the average, mostly evenings")
        #expect(portraits[1].description.contains("buys 3.7x less often than average"))
    }

    @Test("a segment that favours a category under half its share says which, not 'close to average'")
    func favouredCategory() {
        let columns = ["count_purchase", "distinct_categories", "category_books", "category_toys"]
        let rows = (0..<40).map { user -> [Double] in user < 10 ? [2, 4, 0.4, 0.1] : [2, 4, 0.05, 0.3] }
        let labels = (0..<40).map { $0 < 10 ? 0 : 1 }
        let portraits = Portraits.build(columns: columns, rows: rows, labels: labels, names: ["readers", "others"])
        // Books: 0.4 against everyone's 0.1375, 2.9x.
        #expect(portraits[0].description == "favours books (2.9x the average share)")
        #expect(portraits[1].description == "close to average on every feature")
    }
}

@Suite("Segment follow-up")
struct SegmentFollowUpTests {
    @Test("what each segment did after the as-of time is counted, and its purchase rate ranks buyers")
    func followUp() throws {
        let store = try SQLiteEventStore.inMemory()
        _ = try store.ingest(try BehaviorSimulator(config: SimulationConfig(users: 200, items: 80, days: 20, seed: 5)))
        let cut: Int64 = 1_704_067_200_000 + 10 * 86_400_000  // day 10
        let table = try UserFeatureExtractor.table(from: store, referenceTime: cut - 1)
        let purchases = try #require(table.columns.firstIndex(of: "count_purchase"))
        // Two segments: users who bought before the cut, and the others.
        let labels = table.rows.map { $0[purchases] > 0 ? 0 : 1 }
        let index = Dictionary(uniqueKeysWithValues: table.userIDs.enumerated().map { ($1, labels[$0]) })
        let activity = try SegmentActivity.count(store: store, segments: 2, until: cut) { index[$0] }
        let followUps = try #require(activity.followUps)
        #expect(activity.later.count == table.userIDs.count)
        #expect(followUps[0].boughtAgain > followUps[1].boughtAgain, "buyers buy again more often: \(followUps)")
        // Two scores: a later buyer of segment 0 outranks a non-buyer of segment 1; pairs within
        // a segment tie (half a win).
        let positives = [0, 1].map { segment in activity.later.filter { $0.segment == segment && $0.bought }.count }
        let negatives = [0, 1].map { segment in activity.later.filter { $0.segment == segment && !$0.bought }.count }
        let wins =
            Double(positives[0] * negatives[1]) + 0.5
            * Double(positives[0] * negatives[0] + positives[1] * negatives[1])
        let expected = wins / Double(positives.reduce(0, +) * negatives.reduce(0, +))
        #expect(abs((activity.repurchaseAUC ?? 0) - expected) < 1e-9)
        let portraits = Portraits.build(
            columns: table.columns, rows: table.rows, labels: labels, names: ["buyers", "others"], activity: activity)
        #expect(portraits.map(\.after) == followUps)
    }
}
