import Foundation
import Settings

/// A regular time series: one value per period from a start date, `.nan` where a period is
/// missing.
///
/// Period `i` starts at `start + i` periods (UTC). Missing periods stay `.nan` (never 0):
/// every forecaster skips them, so a day without data is not read as a day without activity.
///
/// ```swift
/// let visits = try TimeSeries(year: 2024, month: 3, day: 1, frequency: .day, values: [12, 15, .nan, 14])
/// visits.seasonPeriod          // 7
/// visits.dateText(at: 2)       // "2024-03-03"
/// visits.missingCount          // 1
/// ```
public struct TimeSeries: Codable, Sendable, Equatable {
    /// A name for reports (the CSV column the values came from).
    public var name: String
    /// The start of the first period, in milliseconds since 1970-01-01T00:00:00Z.
    public var start: Int64
    /// The spacing of the periods.
    public var frequency: Frequency
    /// One value per period; `.nan` marks a missing period.
    public var values: [Double]
    /// Periods in one season (7 for days, 24 for hours, 52 for weeks unless set).
    public var seasonPeriod: Int

    /// - Parameters:
    ///   - name: A name for reports.
    ///   - start: The start of the first period, in milliseconds since the epoch (UTC).
    ///   - frequency: The spacing of the periods.
    ///   - values: One value per period, `.nan` where missing.
    ///   - seasonPeriod: Periods per season; `nil` takes the frequency's default.
    /// - Throws: ``InvalidParameter`` (`season-period`) for a season shorter than 1 period.
    public init(
        name: String = "value", start: Int64, frequency: Frequency, values: [Double], seasonPeriod: Int? = nil
    ) throws(InvalidParameter) {
        let period = seasonPeriod ?? frequency.defaultSeasonPeriod
        try InvalidParameter.require(period >= 1, "season-period", period, allowed: "at least 1")
        self.name = name
        self.start = start
        self.frequency = frequency
        self.values = values
        self.seasonPeriod = period
    }

    /// A series starting at midnight UTC of a calendar date.
    ///
    /// - Throws: ``InvalidParameter`` (`start`) for a date that does not exist, or (`season-period`)
    ///   for a season shorter than 1 period.
    public init(
        name: String = "value", year: Int, month: Int, day: Int, frequency: Frequency, values: [Double],
        seasonPeriod: Int? = nil
    ) throws(InvalidParameter) {
        guard let start = ISODate.milliseconds(year: year, month: month, day: day) else {
            throw InvalidParameter(
                "start", value: "\(year)-\(month)-\(day)", allowed: "a calendar date between years 0 and 9999")
        }
        try self.init(name: name, start: start, frequency: frequency, values: values, seasonPeriod: seasonPeriod)
    }

    /// The number of periods, missing ones included.
    public var count: Int { values.count }

    /// The number of missing periods.
    public var missingCount: Int { values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) } }

    /// The start of period `index` in milliseconds since the epoch (any index, also past the end).
    public func timestamp(at index: Int) -> Int64 { start + Int64(index) * frequency.milliseconds }

    /// The start of period `index` as a `Date`.
    public func date(at index: Int) -> Date {
        Date(timeIntervalSince1970: Double(timestamp(at: index)) / 1000)
    }

    /// The start of period `index` as ISO text in UTC: `2024-03-01` for days and weeks,
    /// `2024-03-01T13:00:00Z` for hours (or when the start is not at midnight).
    public func dateText(at index: Int) -> String {
        let stamp = timestamp(at: index)
        return ISODate.text(stamp, withTime: frequency == .hour || stamp % 86_400_000 != 0)
    }

    /// The index of the period that starts at `timestamp`, or `nil` when it is not on the grid.
    public func index(of timestamp: Int64) -> Int? {
        let offset = timestamp - start
        guard offset % frequency.milliseconds == 0 else { return nil }
        return Int(offset / frequency.milliseconds)
    }
}
