import ArgumentParser
import EventData
import FileIO
import Forecasting
import Foundation
import NeuralForecasting

extension ForecastCommand {
    /// What `--by ... --json` prints: one report per group.
    struct GroupReport: Encodable {
        var grouping: String
        var groups: [Report]
    }

    /// `--by`: the store's series of every group, each fitted on its own (classical models) or
    /// all by one global network (lstm, mlp); writes `group,date,forecast,lower,upper`.
    func forecastGroups(by: String, model: ForecastModel) throws {
        guard let store, let metric = ActivityMetric(parsing: series) else {
            preconditionFailure("validate() requires --store and a metric with --by")
        }
        let eventStore = try StoreOptions.openForReading(path: store)
        let grouping = try SeriesGrouping.parsing(by: by, in: eventStore, path: store)
        let (from, until) = try window.bounds()
        let activity = try ActivitySeries.compute(
            from: eventStore, metrics: [metric], period: period, grouping: grouping, from: from, until: until)
        guard !activity.columns.isEmpty else {
            throw ValidationError("\(store): no \(metric.description) to group by \(by).")
        }
        let prefix = metric.description + ":"
        let groups = try zip(activity.columns, activity.values).map { column, values in
            try TimeSeries(
                name: column.hasPrefix(prefix) ? String(column.dropFirst(prefix.count)) : column,
                start: activity.start, frequency: period == .day ? .day : .hour, values: values, seasonPeriod: season)
        }
        note("\(groups.count) groups by \(by), \(ProgressReporter.grouped(activity.count)) \(period.rawValue)s each.")

        var reports: [Report] = []
        if model == .lstm || model == .mlp {
            let forecaster = NeuralForecaster(
                architecture: model == .lstm ? .lstm : .mlp, horizon: horizon, seed: seed ?? 1)
            let season = groups[0].seasonPeriod
            let global = try Self.fitWithProgress(forecaster, groups.map(\.values), seasonPeriod: season)
            for (index, group) in groups.enumerated() {
                let forecast = try global.forecast(series: index, horizon: horizon, level: level / 100)
                reports.append(
                    report(forecast, of: group, model: model.rawValue, arimaOrder: nil, backtest: nil))
            }
        } else {
            for group in groups {
                let fit = try fit(group, model: model)
                reports.append(
                    report(
                        fit.forecast, of: group, model: fit.chosen.rawValue, arimaOrder: fit.arimaOrder,
                        backtest: fit.backtest, arima: fit.fitted as? ARIMAModel))
            }
        }

        var text = CSVText.line(["group", "date", "forecast", "lower", "upper"])
        for report in reports {
            for row in report.forecast {
                text += CSVText.line(
                    [report.series, row.date] + [row.forecast, row.lower, row.upper].map(CSVText.number))
            }
        }
        try writeOutputText(text, to: out, option: "--out")
        if json {
            try printJSON(GroupReport(grouping: by, groups: reports))
            return
        }
        let global = model == .lstm || model == .mlp ? " (one \(model.rawValue) network across the groups)" : ""
        for report in reports {
            let scores = report.backtest?.models.compactMap(\.overall.mase) ?? []
            let mase = (model == .auto ? scores.min() : scores.first).map { String(format: ", backtest MASE %.3f", $0) }
            say("\(report.series): \(report.model)" + (report.arimaOrder.map { " \($0)" } ?? "") + (mase ?? ""))
        }
        say(
            "Wrote \(horizon) forecasts for each of \(reports.count) groups\(global) with "
                + "\(String(format: "%g", level))% intervals to \(out).")
    }

    /// The report of one series: its forecast rows and how they were made.
    func report(
        _ forecast: Forecast, of series: TimeSeries, model: String, arimaOrder: String?, backtest: BacktestResult?,
        arima: ARIMAModel? = nil
    ) -> Report {
        let coefficients = arima.flatMap { model in
            model.regressors.map { regressors in
                zip(regressors.names, model.regression).map { name, value in
                    Report.Coefficient(
                        name: name, value: value, estimated: !model.unestimatedRegressors.contains(name))
                }
            }
        }
        return Report(
            series: series.name, periods: series.count, missing: series.missingCount, model: model,
            arimaOrder: arimaOrder, regression: coefficients, arima: arima.map(Report.ARIMAFit.init),
            backtest: backtest,
            forecast: (0..<forecast.horizon).map { step in
                Report.Row(
                    date: series.dateText(at: series.count + step), forecast: forecast.mean[step],
                    lower: forecast.lower[step], upper: forecast.upper[step])
            })
    }
}
