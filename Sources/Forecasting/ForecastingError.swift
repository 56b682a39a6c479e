import Foundation

/// Errors of reading series and fitting forecasters that stop the whole operation.
///
/// Every message names the place (file, line, column, model, fold) and says how to fix it. Bad
/// settings (a horizon of 0, a level of 95 instead of 0.95) are ``InvalidParameter``s instead.
public enum ForecastingError: Error, LocalizedError, Equatable, Sendable {
    /// A file could not be read.
    case unreadable(path: String, reason: String)
    /// The CSV text has no header, or the header lacks a column the caller named.
    case missingColumn(source: String, column: String, available: [String])
    /// A row whose date or value cannot be parsed (`line` counts from 1, the header included).
    case badRow(source: String, line: Int, column: String, text: String, reason: String)
    /// The dates are not hourly, daily or weekly, or do not sit on one regular grid.
    case irregularDates(source: String, line: Int, detail: String)
    /// No row held a usable date.
    case noDates(source: String)
    /// The series is too short, or holds too few observed values, for the model.
    case seriesTooShort(model: String, needed: String, got: Int)
    /// The series holds values the model cannot take (multiplicative seasonality needs positive values).
    case unsuitableValues(model: String, detail: String)
    /// A model failed on one fold of a backtest.
    case foldFailed(model: String, fold: Int, origin: Int, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .missingColumn(let source, let column, let available):
            let columns = available.isEmpty ? "no columns" : available.joined(separator: ", ")
            return "\(source): no column named \"\(column)\" (the header has \(columns)); name one of these"
        case .badRow(let source, let line, let column, let text, let reason):
            return "\(source): line \(line), column \"\(column)\": \"\(text)\" \(reason)"
        case .irregularDates(let source, let line, let detail):
            return "\(source): line \(line): \(detail)"
        case .noDates(let source):
            return "\(source): no row has a usable date; check the date column and its format (YYYY-MM-DD or ISO 8601)"
        case .seriesTooShort(let model, let needed, let got):
            return "\(model) needs \(needed); the series has \(got). Use a longer series or a simpler model"
        case .unsuitableValues(let model, let detail):
            return "\(model): \(detail)"
        case .foldFailed(let model, let fold, let origin, let reason):
            return "\(model) failed on fold \(fold) (training on the first \(origin) periods): \(reason)"
        }
    }
}
