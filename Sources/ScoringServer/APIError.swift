import Foundation
import Hummingbird

/// An answer other than success: the HTTP status, a stable code, a message that says what to
/// fix, and the request field at fault when there is one. Sent as
/// `{"error": {"code": ..., "message": ..., "field": ...}}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// Seconds for `Retry-After` (503 answers).
    public var retryAfter: Int?

    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil, retryAfter: Int? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    /// 400: the request names something wrong.
    public static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "bad_request", message, field: field)
    }

    /// 404: no such model or route.
    public static func notFound(_ message: String, field: String? = nil) -> APIError {
        APIError(.notFound, code: "not_found", message, field: field)
    }

    /// The JSON body.
    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    var body: Body { Body(error: .init(code: code, message: message, field: field)) }
}
