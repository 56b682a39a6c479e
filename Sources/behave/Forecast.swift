import ArgumentParser
import EventData
import FileIO
import Forecasting
import Foundation
import NeuralForecasting
import Settings

/// What `behave forecast --model` fits.
enum ForecastModel: String, ExpressibleByArgument, CaseIterable {
    /// The model with the lowest backtest MASE among auto-arima, ets, seasonal naive and naive.
    case auto
    /// Automatic ARIMA (Hyndman-Khandakar stepwise search by AICc).
    case arima
    /// The additive-error exponential smoothing model with the lowest AICc.
    case ets
    /// Holt-Winters with additive trend and season.
    case holtWinters = "holt-winters"
    /// The value one season earlier.
    case snaive
    /// The last value.
    case naive
    /// The last value plus the average change.
    case drift
    /// An LSTM over lags with quantile outputs.
    case lstm
    /// A two-layer perceptron over lags with quantile outputs.
    case mlp

    /// The forecaster, with seasons of `season` periods, for `horizon` periods ahead; `seed`
    /// fixes the deep models' initial weights and window order; ARIMA regresses on
    /// `regressors` when given.
    func forecaster(
        season: Int, horizon: Int, seed: UInt64 = 1, regressors: ExogenousRegressors? = nil
    ) -> any Forecaster {
        switch self {
        case .auto, .arima: AutoARIMA(period: season, regressors: regressors)
        case .ets: AutoETS()
        case .holtWinters: ExponentialSmoothing(trend: .additive, seasonality: season > 1 ? .additive : .none)
        case .snaive: SeasonalNaive()
        case .naive: Naive()
        case .drift: Drift()
        case .lstm: NeuralForecaster(architecture: .lstm, horizon: horizon, seed: seed)
        case .mlp: NeuralForecaster(architecture: .mlp, horizon: horizon, seed: seed)
        }
    }

    /// The models `auto` chooses among.
    static let candidates: [ForecastModel] = [.arima, .ets, .snaive, .naive]
}

/// `--order p,d,q` or `p,d,q,P,D,Q`: a fixed ARIMA order.
struct ARIMAOrderArgument: ExpressibleByArgument {
    var text: String
    var values: [Int]

    init?(argument: String) {
        let values = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3 || values.count == 6 else { return nil }
        let numbers = values.compactMap { $0 }
        guard numbers.count == values.count else { return nil }
        text = argument
        self.values = numbers
    }

    /// The order, its seasonal part (if given) with `season` periods.
    func order(season: Int) -> ARIMAOrder {
        let seasonal = values.count == 6
        return ARIMAOrder(
            p: values[0], d: values[1], q: values[2], seasonalP: seasonal ? values[3] : 0,
            seasonalD: seasonal ? values[4] : 0, seasonalQ: seasonal ? values[5] : 0, period: seasonal ? season : 1)
    }
}

/// `behave forecast`: forecasts of an activity series (from the store or a CSV), with backtests.
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract:
            "Forecast an activity series (from the event store or a CSV) with intervals, and backtest the models.",
        discussion: """
            The series comes from the store (--series METRIC, as `behave series` computes it: \
            dau, sessions, events, events:TYPE, purchases, revenue; --period day or hour) or from \
            a CSV (--data FILE --date COLUMN --value COLUMN), where a missing date is a missing \
            value, not a zero, and is reported.

            Models: auto (the default: the lowest MASE in a rolling-origin backtest among arima, \
            ets, snaive and naive), arima (automatic ARIMA: KPSS and seasonal-strength tests for \
            the differencing, stepwise search by AICc, exact maximum likelihood; --order 1,1,1,0,1,1 \
            [--constant] fits that order instead), ets (additive-\
            error exponential smoothing with the lowest AICc), holt-winters, snaive, naive, drift, \
            lstm and mlp (deep models over lags with quantile outputs, trained for --horizon; \
            seconds to minutes each, seeded by --seed). The season is 7 periods for days, 24 for \
            hours (--season to change it).

            --save-model DIR keeps the fitted model; --from-model DIR forecasts with it later \
            without fitting, from the series it was fitted on or from a newer --data / --store \
            series on the same calendar (ARIMA's coefficients, the smoothing parameters or the \
            network's weights stay as fitted; the states run over the new values).

            --regressors FILE, --holidays FILE and --calendar weekday,weekend,month,hour give ARIMA \
            outside variables (regression with ARIMA errors; --model arima or auto, where only \
            arima uses them): FILE has the --date column and one numeric column per regressor, \
            with values for every period of the series and of the horizon; the holidays file has \
            a date column and optionally a name column (one dummy per name); calendar features \
            are dummies. The fitted coefficients are printed.

            --from and --at limit the store's series to a window (the span starts and ends with \
            it). --dp-epsilon E forecasts a differentially private series (see `behave series \
            --help`: it needs --from and --at, and no --by); the forecast, its backtest and a saved \
            model are made from the noisy series only, so they keep the guarantee (the backtest's \
            errors are measured against noisy values).

            --by category (or a user attribute, such as segment:NAME) forecasts the store's \
            series of every group: each group on its own for the classical models (auto picks \
            per group), one global network across all groups for lstm and mlp. The CSV then \
            starts with a group column: group,date,forecast,lower,upper.

            --backtest K evaluates every candidate (or the chosen model and the seasonal-naive \
            baseline) on the last K windows of --horizon periods, each refitted on everything \
            before it: MAE, RMSE, sMAPE, MASE (against the in-sample seasonal naive) and interval \
            coverage. Writes --out as date,forecast,lower,upper (one row per future period; the \
            interval's level is --level, 80 by default).

            Examples:
              behave forecast --store behavior.db --series dau --horizon 28 --out dau-forecast.csv
              behave forecast --data sales.csv --date day --value orders --model arima --backtest 4 --out orders.csv
              behave forecast --data sales.csv --date day --value orders --model lstm --save-model orders-lstm --out orders.csv
              behave forecast --from-model orders-lstm --data sales-new.csv --date day --value orders --out next.csv
              behave forecast --store behavior.db --series purchases --by category --model lstm --out by-category.csv
              behave forecast --store behavior.db --series dau --from 2024-01-01 --at 2025-01-01 --dp-epsilon 3 --out private-dau.csv
              behave forecast --data sales.csv --date day --value orders --model arima --holidays holidays.csv --regressors promotions.csv --out orders.csv
            """
    )

    @Option(help: "The event store to make the series from (with --series).")
    var store: String?

    @Option(help: "With --store: the metric (dau, sessions, events, events:TYPE, purchases, revenue).")
    var series: String = "dau"

    @Option(help: "With --store: the period, day or hour (UTC).")
    var period: SeriesPeriod = .day

    @Option(
        help: ArgumentHelp(
            "With --store: one series per category or per value of a user attribute (segment:NAME); lstm and mlp learn one network across them.",
            valueName: "category|attribute"))
    var by: String?

    @OptionGroup var window: SeriesWindowOptions

    @OptionGroup var privacy: SeriesPrivacyOptions

    @Option(help: "A CSV of dated values to forecast instead of a store.")
    var data: String?

    @Option(help: "With --data: the date column.")
    var date: String = "date"

    @Option(help: "With --data: the value column.")
    var value: String?

    @Option(help: "The model: auto, arima, ets, holt-winters, snaive, naive, drift, lstm, mlp (default auto).")
    var model: ForecastModel?

    @Option(parsing: .unconditional, help: "Periods to forecast.")
    var horizon: Int = 28

    @Option(parsing: .unconditional, help: "The prediction interval's coverage in percent.")
    var level: Double = 80

    @Option(parsing: .unconditional, help: "Periods per season (default: 7 for days, 24 for hours, 52 for weeks).")
    var season: Int?

    @Option(parsing: .unconditional, help: "Backtest folds (default: 4 for --model auto, none otherwise).")
    var backtest: Int?

    @Option(parsing: .unconditional, help: "Seeds the lstm and mlp models' weights and training order (default 1).")
    var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "ARIMA regresses on these outside variables: a CSV with the --date column and one numeric column each, covering the series and the horizon.",
            valueName: "file"))
    var regressors: String?

    @Option(
        help: ArgumentHelp(
            "ARIMA regresses on these days: a CSV with a date column and optionally a name column (one dummy per name).",
            valueName: "file"))
    var holidays: String?

    @Option(
        help: ArgumentHelp(
            "ARIMA regresses on calendar dummies: weekday, weekend, month, hour (comma-separated).",
            valueName: "features"))
    var calendar: CalendarFeatures?

    @Option(
        help: ArgumentHelp(
            "With --model arima: fit this order instead of searching, p,d,q or p,d,q,P,D,Q (seasonal, with the --season period).",
            valueName: "orders"))
    var order: ARIMAOrderArgument?

    @Flag(help: "With --order: include the intercept (d + D = 0) or the drift (d + D = 1).")
    var constant = false

    @Option(help: "Also save the fitted model to this directory, for --from-model.")
    var saveModel: String?

    @Option(
        help: ArgumentHelp(
            "Forecast with the model saved in this directory, without fitting: from its own series, or from --data / --store (the same series, newer).",
            valueName: "directory"))
    var fromModel: String?

    @Option(help: "Where to write date,forecast,lower,upper (CSV).")
    var out: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if fromModel != nil {
            let conflicting = [
                ("--model", model != nil), ("--backtest", backtest != nil), ("--season", season != nil),
                ("--save-model", saveModel != nil), ("--seed", seed != nil), ("--order", order != nil),
            ].filter(\.1).map(\.0)
            if let first = conflicting.first {
                throw ValidationError(
                    "\(first) does not go with --from-model: the saved model is used as it is. Drop \(first), or fit "
                        + "anew without --from-model.")
            }
            if store != nil, data != nil {
                throw ValidationError("Give --store or --data (or neither, to forecast the saved series), not both.")
            }
        } else if (store == nil) == (data == nil) {
            throw ValidationError(
                "Give --store FILE (with --series METRIC) or --data FILE --value COLUMN, one of them.")
        }
        if data != nil, value == nil { throw ValidationError("--data needs --value COLUMN, the column to forecast.") }
        if store == nil, window.from != nil || window.at != nil || privacy.dpEpsilon != nil {
            throw ValidationError(
                "--from, --at and --dp-epsilon make the series from --store; give --store FILE --series METRIC.")
        }
        _ = try window.bounds()
        _ = try privacy.privacy(window: window, grouped: by != nil)
        if let order {
            if model != .arima {
                throw ValidationError("--order \(order.text) fits one ARIMA: give it with --model arima.")
            }
            do {
                try ARIMA(order: order.order(season: season ?? 7), includeConstant: constant).validate()
            } catch {
                throw ValidationError("--order \(order.text): \(error.description).")
            }
        } else if constant {
            throw ValidationError("--constant goes with --order (the search decides on the constant itself).")
        }
        if hasRegressors, fromModel == nil, let model, model != .auto, model != .arima {
            throw ValidationError(
                "--regressors, --holidays and --calendar are for ARIMA; --model \(model.rawValue) does not use them. "
                    + "Use --model arima (or auto), or drop them.")
        }
        if let by {
            if by.trimmingCharacters(in: .whitespaces).isEmpty || store == nil {
                throw ValidationError(
                    "--by needs --store and a grouping: category, or a user attribute such as segment:NAME.")
            }
            if fromModel != nil || saveModel != nil {
                throw ValidationError(
                    "--by forecasts every group afresh; it does not go with --save-model or --from-model.")
            }
            if model == .lstm || model == .mlp, backtest != nil {
                throw ValidationError(
                    "--backtest with --by runs per group for the classical models; the \(model?.rawValue ?? "") model "
                        + "learns all groups at once. Drop --backtest, or backtest one group at a time.")
            }
        }
        if store != nil, ActivityMetric(parsing: series) == nil {
            throw ValidationError(
                "--series \(series): not a metric; use " + ActivityMetric.names.joined(separator: ", ") + ".")
        }
        guard (1...100_000).contains(horizon) else {
            throw ValidationError("--horizon \(horizon): must be between 1 and 100000.")
        }
        guard level >= 1 && level < 100 else {
            throw ValidationError("--level \(level): give the coverage in percent, from 1 to below 100, like 80.")
        }
        if let season, !(1...10_000).contains(season) {
            throw ValidationError("--season \(season): must be between 1 and 10000.")
        }
        if let backtest, !(1...100).contains(backtest) {
            throw ValidationError("--backtest \(backtest): must be between 1 and 100 folds.")
        }
    }

    /// What --json prints.
    struct Report: Encodable {
        var series: String
        var periods: Int
        var missing: Int
        var model: String
        var arimaOrder: String?
        /// ARIMA's regression coefficients, one per regressor (0 for one not estimated).
        var regression: [Coefficient]?
        /// The ARIMA fit (or the saved model applied): coefficients, σ², likelihood, AICc.
        var arima: ARIMAFit?
        var backtest: BacktestResult?
        /// What the private series the forecast was made from guarantees (nil for an exact one).
        var privacy: SeriesPrivacyStatement?
        var forecast: [Row]

        struct Coefficient: Encodable {
            var name: String
            var value: Double
            var estimated: Bool
        }

        struct ARIMAFit: Encodable {
            /// Every coefficient in R's names and order (`ar1`, `ma1`, `sar1`, `sma1`,
            /// `intercept` or `drift`, regressors).
            var coefficients: [NamedValue]
            var sigma2: Double
            var logLikelihood: Double
            var aicc: Double
            /// The observed values the likelihood counts.
            var observations: Int

            struct NamedValue: Encodable {
                var name: String
                var value: Double
            }

            init(_ model: ARIMAModel) {
                coefficients = model.coefficients.map { NamedValue(name: $0.name, value: $0.value) }
                sigma2 = model.sigma2
                logLikelihood = model.logLikelihood
                aicc = model.aicc
                observations = model.observationCount
            }

            /// One line: the coefficients, then σ², the log-likelihood and the AICc.
            var summary: String {
                let values = coefficients.map { "\($0.name) \(String(format: "%.4g", $0.value))" }
                return "Coefficients: " + (values.isEmpty ? "none" : values.joined(separator: ", "))
                    + String(format: "; sigma^2 %.4g, log-likelihood %.2f, AICc %.2f", sigma2, logLikelihood, aicc)
                    + " (\(observations) observed values)"
            }
        }

        struct Row: Encodable {
            var date: String
            var forecast: Double
            var lower: Double
            var upper: Double
        }
    }

    func run() throws {
        try checkOutputFile(out, option: "--out")
        if let fromModel {
            try forecastFromModel(fromModel)
            return
        }
        let model = model ?? .auto
        if let by {
            try forecastGroups(by: by, model: model)
            return
        }
        let (series, privacy) = try loadSeries()
        try describe(series)
        let fit = try fit(series, model: model)
        if let saveModel {
            try ForecastModelFile.save(
                fit.fitted, kind: fit.chosen, arimaOrder: fit.arimaOrder, series: series, to: saveModel)
        }
        try publish(
            fit.forecast, of: series, model: fit.chosen.rawValue, arimaOrder: fit.arimaOrder, backtest: fit.backtest,
            arima: fit.fitted as? ARIMAModel,
            how: model == .auto && (fit.backtest?.models.count ?? 0) > 1 ? " (lowest backtest MASE)" : "",
            privacy: privacy)
    }

    /// One series' fit: the model used, its forecast, and the backtest that chose or scored it.
    struct SeriesFit {
        var fitted: any FittedForecast
        var forecast: Forecast
        var chosen: ForecastModel
        var arimaOrder: String?
        var backtest: BacktestResult?
    }

    /// Backtests (when asked, or to choose for `auto`), fits the chosen model and forecasts.
    func fit(_ series: TimeSeries, model: ForecastModel) throws -> SeriesFit {
        let season = series.seasonPeriod
        let regressors = try exogenousRegressors(for: series)
        var folds = backtest ?? (model == .auto ? 4 : 0)
        var chosen = model
        var candidates = model == .auto ? ForecastModel.candidates : [model] + (model == .snaive ? [] : [.snaive])
        let observed = series.values.filter(\.isFinite)
        if model == .auto, let first = observed.first, observed.allSatisfy({ $0 == first }) {
            note("\(series.name): every value is \(first); auto forecasts it with naive (ARIMA needs variation).")
            folds = backtest ?? 0
            chosen = .naive
            candidates = [.naive]
        } else if backtest == nil, model == .auto {
            // Each fold's training part holds at least three seasons, else the search cannot
            // fit seasonal models on the first folds.
            let possible = max(0, (series.count - 3 * max(season, 2)) / horizon)
            if possible < folds {
                note(
                    "\(series.name): \(possible) backtest fold\(possible == 1 ? "" : "s") of \(horizon) periods "
                        + "\(possible == 1 ? "leaves" : "leave") three seasons to train on "
                        + "(4 by default)" + (possible == 0 ? "; auto fits arima." : "."))
                folds = possible
            }
        }
        var backtestResult: BacktestResult?
        if folds > 0 {
            let models = candidates
            let trial = backtestPlan(folds: folds)
            do {
                try trial.validate(count: series.count)
                let reporter = ProgressReporter(label: "backtest", total: folds * models.count, unit: "folds")
                reporter.log(
                    "\(series.name): \(folds) fold\(folds == 1 ? "" : "s") of \(horizon) periods, \(models.count) models"
                )
                var done = 0
                func run(_ chosen: [ForecastModel]) throws -> BacktestResult {
                    try trial.run(series, models: chosen.map { forecaster($0, season: season, regressors: regressors) })
                    {
                        name, fold in
                        done += 1
                        reporter.update(done, detail: "\(name) fold \(fold + 1)")
                    }
                }
                var kept = models
                let result: BacktestResult
                if model == .auto {
                    // A candidate that fails on a fold (ARIMA on a stretch of one value, say) is left
                    // out of the choice instead of ending the run.
                    var runs: [BacktestResult] = []
                    kept = []
                    for candidate in models {
                        do {
                            runs.append(try run([candidate]))
                            kept.append(candidate)
                        } catch let failure as ForecastingError {
                            note("\(series.name): \(failure.localizedDescription); auto chooses among the others.")
                        }
                    }
                    guard var merged = runs.first else {
                        throw ValidationError("\(series.name): every model failed its backtest (see above).")
                    }
                    merged.models = runs.flatMap(\.models)
                    result = merged
                } else {
                    result = try run(models)
                }
                reporter.finish(done)
                backtestResult = result
                if model == .auto {
                    let best = zip(kept, result.models).min {
                        ($0.1.overall.mase ?? .infinity) < ($1.1.overall.mase ?? .infinity)
                    }
                    chosen = best?.0 ?? .arima
                }
            } catch let problem as InvalidParameter where model == .auto && backtest == nil {
                note("\(series.name): too short to backtest (\(problem.description)); auto fits arima.")
                chosen = .arima
            }
        } else if chosen == .auto {
            chosen = .arima
        }
        var arimaOrder: String?
        let fitted: any FittedForecast
        if chosen == .arima {
            let model: ARIMAModel
            if let order {
                model = try ARIMA(order: order.order(season: season), includeConstant: constant, regressors: regressors)
                    .fit(series.values)
            } else {
                model = try AutoARIMA(period: season, regressors: regressors).fit(series.values).model
            }
            arimaOrder = model.order.description + (model.includeConstant ? " with constant" : "")
            fitted = model
        } else {
            let forecaster = chosen.forecaster(season: season, horizon: horizon, seed: seed ?? 1)
            if let neural = forecaster as? NeuralForecaster {
                fitted = try Self.fitWithProgress(neural, [series.values], seasonPeriod: season).forecaster(for: 0)
            } else {
                fitted = try forecaster.fit(series.values, seasonPeriod: season)
            }
        }
        return SeriesFit(
            fitted: fitted, forecast: try fitted.forecast(horizon: horizon, level: level / 100), chosen: chosen,
            arimaOrder: arimaOrder, backtest: backtestResult)
    }

    /// The forecaster of `model`: with `--order`, ARIMA of that order instead of the search.
    func forecaster(_ model: ForecastModel, season: Int, regressors: ExogenousRegressors?) -> any Forecaster {
        if model == .arima, let order {
            return ARIMA(order: order.order(season: season), includeConstant: constant, regressors: regressors)
        }
        return model.forecaster(season: season, horizon: horizon, seed: seed ?? 1, regressors: regressors)
    }

    /// Trains a deep forecaster with a progress line per epoch (they take seconds to minutes).
    static func fitWithProgress(
        _ forecaster: NeuralForecaster, _ series: [[Double]], seasonPeriod: Int
    ) throws -> NeuralForecastModel {
        let total = forecaster.ensembleSize * forecaster.epochs
        let reporter = ProgressReporter(label: forecaster.name, total: total, unit: "epochs")
        var done = 0
        let model = try forecaster.fit(many: series, seasonPeriod: seasonPeriod) { progress in
            done += 1
            let validation = progress.validationLoss.map { String(format: ", validation %.4f", $0) } ?? ""
            reporter.update(
                done, detail: "network \(progress.member + 1)/\(progress.members) epoch \(progress.epoch)\(validation)")
        }
        let epochs = model.training.members.map { "\($0.epochs) (best \($0.bestEpoch))" }.joined(separator: ", ")
        reporter.finish(done, detail: "epochs per network: \(epochs)")
        return model
    }

    /// `--from-model DIR`: the saved model on its own series or on the newer one given.
    private func forecastFromModel(_ directory: String) throws {
        let file = try ForecastModelFile.load(from: directory)
        let path = URL(fileURLWithPath: directory).appendingPathComponent(ForecastModelFile.fileName).path
        let saved = try file.timeSeries(path: path)
        let (loaded, privacy) = store == nil && data == nil ? (saved, nil) : try loadSeries()
        var series = loaded
        guard series.frequency == saved.frequency else {
            throw ValidationError(
                "The model was fitted on \(saved.frequency.rawValue)ly data; this series is \(series.frequency.rawValue)ly."
            )
        }
        let gap = series.start - saved.start
        guard gap % saved.frequency.milliseconds == 0 else {
            throw ValidationError(
                "\(series.name) starts at \(series.dateText(at: 0)), off the saved series' \(saved.frequency.rawValue)ly grid "
                    + "(which starts at \(file.start)).")
        }
        series.seasonPeriod = file.seasonPeriod
        try describe(series)
        guard let kind = ForecastModel(rawValue: file.kind) else { preconditionFailure("load() checked the kind") }
        let forecast: Forecast
        var arima: ARIMAModel?
        if let frozen = file.model {
            let regressors = try exogenousRegressors(for: series)
            let needed = frozen.regressorNames
            if regressors?.names ?? [] != needed {
                let given = regressors?.names.joined(separator: ", ") ?? "none"
                throw ValidationError(
                    needed.isEmpty
                        ? "The saved model has no regressors; drop --regressors, --holidays and --calendar."
                        : "The saved model regresses on \(needed.joined(separator: ", ")) (given: \(given)); give the "
                            + "same --regressors, --holidays and --calendar as when it was fitted, extended over the horizon."
                )
            }
            let applied = try frozen.apply(to: series.values, seasonPeriod: series.seasonPeriod, regressors: regressors)
            arima = applied as? ARIMAModel
            forecast = try applied.forecast(horizon: horizon, level: level / 100)
        } else {
            if hasRegressors {
                throw ValidationError(
                    "The saved \(file.kind) model takes no regressors; drop --regressors, --holidays and --calendar.")
            }
            let neural = try NeuralForecastModel.load(from: URL(fileURLWithPath: directory))
            forecast = try neural.forecast(
                continuing: series.values, series: 0, phaseOffset: Int(gap / saved.frequency.milliseconds),
                horizon: horizon, level: level / 100)
        }
        try publish(
            forecast, of: series, model: kind.rawValue, arimaOrder: file.arimaOrder, backtest: nil,
            arima: arima, how: " (saved in \(directory), not refitted)", privacy: privacy)
    }

    /// Notes the series' span and what is missing, and refuses an all-missing series.
    private func describe(_ series: TimeSeries) throws {
        note(
            "\(series.name): \(ProgressReporter.grouped(series.count)) \(series.frequency.rawValue)s from "
                + "\(series.dateText(at: 0)) to \(series.dateText(at: series.count - 1)), "
                + "\(series.missingCount) missing, season \(series.seasonPeriod).")
        guard series.values.contains(where: { $0.isFinite }) else {
            throw ValidationError("\(series.name): every value is missing; there is nothing to forecast.")
        }
    }

    /// Writes `--out` and prints the backtest table and the model, or the JSON report.
    private func publish(
        _ forecast: Forecast, of series: TimeSeries, model: String, arimaOrder: String?, backtest: BacktestResult?,
        arima: ARIMAModel?, how: String, privacy: SeriesPrivacyStatement?
    ) throws {
        var report = report(
            forecast, of: series, model: model, arimaOrder: arimaOrder, backtest: backtest, arima: arima)
        report.privacy = privacy
        var text = CSVText.line(["date", "forecast", "lower", "upper"])
        for row in report.forecast {
            text += CSVText.line([row.date] + [row.forecast, row.lower, row.upper].map(CSVText.number))
        }
        try writeOutputText(text, to: out, option: "--out")
        if json {
            try printJSON(report)
            return
        }
        if let backtest {
            say(
                "Backtest: \(backtest.folds) folds of \(backtest.horizon) periods (MASE against the seasonal naive of each fold's training part)"
            )
            say(backtest.table())
        }
        let saved = saveModel.map { " Saved the model to \($0)." } ?? ""
        if let fit = report.arima { say(fit.summary) }
        if let summary = arima.flatMap(Self.regressionSummary) { say(summary) }
        say(
            "Model: \(model)" + (arimaOrder.map { " \($0)" } ?? "") + how
                + ". Wrote \(forecast.horizon) forecasts with \(String(format: "%g", level))% intervals to \(out)."
                + saved)
        if let privacy {
            say("Privacy: made from a private series, which keeps the guarantee: \(privacy)")
        }
    }

    /// The backtest: the last `folds` windows of `horizon` periods (`--backtest`, or 4 for
    /// `--model auto`), each refitted on everything before it.
    func backtestPlan(folds: Int? = nil) -> RollingOriginBacktest {
        RollingOriginBacktest(
            horizon: horizon, folds: folds ?? backtest ?? 4, step: horizon, level: level / 100)
    }

    /// The series from the store (with its privacy statement when private) or the CSV.
    private func loadSeries() throws -> (TimeSeries, SeriesPrivacyStatement?) {
        if let store {
            guard let metric = ActivityMetric(parsing: series) else {
                preconditionFailure("validate() checked --series")
            }
            let (from, until) = try window.bounds()
            let activity = try ActivitySeries.compute(
                from: try StoreOptions.openForReading(path: store), metrics: [metric], period: period, from: from,
                until: until, privacy: try privacy.privacy(window: window, grouped: false))
            let series = try TimeSeries(
                name: metric.description, start: activity.start, frequency: period == .day ? .day : .hour,
                values: activity.values[0], seasonPeriod: season)
            return (series, activity.privacy)
        }
        guard let data, let value else { preconditionFailure("validate() requires --data and --value") }
        let reading = try TimeSeries.read(
            contentsOf: data, dateColumn: date, valueColumns: [value], seasonPeriod: season)
        for line in reading.summary { note("\(data): \(line)") }
        guard let first = reading.series.first else {
            throw ValidationError("\(data): no series in column \(value).")
        }
        return (first, nil)
    }
}
