/// The spacing of a regular series: one value per hour, day or week.
///
/// Months are not offered: they are not of equal length, and activity series are kept by
/// day or finer.
public enum Frequency: String, Codable, Sendable, CaseIterable {
    case hour
    case day
    case week

    /// The length of one period in milliseconds.
    public var milliseconds: Int64 {
        switch self {
        case .hour: return 3_600_000
        case .day: return 86_400_000
        case .week: return 604_800_000
        }
    }

    /// The usual season: 24 hours in a day, 7 days in a week, 52 weeks in a year.
    public var defaultSeasonPeriod: Int {
        switch self {
        case .hour: return 24
        case .day: return 7
        case .week: return 52
        }
    }

    /// The frequency whose period is `milliseconds` long, if there is one.
    public init?(milliseconds: Int64) {
        guard let match = Frequency.allCases.first(where: { $0.milliseconds == milliseconds }) else { return nil }
        self = match
    }
}
