import Foundation

/// How a timestamp column is written.
public enum TimestampUnit: String, CaseIterable, Sendable, Codable {
    /// Numbers are epoch milliseconds when their magnitude is at least 10^11 (which as
    /// seconds would be past the year 5138) and epoch seconds otherwise; anything else is
    /// read as an ISO-8601 date and time.
    case auto
    /// Epoch seconds, whole or fractional (`1709296200`, `1709296200.25`).
    case seconds
    /// Epoch milliseconds (`1709296200250`); digits after a decimal point are dropped.
    case milliseconds
    /// ISO-8601 date and time (`2024-03-01T12:30:00Z`, `2024-03-01 12:30:00.5+02:00`).
    case iso8601

    /// Reads a unit as written in a flag or schema file: the case names, or `s`, `sec`,
    /// `ms`, `millis`, `iso`, `iso-8601`, in any letter case.
    public init?(parsing text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "auto": self = .auto
        case "seconds", "second", "s", "sec", "secs", "epoch": self = .seconds
        case "milliseconds", "millisecond", "ms", "millis", "epoch_ms": self = .milliseconds
        case "iso8601", "iso-8601", "iso", "iso_8601", "datetime": self = .iso8601
        default: return nil
        }
    }

    /// What a value in this unit looks like, for reject reasons.
    var expectation: String {
        switch self {
        case .auto: return "epoch seconds, epoch milliseconds or ISO-8601 (e.g. 2024-03-01T12:30:00Z)"
        case .seconds: return "epoch seconds (timestamp unit: seconds)"
        case .milliseconds: return "epoch milliseconds (timestamp unit: milliseconds)"
        case .iso8601: return "an ISO-8601 date and time such as 2024-03-01T12:30:00Z (timestamp unit: iso8601)"
        }
    }
}

/// Turns timestamp text into epoch milliseconds, by hand (no `DateFormatter` per row).
///
/// Accepted forms:
/// - epoch seconds, whole or fractional, and epoch milliseconds (see ``TimestampUnit/auto``
///   for how the two are told apart); an exponent (`1.7e9`) is accepted too;
/// - ISO-8601 `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM`, `HH:MM:SS`
///   or `HH:MM:SS.fraction`, optionally followed by `Z` or an offset `+HH:MM`, `+HHMM`, `+HH`
///   (one space before the zone is allowed). **Without a zone the time is taken as UTC.**
///   A date alone is midnight UTC. Digits finer than milliseconds are dropped.
public enum TimestampParser {
    /// Numbers with at least this magnitude are milliseconds under ``TimestampUnit/auto``.
    public static let millisecondThreshold: Int64 = 100_000_000_000

    /// Epoch milliseconds for `text`, or `nil` when it is not a timestamp in `unit`.
    public static func parse(_ text: String, unit: TimestampUnit = .auto) -> Int64? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), unit: unit) }
    }

    /// Epoch milliseconds for the UTF-8 `bytes` (surrounding spaces allowed), or `nil`.
    static func parse(_ bytes: UnsafeRawBufferPointer, unit: TimestampUnit) -> Int64? {
        let text = ByteText.trimmed(bytes)
        switch unit {
        case .auto:
            if let number = parseEpoch(text) {
                return number.whole.magnitude >= millisecondThreshold ? number.asMilliseconds : number.asSeconds
            }
            return parseISO8601(text)
        case .seconds:
            return parseEpoch(text)?.asSeconds
        case .milliseconds:
            return parseEpoch(text)?.asMilliseconds
        case .iso8601:
            return parseISO8601(text)
        }
    }

    /// A decimal number split into its whole part and its first three fractional digits.
    private struct EpochNumber {
        var negative: Bool
        var whole: Int64
        var thousandths: Int64

        var asSeconds: Int64? {
            let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            let magnitude = scaled + thousandths
            return negative ? -magnitude : magnitude
        }

        var asMilliseconds: Int64? { negative ? -whole : whole }
    }

    private static func parseEpoch(_ bytes: UnsafeRawBufferPointer) -> EpochNumber? {
        let count = bytes.count
        let (negative, start) = ByteText.sign(bytes)
        var index = start
        var whole: Int64 = 0
        var wholeDigits = 0
        while index < count, let digit = ByteText.digitValue(bytes[index]) {
            guard wholeDigits < 18 else { return nil }
            whole = whole * 10 + Int64(digit)
            wholeDigits += 1
            index += 1
        }
        var thousandths: Int64 = 0
        var fractionDigits = 0
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < count, let digit = ByteText.digitValue(bytes[index]) {
                if fractionDigits < 3 { thousandths = thousandths * 10 + Int64(digit) }
                fractionDigits += 1
                index += 1
            }
            for _ in min(fractionDigits, 3)..<3 { thousandths *= 10 }
        }
        guard wholeDigits + fractionDigits > 0 else { return nil }
        if index == count { return EpochNumber(negative: negative, whole: whole, thousandths: thousandths) }
        // An exponent (JSON numbers such as 1.7e9): go through Double, then split again.
        guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E"),
            let value = ByteText.parseDouble(bytes), value.magnitude < 1e17
        else { return nil }
        let magnitude = value.magnitude
        let wholePart = magnitude.rounded(.down)
        return EpochNumber(
            negative: value < 0, whole: Int64(wholePart),
            thousandths: min(999, Int64(((magnitude - wholePart) * 1000).rounded(.down))))
    }

    /// `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][ ][Z|±HH[:MM]]`, in epoch milliseconds.
    private static func parseISO8601(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4), reader.skip("-"),
            let month = reader.number(digits: 2), reader.skip("-"),
            let day = reader.number(digits: 2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var millisecond = 0
        if reader.skip("T") || reader.skip("t") || (reader.peekIsSpaceThenDigit && reader.skip(" ")) {
            guard let h = reader.number(digits: 2), reader.skip(":"), let m = reader.number(digits: 2),
                h <= 23, m <= 59
            else { return nil }
            hour = h
            minute = m
            if reader.skip(":") {
                guard let s = reader.number(digits: 2), s <= 60 else { return nil }
                second = s
                if reader.skip(".") || reader.skip(",") {
                    var digits = 0
                    while let digit = reader.digit() {
                        if digits < 3 { millisecond = millisecond * 10 + digit }
                        digits += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in min(digits, 3)..<3 { millisecond *= 10 }
                }
            }
        }
        var offsetMinutes = 0
        if !reader.atEnd {
            _ = reader.skip(" ")
            if reader.skip("Z") || reader.skip("z") {
                // UTC
            } else if let sign = reader.sign() {
                guard let h = reader.number(digits: 2), h <= 23 else { return nil }
                var m = 0
                if !reader.atEnd {
                    _ = reader.skip(":")
                    guard let minutes = reader.number(digits: 2), minutes <= 59 else { return nil }
                    m = minutes
                }
                offsetMinutes = sign * (h * 60 + m)
            } else {
                return nil
            }
        }
        guard reader.atEnd else { return nil }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millisecond)
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A cursor over ASCII digits and punctuation.
    private struct DigitReader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        var peekIsSpaceThenDigit: Bool {
            index + 1 < bytes.count && bytes[index] == UInt8(ascii: " ")
                && ByteText.digitValue(bytes[index + 1]) != nil
        }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, let value = ByteText.digitValue(bytes[index]) else { return nil }
            index += 1
            return value
        }

        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let next = digit() else { return nil }
                value = value * 10 + next
            }
            return value
        }

        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
