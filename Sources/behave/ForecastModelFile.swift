import ArgumentParser
import FileIO
import Forecasting
import Foundation
import NeuralForecasting
import NeuralNet

/// What `behave forecast --save-model DIR` writes to `DIR/forecast-model.json`: the model's
/// frozen parameters (or, for lstm and mlp, a checkpoint beside it) and the series it was
/// fitted on, so that `--from-model DIR` forecasts again, from that series or a newer one,
/// without fitting.
struct ForecastModelFile: Codable {
    /// The file's name inside the model directory.
    static let fileName = "forecast-model.json"
    /// The layout version this build writes and reads.
    static let currentFormat = 1

    var format: Int
    /// The `--model` it was fitted as (never `auto`: the model auto chose).
    var kind: String
    /// The series' name, frequency, first date (ISO) and season.
    var series: String
    var frequency: Frequency
    var start: String
    var seasonPeriod: Int
    /// The values it was fitted on, `null` where missing.
    var values: [Double?]
    /// The parameters of a classical model; nil for lstm and mlp, whose checkpoint is in the directory.
    var model: FrozenModel?
    /// The ARIMA order, when the model is one.
    var arimaOrder: String?

    enum CodingKeys: String, CodingKey {
        case format, kind, series, frequency, start
        case seasonPeriod = "season-period"
        case values, model
        case arimaOrder = "arima-order"
    }

    /// The training series as it was saved.
    func timeSeries(path: String) throws -> TimeSeries {
        guard let startTime = ISODate.milliseconds(start) else {
            throw ValidationError("\(path): start \"\(start)\" is not a date; the file was edited or is damaged.")
        }
        return try TimeSeries(
            name: series, start: startTime, frequency: frequency, values: values.map { $0 ?? .nan },
            seasonPeriod: seasonPeriod)
    }

    /// Writes the file (and a neural model's checkpoint) into `directory`, or says why it cannot.
    static func save(
        _ fitted: any FittedForecast, kind: ForecastModel, arimaOrder: String?, series: TimeSeries,
        to directory: String
    ) throws {
        do {
            try write(fitted, kind: kind, arimaOrder: arimaOrder, series: series, to: directory)
        } catch {
            let reason = (error as? CheckpointError).map { "\($0)" } ?? FileError.describe(error)
            throw ValidationError(
                "--save-model \(directory): cannot save the model there (\(reason)); give a directory to create "
                    + "or one that can be written.")
        }
    }

    private static func write(
        _ fitted: any FittedForecast, kind: ForecastModel, arimaOrder: String?, series: TimeSeries,
        to directory: String
    ) throws {
        let url = URL(fileURLWithPath: directory)
        let frozen: FrozenModel?
        switch kind {
        case .lstm, .mlp:
            guard let neural = fitted as? NeuralSeriesForecast else {
                preconditionFailure("an lstm or mlp fit returns a NeuralForecastModel series")
            }
            try neural.model.save(to: url)
            frozen = nil
        case .naive: frozen = .naive
        case .snaive: frozen = .seasonalNaive
        case .drift: frozen = .drift
        case .auto, .arima, .ets, .holtWinters:
            guard let model = FrozenModel(freezing: fitted) else {
                preconditionFailure("arima and smoothing fits freeze")
            }
            frozen = model
        }
        let file = ForecastModelFile(
            format: currentFormat, kind: kind.rawValue, series: series.name, frequency: series.frequency,
            start: series.dateText(at: 0), seasonPeriod: series.seasonPeriod,
            values: series.values.map { $0.isNaN ? nil : $0 }, model: frozen, arimaOrder: arimaOrder)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let data = try encoder.encode(file)
        try data.write(to: url.appendingPathComponent(fileName), options: .atomic)
    }

    /// Reads `DIR/forecast-model.json`, checking what a hand edit could break.
    static func load(from directory: String) throws -> ForecastModelFile {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError(
                "--from-model \(directory): no \(fileName) there; save one with `behave forecast ... --save-model DIR`."
            )
        }
        let file: ForecastModelFile
        do {
            file = try JSONDecoder().decode(ForecastModelFile.self, from: data)
        } catch {
            throw ValidationError("\(path): not a saved forecast model (\(error)).")
        }
        guard file.format == currentFormat else {
            throw ValidationError(
                "\(path): format \(file.format); this behave reads format \(currentFormat). Save the model again.")
        }
        guard let kind = ForecastModel(rawValue: file.kind), kind != .auto else {
            throw ValidationError("\(path): unknown model kind \"\(file.kind)\".")
        }
        guard (kind == .lstm || kind == .mlp) == (file.model == nil) else {
            throw ValidationError("\(path): model kind \(file.kind) does not match the saved parameters.")
        }
        guard file.seasonPeriod >= 1 else { throw ValidationError("\(path): season-period must be at least 1.") }
        return file
    }
}
