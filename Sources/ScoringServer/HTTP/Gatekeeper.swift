import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Serving
import Synchronization

/// The one middleware every request passes: a request id, the API key and its scope, the
/// concurrency limit, errors turned into JSON, then one log line and the metrics.
///
/// Health checks (`/healthz`, `/readyz`) need no key and skip the limit, so a busy server
/// still answers its orchestrator.
struct Gatekeeper<Context: RequestContext>: RouterMiddleware {
    let keys: LiveKeys
    let metrics: ServerMetrics
    let logger: Logger
    let limiter: ConcurrencyLimiter
    private let ids = RequestIDs()

    init(keys: LiveKeys, metrics: ServerMetrics, logger: Logger, limiter: ConcurrencyLimiter) {
        self.keys = keys
        self.metrics = metrics
        self.logger = logger
        self.limiter = limiter
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let id = ids.next()
        let endpoint = Self.endpoint(of: request)
        var response: Response
        do {
            response = try await admit(request, endpoint: endpoint, context: context, next: next)
        } catch let error as APIError {
            response = Self.response(for: error)
        } catch let error as any HTTPResponseError {
            response = Self.response(
                for: APIError(
                    error.status, code: error.status == .notFound ? "not_found" : "http_\(error.status.code)",
                    error.status == .notFound
                        ? "no such endpoint: \(request.method) \(request.uri.path)"
                        : error.status.reasonPhrase))
        } catch {
            logger.error("request \(id) failed: \(error)")
            response = Self.response(
                for: APIError(.internalServerError, code: "internal", "the server failed: \(error)"))
        }
        response.headers[.requestID] = id
        let elapsed = ContinuousClock.now - started
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let model = request.uri.path.split(separator: "/").dropFirst(2).first.map(String.init) ?? ""
        let version = response.headers[.modelVersion] ?? ""
        metrics.request(
            endpoint: endpoint, model: model, version: version, status: response.status.code, nanoseconds: nanoseconds)
        logger.info(
            "request",
            metadata: [
                "id": "\(id)", "method": "\(request.method)", "path": "\(request.uri.path)",
                "status": "\(response.status.code)", "us": "\(nanoseconds / 1_000)",
                "model": "\(model)", "version": "\(version)",
            ])
        return response
    }

    /// Checks the key and the limit, then runs the route.
    private func admit(
        _ request: Request, endpoint: String, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let scope = Self.scope(of: endpoint) else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let entry = keys.authenticate(String(header.dropFirst("Bearer ".count)))
        else {
            throw APIError(
                .unauthorized, code: "unauthorized", "send a valid API key as Authorization: Bearer KEY")
        }
        guard entry.allows(scope) else {
            throw APIError(.forbidden, code: "forbidden", "this key lacks the \(scope.rawValue) scope")
        }
        guard let response = try await limiter.run({ try await next(request, context) }) else {
            throw APIError(
                .serviceUnavailable, code: "overloaded",
                "the server is at its limit of \(limiter.slots) running and \(limiter.queue) waiting requests; retry",
                retryAfter: 1)
        }
        return response
    }

    /// The route a request is for, with `{name}` for the model, as metrics label it.
    static func endpoint(of request: Request) -> String {
        let parts = request.uri.path.split(separator: "/")
        switch parts.count {
        case 1 where ["healthz", "readyz", "metrics"].contains(parts[0]): return "/\(parts[0])"
        case 2 where parts[0] == "v1" && parts[1] == "models": return "/v1/models"
        case 2 where parts[0] == "v1" && parts[1] == "events": return "/v1/events"
        case 4
        where parts[0] == "v1" && parts[1] == "models" && ["recommend", "score", "explain", "drift"].contains(parts[3]):
            return "/v1/models/{name}/\(parts[3])"
        default: return "other"
        }
    }

    /// The scope an endpoint needs; nil for the health checks.
    static func scope(of endpoint: String) -> APIScope? {
        switch endpoint {
        case "/healthz", "/readyz": return nil
        case "/metrics", "/v1/models/{name}/drift": return .admin
        case "/v1/events": return .ingest
        default: return .score
        }
    }

    static func response(for error: APIError) -> Response {
        var response = json(error.body, status: error.status)
        if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
        if error.status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

extension HTTPField.Name {
    /// The id a request's log line carries.
    static let requestID = HTTPField.Name("X-Request-ID")!
}

/// Request ids: a counter in base 36, unique within the process.
final class RequestIDs: Sendable {
    private let counter = Atomic<Int>(0)

    func next() -> String {
        String(counter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }
}
