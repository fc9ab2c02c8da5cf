import Hummingbird
import Logging
import Metrics
import TallyCore

/// Authenticates `Authorization: Bearer <secret>`. A request without the header passes on
/// unauthenticated (each route then demands its scope); a bad or revoked key is a 401 at once.
///
/// With a cache, for routes whose own statement checks the key again (the claim API: see
/// `APIKeyCache`), a key read from the database in the last minute lets the request in without
/// a lookup. A success is then vouched for by the route's statement; any other answer waits for
/// a lookup of the key, so that a key revoked meanwhile still gets its 401 and nothing else.
///
/// Every refused key counts against the client's address (`FailedKeyThrottle`); an address
/// that sent too many lately gets 429 `too_many_failed_keys` before its key is looked at.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let keys: APIKeyStore
    var cache: APIKeyCache? = nil
    var throttle = FailedKeyThrottle(.off)
    /// Take the client's address from X-Forwarded-For (`TALLY_TRUST_PROXY`).
    var trustForwardedFor = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let address = throttle.isOn ? context.clientIP(request: request, trustForwardedFor: trustForwardedFor) : nil
        if let wait = throttle.retryAfter(address: address) {
            Counter(label: "tally_api_key_failures_throttled_total").increment()
            throw APIError.tooManyFailedKeys(retryAfter: wait)
        }
        guard header.hasPrefix("Bearer ") else { throw refused(address) }
        let secret = String(header.dropFirst(7))
        if let cache, let key = cache.key(secret: secret) {
            do {
                return try await next(request, Self.context(context, key))
            } catch {
                guard try await authenticate(secret, context: context) != nil else {
                    cache.remove(secret: secret)
                    throw refused(address)
                }
                throw error
            }
        }
        guard let key = try await authenticate(secret, context: context) else { throw refused(address) }
        cache?.store(key, secret: secret)
        return try await next(request, Self.context(context, key))
    }

    /// The key with this secret, looked up within the request's deadline.
    private func authenticate(_ secret: String, context: Context) async throws -> APIKey? {
        let keys = self.keys
        return try await context.withinDeadline { try await keys.authenticate(secret: secret) }
    }

    /// The 401 for a key that is not (or no longer) valid, counted against the address.
    private func refused(_ address: String?) -> APIError {
        throttle.recordFailure(address: address)
        return APIError.unauthorized
    }

    private static func context(_ context: Context, _ key: APIKey) -> Context {
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = .string(key.prefix)
        return context
    }
}
