import Evaluation
import EventData
import Foundation

/// A name with its share of a whole (a category among a segment's events, say).
public struct NamedShare: Sendable, Codable, Equatable {
    public var name: String
    public var share: Double
}

/// One feature of a segment against the whole population.
public struct FeatureComparison: Sendable, Codable, Equatable {
    public var feature: String
    public var mean: Double
    public var median: Double
    public var populationMean: Double
    public var populationMedian: Double
    /// `mean / populationMean` (nil when the population's mean is 0).
    public var lift: Double?
    /// `(mean - populationMean) / populationStandardDeviation`: how far apart, in a unit that
    /// compares across features (0 for a constant feature).
    public var standardizedDifference: Double
}

/// A segment described for people: size, its features against everyone's, what its users do
/// and when, and one line of plain language.
public struct SegmentPortrait: Sendable, Codable, Equatable {
    public var segment: String
    public var size: Int
    public var share: Double
    /// Every feature, in the table's order.
    public var features: [FeatureComparison]
    /// The most frequent categories and items of the segment's events (store data only).
    public var topCategories: [NamedShare]
    public var topItems: [NamedShare]
    /// The segment's events by type (store data only).
    public var eventTypes: [NamedShare]
    /// Share of the segment's events in each hour of the day (UTC) and day of the week (Monday
    /// first), when the table has the `hour_00`... and `dow_mon`... columns.
    public var hours: [Double]?
    public var weekdays: [Double]?
    /// Share of the segment's events at night (0-6 h UTC), in the morning, afternoon and
    /// evening, from the hourly profile or the table's daypart columns.
    public var dayparts: [NamedShare]?
    /// Share of the segment's users with a purchase, and their mean spend (when the table has
    /// `count_purchase` and `monetary`).
    public var purchaseRate: Double?
    public var meanSpend: Double?
    /// What the segment's users did after the segmentation's as-of time, when the store has
    /// events after it: the check that segments mean something.
    public var after: FollowUp?
    /// One line built from the largest differences, like "buys 3.1x as often as average, mostly
    /// evenings, mostly one category".
    public var description: String
}

/// What a segment's users did after the as-of time.
public struct FollowUp: Sendable, Codable, Equatable {
    /// Share of the segment's users with a purchase after it.
    public var boughtAgain: Double
    /// Mean spend per user after it (0 for users who bought nothing).
    public var meanSpend: Double
}

/// What each segment's users did in a store: the counts portraits report.
public struct SegmentActivity: Sendable {
    public var categories: [[String: Int]]
    public var items: [[String: Int]]
    public var eventTypes: [[String: Int]]
    /// With an as-of time: each segmented user's segment and whether they bought after it, and
    /// each segment's spend after it.
    public var later: [(segment: Int, bought: Bool)]
    public var laterSpend: [Double]

    /// Each segment's ``FollowUp``, when there was an as-of time.
    public var followUps: [FollowUp]? {
        guard !later.isEmpty else { return nil }
        return laterSpend.indices.map { segment in
            let members = later.filter { $0.segment == segment }
            let count = Double(max(1, members.count))
            return FollowUp(
                boughtAgain: Double(members.filter(\.bought).count) / count, meanSpend: laterSpend[segment] / count)
        }
    }

    /// How well the segments separate who buys after the as-of time: the ROC-AUC of each user's
    /// segment repurchase rate against whether they bought (in-sample; nil without an as-of
    /// time or when everyone, or no one, bought).
    public var repurchaseAUC: Double? {
        guard let rates = followUps?.map(\.boughtAgain) else { return nil }
        return ClassificationReport(
            probabilities: later.map { rates[$0.segment] }, labels: later.map { $0.bought ? 1 : 0 }
        ).rocAUC
    }

    /// Counts the events of every user in `store` by the segment `segmentOf` gives them (nil:
    /// not segmented, skipped): the events before `until` when given, and the purchases from it
    /// on as what the segments did after.
    public static func count(
        store: any EventStore, segments: Int, until: Int64? = nil, segmentOf: (String) -> Int?
    ) throws -> SegmentActivity {
        var activity = SegmentActivity(
            categories: Array(repeating: [:], count: segments), items: Array(repeating: [:], count: segments),
            eventTypes: Array(repeating: [:], count: segments), later: [],
            laterSpend: Array(repeating: 0, count: segments))
        let items = try store.itemIDs()
        try store.forEachUserHistory { history in
            guard let segment = segmentOf(history.userID) else { return }
            for event in history.events where until.map({ event.timestamp < $0 }) ?? true {
                activity.eventTypes[segment][event.type.rawValue, default: 0] += 1
                if let category = event.category { activity.categories[segment][category, default: 0] += 1 }
                if let item = event.item, item < items.count {
                    activity.items[segment][items.externalIDs[item], default: 0] += 1
                }
            }
            if let until {
                var bought = false
                for event in history.events where event.timestamp >= until && event.type == .purchase {
                    bought = true
                    activity.laterSpend[segment] += event.value ?? 0
                }
                activity.later.append((segment, bought))
            }
        }
        return activity
    }
}

/// Builds segment portraits.
public enum Portraits {
    /// The portraits of segments `0..<names.count`.
    ///
    /// - Parameters:
    ///   - columns: The feature names.
    ///   - rows: Each user's raw (unscaled) feature values.
    ///   - labels: Each user's segment index.
    ///   - names: The segments' names, by index.
    ///   - activity: What each segment did in the store, when the data came from one.
    public static func build(
        columns: [String], rows: [[Double]], labels: [Int], names: [String], activity: SegmentActivity? = nil
    ) -> [SegmentPortrait] {
        precondition(rows.count == labels.count, "Portraits.build: \(rows.count) rows for \(labels.count) labels")
        let population = columns.indices.map { column in Summary(rows.map { $0[column] }) }
        let hourColumns = (0..<24).map { columns.firstIndex(of: $0 < 10 ? "hour_0\($0)" : "hour_\($0)") }
        let dayColumns = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map { columns.firstIndex(of: "dow_\($0)") }
        let partColumns = FeatureTable.dayparts.map { columns.firstIndex(of: $0.column) }
        let purchases = columns.firstIndex(of: "count_purchase")
        let monetary = columns.firstIndex(of: "monetary")
        return names.indices.map { segment in
            let members = labels.indices.filter { labels[$0] == segment }
            let features = columns.indices.map { column -> FeatureComparison in
                let own = Summary(members.map { rows[$0][column] })
                let all = population[column]
                return FeatureComparison(
                    feature: columns[column], mean: own.mean, median: own.median, populationMean: all.mean,
                    populationMedian: all.median, lift: all.mean != 0 ? own.mean / all.mean : nil,
                    standardizedDifference: all.deviation > 0 ? (own.mean - all.mean) / all.deviation : 0)
            }
            func profile(_ indexes: [Int?]) -> [Double]? {
                guard indexes.allSatisfy({ $0 != nil }), !members.isEmpty else { return nil }
                return indexes.compactMap { $0 }.map { column in
                    members.reduce(0) { $0 + rows[$1][column] } / Double(members.count)
                }
            }
            let hours = profile(hourColumns)
            let dayparts = daypartShares(hours: hours, columns: profile(partColumns))
            var portrait = SegmentPortrait(
                segment: names[segment], size: members.count,
                share: rows.isEmpty ? 0 : Double(members.count) / Double(rows.count), features: features,
                topCategories: top(activity?.categories[segment]), topItems: top(activity?.items[segment]),
                eventTypes: top(activity?.eventTypes[segment], count: 10), hours: hours, weekdays: profile(dayColumns),
                dayparts: dayparts,
                purchaseRate: purchases.map { column in
                    members.isEmpty ? 0 : Double(members.filter { rows[$0][column] > 0 }.count) / Double(members.count)
                },
                meanSpend: monetary.map { column in features[column].mean }, after: activity?.followUps?[segment],
                description: "")
            portrait.description = describe(
                portrait,
                populationDayparts: daypartShares(
                    hours: populationProfile(rows, hourColumns), columns: populationProfile(rows, partColumns)))
            return portrait
        }
    }

    /// The population's mean of hour columns.
    private static func populationProfile(_ rows: [[Double]], _ indexes: [Int?]) -> [Double]? {
        guard indexes.allSatisfy({ $0 != nil }), !rows.isEmpty else { return nil }
        return indexes.compactMap { $0 }.map { column in rows.reduce(0) { $0 + $1[column] } / Double(rows.count) }
    }

    /// Daypart shares from an hourly profile, or else from daypart columns' means.
    private static func daypartShares(hours: [Double]?, columns: [Double]?) -> [NamedShare]? {
        let names = ["nights", "mornings", "afternoons", "evenings"]
        if let hours {
            return zip(names, FeatureTable.dayparts).map { name, part in
                NamedShare(name: name, share: part.hours.reduce(0) { $0 + hours[$1] })
            }
        }
        return columns.map { zip(names, $0).map { NamedShare(name: $0, share: $1) } }
    }

    /// The most frequent names of `counts` with their shares, at most `count`.
    private static func top(_ counts: [String: Int]?, count: Int = 5) -> [NamedShare] {
        guard let counts else { return [] }
        let total = Double(counts.values.reduce(0, +))
        guard total > 0 else { return [] }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count)
            .map { NamedShare(name: $0.key, share: Double($0.value) / total) }
    }

    /// Phrases for the features behaviour data usually has; other features are named as they are.
    private static let phrases: [String: (more: String, less: String)] = [
        "count_purchase": ("buys %@x as often as average", "buys %@x less often than average"),
        "frequency": ("%@x as active as average", "%@x less active than average"),
        "monetary": ("spends %@x the average", "spends %@x less than average"),
        "sessions": ("%@x as many sessions as average", "%@x fewer sessions than average"),
        "recency_days": ("inactive %@x longer than average", "seen %@x more recently than average"),
        "distinct_categories": ("browses %@x as many categories", "browses %@x fewer categories"),
        "distinct_items": ("looks at %@x as many items", "looks at %@x fewer items"),
        "view_to_purchase": ("converts views %@x as often", "converts views %@x less often"),
        "cart_to_purchase": ("converts carts %@x as often", "converts carts %@x less often"),
        "mean_dwell_seconds": ("dwells %@x as long", "dwells %@x less long"),
        "mean_session_minutes": ("sessions %@x as long", "sessions %@x shorter"),
    ]

    /// One line from the largest standardized differences (at least half a standard deviation),
    /// the time of day when it stands out, and "mostly one category" when it does (or the
    /// category it favours: a quarter of its share or more, at least twice everyone's).
    static func describe(_ portrait: SegmentPortrait, populationDayparts: [NamedShare]?) -> String {
        var parts: [String] = []
        // Largest differences first; equal ones in the table's order.
        let candidates = portrait.features.enumerated().filter { _, feature in
            abs(feature.standardizedDifference) >= 0.5 && !feature.feature.hasPrefix("hour_")
                && !feature.feature.hasPrefix("dow_") && !feature.feature.hasPrefix("share_")
                && !feature.feature.hasPrefix("daypart_") && !feature.feature.hasPrefix("category_")
        }
        .sorted { first, second in
            let (a, b) = (abs(first.element.standardizedDifference), abs(second.element.standardizedDifference))
            return a != b ? a > b : first.offset < second.offset
        }
        .map(\.element)
        for feature in candidates where parts.count < 3 {
            guard let lift = feature.lift, lift > 0 else {
                parts.append("\(feature.feature) \(number(feature.mean)) (average \(number(feature.populationMean)))")
                continue
            }
            let factor = lift >= 1 ? lift : 1 / lift
            // A wide standardized gap on a feature that barely varies ("1.0x as many") says nothing.
            guard factor >= 1.15 else { continue }
            if let phrase = phrases[feature.feature] {
                parts.append(
                    (lift >= 1 ? phrase.more : phrase.less).replacingOccurrences(of: "%@", with: number(factor)))
            } else {
                parts.append("\(feature.feature) \(number(factor))x \(lift >= 1 ? "above" : "below") average")
            }
        }
        if let own = portrait.dayparts, let everyone = populationDayparts,
            let (part, base) = zip(own, everyone).max(by: { $0.0.share < $1.0.share }),
            part.share >= 0.5, part.share >= 1.25 * base.share
        {
            parts.append("mostly \(part.name)")
        }
        if let categories = portrait.features.first(where: { $0.feature == "distinct_categories" }),
            categories.mean <= 1.5, categories.populationMean > 1.5
        {
            parts.append("mostly one category")
        } else if let top = portrait.topCategories.first, top.share >= 0.5 {
            parts.append("mostly \(top.name)")
        } else if let favourite = portrait.features.filter({
            $0.feature.hasPrefix("category_") && $0.mean >= 0.25 && ($0.lift ?? 0) >= 2
        }).max(by: { ($0.lift ?? 0) < ($1.lift ?? 0) }), let lift = favourite.lift {
            // A category the segment favours well above everyone, though under half its events.
            parts.append(
                "favours \(favourite.feature.dropFirst("category_".count)) (\(number(lift))x the average share)")
        }
        return parts.isEmpty ? "close to average on every feature" : parts.joined(separator: ", ")
    }

    /// A number for people: `12` from 10 up, `3.1` from 1, `0.42` below (two significant digits).
    public static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 10 { return String(format: "%.0f", value) }
        if magnitude >= 1 { return String(format: "%.1f", value) }
        return String(format: "%.2g", value)
    }
}

/// Mean, median and standard deviation of a column.
struct Summary {
    var mean: Double
    var median: Double
    var deviation: Double

    init(_ values: [Double]) {
        guard !values.isEmpty else {
            self.init(mean: 0, median: 0, deviation: 0)
            return
        }
        let sorted = values.sorted()
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        self.init(
            mean: mean, median: (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2,
            deviation: variance.squareRoot())
    }

    init(mean: Double, median: Double, deviation: Double) {
        self.mean = mean
        self.median = median
        self.deviation = deviation
    }
}
