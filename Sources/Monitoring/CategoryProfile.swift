import Foundation

/// A categorical feature's training frequencies: the most frequent values with their counts,
/// the rest as one "other" count, and missing values as their own count.
public struct CategoryProfile: Sendable, Codable, Equatable {
    /// The kept values, most frequent first (ties by value, so the profile is deterministic).
    public var values: [String]
    /// Their counts, in the same order.
    public var counts: [Int]
    /// Values seen in training but not kept.
    public var other: Int
    /// Missing values.
    public var missing: Int

    /// How many values a profile keeps by default.
    public static let keptValues = 100

    /// Profiles `values` (nil is missing), keeping the `keep` most frequent.
    public init(values: some Sequence<String?>, keep: Int = CategoryProfile.keptValues) {
        var tally: [String: Int] = [:]
        var missing = 0
        for value in values {
            if let value { tally[value, default: 0] += 1 } else { missing += 1 }
        }
        let ranked = tally.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let kept = ranked.prefix(max(keep, 0))
        self.values = kept.map(\.key)
        counts = kept.map(\.value)
        other = ranked.dropFirst(kept.count).reduce(0) { $0 + $1.value }
        self.missing = missing
    }

    /// A profile from its parts, as decoded; nil when they do not agree.
    public init?(values: [String], counts: [Int], other: Int, missing: Int) {
        self.values = values
        self.counts = counts
        self.other = other
        self.missing = missing
        guard isConsistent else { return nil }
    }

    /// Whether the parts agree: one non-negative count per distinct value.
    public var isConsistent: Bool {
        values.count == counts.count && Set(values).count == values.count && counts.allSatisfy { $0 >= 0 }
            && other >= 0 && missing >= 0
    }

    /// Every value counted, missing ones included.
    public var total: Int { counts.reduce(other + missing, +) }

    /// The two profiles combined: counts of shared values add; a value kept by one profile only
    /// keeps its count there, and the other profile's share of it stays in its "other" (so the
    /// merge is exact for profiles that kept every value, an upper bound on "other" otherwise).
    public func merged(with other: CategoryProfile) -> CategoryProfile {
        var tally: [String: Int] = [:]
        for (value, count) in zip(values, counts) { tally[value, default: 0] += count }
        for (value, count) in zip(other.values, other.counts) { tally[value, default: 0] += count }
        let ranked = tally.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let kept = ranked.prefix(max(values.count, other.values.count, Self.keptValues))
        var merged = self
        merged.values = kept.map(\.key)
        merged.counts = kept.map(\.value)
        merged.other = self.other + other.other + ranked.dropFirst(kept.count).reduce(0) { $0 + $1.value }
        merged.missing = missing + other.missing
        return merged
    }
}

/// A sample counted against a profile's kept values.
public struct CategoryTally: Sendable, Equatable {
    /// Per kept value of the profile, in its order.
    public var counts: [Int]
    /// Values the profile did not keep (new values among them).
    public var other = 0
    /// Values the profile never saw at all, when it kept every value it saw (`other == 0`);
    /// otherwise they are indistinguishable from values it dropped, and this stays 0.
    public var unseen = 0
    public var missing = 0

    /// Counts `values` (nil is missing) against `profile`.
    public init(values: some Sequence<String?>, in profile: CategoryProfile) {
        var index: [String: Int] = [:]
        for (position, value) in profile.values.enumerated() { index[value] = position }
        counts = [Int](repeating: 0, count: profile.values.count)
        let complete = profile.other == 0
        for value in values {
            guard let value else {
                missing += 1
                continue
            }
            if let position = index[value] {
                counts[position] += 1
            } else {
                other += 1
                if complete { unseen += 1 }
            }
        }
    }

    /// Every value counted, missing ones included.
    public var total: Int { counts.reduce(other + missing, +) }
}
