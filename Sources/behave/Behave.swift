import ArgumentParser
import Linalg

/// The `behave` command-line tool: the root holds configuration only.
@main
struct Behave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "behave",
        abstract: "Deep learning on user-behaviour data.",
        version: "0.1.0",
        subcommands: [
            Simulate.self, Ingest.self, Describe.self, Features.self, Train.self, Evaluate.self, Recommend.self,
            Predict.self, EmbedCommand.self, SegmentCommand.self, AnomaliesCommand.self, SeriesCommand.self,
            ForecastCommand.self, ModelsCommand.self, MonitorCommand.self, UpdateCommand.self, KeysCommand.self,
            PseudonymsCommand.self, Forget.self, Explain.self,
            Serve.self,
            Quickstart.self, Demo.self,
        ]
    )

    static func main() {
        // Before any BLAS work: OpenBLAS 0.3.21 picks SSE3 kernels on CPUs newer than its tables.
        BLAS.relaunchWithFasterKernelsIfNeeded()
        runReportingErrors()
    }
}
