import Classifiers
import EventData
import FileIO
import Foundation
import HTTPTypes
import Hummingbird
import JSONScanning
import Logging
import Monitoring
import NIOCore
import Recommenders
import ServiceLifecycle
import Serving
import Synchronization

/// The settings of `behave serve`.
public struct ServerConfiguration: Sendable {
    /// The address to listen on (loopback by default).
    public var host = "127.0.0.1"
    public var port = 8080
    /// The largest request body accepted (413 beyond).
    public var maximumBodyBytes = 1 << 20
    /// Requests that run at once, and that may wait for a slot (503 beyond).
    public var slots = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)
    public var queue = 256
    /// How often the registry and the key file are read for changes.
    public var reloadInterval: Duration = .seconds(1)
    /// The event store and the request limits handlers use.
    public var serving = ServingContext()
    /// The store `POST /v1/events` writes to (opened for writing); nil: no events endpoint.
    public var eventStore: (any EventStore & Sendable)?
    /// The most events one `POST /v1/events` may hold.
    public var maximumEventsPerRequest = 10_000
    /// How often each model's drift window is compared with its training profile for the
    /// Prometheus gauges (`GET /v1/models/{name}/drift` always compares afresh).
    public var driftInterval: Duration = .seconds(15)
    /// The thresholds of those comparisons.
    public var drift = DriftSettings()

    public init() {}
}

/// The scoring server: the live version of every registry model behind JSON endpoints.
///
/// | endpoint | scope | |
/// |---|---|---|
/// | `GET /healthz` | none | the process answers |
/// | `GET /readyz` | none | 200 once every live model has loaded, else 503 |
/// | `GET /v1/models` | score | name, version, task, kind, training time, metrics card |
/// | `POST /v1/models/{name}/recommend` | score | ``RecommendRequest`` |
/// | `POST /v1/models/{name}/score` | score | ``ScoreRequest``: table rows, or store users |
/// | `POST /v1/events` | ingest | `{"events": [...]}`, stored before the answer (with ``ServerConfiguration/eventStore``) |
/// | `GET /v1/models/{name}/drift` | admin | the live model's recent requests against its training profile |
/// | `GET /metrics` | admin | Prometheus text |
///
/// Keys go in `Authorization: Bearer KEY` (401 without a valid one, 403 without the scope).
/// Every answer is JSON; an error is `{"error": {"code", "message", "field"}}` and a model's
/// answer names its version (in the body and the `X-Model-Version` header). The registry and
/// the key file are read again every ``ServerConfiguration/reloadInterval`` (hot reload, key
/// revocation). SIGTERM and SIGINT stop accepting and drain the requests in flight.
public struct ScoringServer: Sendable {
    public let configuration: ServerConfiguration
    public let models: LiveModels
    public let metrics: ServerMetrics
    let keys: LiveKeys
    let logger: Logger

    /// - Throws: ``FileError`` when the key file exists but cannot be read.
    public init(
        registry: ModelRegistry, keyFile: APIKeyFile, configuration: ServerConfiguration = ServerConfiguration(),
        kinds: ModelKinds = .standard, logger: Logger = Logger(label: "behave.serve")
    ) throws(FileError) {
        self.configuration = configuration
        self.logger = logger
        metrics = ServerMetrics()
        models = LiveModels(registry: registry, kinds: kinds, logger: logger, metrics: metrics)
        keys = try LiveKeys(file: keyFile, logger: logger)
    }

    /// The application: routes, middleware and the reload service; `refresh` loads the
    /// models first (a test calls it directly).
    public func makeApplication() -> some ApplicationProtocol {
        models.refresh()
        var settings = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port))
        settings.serverName = "behave"
        return Application(
            router: makeRouter(), configuration: settings,
            services: [
                Reloader(models: models, keys: keys, interval: configuration.reloadInterval),
                DriftGauges(
                    models: models, metrics: metrics, settings: configuration.drift,
                    interval: configuration.driftInterval),
            ], logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then drains.
    public func run() async throws {
        try await makeApplication().runService()
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(
            middleware: Gatekeeper(
                keys: keys, metrics: metrics, logger: logger,
                limiter: ConcurrencyLimiter(slots: configuration.slots, queue: configuration.queue, metrics: metrics)))
        let limit = configuration.maximumBodyBytes
        let serving = configuration.serving
        let models = models
        let metrics = metrics

        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            let refusals = models.refusals.mapValues { "version \($0.version) refused: \($0.reason)" }
            let ready = models.isReady
            return json(
                ReadyBody(
                    ready: ready, models: Dictionary(uniqueKeysWithValues: models.all.map { ($0.name, $0.version) }),
                    refused: refusals),
                status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/v1/models") { _, _ in
            json(ModelsBody(models: models.all.map(ModelsBody.Model.init)))
        }
        router.post("/v1/models/:name/recommend") { request, context in
            let (name, loaded) = try Self.model(context, models)
            let body = try await decodeBody(RecommendRequest.self, from: request, limit: limit)
            let result = try await loaded.model.recommend(body, context: serving)
            return answer(result, model: (name, loaded.version))
        }
        if let store = configuration.eventStore {
            let ingestion = EventIngestion(store: store, maximumEvents: configuration.maximumEventsPerRequest)
            router.post("/v1/events") { request, _ in
                let result = try await ingestion.ingest(try await collectBody(of: request, limit: limit))
                metrics.events(stored: result.stored, duplicates: result.duplicates, rejected: result.rejected)
                return answer(result)
            }
        }
        let driftSettings = configuration.drift
        router.get("/v1/models/:name/drift") { _, context in
            let (name, loaded) = try Self.model(context, models)
            guard let window = loaded.model.driftWindow else {
                throw APIError.notFound(
                    "model \(name) version \(loaded.version) has no training profile (profile.json); "
                        + "retrain it to monitor it", field: "name")
            }
            let report = window.report(settings: driftSettings)
            if let report { metrics.drift(model: name, report: report) }
            return json(
                DriftBody(
                    model: name, version: loaded.version, recordedRows: window.recordedRows,
                    windowCapacity: window.capacity, report: report), snakeCase: true)
        }
        router.post("/v1/models/:name/score") { request, context in
            let (name, loaded) = try Self.model(context, models)
            let body = try await decodeBody(ScoreRequest.self, from: request, limit: limit)
            let result = try await loaded.model.score(body, context: serving)
            return answer(result, model: (name, loaded.version))
        }
        router.post("/v1/models/:name/explain") { request, context in
            let (name, loaded) = try Self.model(context, models)
            let body = try await decodeBody(ScoreRequest.self, from: request, limit: limit)
            let result = try await loaded.model.explain(body, context: serving)
            return json(
                ExplainBody(
                    model: name, version: loaded.version, explanations: result.explanations, users: result.users,
                    recommendations: result.recommendations),
                snakeCase: true)
        }
        return router
    }

    /// The model a route names, taken once for the whole request.
    private static func model(
        _ context: BasicRequestContext, _ models: LiveModels
    ) throws(APIError) -> (String, LiveModels.Loaded) {
        let name = context.parameters.get("name") ?? ""
        guard let loaded = models.model(named: name) else {
            let names = models.all.map(\.name).joined(separator: ", ")
            throw .notFound(
                "no model \(name) is served (serving: \(names.isEmpty ? "none" : names))", field: "name")
        }
        return (name, loaded)
    }
}

/// An answer written by hand (the encoder cost as much as the rest of a one-row score
/// request): `{...result}`, and for a model's answer `"model"` and `"version"` beside the
/// result's members and the version in the `X-Model-Version` header.
func answer(_ result: some JSONAnswer, model: (name: String, version: String)? = nil) -> Response {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(256)
    bytes.append(UInt8(ascii: "{"))
    result.writeMembers(into: &bytes)
    var headers: HTTPFields = [.contentType: "application/json"]
    if let model {
        bytes.append(contentsOf: #","model":"#.utf8)
        JSONStringLiteral.append(model.name, to: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        JSONStringLiteral.append(model.version, to: &bytes)
        headers[.modelVersion] = model.version
    }
    bytes.append(UInt8(ascii: "}"))
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A result that writes its members (`"key":value,...`, no braces) as JSON.
public protocol JSONAnswer {
    func writeMembers(into bytes: inout [UInt8])
}

/// A number as JSON (`null` when not finite, which JSON cannot hold).
func appendJSONNumber(_ value: Double, to bytes: inout [UInt8]) {
    guard value.isFinite else {
        bytes.append(contentsOf: "null".utf8)
        return
    }
    bytes.append(contentsOf: value.description.utf8)
}

extension RecommendResult: JSONAnswer {
    public func writeMembers(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: #""history_length":"#.utf8)
        bytes.append(contentsOf: String(historyLength).utf8)
        bytes.append(contentsOf: #","items":["#.utf8)
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: #"{"item":"#.utf8)
            JSONStringLiteral.append(item.item, to: &bytes)
            bytes.append(contentsOf: #","score":"#.utf8)
            appendJSONNumber(Double(item.score), to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

extension ScoreResult: JSONAnswer {
    public func writeMembers(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: #""scores":["#.utf8)
        for (index, score) in scores.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: #"{"decision":"#.utf8)
            bytes.append(contentsOf: (score.decision ? "true" : "false").utf8)
            bytes.append(contentsOf: #","probability":"#.utf8)
            appendJSONNumber(score.probability, to: &bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(contentsOf: #"],"threshold":"#.utf8)
        appendJSONNumber(threshold, to: &bytes)
    }
}

struct ReadyBody: Encodable {
    var ready: Bool
    var models: [String: String]
    var refused: [String: String]
}

struct ModelsBody: Encodable {
    struct Model: Encodable {
        var name: String
        var version: String
        var task: String
        var kind: String?
        var created: String?
        var metrics: RawJSON?

        init(_ loaded: LiveModels.Loaded) {
            name = loaded.name
            version = loaded.version
            task = loaded.task
            kind = loaded.kind
            created = loaded.created
            metrics = loaded.metrics.flatMap(RawJSON.init(data:))
        }
    }
    var models: [Model]
}

extension HTTPField.Name {
    /// The version of the model that produced an answer.
    static let modelVersion = HTTPField.Name("X-Model-Version")!
}

/// A JSON response; `snakeCase` writes Swift's camel-case property names as the API's
/// snake-case keys.
func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, snakeCase: Bool = false) -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
    let data =
        (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"encoding","message":"unencodable answer"}}"#.utf8)
    return Response(
        status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// `POST /v1/models/{name}/explain`: each row's (`explanations`) or user's (`users`)
/// probability and its columns', features' or events' attributions, or each user's top
/// recommendation and its past items' attributions (`recommendations`).
struct ExplainBody: Encodable {
    var model: String
    var version: String
    var explanations: [RowExplanation]?
    var users: [UserExplanation]?
    var recommendations: [RecommendationExplanation]?
}

/// `GET /v1/models/{name}/drift`: without `report` until the model has answered a request.
struct DriftBody: Encodable {
    var model: String
    var version: String
    /// Rows (table rows, users, histories) recorded since this version was loaded.
    var recordedRows: Int
    /// The values kept per feature.
    var windowCapacity: Int
    var report: DriftReport?
}

/// Compares every live model's drift window with its profile every `interval` and sets the
/// drift gauges (only for models that answered requests since the last time).
struct DriftGauges: Service {
    let models: LiveModels
    let metrics: ServerMetrics
    let settings: DriftSettings
    let interval: Duration

    func run() async throws {
        // Rows recorded per model version at the last comparison: a window nobody asked
        // anything since is not compared again.
        let seen = Mutex<[String: Int]>([:])
        try await repeatUntilShutdown(every: interval) {
            for loaded in models.all {
                guard let window = loaded.model.driftWindow else { continue }
                let key = "\(loaded.name)/\(loaded.version)"
                let rows = window.recordedRows
                guard rows != seen.withLock({ $0[key] }), let report = window.report(settings: settings) else {
                    continue
                }
                seen.withLock { $0[key] = rows }
                metrics.drift(model: loaded.name, report: report)
            }
        }
    }
}

/// Runs `body` every `interval` until graceful shutdown, then returns without error.
func repeatUntilShutdown(every interval: Duration, _ body: @escaping @Sendable () -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                body()
            }
        }
    } catch is CancellationError {
        return
    }
}

/// Reads the registry and the key file again every `interval` until shutdown.
struct Reloader: Service {
    let models: LiveModels
    let keys: LiveKeys
    let interval: Duration

    /// Returns (without error) at graceful shutdown.
    func run() async throws {
        try await repeatUntilShutdown(every: interval) {
            models.refresh()
            keys.reload()
        }
    }
}

/// The API keys, read again by the reloader (a revoked key stops working within a second).
/// Keys that passed are remembered until the next reload, so a client's key costs one hash,
/// not one per request.
final class LiveKeys: Sendable {
    let file: APIKeyFile
    private let logger: Logger
    private let current: Mutex<(keys: APIKeySet, passed: [String: APIKeyFile.Entry], generation: Int)>
    /// The most keys remembered (the memory is emptied when full).
    private static let remembered = 4_096

    init(file: APIKeyFile, logger: Logger) throws(FileError) {
        self.file = file
        self.logger = logger
        current = Mutex((try file.load(), [:], 0))
    }

    func reload() {
        do {
            let keys = try file.load()
            current.withLock { $0 = (keys, [:], $0.generation + 1) }
        } catch {
            logger.error("key file unreadable, keeping the keys loaded before: \(error.localizedDescription)")
        }
    }

    func authenticate(_ key: String) -> APIKeyFile.Entry? {
        let (keys, known, generation) = current.withLock { ($0.keys, $0.passed[key], $0.generation) }
        if let known { return known }
        guard let entry = keys.authenticate(key) else { return nil }
        current.withLock { state in
            // Not if the keys were read again meanwhile (the key may have been revoked).
            guard state.generation == generation else { return }
            if state.passed.count >= Self.remembered { state.passed.removeAll() }
            state.passed[key] = entry
        }
        return entry
    }
}
