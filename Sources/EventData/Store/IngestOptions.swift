import Foundation

/// What an ingest checks and how it identifies events (see ``EventStore/ingest(_:options:progress:)``).
///
/// ```swift
/// var options = IngestOptions(plausibility: .standard)
/// options.keepDuplicateRows = true   // a purchase log without order ids: repeats are real
/// let summary = try store.ingest(reader, options: options)
/// ```
public struct IngestOptions: Sendable, Hashable, Codable {
    /// Checks that reject implausible events (times outside a range, negative values), or nil
    /// to store every event the source gives. `behave ingest` uses
    /// ``PlausibilityChecks/standard`` unless told otherwise; the library checks nothing by
    /// default because events built in code (tests, simulations) may use any epoch.
    public var plausibility: PlausibilityChecks?
    /// Whether rows identical to an earlier row of the same source are all stored.
    ///
    /// Off (the default), an event equal to a stored one in user, time, type, item, value and
    /// session is a duplicate and is merged into it. Logs without event ids and with coarse
    /// times hold real repeats (two identical orders on one day), which this merges; on, the
    /// second, third, ... identical row of one source are stored as further copies of the
    /// event. Re-ingesting the source still adds nothing, and an overlapping export of the
    /// same events adds only the copies beyond those already stored.
    public var keepDuplicateRows: Bool

    /// Options; with no arguments, no plausibility checks and identical rows merged.
    public init(plausibility: PlausibilityChecks? = nil, keepDuplicateRows: Bool = false) {
        self.plausibility = plausibility
        self.keepDuplicateRows = keepDuplicateRows
    }
}

/// Checks that reject events which are well-formed but almost certainly wrong: a time outside
/// a plausible range, or a negative value or duration.
///
/// The standard time range is 1990-01-01 (inclusive) to 2100-01-01 (exclusive), UTC. No
/// behaviour log holds web or app events from before 1990, while placeholder and
/// parse-error dates fall outside it: epoch 0 (1970), `1900-01-01`, `2200-01-01`,
/// `9999-12-31`, or seconds taken for milliseconds. Widen the range for historic data.
///
/// Negative values are refused by default because a negative price or rating is usually a
/// sign error or a wrong column; ``allowNegativeValues`` keeps them (refunds, returns).
/// Negative durations are always refused, and infinite values and durations too.
public struct PlausibilityChecks: Sendable, Hashable, Codable {
    /// The earliest plausible event time, inclusive, in milliseconds since 1970 UTC; nil for
    /// no lower bound.
    public var earliest: Int64?
    /// The end of the plausible times, exclusive, in milliseconds since 1970 UTC; nil for no
    /// upper bound.
    public var latest: Int64?
    /// Whether events with a value below zero are stored (refunds); off, they are rejected.
    public var allowNegativeValues: Bool

    /// 1990-01-01T00:00:00Z in milliseconds since 1970.
    public static let standardEarliest: Int64 = 631_152_000_000
    /// 2100-01-01T00:00:00Z in milliseconds since 1970.
    public static let standardLatest: Int64 = 4_102_444_800_000
    /// Times from 1990-01-01 to 2100-01-01, no negative values.
    public static let standard = PlausibilityChecks()

    /// These checks without the time range (for sources whose times are only an order).
    public var ignoringTimes: PlausibilityChecks {
        var checks = self
        checks.earliest = nil
        checks.latest = nil
        return checks
    }

    /// Checks with the given bounds; by default the standard ones.
    public init(
        earliest: Int64? = PlausibilityChecks.standardEarliest, latest: Int64? = PlausibilityChecks.standardLatest,
        allowNegativeValues: Bool = false
    ) {
        self.earliest = earliest
        self.latest = latest
        self.allowNegativeValues = allowNegativeValues
    }

    /// Why `event` is implausible, as a rejection kind and a reason naming the fix, or nil
    /// when it passes every check.
    public func violation(in event: Event) -> (kind: String, reason: String)? {
        func time(_ problem: String) -> (kind: String, reason: String) {
            (
                RejectionKind.implausibleTime,
                "timestamp \(Self.format(event.timestamp)) \(problem); fix the time or its unit, or widen the time range"
            )
        }
        if let earliest, event.timestamp < earliest {
            return time("is before \(Self.format(earliest)), the earliest plausible time")
        }
        if let latest, event.timestamp >= latest {
            return time("is not before \(Self.format(latest)), the end of the plausible times")
        }
        if let value = event.value {
            if !value.isFinite {
                return (RejectionKind.implausibleValue, "value \(value) is not a finite number; give a number")
            }
            if value < 0, !allowNegativeValues {
                return (
                    RejectionKind.implausibleValue,
                    "value \(value) is negative, usually a sign error or a wrong column; fix it, or keep "
                        + "negative values (refunds) by allowing them"
                )
            }
        }
        if let duration = event.duration {
            if !duration.isFinite {
                return (RejectionKind.implausibleValue, "duration \(duration) is not a finite number of seconds")
            }
            if duration < 0 {
                return (RejectionKind.implausibleValue, "duration \(duration) is negative; a duration cannot be")
            }
        }
        return nil
    }

    /// Reads a time range written `FROM..TO`, each end a date (`2020-01-01`) or an ISO-8601
    /// time (`2020-01-01T12:00:00Z`), either end empty for no bound (`..2030-01-01`). FROM is
    /// inclusive, TO exclusive.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` naming `option` when the text
    ///   is not such a range or FROM is not before TO.
    public static func parseTimeRange(_ text: String, option: String) throws -> (earliest: Int64?, latest: Int64?) {
        let example = "write FROM..TO with dates, e.g. 1990-01-01..2100-01-01 (an empty end means no bound)"
        guard let separator = text.range(of: "..") else {
            throw EventDataError.invalidOption(name: option, detail: "'\(text)' is not a time range; \(example)")
        }
        func bound(_ part: Substring) throws -> Int64? {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            guard let time = TimestampParser.parse(trimmed, unit: .iso8601) else {
                throw EventDataError.invalidOption(
                    name: option, detail: "'\(trimmed)' is not a date or ISO-8601 time; \(example)")
            }
            return time
        }
        let earliest = try bound(text[..<separator.lowerBound])
        let latest = try bound(text[separator.upperBound...])
        if let earliest, let latest, earliest >= latest {
            throw EventDataError.invalidOption(
                name: option, detail: "'\(text)' ends before it starts; put the earlier date first")
        }
        return (earliest, latest)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (with milliseconds when there are any) for epoch milliseconds.
    static func format(_ milliseconds: Int64) -> String {
        let (seconds, millisecond) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        func two(_ number: Int64) -> String { number < 10 ? "0\(number)" : "\(number)" }
        var text = "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60))"
        text += ":\(two(secondOfDay % 60))"
        if millisecond > 0 {
            text += "." + String(String(millisecond + 1000).dropFirst())
        }
        return text + "Z"
    }

    private static func floorDivision(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = a % b
        return remainder < 0 ? (a / b - 1, remainder + b) : (a / b, remainder)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
