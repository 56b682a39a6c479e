import Foundation
import Linalg
import TensorEngine

/// `behave-bench --case CASE --threads N`: runs one case and prints one JSON line in the
/// format of benchmarks/torch_bench.py (benchmarks/compare.py runs both side by side).
@main
struct BenchmarkMain {
    static let throughput: [String: @Sendable () -> [Double]] = [
        "mlp": Cases.mlp, "lstm": Cases.lstm, "sasrec": Cases.sasrec, "vae": Cases.vae,
        "mlp-dp": Cases.mlpPrivate, "lstm-dp": Cases.lstmPrivate,
    ]
    /// Cases timed as items per second.
    static let rates: [String: @Sendable () -> [Double]] = ["pseudonymize": Cases.pseudonymize]
    /// Cases timed as seconds per run (whole jobs: fitting and scoring 1M rows).
    static let jobs: [String: @Sendable (Int) -> [Double]] = [
        "iforest": Cases.isolationForest, "kmeans": Cases.kMeans,
    ]
    static let latency: [String: @Sendable () -> [Double]] = [
        "mlp-latency": Cases.mlpLatency, "sasrec-latency": Cases.sasrecLatency,
    ]

    static func main() {
        BLAS.relaunchWithFasterKernelsIfNeeded()
        var caseName: String?
        var threads = 1
        var modelDirectory: String?
        var dataPath: String?
        var seed = 1
        var users = 3_000
        var budget: Double?
        var driftStart = 0.9
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--case": caseName = arguments.next()
            case "--threads":
                guard let value = arguments.next().flatMap(Int.init), value >= 1 else {
                    fail("--threads needs a whole number of at least 1")
                }
                threads = value
            case "--model": modelDirectory = arguments.next()
            case "--data": dataPath = arguments.next()
            case "--users":
                guard let value = arguments.next().flatMap(Int.init), value >= 10 else {
                    fail("--users needs a whole number of at least 10")
                }
                users = value
            case "--budget":
                guard let value = arguments.next().flatMap(Double.init), value > 0 else {
                    fail("--budget needs a positive number of seconds")
                }
                budget = value
            case "--drift-start":
                guard let value = arguments.next().flatMap(Double.init), (0...0.99).contains(value) else {
                    fail("--drift-start needs a share of the period between 0 and 0.99")
                }
                driftStart = value
            case "--seed":
                guard let value = arguments.next().flatMap(Int.init), value >= 0 else {
                    fail("--seed needs a whole number")
                }
                seed = value
            default: fail("unknown argument '\(argument)'")
            }
        }
        let names =
            (throughput.keys.sorted() + rates.keys.sorted() + jobs.keys.sorted() + latency.keys.sorted()
            + [
                "next-item-serving", "auto-arima", "arima-fit", "drift", "update", "update-purchase", "update-design",
                "explain-events",
            ])
            .joined(separator: ", ")
        guard let caseName else { fail("--case is required (one of: \(names))") }
        Engine.threadCount = threads

        var result: [String: Any] = [
            "impl": "behaviorkit", "case": caseName, "threads": threads,
            "version": "BehaviorKit 0.1.0, \(BLAS.libraryDescription), core \(BLAS.coreName)",
        ]
        if caseName == "drift" {
            result.merge(Cases.drift()) { $1 }
        } else if caseName == "explain-events" {
            result.merge(Cases.explainEvents(seed: UInt64(seed), users: users)) { $1 }
        } else if caseName == "update" {
            result.merge(Cases.update(seed: UInt64(seed), users: users, driftStart: driftStart, budget: budget)) {
                $1
            }
        } else if caseName == "update-purchase" {
            result.merge(Cases.updatePurchase(seed: UInt64(seed), users: users, driftStart: driftStart)) { $1 }
        } else if caseName == "update-design" {
            result.merge(
                Cases.update(
                    seed: UInt64(seed), users: users, driftStart: driftStart, budget: budget,
                    variants: Cases.updateVariants)
            ) { $1 }
        } else if let run = throughput[caseName] {
            let runs = run()
            result["unit"] = "steps/s"
            result["value"] = Timing.median(runs)
            result["runs"] = runs
        } else if let run = rates[caseName] {
            let runs = run()
            result["unit"] = "ids/s"
            result["value"] = Timing.median(runs)
            result["runs"] = runs
        } else if let run = jobs[caseName] ?? seriesCase(caseName, dataPath: dataPath) {
            let runs = run(threads)
            result["unit"] = "s"
            result["value"] = Timing.median(runs)
            result["runs"] = runs
        } else if let run = latency[caseName] ?? servingCase(caseName, modelDirectory: modelDirectory) {
            let times = run().sorted()
            let p50 = Timing.median(times)
            result["unit"] = "ms"
            result["value"] = p50
            result["runs"] = [p50]
            result["p50_ms"] = p50
            result["p99_ms"] = Timing.nearestRank(times, 0.99)
        } else {
            fail("unknown case '\(caseName)' (one of: \(names))")
        }
        guard let data = try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]),
            let line = String(data: data, encoding: .utf8)
        else { fail("could not encode the result") }
        print(line)
    }

    /// `auto-arima` and `arima-fit` need `--data FILE`, a CSV of series, one per column.
    static func seriesCase(_ name: String, dataPath: String?) -> ((Int) -> [Double])? {
        guard name == "auto-arima" || name == "arima-fit" else { return nil }
        guard let dataPath else { fail("\(name) needs --data FILE (a CSV of series, one per column)") }
        return { _ in name == "auto-arima" ? Cases.autoARIMA(path: dataPath) : Cases.fixedARIMA(path: dataPath) }
    }

    /// `next-item-serving` needs `--model DIR`, a directory written by `behave train`.
    static func servingCase(_ name: String, modelDirectory: String?) -> (() -> [Double])? {
        guard name == "next-item-serving" else { return nil }
        guard let modelDirectory else { fail("next-item-serving needs --model DIR (a `behave train` model directory)") }
        return {
            do {
                return try Cases.nextItemServing(modelDirectory: modelDirectory)
            } catch {
                fail("next-item-serving: \(error.localizedDescription)")
            }
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("behave-bench: \(message)\n".utf8))
        exit(2)
    }
}
