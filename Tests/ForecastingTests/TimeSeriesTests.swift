import Foundation
import Settings
import Testing

@testable import Forecasting

@Suite("time series and ISO dates")
struct TimeSeriesTests {
    @Test("ISO dates and times read as UTC milliseconds, zones applied")
    func isoDates() {
        #expect(ISODate.milliseconds("1970-01-02") == 86_400_000)
        #expect(ISODate.milliseconds("2024-02-29") == 1_709_164_800_000)
        #expect(ISODate.milliseconds("2024-03-01T13:00:00Z") == 1_709_298_000_000)
        #expect(ISODate.milliseconds("2024-03-01 13:00") == 1_709_298_000_000)
        #expect(ISODate.milliseconds("2024-03-01T14:00:00+01:00") == 1_709_298_000_000)
        #expect(ISODate.milliseconds("2024-03-01T13:00:00.250Z") == 1_709_298_000_250)
        #expect(ISODate.milliseconds("1969-12-31") == -86_400_000)
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "01/03/2024", "2024-03-01T25:00", "2024-03-01X", ""] {
            #expect(ISODate.milliseconds(bad) == nil, "\(bad)")
        }
        #expect(ISODate.text(1_709_298_000_000, withTime: true) == "2024-03-01T13:00:00Z")
        #expect(ISODate.text(-86_400_000, withTime: false) == "1969-12-31")
    }

    @Test("calendar helpers give each period's date in UTC")
    func calendar() throws {
        let days = try TimeSeries(year: 2024, month: 2, day: 27, frequency: .day, values: [1, 2, 3, 4])
        #expect(days.seasonPeriod == 7)
        #expect(days.dateText(at: 2) == "2024-02-29")
        #expect(days.dateText(at: 3) == "2024-03-01")
        #expect(days.date(at: 1).timeIntervalSince1970 == 1_709_078_400)
        #expect(days.index(of: days.timestamp(at: 3)) == 3)
        #expect(days.index(of: days.timestamp(at: 3) + 1) == nil)
        let hours = try TimeSeries(start: 0, frequency: .hour, values: [1, .nan])
        #expect(hours.seasonPeriod == 24 && hours.missingCount == 1)
        #expect(hours.dateText(at: 25) == "1970-01-02T01:00:00Z")
        #expect(try TimeSeries(start: 0, frequency: .week, values: []).seasonPeriod == 52)
        #expect(throws: InvalidParameter.self) {
            try TimeSeries(year: 2023, month: 2, day: 29, frequency: .day, values: [])
        }
        #expect(throws: InvalidParameter("season-period", value: 0, allowed: "at least 1")) {
            try TimeSeries(start: 0, frequency: .day, values: [], seasonPeriod: 0)
        }
    }
}
