/// Dates as milliseconds since 1970-01-01T00:00:00Z, read from and written as ISO 8601 text.
///
/// A hand-written reader rather than `DateFormatter`/`ISO8601DateFormatter`: it is exact about
/// what it accepts, does not depend on locale or time zone settings, and is fast on long files.
/// The proleptic Gregorian calendar is used throughout (days from civil dates after
/// H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
public enum ISODate {
    /// Milliseconds since the epoch of `text`, or `nil` when it is not an ISO date.
    ///
    /// Accepted: `YYYY-MM-DD`, and `YYYY-MM-DDTHH:MM`, optionally with `:SS`, a fraction of a
    /// second and a zone (`Z`, `+HH:MM`, `+HHMM`, `-HH`); a space may stand for `T`. A time
    /// without a zone is read as UTC.
    ///
    /// ```swift
    /// ISODate.milliseconds("1970-01-02")                  // 86_400_000
    /// ISODate.milliseconds("1970-01-01T01:00:00+01:00")   // 0
    /// ```
    public static func milliseconds(_ text: some StringProtocol) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2), var milliseconds = milliseconds(year: year, month: month, day: day)
        else { return nil }
        if scanner.atEnd { return milliseconds }
        guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" "), let hour = scanner.digits(2),
            scanner.skip(":"), let minute = scanner.digits(2), hour < 24, minute < 60
        else { return nil }
        var seconds = 0
        var fraction = 0.0
        if scanner.skip(":") {
            guard let whole = scanner.digits(2), whole < 60 else { return nil }
            seconds = whole
            if scanner.skip(".") || scanner.skip(",") {
                guard let digits = scanner.fraction() else { return nil }
                fraction = digits
            }
        }
        milliseconds += Int64((hour * 60 + minute) * 60 + seconds) * 1000 + Int64((fraction * 1000).rounded())
        if scanner.atEnd { return milliseconds }
        if scanner.skip("Z") || scanner.skip("z") { return scanner.atEnd ? milliseconds : nil }
        let sign: Int64
        if scanner.skip("+") {
            sign = 1
        } else if scanner.skip("-") {
            sign = -1
        } else {
            return nil
        }
        guard let zoneHours = scanner.digits(2), zoneHours < 24 else { return nil }
        var zoneMinutes = 0
        if !scanner.atEnd {
            _ = scanner.skip(":")
            guard let minutes = scanner.digits(2), minutes < 60 else { return nil }
            zoneMinutes = minutes
        }
        guard scanner.atEnd else { return nil }
        // A local time ahead of UTC (+01:00) is an earlier instant.
        return milliseconds - sign * Int64(zoneHours * 60 + zoneMinutes) * 60_000
    }

    /// `milliseconds` as `YYYY-MM-DD`, or as `YYYY-MM-DDTHH:MM:SSZ` when `withTime` is set (UTC).
    public static func text(_ milliseconds: Int64, withTime: Bool) -> String {
        let day = floorDivide(milliseconds, 86_400_000)
        let (year, month, dayOfMonth) = civil(fromDays: day)
        var result = "\(pad(year, 4))-\(pad(month, 2))-\(pad(dayOfMonth, 2))"
        if withTime {
            let secondOfDay = Int((milliseconds - day * 86_400_000) / 1000)
            result += "T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
        }
        return result
    }

    /// Milliseconds since the epoch of midnight UTC on a date, or `nil` when the date does not exist
    /// or its year is outside 0...9999.
    static func milliseconds(year: Int, month: Int, day: Int) -> Int64? {
        guard (0...9999).contains(year), (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400_000
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return a % b < 0 ? quotient - 1 : quotient
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Reads fixed-width digits and literal characters from ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            position += count
            return value
        }

        /// The digits after a decimal mark as a fraction in [0, 1).
        mutating func fraction() -> Double? {
            var value = 0.0
            var scale = 0.1
            let start = position
            while position < bytes.count, (48...57).contains(bytes[position]) {
                value += Double(bytes[position] - 48) * scale
                scale /= 10
                position += 1
            }
            return position > start ? value : nil
        }
    }
}
