import Foundation
import Settings

/// Calendar dummies for a regression with ARIMA errors, each 1 in the periods it names and 0
/// elsewhere; one level of each is the base and has no dummy.
public enum CalendarFeature: String, Codable, Sendable, CaseIterable {
    /// Six day-of-week dummies, `tuesday` ... `sunday` (Monday is the base); hourly or daily series.
    case weekday
    /// One dummy, `weekend`, for Saturday and Sunday; hourly or daily series.
    case weekend
    /// Eleven month dummies, `february` ... `december` (January is the base; a week counts in
    /// the month it starts in).
    case month
    /// 23 hour-of-day dummies, `hour-01` ... `hour-23` (midnight is the base); hourly series.
    case hour

    /// The dummies' names.
    public var names: [String] {
        switch self {
        case .weekday: return ["tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        case .weekend: return ["weekend"]
        case .month:
            return [
                "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
                "december",
            ]
        case .hour: return (1..<24).map { $0 < 10 ? "hour-0\($0)" : "hour-\($0)" }
        }
    }

    /// The level of the period starting at `stamp` (0 is the base level): Monday 0 ... Sunday
    /// 6, weekend 0 or 1, January 0 ... December 11, hour 0 ... 23 (UTC).
    func level(at stamp: Int64) -> Int {
        let day = Int64(floor(Double(stamp) / 86_400_000))
        switch self {
        case .weekday: return Int(((day + 3) % 7 + 7) % 7)  // 1970-01-01 was a Thursday.
        case .weekend: return Self.weekday.level(at: stamp) >= 5 ? 1 : 0
        case .month: return ISODate.civil(fromDays: day).month - 1
        case .hour: return Int((stamp - day * 86_400_000) / 3_600_000)
        }
    }
}

/// A named day that may move activity: a public holiday, a sale, a product launch.
public struct Holiday: Sendable, Equatable {
    /// The start of the day (UTC), in milliseconds since the epoch.
    public var day: Int64
    /// The regressor it belongs to; days with the same name share one dummy.
    public var name: String

    /// A holiday on the day that contains `stamp`.
    public init(containing stamp: Int64, name: String = "holiday") {
        day = Int64(floor(Double(stamp) / 86_400_000)) * 86_400_000
        self.name = name
    }

    /// Reads holidays from CSV text: a `date` column (a day, `YYYY-MM-DD`, or a time within
    /// it) and an optional `name` column (one regressor per name; without it every day is
    /// `holiday`).
    ///
    /// - Throws: ``ForecastingError`` naming the line of a date that cannot be read, or a
    ///   missing `date` column.
    public static func read(csv text: String, source: String) throws -> [Holiday] {
        let records = csvRecords(text)
        let header = records.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        guard let dateColumn = header.firstIndex(of: "date") else {
            throw ForecastingError.missingColumn(source: source, column: "date", available: header)
        }
        let nameColumn = header.firstIndex(of: "name")
        var holidays: [Holiday] = []
        for record in records.dropFirst() {
            let text =
                dateColumn < record.fields.count ? record.fields[dateColumn].trimmingCharacters(in: .whitespaces) : ""
            guard let stamp = ISODate.milliseconds(text) else {
                throw ForecastingError.badRow(
                    source: source, line: record.line, column: "date", text: text,
                    reason: "is not a date; write it as YYYY-MM-DD")
            }
            var name = "holiday"
            if let nameColumn, nameColumn < record.fields.count {
                let given = record.fields[nameColumn].trimmingCharacters(in: .whitespaces)
                if !given.isEmpty { name = given }
            }
            holidays.append(Holiday(containing: stamp, name: name))
        }
        return holidays
    }
}

extension ExogenousRegressors {
    /// Calendar dummies for `periods` periods from `start`.
    ///
    /// - Throws: ``InvalidParameter`` (key `calendar`) for no features, a feature given twice,
    ///   or one finer than the series (weekday or weekend on a weekly series, hour on a daily one).
    public static func calendar(
        _ features: [CalendarFeature], start: Int64, frequency: Frequency, periods: Int
    ) throws(InvalidParameter) -> ExogenousRegressors {
        try InvalidParameter.require(
            !features.isEmpty && Set(features).count == features.count, "calendar",
            features.map(\.rawValue).joined(separator: ","), allowed: "one or more different features")
        var names: [String] = []
        var columns: [[Double]] = []
        for feature in features {
            let fine = feature == .hour ? frequency == .hour : (feature == .month || frequency != .week)
            try InvalidParameter.require(
                fine, "calendar", feature.rawValue,
                allowed: feature == .hour
                    ? "hour only for hourly series" : "weekday and weekend for hourly or daily series")
            let levels = (0..<periods).map { feature.level(at: start + Int64($0) * frequency.milliseconds) }
            for (offset, name) in feature.names.enumerated() {
                names.append(name)
                columns.append(levels.map { $0 == offset + 1 ? 1 : 0 })
            }
        }
        return try ExogenousRegressors(names: names, columns: columns)
    }

    /// One dummy per holiday name, in the order names first appear: 1 in every period that
    /// overlaps one of its days (the day itself, each of its hours, the week containing it).
    ///
    /// - Throws: ``InvalidParameter`` (key `holidays`) for an empty list.
    public static func holidays(
        _ holidays: [Holiday], start: Int64, frequency: Frequency, periods: Int
    ) throws(InvalidParameter) -> ExogenousRegressors {
        try InvalidParameter.require(!holidays.isEmpty, "holidays", 0, allowed: "at least one day")
        var names: [String] = []
        var columns: [[Double]] = []
        let step = frequency.milliseconds
        for holiday in holidays {
            var column = names.firstIndex(of: holiday.name)
            if column == nil {
                names.append(holiday.name)
                columns.append([Double](repeating: 0, count: periods))
                column = names.count - 1
            }
            guard let column else { continue }
            // Periods [start + i step, start + (i + 1) step) that overlap [day, day + 1 day).
            let first = Int(floor(Double(holiday.day - start - step + 1) / Double(step))) + 1
            let last = Int(floor(Double(holiday.day + 86_400_000 - 1 - start) / Double(step)))
            let low = max(first, 0)
            let high = min(last, periods - 1)
            if low <= high {
                for i in low...high { columns[column][i] = 1 }
            }
        }
        return try ExogenousRegressors(names: names, columns: columns)
    }

    /// Regressors read from CSV text, on the calendar of a series: the date column and every
    /// other column as a numeric regressor, placed on the `periods` periods from `start`; a
    /// period no row covers, or an empty cell, is unknown (`.nan`). Also returns what the
    /// file's reading reported (``SeriesReading/summary``: gaps, repeated dates).
    ///
    /// - Throws: ``ForecastingError`` naming the line and column of a cell that cannot be read,
    ///   a missing date column, or dates off the series' grid.
    public static func read(
        csv text: String, source: String, dateColumn: String, start: Int64, frequency: Frequency, periods: Int
    ) throws -> (regressors: ExogenousRegressors, summary: [String]) {
        let reading = try TimeSeries.read(
            csv: text, source: source, dateColumn: dateColumn, frequency: frequency, badRows: .fail)
        guard let first = reading.series.first else { throw ForecastingError.noDates(source: source) }
        guard (first.start - start) % frequency.milliseconds == 0 else {
            throw ForecastingError.irregularDates(
                source: source, line: 2,
                detail: "dates start at \(first.dateText(at: 0)), off the series' \(frequency.rawValue)ly grid")
        }
        let offset = Int((first.start - start) / frequency.milliseconds)
        let columns = reading.series.map { series in
            (0..<periods).map { t -> Double in
                let index = t - offset
                return index >= 0 && index < series.count ? series.values[index] : .nan
            }
        }
        do {
            return (try ExogenousRegressors(names: reading.series.map(\.name), columns: columns), reading.summary)
        } catch {
            throw ForecastingError.unsuitableValues(model: source, detail: error.description)
        }
    }
}
