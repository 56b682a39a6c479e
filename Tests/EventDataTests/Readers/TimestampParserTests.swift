import Foundation
import Testing

@testable import EventData

@Suite("Timestamp parsing")
struct TimestampParserTests {
    // 2024-03-01T12:30:00Z = 19783 days * 86400 + 45000 s = 1_709_296_200 s.
    static let reference: Int64 = 1_709_296_200_000

    @Test("epoch seconds, whole and fractional, and epoch milliseconds by magnitude")
    func epochNumbers() {
        #expect(TimestampParser.parse("1709296200") == Self.reference)
        #expect(TimestampParser.parse("1709296200.25") == Self.reference + 250)
        #expect(TimestampParser.parse("1709296200.123456") == Self.reference + 123)
        #expect(TimestampParser.parse("1709296200000") == Self.reference)
        #expect(TimestampParser.parse(" 1709296200000 ") == Self.reference)
        #expect(TimestampParser.parse("1.7092962e9") == Self.reference)
        #expect(TimestampParser.parse("0") == 0)
        #expect(TimestampParser.parse("-86400") == -86_400_000)
        // 10^11 is the boundary: below it seconds, from it milliseconds.
        #expect(TimestampParser.parse("99999999999") == 99_999_999_999_000)
        #expect(TimestampParser.parse("100000000000") == 100_000_000_000)
    }

    @Test("an explicit unit overrides the magnitude rule")
    func explicitUnits() {
        #expect(TimestampParser.parse("1709296200", unit: .milliseconds) == 1_709_296_200)
        #expect(TimestampParser.parse("1709296200000", unit: .seconds) == Self.reference * 1000)
        #expect(TimestampParser.parse("1709296200123.9", unit: .milliseconds) == Self.reference + 123)
        #expect(TimestampParser.parse("2024-03-01T12:30:00Z", unit: .seconds) == nil)
        #expect(TimestampParser.parse("1709296200", unit: .iso8601) == nil)
        #expect(TimestampUnit(parsing: "ms") == .milliseconds)
        #expect(TimestampUnit(parsing: " Seconds") == .seconds)
        #expect(TimestampUnit(parsing: "ISO-8601") == .iso8601)
        #expect(TimestampUnit(parsing: "fortnights") == nil)
    }

    @Test("ISO-8601 with Z, offsets, fractions and the space-separated form (taken as UTC)")
    func iso8601() {
        #expect(TimestampParser.parse("2024-03-01T12:30:00Z") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01t12:30:00z") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01T14:30:00+02:00") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01T07:30:00-0500") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01T14:30:00+02") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01T12:30:00.5Z") == Self.reference + 500)
        #expect(TimestampParser.parse("2024-03-01T12:30:00,125Z") == Self.reference + 125)
        #expect(TimestampParser.parse("2024-03-01T12:30:00.123456789Z") == Self.reference + 123)
        #expect(TimestampParser.parse("2024-03-01 12:30:00") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01 12:30:00 +00:00") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01T12:30") == Self.reference)
        #expect(TimestampParser.parse("2024-03-01") == Self.reference - 45_000_000)
        #expect(TimestampParser.parse("1970-01-01T00:00:00Z") == 0)
        #expect(TimestampParser.parse("1969-12-31T23:59:59Z") == -1000)
        #expect(TimestampParser.parse("2000-02-29T00:00:00Z") == 951_782_400_000)
    }

    @Test("anything else is not a timestamp")
    func rejects() {
        for text in [
            "", " ", "yesterday", "12:30", "2024-13-01", "2024-02-30", "2023-02-29", "2024-03-01T24:00:00Z",
            "2024-03-01T12:60:00Z", "2024-03-01T12:30:00Q", "2024-3-1", "2024-03-01T12:30:00+25:00", "1.2.3", "1e",
            "--5", "99999999999999999999", "2024-03-01T", "0x10",
        ] {
            #expect(TimestampParser.parse(text) == nil, "\(text)")
        }
    }

    @Test("days from the civil date agree with Foundation across eras")
    func civilDays() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        for (year, month, day) in [(1970, 1, 1), (1600, 2, 29), (1999, 12, 31), (2038, 1, 19), (2400, 3, 1)] {
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day))
            let days = TimestampParser.daysFromCivil(year: year, month: month, day: day)
            #expect(Double(days) * 86_400 == date?.timeIntervalSince1970, "\(year)-\(month)-\(day)")
        }
    }
}
