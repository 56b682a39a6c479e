import ArgumentParser
import EventData
import Foundation
import ScoringServer
import Serving
import Synchronization
import TensorEngine

/// `behave serve`: the scoring server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the live version of every model in a registry over HTTP (JSON, API keys, hot reload).",
        discussion: """
            Endpoints: GET /healthz, GET /readyz (200 once every live model has loaded), GET /v1/models, \
            POST /v1/models/NAME/recommend ({"user": ID} or {"history": [IDS]}, "k", "exclude_seen"), \
            POST /v1/models/NAME/score ({"rows": [{COLUMN: VALUE, ...}]} for a table classifier, \
            {"users": [IDS], "at": TIME} for a purchase or churn model), POST /v1/models/NAME/explain \
            (the same body, at most 100 rows or users: each column's, feature's or past event's share \
            of the probability, as `behave explain` gives it; {"users": [IDS]}, at most 20, for a next-item \
            model: each one's top recommendation per past item), POST /v1/events \
            ({"events": [{...}, ...]} into --store, as `behave ingest` reads JSON Lines; stored before \
            the answer), GET /v1/models/NAME/drift (the last 10,000 values of each feature the \
            model was asked about against its training profile, as `behave monitor` reports; the \
            same figures are /metrics gauges), GET /metrics (Prometheus). Every endpoint but the \
            health checks needs Authorization: Bearer KEY, with the score scope (ingest for \
            /v1/events, admin for /metrics and drift). Promotions, rollbacks and revoked keys take effect within --reload-interval \
            seconds, without a restart; SIGTERM drains the requests in flight.

            Example:
              behave train next-item --registry registry --name shop-recs
              behave keys add --file keys.json --scope score
              behave serve --registry registry --keys keys.json --store behavior.db
              curl -H "Authorization: Bearer KEY" -d '{"user": "u1", "k": 5}' \\
                localhost:8080/v1/models/shop-recs/recommend
            """
    )

    @Option(help: "The model registry folder (see `behave models`).")
    var registry: String

    @Option(help: "The API key file (see `behave keys`).")
    var keys: String

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "The port to listen on.")
    var port = 8080

    @Option(
        help:
            "The event store (an SQLite file or a postgres:// URL): users for recommend {\"user\": ID}, and where POST /v1/events writes (opened for writing)."
    )
    var store: String?

    @Option(parsing: .unconditional, help: "The most events one POST /v1/events may hold.")
    var maxEvents = 10_000

    @Option(parsing: .unconditional, help: "The largest request body in bytes (413 beyond).")
    var maxBody = 1 << 20

    @Option(parsing: .unconditional, help: "Requests that run at once (default: twice the cores).")
    var slots: Int?

    @Option(parsing: .unconditional, help: "Requests that may wait for a slot; beyond, 503 with Retry-After.")
    var queue = 256

    @Option(parsing: .unconditional, help: "Seconds between reads of the registry and the key file.")
    var reloadInterval = 1.0

    @Option(
        parsing: .unconditional,
        help: "Seconds between drift comparisons of each model's recent requests for the /metrics gauges.")
    var driftInterval = 15.0

    @Option(parsing: .unconditional, help: "The longest history a recommend request may give.")
    var maxHistory = 1_000

    @Option(parsing: .unconditional, help: "The most rows a score request may hold.")
    var maxRows = 10_000

    @Option(
        parsing: .unconditional,
        help: "Threads for one request's matrix products (1: concurrent requests use the cores instead).")
    var threads = 1

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1 to 65535 (got \(port)).") }
        guard maxBody >= 1_024 else {
            throw ValidationError("--max-body must be at least 1024 bytes (got \(maxBody)).")
        }
        if let slots, slots < 1 { throw ValidationError("--slots must be at least 1 (got \(slots)).") }
        guard queue >= 0 else { throw ValidationError("--queue must be 0 or more (got \(queue)).") }
        guard reloadInterval >= 0.05 && reloadInterval <= 3_600 else {
            throw ValidationError("--reload-interval must be 0.05 to 3600 seconds (got \(reloadInterval)).")
        }
        guard driftInterval >= 0.1 && driftInterval <= 86_400 else {
            throw ValidationError("--drift-interval must be 0.1 to 86400 seconds (got \(driftInterval)).")
        }
        guard maxHistory >= 1 else { throw ValidationError("--max-history must be at least 1 (got \(maxHistory)).") }
        guard maxEvents >= 1 else { throw ValidationError("--max-events must be at least 1 (got \(maxEvents)).") }
        guard maxRows >= 1 else { throw ValidationError("--max-rows must be at least 1 (got \(maxRows)).") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: registry, isDirectory: &directory), directory.boolValue else {
            throw ValidationError(
                "--registry \(registry): no such folder; `behave train ... --registry \(registry) --name NAME` creates it."
            )
        }
        guard FileManager.default.fileExists(atPath: keys) else {
            throw ValidationError(
                "--keys \(keys): no such file; `behave keys add --file \(keys) --scope score` creates it.")
        }
    }

    func run() throws {
        Engine.threadCount = threads
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maximumBodyBytes = maxBody
        if let slots { configuration.slots = slots }
        configuration.queue = queue
        configuration.reloadInterval = .milliseconds(Int(reloadInterval * 1_000))
        configuration.driftInterval = .milliseconds(Int(driftInterval * 1_000))
        let eventStore = try store.map { path in
            try StoreOptions.requireFile(path)
            return try StoreOptions.open(path)
        }
        configuration.eventStore = eventStore
        configuration.maximumEventsPerRequest = maxEvents
        configuration.serving = ServingContext(store: eventStore, maximumHistory: maxHistory, maximumRows: maxRows)
        let server = try ScoringServer(
            registry: ModelRegistry(root: URL(fileURLWithPath: registry)),
            keyFile: APIKeyFile(url: URL(fileURLWithPath: keys)), configuration: configuration)
        note(
            "Serving \(registry) on http://\(host):\(port) (keys \(keys)); health at /healthz and /readyz. "
                + "Ctrl-C or SIGTERM stops after the requests in flight.")
        try runBlocking { try await server.run() }
    }
}

/// Runs `body` on the concurrency pool and waits for it on this thread (the command line's
/// entry point is synchronous).
private func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = Mutex<(any Error)?>(nil)
    Task {
        do {
            try await body()
        } catch {
            failure.withLock { $0 = error }
        }
        done.signal()
    }
    done.wait()
    if let error = failure.withLock({ $0 }) { throw error }
}
