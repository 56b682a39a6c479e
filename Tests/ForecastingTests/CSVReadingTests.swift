import Foundation
import Testing

@testable import Forecasting

@Suite("reading series from CSV")
struct CSVReadingTests {
    static let messy = """
        date,visits,orders
        2024-01-03,12,3
        2024-01-01,10,2
        2024-01-05,abc,4
        2024-01-01,99,9
        not-a-date,1,1
        2024-01-06,,5
        """

    @Test("rows are sorted, missing dates stay missing (not zero), duplicates and bad cells are reported")
    func messyFile() throws {
        let reading = try TimeSeries.read(csv: Self.messy, valueColumns: ["visits", "orders"])
        #expect(reading.series.count == 2)
        let visits = reading.series[0]
        let orders = reading.series[1]
        #expect(visits.name == "visits" && visits.frequency == .day && visits.seasonPeriod == 7)
        #expect(visits.dateText(at: 0) == "2024-01-01")
        #expect(visits.values.count == 6)
        #expect(zip(visits.values, [10, .nan, 12, .nan, .nan, .nan]).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(zip(orders.values, [2, .nan, 3, .nan, 4, 5]).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(reading.missingPeriods == [1, 3])
        #expect(reading.duplicateDates == [.init(date: "2024-01-01", line: 5, keptLine: 3)])
        #expect(
            reading.badRows == [
                .badRow(source: "CSV text", line: 4, column: "visits", text: "abc", reason: "is not a number"),
                .badRow(
                    source: "CSV text", line: 6, column: "date", text: "not-a-date",
                    reason: "is not a date; write YYYY-MM-DD or ISO 8601 (2024-01-31T13:00:00Z)"),
            ])
        #expect(reading.summary.count == 3)
        #expect(reading.summary[0] == "2 missing periods (2024-01-02, 2024-01-04): left missing, not zero")
        #expect(reading.summary[1] == "1 duplicate dates (2024-01-01 on line 5, kept line 3): later rows ignored")
    }

    @Test("with badRows: .fail the first bad cell throws, naming line and column")
    func failOnBadRow() {
        let error = #expect(throws: ForecastingError.self) {
            try TimeSeries.read(csv: Self.messy, valueColumns: ["visits"], badRows: .fail)
        }
        #expect(error?.localizedDescription == "CSV text: line 4, column \"visits\": \"abc\" is not a number")
    }

    @Test("hourly and weekly spacing is inferred; quoted fields and CRLF are read; all columns by default")
    func frequencies() throws {
        let hourly = try TimeSeries.read(
            csv:
                "time,\"count\"\r\n2024-03-01T10:00:00Z,\"4\"\r\n"
                + "2024-03-01T12:00:00+01:00,5\r\n2024-03-01T14:00Z,6\r\n",
            dateColumn: "time")
        let series = try #require(hourly.series.first)
        #expect(series.frequency == .hour && series.seasonPeriod == 24)
        // 12:00+01:00 is 11:00 UTC: hours 10, 11 and 14, with 12 and 13 missing.
        #expect(series.count == 5 && hourly.missingPeriods == [2, 3])
        #expect(series.values[0] == 4 && series.values[1] == 5 && series.values[4] == 6)
        let weekly = try TimeSeries.read(csv: "date,a,b\n2024-01-01,1,2\n2024-01-15,3,4\n2024-01-08,5,6\n")
        #expect(weekly.series.map(\.name) == ["a", "b"])
        #expect(weekly.series[0].frequency == .week && weekly.series[0].values == [1, 5, 3])
    }

    @Test("dates off the grid, a missing column and an unreadable file are named errors")
    func errors() {
        let offGrid = #expect(throws: ForecastingError.self) {
            try TimeSeries.read(csv: "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-03T12:00:00Z,3\n")
        }
        #expect(
            offGrid?.localizedDescription
                == "CSV text: line 4: 2024-01-03T12:00:00Z is not a whole number of days after the first date "
                + "2024-01-01; every date must sit on one grid")
        let monthly = #expect(throws: ForecastingError.self) {
            try TimeSeries.read(csv: "date,v\n2024-01-01,1\n2024-02-01,2\n")
        }
        #expect(monthly?.localizedDescription.contains("only hourly, daily and weekly series are read") == true)
        let column = #expect(throws: ForecastingError.self) {
            try TimeSeries.read(csv: "day,v\n2024-01-01,1\n", valueColumns: ["v"])
        }
        #expect(
            column?.localizedDescription
                == "CSV text: no column named \"date\" (the header has day, v); name one of these")
        #expect(throws: ForecastingError.self) {
            try TimeSeries.read(contentsOf: "/nonexistent/visits.csv", valueColumns: ["v"])
        }
    }

    @Test("a file on disk reads like its text, errors naming its path")
    func file() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("forecasting-\(UUID()).csv").path
        try "date,v\n2024-01-01,1\n2024-01-02,x\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reading = try TimeSeries.read(contentsOf: path, valueColumns: ["v"])
        #expect(reading.series[0].count == 2)
        #expect(reading.badRows.first?.localizedDescription == "\(path): line 3, column \"v\": \"x\" is not a number")
    }
}
