import ArgumentParser
import EventData
import Forecasting
import Foundation
import Testing

@testable import behave

@Suite("behave forecast")
struct ForecastCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (["forecast", "--out", "f.csv"], "Give --store FILE (with --series METRIC) or --data FILE --value COLUMN"),
            (["forecast", "--data", "a.csv", "--out", "f.csv"], "--data needs --value COLUMN"),
            (["forecast", "--store", "b.db", "--series", "visits", "--out", "f.csv"], "--series visits: not a metric"),
            (
                ["forecast", "--store", "b.db", "--level", "0.8", "--out", "f.csv"],
                "--level 0.8: give the coverage in percent"
            ),
            (["forecast", "--store", "b.db", "--horizon", "0", "--out", "f.csv"], "--horizon 0: must be between 1"),
            (
                ["forecast", "--store", "b.db", "--model", "prophet", "--out", "f.csv"],
                "The value 'prophet' is invalid"
            ),
            (
                ["forecast", "--from-model", "m", "--model", "arima", "--out", "f.csv"],
                "--model does not go with --from-model"
            ),
            (
                ["forecast", "--from-model", "m", "--backtest", "2", "--out", "f.csv"],
                "--backtest does not go with --from-model"
            ),
            (
                ["forecast", "--from-model", "m", "--store", "b.db", "--data", "a.csv", "--out", "f.csv"],
                "Give --store or --data (or neither"
            ),
            (
                ["forecast", "--data", "a.csv", "--value", "y", "--by", "category", "--out", "f.csv"],
                "--by needs --store"
            ),
            (
                ["forecast", "--store", "b.db", "--by", "category", "--save-model", "m", "--out", "f.csv"],
                "--by forecasts every group afresh"
            ),
            (
                [
                    "forecast", "--store", "b.db", "--by", "category", "--model", "lstm", "--backtest", "2", "--out",
                    "f.csv",
                ],
                "--backtest with --by runs per group"
            ),
            (
                [
                    "forecast", "--data", "a.csv", "--value", "y", "--model", "ets", "--holidays", "h.csv", "--out",
                    "f.csv",
                ],
                "--regressors, --holidays and --calendar are for ARIMA"
            ),
            (
                ["forecast", "--data", "a.csv", "--value", "y", "--calendar", "fortnight", "--out", "f.csv"],
                "The value 'fortnight' is invalid for '--calendar <features>'"
            ),
            (
                ["forecast", "--data", "a.csv", "--value", "y", "--order", "1,1,1", "--out", "f.csv"],
                "--order 1,1,1 fits one ARIMA: give it with --model arima"
            ),
            (
                [
                    "forecast", "--data", "a.csv", "--value", "y", "--model", "arima", "--order", "1,3,1", "--out",
                    "f.csv",
                ],
                "--order 1,3,1: d is 3"
            ),
            (
                [
                    "forecast", "--data", "a.csv", "--value", "y", "--model", "arima", "--order", "1,1", "--out",
                    "f.csv",
                ],
                "The value '1,1' is invalid for '--order <orders>'"
            ),
            (
                ["forecast", "--data", "a.csv", "--value", "y", "--model", "arima", "--constant", "--out", "f.csv"],
                "--constant goes with --order"
            ),
            (
                ["forecast", "--data", "a.csv", "--value", "y", "--dp-epsilon", "3", "--out", "f.csv"],
                "--from, --at and --dp-epsilon make the series from --store"
            ),
            (
                ["forecast", "--store", "b.db", "--dp-epsilon", "3", "--from", "2024-01-01", "--out", "f.csv"],
                "--dp-epsilon needs the series' span as --from and --at"
            ),
            (
                [
                    "forecast", "--store", "b.db", "--series", "revenue", "--dp-epsilon", "3", "--dp-max-revenue", "-5",
                    "--from", "2024-01-01", "--at", "2024-03-01", "--out", "f.csv",
                ],
                "--dp-max-revenue is -5.0; it must be a positive amount"
            ),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    /// 10 weeks of a weekly pattern with a slow rise, one date left out.
    static func weeklyCSV() -> String {
        var text = "day,orders\n"
        for day in 0..<70 where day != 40 {
            let date =
                Calendar(identifier: .gregorian).date(
                    byAdding: .day, value: day, to: Date(timeIntervalSince1970: 1_704_067_200)) ?? Date()
            let stamp = ISO8601DateFormatter().string(from: date).prefix(10)
            text += "\(stamp),\(100 + day / 2 + [0, 5, 9, 12, 8, 30, 25][day % 7])\n"
        }
        return text
    }

    @Test("a constant series: auto forecasts the value with naive; ARIMA says why it cannot")
    func constantSeries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("zeros.csv")
        let days = (0..<60).map { String(format: "2024-%02d-%02d,0", 1 + $0 / 31, 1 + $0 % 31) }
        try (["date,purchases"] + days).joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("f.csv").path
        try ForecastCommand.parse(["--data", data.path, "--value", "purchases", "--horizon", "7", "--out", out]).run()
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == 7 && rows.allSatisfy { $0.hasSuffix(",0,0,0") })
        let failure = runFailure {
            try ForecastCommand.parse(
                ["--data", data.path, "--value", "purchases", "--model", "arima", "--horizon", "7", "--out", out]
            ).run()
        }
        #expect(failure.contains("series is constant (every observed value is 0.0)"), "\(failure)")
    }

    @Test("auto leaves out a candidate that fails on a fold: a shop whose first two months are zeros")
    func failingCandidate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("new-shop.csv")
        // ARIMA cannot fit the first fold's 52 zeros; ETS and the naive models can.
        let days = (0..<80).map { (day: Int) -> String in
            let value: Int = day < 60 ? 0 : 5 + (day * 7) % 13
            return String(format: "2024-%02d-%02d,%d", 1 + day / 31, 1 + day % 31, value)
        }
        try (["date,revenue"] + days).joined(separator: "\n").write(to: data, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("f.csv").path
        try ForecastCommand.parse(
            ["--data", data.path, "--value", "revenue", "--horizon", "7", "--json", "--out", out]
        ).run()
        #expect(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count == 8)
    }

    @Test("a CSV with a missing date: forecasts of the given horizon, a backtest beside seasonal naive, JSON")
    func csvSeries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("orders.csv")
        try Self.weeklyCSV().write(to: data, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("forecast.csv").path
        try ForecastCommand.parse([
            "--data", data.path, "--date", "day", "--value", "orders", "--model", "holt-winters", "--horizon", "14",
            "--backtest", "2", "--out", out, "--json",
        ]).run()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 15 && lines[0] == "date,forecast,lower,upper")
        #expect(lines[1].hasPrefix("2024-03-11,"))
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",").dropFirst().compactMap { Double($0) }
            #expect(cells.count == 3 && cells[1] <= cells[0] && cells[0] <= cells[2], "\(line)")
        }
        let folds = try ForecastCommand.parse([
            "--data", data.path, "--date", "day", "--value", "orders", "--model", "snaive", "--horizon", "7",
            "--backtest", "3", "--out", out,
        ])
        #expect(folds.backtestPlan().origins(count: 70) == [49, 56, 63], "the last 3 windows of 7 days")
        let fixed = try ForecastCommand.parse([
            "--data", data.path, "--date", "day", "--value", "orders", "--model", "arima", "--order", "0,1,1,0,1,1",
            "--horizon", "7", "--backtest", "2", "--out", out,
        ])
        try fixed.run()
        let weekly = try TimeSeries(
            start: 0, frequency: .day,
            values: Self.weeklyCSV().split(separator: "\n").dropFirst().compactMap {
                Double($0.split(separator: ",")[1])
            })
        let fit = try fixed.fit(weekly, model: .arima)
        #expect(fit.arimaOrder == "ARIMA(0,1,1)(0,1,1)[7]" && fit.backtest?.models.count == 2)
        // The report carries the fit: every coefficient by R's name, σ², likelihood, AICc.
        let arima = try #require(
            fixed.report(
                fit.forecast, of: weekly, model: "arima", arimaOrder: fit.arimaOrder, backtest: nil,
                arima: fit.fitted as? ARIMAModel
            ).arima)
        #expect(arima.coefficients.map(\.name) == ["ma1", "sma1"] && arima.sigma2 > 0 && arima.logLikelihood.isFinite)
        #expect(arima.summary.hasPrefix("Coefficients: ma1 ") && arima.summary.contains("AICc"))
        #expect(
            parseFailure([
                "forecast", "--data", data.path, "--value", "orders", "--model", "arima", "--order", "0,1,1,0,1,1",
                "--constant", "--out", out,
            ])?.contains("include-constant is true") == true)
        let auto = directory.appendingPathComponent("auto.csv").path
        try ForecastCommand.parse([
            "--data", data.path, "--date", "day", "--value", "orders", "--horizon", "7", "--backtest", "2", "--out",
            auto,
        ]).run()
        #expect(try String(contentsOfFile: auto, encoding: .utf8).split(separator: "\n").count == 8)
    }

    @Test("a store's daily active users, and a missing column named")
    func storeSeries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let storePath = directory.appendingPathComponent("shop.db").path
        let simulator = try BehaviorSimulator(config: SimulationConfig(users: 60, items: 30, days: 21, seed: 2))
        _ = try SQLiteEventStore(path: storePath).ingest(simulator)
        let out = directory.appendingPathComponent("dau.csv").path
        try ForecastCommand.parse(["--store", storePath, "--model", "snaive", "--horizon", "7", "--out", out]).run()
        #expect(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count == 8)
        // Too short for auto's four folds with three seasons each to train on: fewer folds, or none.
        for horizon in ["3", "7"] {
            try ForecastCommand.parse(["--store", storePath, "--horizon", horizon, "--out", out]).run()
            #expect(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count == 1 + Int(horizon)!)
        }
        let byCategory = directory.appendingPathComponent("by-category.csv").path
        try ForecastCommand.parse([
            "--store", storePath, "--series", "events", "--by", "category", "--model", "mlp", "--horizon", "3",
            "--out", byCategory,
        ]).run()
        let rows = try String(contentsOfFile: byCategory, encoding: .utf8).split(separator: "\n")
        let groups = Set(rows.dropFirst().compactMap { $0.split(separator: ",").first })
        #expect(rows[0] == "group,date,forecast,lower,upper")
        #expect(groups.count >= 2 && rows.count == 1 + 3 * groups.count, "\(groups)")
        #expect {
            try ForecastCommand.parse(["--store", storePath, "--by", "plan", "--out", byCategory]).run()
        } throws: { error in
            "\(error)".contains("--by plan: no user")
        }
        let data = directory.appendingPathComponent("orders.csv")
        try Self.weeklyCSV().write(to: data, atomically: true, encoding: .utf8)
        #expect {
            try ForecastCommand.parse(["--data", data.path, "--value", "orders", "--out", out]).run()
        } throws: { error in
            error.localizedDescription.contains("date")
        }
    }

    @Test(
        "a saved model forecasts again without fitting, from its own series or a longer one",
        arguments: ["arima", "mlp"])
    func savedModel(kind: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = Self.weeklyCSV()
        let lines = full.split(separator: "\n")
        let early = directory.appendingPathComponent("early.csv")
        try (lines[0...55].joined(separator: "\n") + "\n").write(to: early, atomically: true, encoding: .utf8)
        let later = directory.appendingPathComponent("later.csv")
        try full.write(to: later, atomically: true, encoding: .utf8)
        let model = directory.appendingPathComponent("model").path
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        func read(_ name: String) throws -> [Substring] {
            try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n")
        }
        try ForecastCommand.parse([
            "--data", early.path, "--date", "day", "--value", "orders", "--model", kind, "--horizon", "7",
            "--save-model", model, "--out", path("fitted.csv"),
        ]).run()
        try ForecastCommand.parse(["--from-model", model, "--horizon", "7", "--out", path("again.csv")]).run()
        #expect(try read("again.csv") == read("fitted.csv"), "the same series gives the same forecast")
        try ForecastCommand.parse([
            "--from-model", model, "--data", later.path, "--date", "day", "--value", "orders", "--horizon", "7",
            "--out", path("later-forecast.csv"),
        ]).run()
        let forecast = try read("later-forecast.csv")
        #expect(forecast.count == 8 && forecast[1].hasPrefix("2024-03-11,"), "\(forecast.prefix(2))")

        let blocked = path("a-file")
        try "x".write(toFile: blocked, atomically: true, encoding: .utf8)
        #expect {
            try ForecastCommand.parse([
                "--data", early.path, "--date", "day", "--value", "orders", "--model", kind, "--horizon", "7",
                "--save-model", blocked, "--out", path("blocked.csv"),
            ]).run()
        } throws: { error in
            "\(error)".contains("--save-model \(blocked): cannot save the model there")
        }

        let file = directory.appendingPathComponent("model/forecast-model.json")
        try "{\"format\": 1}".write(to: file, atomically: true, encoding: .utf8)
        #expect {
            try ForecastCommand.parse(["--from-model", model, "--horizon", "7", "--out", path("x.csv")]).run()
        } throws: { error in
            "\(error)".contains("forecast-model.json: not a saved forecast model")
        }
    }

    @Test("ARIMA with holidays, a regressor file and calendar dummies; a saved one wants them again")
    func regressors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("behave-fc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        // The weekly series of weeklyCSV, with 20 fewer orders on four closing days.
        let closed = ["2024-01-10", "2024-01-24", "2024-02-07", "2024-02-21"]
        var text = ""
        for line in Self.weeklyCSV().split(separator: "\n") {
            let cells = line.split(separator: ",")
            if let value = Double(cells[1]), closed.contains(String(cells[0])) {
                text += "\(cells[0]),\(value - 20)\n"
            } else {
                text += line + "\n"
            }
        }
        try text.write(toFile: path("orders.csv"), atomically: true, encoding: .utf8)
        try ("date,name\n" + closed.map { "\($0),closed\n" }.joined() + "2024-03-13,closed\n")
            .write(toFile: path("holidays.csv"), atomically: true, encoding: .utf8)
        var prices = "day,price\n"
        for day in 0..<77 {
            let date = ISODate.text(1_704_067_200_000 + Int64(day) * 86_400_000, withTime: false)
            prices += "\(date),\(10 + Double(day % 5) / 10)\n"
        }
        try prices.write(toFile: path("prices.csv"), atomically: true, encoding: .utf8)
        let common = ["--data", path("orders.csv"), "--date", "day", "--value", "orders", "--horizon", "7"]
        try ForecastCommand.parse(
            common + [
                "--model", "arima", "--holidays", path("holidays.csv"), "--regressors", path("prices.csv"),
                "--save-model", path("model"), "--out", path("f.csv"),
            ]
        ).run()
        let rows = try String(contentsOfFile: path("f.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 8)
        // 2024-03-13 is a closing day inside the horizon: its forecast drops by about 20.
        let forecasts = rows.dropFirst().compactMap { Double($0.split(separator: ",")[1]) }
        #expect(rows[3].hasPrefix("2024-03-13") && forecasts[2] < forecasts[1] - 5, "\(rows)")
        let model = try String(contentsOfFile: path("model/forecast-model.json"), encoding: .utf8)
        #expect(model.contains("\"regressors\"") && model.contains("\"closed\"") && model.contains("\"price\""))
        #expect {
            try ForecastCommand.parse(["--from-model", path("model"), "--horizon", "7", "--out", path("g.csv")]).run()
        } throws: { error in
            "\(error)".contains("The saved model regresses on price, closed")
        }
        try ForecastCommand.parse([
            "--from-model", path("model"), "--date", "day", "--holidays", path("holidays.csv"), "--regressors",
            path("prices.csv"), "--horizon", "7", "--out", path("g.csv"),
        ]).run()
        #expect(try String(contentsOfFile: path("g.csv"), encoding: .utf8).split(separator: "\n") == rows)
        #expect {
            try ForecastCommand.parse(
                common + ["--regressors", path("prices.csv"), "--horizon", "10", "--out", path("h.csv")]
            )
            .run()
        } throws: { error in
            "\(error)".contains("Regressor price has no value for 2024-03-18")
        }
        try ForecastCommand.parse(
            common + ["--model", "arima", "--calendar", "weekend", "--season", "1", "--out", path("c.csv"), "--json"]
        ).run()
        #expect(try String(contentsOfFile: path("c.csv"), encoding: .utf8).split(separator: "\n").count == 8)
    }
}
