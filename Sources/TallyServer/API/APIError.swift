import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// An API error, sent as `{"error": {"code": "…", "message": "…"}}` with its status.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: ErrorCode
    public let message: String
    /// Seconds to send as `Retry-After`, when the error says when to come back.
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    init(_ error: StoreError) {
        switch error.kind {
        case .invalid: self.init(.unprocessableContent, error.code, error.message)
        case .notFound: self.init(.notFound, error.code, error.message)
        case .conflict: self.init(.conflict, error.code, error.message)
        case .rateLimited: self.init(.tooManyRequests, error.code, error.message)
        case .overloaded, .unavailable: self.init(.serviceUnavailable, error.code, error.message)
        }
    }

    public var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        // RFC 9110: a 401 says how to authenticate.
        if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="tally""# }
        // A 503 says when to come back (seconds).
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return headers
    }

    /// The JSON error shape: `{"error": {"code", "message"}}`.
    private struct Body: Encodable {
        struct Detail: Encodable {
            let code: ErrorCode
            let message: String
        }
        let error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(Body(error: .init(code: code, message: message)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ code: ErrorCode, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static let unauthorized = APIError(.unauthorized, .unauthorized, "a valid API key is required: Authorization: Bearer tly_…")
    /// The address sent too many wrong API keys lately (see `FailedKeyThrottle`).
    static func tooManyFailedKeys(retryAfter: Int) -> APIError {
        var error = APIError(
            .tooManyRequests, .tooManyFailedKeys,
            "too many wrong API keys were sent from this address; try again in \(retryAfter) s with a valid key")
        error.retryAfter = retryAfter
        return error
    }
    static func forbidden(_ scope: Scope) -> APIError {
        APIError(.forbidden, .forbidden, "this API key lacks the scope \(scope.rawValue)")
    }
}
