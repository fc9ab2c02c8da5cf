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
    private(set) var all: [APIRoute] = []

    /// Routes are added to `group` (mounted at `/api`, with its error and key middleware).
    init(router: Router<AppRequestContext>, group: RouterGroup<AppRequestContext>) {
        self.group = group
    }

    func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        scope: Scope,
        _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        all.append(APIRoute(method: method.rawValue, path: path, scope: scope))
        // Hummingbird writes parameters as {name}, like OpenAPI.
        precondition(path.hasPrefix("/api/"), "API routes live under /api")
        group.on(RouterPath(String(path.dropFirst(4))), method: method) { request, context in
            guard let key = context.apiKey else { throw APIError.unauthorized }
            guard key.allows(scope) else { throw APIError.forbidden(scope) }
            return try await handler(request, context)
        }
    }
}
