import Metrics
import Monitoring
import Prometheus

/// The server's metrics through swift-metrics, kept in its own Prometheus registry (no global
/// bootstrap, so several servers in one process, as in tests, keep theirs apart) and exported
/// at `/metrics` in the Prometheus text format.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let queueDepth: Metrics.Gauge
    private let inFlight: Metrics.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
        queueDepth = Metrics.Gauge(label: "behave_queue_depth", factory: factory)
        inFlight = Metrics.Gauge(label: "behave_requests_in_flight", factory: factory)
    }

    /// One finished request: counted by endpoint, model, version and status; its latency into
    /// the endpoint's histogram.
    func request(endpoint: String, model: String, version: String, status: Int, nanoseconds: Int64) {
        Counter(
            label: "behave_requests_total",
            dimensions: [("endpoint", endpoint), ("model", model), ("version", version), ("status", String(status))],
            factory: factory
        ).increment()
        Timer(label: "behave_request_duration_seconds", dimensions: [("endpoint", endpoint)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// One batch of `POST /v1/events`.
    func events(stored: Int, duplicates: Int, rejected: Int) {
        for (outcome, count) in [("stored", stored), ("duplicate", duplicates), ("rejected", rejected)] where count > 0
        {
            Counter(label: "behave_events_total", dimensions: [("outcome", outcome)], factory: factory)
                .increment(by: count)
        }
    }

    /// A live version that could not be loaded.
    func modelLoadFailed(model: String, version: String) {
        Counter(
            label: "behave_model_load_failures_total", dimensions: [("model", model), ("version", version)],
            factory: factory
        ).increment()
    }

    /// Requests waiting for a slot, and running.
    func occupancy(waiting: Int, running: Int) {
        queueDepth.record(waiting)
        inFlight.record(running)
    }

    /// A model's drift report (see `GET /v1/models/{name}/drift`): per feature (and `score`)
    /// the statistic, its threshold and whether it drifted; the drifted share, the overall
    /// verdict and the window's rows.
    func drift(model: String, report: DriftReport) {
        for feature in (report.scores.map { [$0] } ?? []) + report.features {
            let dimensions = [("model", model), ("feature", feature.name)]
            Metrics.Gauge(
                label: "behave_drift_statistic", dimensions: dimensions + [("statistic", feature.statistic)],
                factory: factory
            ).record(feature.value)
            Metrics.Gauge(label: "behave_drift_threshold", dimensions: dimensions, factory: factory)
                .record(feature.threshold)
            Metrics.Gauge(label: "behave_drift_feature_drifted", dimensions: dimensions, factory: factory)
                .record(feature.drifted ? 1 : 0)
        }
        Metrics.Gauge(label: "behave_drift_share", dimensions: [("model", model)], factory: factory)
            .record(report.driftedShare)
        Metrics.Gauge(label: "behave_drift_drifted", dimensions: [("model", model)], factory: factory)
            .record(report.drifted ? 1 : 0)
        Metrics.Gauge(label: "behave_drift_window_rows", dimensions: [("model", model)], factory: factory)
            .record(report.recentRows)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
