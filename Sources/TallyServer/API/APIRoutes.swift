import Hummingbird
import TallyCore

/// One route of the JSON API and the scope it demands.
public struct APIRoute: Sendable, Hashable {
    public let method: String
    /// The path as OpenAPI writes it, e.g. `/api/v1/batches/{id}`.
    public let path: String
    public let scope: Scope
}

/// Registers API routes, each behind its scope check, and keeps the list of them so the
/// OpenAPI contract can be checked against what is really served.
final class APIRoutes: @unchecked Sendable {
    private let group: RouterGroup<AppRequestContext>
    private let cachedKeyGroup: RouterGroup<AppRequestContext>
    private(set) var all: [APIRoute] = []

    /// Routes are added to `group` (mounted at `/api`, with its error and key middleware), or to
    /// `cachedKeyGroup` (the same, with a cache of API keys) if their statement checks the key.
    init(group: RouterGroup<AppRequestContext>, cachedKeyGroup: RouterGroup<AppRequestContext>) {
        self.group = group
        self.cachedKeyGroup = cachedKeyGroup
    }

    /// Adds a route. `keyCheckedByStatement`: every success of `handler` comes from a statement
    /// that checked the API key itself (revoked, expired), so a cached key may let it in.
    func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        scope: Scope,
        keyCheckedByStatement: Bool = false,
        _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        all.append(APIRoute(method: method.rawValue, path: path, scope: scope))
        // Hummingbird writes parameters as {name}, like OpenAPI.
        precondition(path.hasPrefix("/api/"), "API routes live under /api")
        (keyCheckedByStatement ? cachedKeyGroup : group).on(RouterPath(String(path.dropFirst(4))), method: method) { request, context in
            guard let key = context.apiKey else { throw APIError.unauthorized }
            guard key.allows(scope) else { throw APIError.forbidden(scope) }
            return try await handler(request, context)
        }
    }
}
