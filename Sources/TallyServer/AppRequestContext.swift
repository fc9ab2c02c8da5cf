import Foundation
import Hummingbird
import NIOCore
import TallyCore

/// Per-request state: the core context, the peer's address, and the API key that
/// authenticated the request.
public struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `APIKeyMiddleware` when a valid `Authorization: Bearer` key was presented.
    public var apiKey: APIKey?
    /// Set by `RequestDeadlineMiddleware` on API routes: when the request's database work must
    /// be done (see `withinDeadline`).
    public var deadline: ContinuousClock.Instant?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.apiKey = nil
        self.deadline = nil
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address: the peer's, or behind a trusted proxy the first X-Forwarded-For entry.
    func clientIP(request: Request, trustForwardedFor: Bool) -> String? {
        if trustForwardedFor, let forwarded = request.headers[.xForwardedFor]?.split(separator: ",").first {
            let address = forwarded.trimmingCharacters(in: .whitespaces)
            if (try? SocketAddress(ipAddress: address, port: 0)) != nil { return address }
        }
        return remoteAddress?.ipAddress
    }

    /// Runs `work` (database work of this request) within the request's deadline, if it has one:
    /// when it passes, the client gets 503 `database_unavailable` or `outcome_unknown` at once.
    func withinDeadline<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let deadline else { return try await work() }
        return try await withRequestDeadline(until: deadline, work)
    }

    /// JSON request bodies are small: products and batch orders, not uploads.
    public var maxUploadSize: Int { 64 * 1024 }

    /// JSON bodies as the API reads them (`APIRequestDecoder`): snake_case keys, RFC 3339
    /// date-times, `null` only where a field may be null.
    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }

    public var responseEncoder: JSONEncoder { Self.jsonEncoder() }

    /// JSON as the API writes it: snake_case keys, sorted, RFC 3339 date-times.
    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .rfc3339
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
