import Hummingbird
import Logging
import TallyCore

/// Authenticates `Authorization: Bearer <secret>`. A request without the header passes on
/// unauthenticated (each route then demands its scope); a bad or revoked key is a 401 at once.
///
/// With a cache, for routes whose own statement checks the key again (the claim API: see
/// `APIKeyCache`), a key read from the database in the last minute lets the request in without
/// a lookup. A success is then vouched for by the route's statement; any other answer waits for
/// a lookup of the key, so that a key revoked meanwhile still gets its 401 and nothing else.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let keys: APIKeyStore
    var cache: APIKeyCache? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized }
        let secret = String(header.dropFirst(7))
        if let cache, let key = cache.key(secret: secret) {
            do {
                return try await next(request, Self.context(context, key))
            } catch {
                guard try await authenticate(secret, context: context) != nil else {
                    cache.remove(secret: secret)
                    throw APIError.unauthorized
                }
                throw error
            }
        }
        guard let key = try await authenticate(secret, context: context) else { throw APIError.unauthorized }
        cache?.store(key, secret: secret)
        return try await next(request, Self.context(context, key))
    }

    /// The key with this secret, looked up within the request's deadline.
    private func authenticate(_ secret: String, context: Context) async throws -> APIKey? {
        let keys = self.keys
        return try await context.withinDeadline { try await keys.authenticate(secret: secret) }
    }

    private static func context(_ context: Context, _ key: APIKey) -> Context {
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = .string(key.prefix)
        return context
    }
}
