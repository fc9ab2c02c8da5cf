import Hummingbird
import TallyCore

/// One route of the JSON API and the scope it demands.
public struct APIRoute: Sendable, Hashable {
    public let method: String
    /// The path as OpenAPI writes it, e.g. `/api/v1/batches/{id}`.
    public let path: String
    public let scope: Scope
}

/// One operation of the JSON API: its route, and the controller method that answers it,
/// named after the operation's `operationId` in openapi.yaml.
struct APIOperation<Controller: Sendable>: Sendable {
    typealias Handler = @Sendable (Controller) -> @Sendable (Request, AppRequestContext) async throws -> Response

    let route: APIRoute
    /// Every success of the handler comes from a statement that checked the API key itself
    /// (revoked, expired), so a cached key may let it in.
    let keyCheckedByStatement: Bool
    let handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, scope: Scope, keyCheckedByStatement: Bool = false, _ handler: @escaping Handler) {
        precondition(path.hasPrefix("/api/"), "API routes live under /api")
        self.route = APIRoute(method: method.rawValue, path: path, scope: scope)
        self.keyCheckedByStatement = keyCheckedByStatement
        self.handler = handler
    }
}

/// A controller of the JSON API: a table of its operations, which can be read without an
/// instance (so the routes can be listed without a database), and the stores it takes from
/// the server's one `Dependencies`.
protocol APIController: Sendable {
    static var operations: [APIOperation<Self>] { get }
    init(_ dependencies: Dependencies)
}

/// Every controller of the JSON API. The server mounts these and nothing else, and the
/// contract test lists their routes: one list for both.
enum APIControllers {
    static let all: [any APIController.Type] = [
        ProductController.self, BatchController.self, ExportController.self, ClaimController.self,
        MemberController.self, ProgrammeController.self, ReportController.self,
        RewardController.self, RedemptionController.self, CampaignController.self, CampaignPreviewController.self,
        CampaignReportController.self, WebhookController.self,
    ]

    static var routes: [APIRoute] {
        all.flatMap { controller in controller.routes }
    }

    /// Mounts every controller's operations on `group` (under `/api`, with its error and key
    /// middleware), or on `cachedKeyGroup` (the same, with a cache of API keys) for operations
    /// whose statement checks the key itself; each behind its scope check.
    static func mount(
        _ dependencies: Dependencies, on group: RouterGroup<AppRequestContext>, cachedKeyGroup: RouterGroup<AppRequestContext>
    ) {
        for controller in all {
            mount(controller, dependencies, on: group, cachedKeyGroup: cachedKeyGroup)
        }
    }

    private static func mount<Controller: APIController>(
        _: Controller.Type, _ dependencies: Dependencies, on group: RouterGroup<AppRequestContext>,
        cachedKeyGroup: RouterGroup<AppRequestContext>
    ) {
        Controller.mount(Controller(dependencies), on: group, cachedKeyGroup: cachedKeyGroup)
    }
}

extension APIController {
    static var routes: [APIRoute] { operations.map(\.route) }

    static func mount(_ controller: Self, on group: RouterGroup<AppRequestContext>, cachedKeyGroup: RouterGroup<AppRequestContext>) {
        for operation in operations {
            let scope = operation.route.scope
            let handler = operation.handler(controller)
            // Hummingbird writes parameters as {name}, like OpenAPI; the group is mounted at /api.
            let path = RouterPath(String(operation.route.path.dropFirst(4)))
            let method = HTTPRequest.Method(operation.route.method)!
            (operation.keyCheckedByStatement ? cachedKeyGroup : group).on(path, method: method) { request, context in
                guard let key = context.apiKey else { throw APIError.unauthorized }
                guard key.allows(scope) else { throw APIError.forbidden(scope) }
                return try await context.withinDeadline { try await handler(request, context) }
            }
        }
    }
}
