import ArgumentParser
import Forecasting
import Foundation
import Settings

/// `--calendar weekday,month`: the calendar dummies to regress on.
struct CalendarFeatures: ExpressibleByArgument {
    var features: [CalendarFeature]

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let features = parts.compactMap(CalendarFeature.init(rawValue:))
        guard !features.isEmpty, features.count == parts.count else { return nil }
        self.features = features
    }

    static var allValueStrings: [String] { CalendarFeature.allCases.map(\.rawValue) }
}

extension ForecastCommand {
    /// Whether any of `--regressors`, `--holidays`, `--calendar` was given.
    var hasRegressors: Bool { regressors != nil || holidays != nil || calendar != nil }

    /// The outside variables for `series` and the `--horizon` after it, from `--regressors`,
    /// `--holidays` and `--calendar` (in that order); nil when none was given. Notes which
    /// periods lack a regressor's value (they count as missing) and which regressors never
    /// vary over the series (they are not estimated).
    func exogenousRegressors(for series: TimeSeries) throws -> ExogenousRegressors? {
        guard hasRegressors else { return nil }
        let periods = series.count + horizon
        var parts: [ExogenousRegressors] = []
        if let regressors {
            let text = try Self.readText(regressors, option: "--regressors")
            let reading = try ExogenousRegressors.read(
                csv: text, source: regressors, dateColumn: date, start: series.start, frequency: series.frequency,
                periods: periods)
            for line in reading.summary { note("\(regressors): \(line)") }
            parts.append(reading.regressors)
        }
        if let holidays {
            let days = try Holiday.read(csv: try Self.readText(holidays, option: "--holidays"), source: holidays)
            guard !days.isEmpty else {
                throw ValidationError("\(holidays): no holidays listed; give one date per row under a date header.")
            }
            parts.append(
                try ExogenousRegressors.holidays(
                    days, start: series.start, frequency: series.frequency, periods: periods))
        }
        if let calendar {
            do {
                parts.append(
                    try ExogenousRegressors.calendar(
                        calendar.features, start: series.start, frequency: series.frequency, periods: periods))
            } catch {
                throw ValidationError("--calendar: \(error.description)")
            }
        }
        var combined = parts[0]
        do {
            for part in parts.dropFirst() { combined = try combined.appending(part) }
        } catch {
            throw ValidationError(
                "The regressors repeat a name (\(error.description)); rename the column or the holiday.")
        }
        for (name, column) in zip(combined.names, combined.columns) {
            let unknown = column.prefix(series.count).indices.filter { column[$0].isNaN }
            if let first = unknown.first {
                note(
                    "\(series.name): regressor \(name) is unknown on \(unknown.count) of the series' periods "
                        + "(first \(series.dateText(at: first))); those periods count as missing.")
            }
            if let missing = column.indices.dropFirst(series.count).first(where: { column[$0].isNaN }) {
                throw ValidationError(
                    "Regressor \(name) has no value for \(series.dateText(at: missing)), inside the \(horizon)-period "
                        + "horizon; give its values through \(series.dateText(at: periods - 1)).")
            }
        }
        return combined
    }

    /// The text of a file named by `option`.
    private static func readText(_ path: String, option: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("\(option) \(path): cannot read it (\(error.localizedDescription)).")
        }
    }

    /// A report line on a fitted ARIMA's regression: each coefficient, and the regressors that
    /// did not vary over the series.
    static func regressionSummary(_ model: ARIMAModel) -> String? {
        guard let regressors = model.regressors else { return nil }
        let unused = Set(model.unestimatedRegressors)
        let fitted = zip(regressors.names, model.regression).filter { !unused.contains($0.0) }
            .map { "\($0.0) \(String(format: "%.4g", $0.1))" }
        let skipped =
            model.unestimatedRegressors.isEmpty
            ? "" : "; not estimated (no variation in the data): " + model.unestimatedRegressors.joined(separator: ", ")
        return "Regression: " + (fitted.isEmpty ? "none estimated" : fitted.joined(separator: ", ")) + skipped
    }
}
