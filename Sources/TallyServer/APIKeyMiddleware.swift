import Hummingbird
import Logging
import TallyCore

/// Authenticates `Authorization: Bearer <secret>`. A request without the header passes on
/// unauthenticated (each route then demands its scope); a bad or revoked key is a 401 at once.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let keys: APIKeyStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.hasPrefix("Bearer "), let key = try await keys.authenticate(secret: String(header.dropFirst(7))) else {
            throw APIError.unauthorized
        }
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = .string(key.prefix)
        return try await next(request, context)
    }
}
