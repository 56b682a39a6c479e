import EventData
import Foundation

/// Classic RFM segmentation (recency, frequency, monetary value), the baseline marketers know.
///
/// Each buyer gets three quintile scores from 1 to 5: recency (days since the user was last
/// seen; recent is 5; for a log of purchases only, the last purchase), frequency (purchases;
/// many is 5) and monetary value (sum of purchase values; high is 5). Quintiles are taken on ranks with ties broken by
/// the order of the users, so each score holds a fifth of the buyers (as pandas' `qcut` on
/// `rank(method="first")` does). Users without a purchase are not scored and fall in
/// ``RFMSegment/noPurchase``.
///
/// Segments follow the common map of the recency and frequency scores:
///
/// | R \ F | 1 | 2 | 3 | 4 | 5 |
/// |---|---|---|---|---|---|
/// | 5 | new customers | potential loyalists | potential loyalists | champions | champions |
/// | 4 | promising | potential loyalists | potential loyalists | loyal | loyal |
/// | 3 | about to sleep | about to sleep | need attention | loyal | loyal |
/// | 2 | hibernating | hibernating | at risk | at risk | can't lose them |
/// | 1 | hibernating | hibernating | at risk | at risk | can't lose them |
///
/// ```swift
/// let rfm = RFMSegmentation.score(recencyDays: r, purchases: f, spend: m)
/// print(rfm[0].segment, rfm[0].recency, rfm[0].frequency, rfm[0].monetary)
/// ```
public enum RFMSegmentation {
    /// One user's scores (0 when the user never bought) and segment.
    public struct Scores: Sendable, Codable, Equatable {
        public var recency: Int
        public var frequency: Int
        public var monetary: Int
        public var segment: RFMSegment

        /// The three scores as one code, like `"545"`, or `"000"` without purchases.
        public var code: String { "\(recency)\(frequency)\(monetary)" }
    }

    /// Scores users from their purchase recency, purchase count and spend.
    ///
    /// - Parameters:
    ///   - recencyDays: Days since each user was last seen (any value when they never bought).
    ///   - purchases: Each user's purchase count; 0 means no purchase.
    ///   - spend: Each user's total purchase value.
    /// - Returns: One entry per user, in input order.
    public static func score(recencyDays: [Double], purchases: [Double], spend: [Double]) -> [Scores] {
        precondition(
            recencyDays.count == purchases.count && purchases.count == spend.count,
            "RFMSegmentation.score: \(recencyDays.count), \(purchases.count), \(spend.count) values for one table")
        let buyers = purchases.indices.filter { purchases[$0] > 0 }
        // Recent is good: rank the negated recency.
        let r = quintiles(buyers.map { -recencyDays[$0] })
        let f = quintiles(buyers.map { purchases[$0] })
        let m = quintiles(buyers.map { spend[$0] })
        var result = [Scores](
            repeating: Scores(recency: 0, frequency: 0, monetary: 0, segment: .noPurchase), count: purchases.count)
        for (position, user) in buyers.enumerated() {
            result[user] = Scores(
                recency: r[position], frequency: f[position], monetary: m[position],
                segment: segment(recency: r[position], frequency: f[position]))
        }
        return result
    }

    /// Quintile scores 1-5 of `values` by rank (ties in input order): the lowest fifth is 1.
    public static func quintiles(_ values: [Double]) -> [Int] {
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
        var scores = [Int](repeating: 0, count: values.count)
        for (rank, index) in order.enumerated() {
            // rank / n in [0, 1): fifths 0.0-0.2 -> 1, ..., 0.8-1.0 -> 5 (pandas qcut on ranks 1...n).
            scores[index] = min(5, (rank * 5) / values.count + 1)
        }
        return scores
    }

    /// The named segment of a recency and frequency score (1-5 each).
    public static func segment(recency: Int, frequency: Int) -> RFMSegment {
        switch (recency, frequency) {
        case (5, 4...5): return .champions
        case (3...4, 4...5): return .loyal
        case (5, 1): return .newCustomers
        case (4...5, 2...3): return .potentialLoyalists
        case (4, 1): return .promising
        case (3, 3): return .needAttention
        case (3, 1...2): return .aboutToSleep
        case (1...2, 5): return .cannotLose
        case (1...2, 3...4): return .atRisk
        default: return .hibernating
        }
    }
}

/// The named RFM segments.
public enum RFMSegment: String, Sendable, Codable, CaseIterable {
    case champions
    case loyal
    case potentialLoyalists = "potential_loyalists"
    case newCustomers = "new_customers"
    case promising
    case needAttention = "need_attention"
    case aboutToSleep = "about_to_sleep"
    case atRisk = "at_risk"
    case cannotLose = "cannot_lose"
    case hibernating
    /// Users with no purchase in the data.
    case noPurchase = "no_purchase"

    /// What the segment means, in a marketer's words.
    public var meaning: String {
        switch self {
        case .champions: return "bought recently, buy often"
        case .loyal: return "buy often, not quite as recently"
        case .potentialLoyalists: return "recent buyers with a few purchases"
        case .newCustomers: return "bought recently, once"
        case .promising: return "fairly recent, one purchase"
        case .needAttention: return "middling recency and frequency"
        case .aboutToSleep: return "middling recency, few purchases"
        case .atRisk: return "bought often, but long ago"
        case .cannotLose: return "bought most often, but long ago"
        case .hibernating: return "long ago and seldom"
        case .noPurchase: return "never bought"
        }
    }
}
