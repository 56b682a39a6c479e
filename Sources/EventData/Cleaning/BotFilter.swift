/// Removes bot-like users: those whose busiest minute has more than `maximumEventsPerMinute`
/// events.
///
/// A user's peak is the most events inside any 60-second window `[t, t + 60 s)` starting at
/// one of their events (a sliding window over the sorted timestamps, so the window need not
/// start on a whole minute). A peak equal to the bound is kept; one more is removed.
public struct BotFilter: HistoryFilter {
    public let name = "bots"
    /// The most events a kept user has within any 60 seconds.
    public let maximumEventsPerMinute: Int

    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when the bound is below 1.
    public init(maximumEventsPerMinute: Int) throws {
        guard maximumEventsPerMinute >= 1 else {
            throw EventDataError.invalidOption(
                name: "BotFilter.maximumEventsPerMinute", detail: "must be at least 1 (got \(maximumEventsPerMinute)).")
        }
        self.maximumEventsPerMinute = maximumEventsPerMinute
    }

    /// The most events within any 60-second window `[t, t + 60 s)` of time-ordered `events`.
    public static func peakEventsPerMinute(_ events: [StoredEvent]) -> Int {
        var peak = 0
        var first = 0
        for (last, event) in events.enumerated() {
            while event.timestamp - events[first].timestamp >= 60_000 { first += 1 }
            peak = max(peak, last - first + 1)
        }
        return peak
    }

    public func apply(to histories: [UserHistory]) -> FilterResult {
        var kept: [UserHistory] = []
        var bots = 0
        var highestRemovedPeak = 0
        for history in histories {
            let peak = Self.peakEventsPerMinute(history.events)
            if peak > maximumEventsPerMinute {
                bots += 1
                highestRemovedPeak = max(highestRemovedPeak, peak)
            } else if !history.events.isEmpty {
                kept.append(history)
            }
        }
        return FilterResult(
            histories: kept,
            report: FilterReport(
                name: name, before: histories, after: kept,
                detail: "removed \(bots) users with more than \(maximumEventsPerMinute) events in a minute"
                    + (bots > 0 ? " (highest peak \(highestRemovedPeak))" : ""),
                measures: ["bots": Double(bots), "highestRemovedPeak": Double(highestRemovedPeak)]))
    }
}
