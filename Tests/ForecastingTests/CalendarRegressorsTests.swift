import Foundation
import Settings
import Testing

@testable import Forecasting

/// Calendar dummies, holiday dummies and regressor files, on hand-checked dates.
@Suite struct CalendarRegressorsTests {
    static let monday = ISODate.milliseconds("2024-01-01") ?? 0  // 2024-01-01 was a Monday.

    @Test func weekdayAndWeekendDummiesFollowTheCalendar() throws {
        let regressors = try ExogenousRegressors.calendar(
            [.weekday, .weekend], start: Self.monday, frequency: .day, periods: 8)
        #expect(regressors.names == CalendarFeature.weekday.names + ["weekend"])
        let sunday = try #require(regressors.names.firstIndex(of: "sunday"))
        #expect(regressors.columns[sunday] == [0, 0, 0, 0, 0, 0, 1, 0])
        #expect(regressors.columns[0] == [0, 1, 0, 0, 0, 0, 0, 0])  // tuesday
        #expect(regressors.columns[6] == [0, 0, 0, 0, 0, 1, 1, 0])  // weekend
    }

    @Test func monthAndHourDummies() throws {
        let january31 = try #require(ISODate.milliseconds("2024-01-31"))
        let months = try ExogenousRegressors.calendar([.month], start: january31, frequency: .day, periods: 31)
        let february = try #require(months.names.firstIndex(of: "february"))
        let march = try #require(months.names.firstIndex(of: "march"))
        #expect(months.columns[february].reduce(0, +) == 29)  // 2024 is a leap year.
        #expect(months.columns[march] == [Double](repeating: 0, count: 30) + [1])
        let hours = try ExogenousRegressors.calendar(
            [.hour], start: Self.monday + 22 * 3_600_000, frequency: .hour, periods: 4)
        #expect(hours.names.count == 23)
        // 22:00, 23:00, then midnight (the base) and 01:00 of the next day.
        #expect(hours.names[21] == "hour-22" && hours.columns[21] == [1, 0, 0, 0])
        #expect(hours.columns[22] == [0, 1, 0, 0])
        #expect(hours.columns[0] == [0, 0, 0, 1])
        #expect(hours.columns[20] == [0, 0, 0, 0])
    }

    @Test func hourlyFeaturesAreRefusedOnDailySeries() {
        #expect(throws: InvalidParameter.self) {
            try ExogenousRegressors.calendar([.hour], start: Self.monday, frequency: .day, periods: 5)
        }
        #expect(throws: InvalidParameter.self) {
            try ExogenousRegressors.calendar([.weekday], start: Self.monday, frequency: .week, periods: 5)
        }
        #expect(throws: InvalidParameter.self) {
            try ExogenousRegressors.calendar([.month, .month], start: Self.monday, frequency: .day, periods: 5)
        }
    }

    @Test func holidaysMarkTheirDayHoursAndWeek() throws {
        let text = "date,name\n2024-01-03,sale\n2024-01-10,launch\n2024-01-05,sale\n"
        let holidays = try Holiday.read(csv: text, source: "holidays.csv")
        #expect(holidays.map(\.name) == ["sale", "launch", "sale"])
        let daily = try ExogenousRegressors.holidays(holidays, start: Self.monday, frequency: .day, periods: 9)
        #expect(daily.names == ["sale", "launch"])
        #expect(daily.columns[0] == [0, 0, 1, 0, 1, 0, 0, 0, 0])
        #expect(daily.columns[1] == [Double](repeating: 0, count: 9))
        let hourly = try ExogenousRegressors.holidays(
            holidays, start: Self.monday + 47 * 3_600_000, frequency: .hour, periods: 3)
        #expect(hourly.columns[0] == [0, 1, 1])  // 23:00 on the 2nd, then the 3rd's first hours.
        let weekly = try ExogenousRegressors.holidays(holidays, start: Self.monday, frequency: .week, periods: 3)
        #expect(weekly.columns[0] == [1, 0, 0])
        #expect(weekly.columns[1] == [0, 1, 0])
        let unnamed = try Holiday.read(csv: "date\n2024-01-02\n", source: "h.csv")
        #expect(unnamed == [Holiday(containing: Self.monday + 86_400_000)])
    }

    @Test func badHolidayFilesNameTheLine() {
        #expect(
            throws: ForecastingError.badRow(
                source: "h.csv", line: 3, column: "date", text: "next friday",
                reason: "is not a date; write it as YYYY-MM-DD")
        ) {
            try Holiday.read(csv: "date\n2024-01-02\nnext friday\n", source: "h.csv")
        }
        #expect(throws: ForecastingError.missingColumn(source: "h.csv", column: "date", available: ["day"])) {
            try Holiday.read(csv: "day\n2024-01-02\n", source: "h.csv")
        }
    }

    @Test func regressorFilesLandOnTheSeriesCalendar() throws {
        let text = "day,price,promotion\n2024-01-02,9.5,1\n2024-01-03,9.0,\n2024-01-04,8.5,0\n"
        let (regressors, summary) = try ExogenousRegressors.read(
            csv: text, source: "x.csv", dateColumn: "day", start: Self.monday, frequency: .day, periods: 5)
        #expect(regressors.names == ["price", "promotion"])
        #expect(regressors.columns[0].map { $0.isNaN ? -1 : $0 } == [-1, 9.5, 9.0, 8.5, -1])
        #expect(regressors.columns[1].map { $0.isNaN ? -1 : $0 } == [-1, 1, -1, 0, -1])
        #expect(summary.isEmpty)
        #expect(throws: ForecastingError.self) {
            try ExogenousRegressors.read(
                csv: "day,price\n2024-01-02,cheap\n", source: "x.csv", dateColumn: "day", start: Self.monday,
                frequency: .day, periods: 5)
        }
        #expect(throws: ForecastingError.self) {
            try ExogenousRegressors.read(
                csv: "day,price\n2024-01-02T12:00:00Z,1\n", source: "x.csv", dateColumn: "day", start: Self.monday,
                frequency: .day, periods: 5)
        }
    }
}
