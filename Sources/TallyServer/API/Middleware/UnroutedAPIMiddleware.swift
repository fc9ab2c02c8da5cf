import HTTPTypes
import Hummingbird
import NIOCore
import TallyCore

/// Answers a request under `/api` that no route takes, in the JSON error shape and after
/// authenticating it as every `/api` route does (no key, or a bad one: 401): a path the API
/// has, sent with a method it does not take, is a 405 `method_not_allowed` whose `Allow` lists
/// the methods it takes; any other path a 404 `not_found`. The router calls it with the one
/// error it throws when no route matches, whatever the method (HEAD, OPTIONS, TRACE or one of
/// its own), so no method needs a route of its own. The contract's few routes outside `/api`
/// (`opsPaths`) answer a method they lack with a plain-text 405 and `Allow: GET`.
struct UnroutedAPIMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let keys: APIKeyStore
    /// Every route of the API (`APIControllers.routes`).
    let routes: [APIRoute]
    /// The API's deadline (`RequestDeadlineMiddleware`), for the key's lookup.
    let deadline: Duration
    /// The API's count of wrong keys per address, and where the address comes from.
    let throttle: FailedKeyThrottle
    let trustForwardedFor: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let (keys, throttle, trustForwardedFor) = (self.keys, self.throttle, self.trustForwardedFor)
        let path = request.uri.path
        guard path == "/api" || path.hasPrefix("/api/") else {
            guard Self.opsPaths.contains(path) else { return try await next(request, context) }
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                // The contract's routes outside /api take GET only.
                return Response(
                    status: .methodNotAllowed, headers: [.allow: "GET", .contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "method not allowed\n")))
            }
        }
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Only the router throws HTTPError on /api: APIErrorMiddleware turns the others into APIErrors.
            return try await RequestDeadlineMiddleware(duration: deadline).handle(request, context: context) { request, context in
                try await APIErrorMiddleware().handle(request, context: context) { request, context in
                    try await APIKeyMiddleware(keys: keys, throttle: throttle, trustForwardedFor: trustForwardedFor).handle(
                        request, context: context
                    ) { request, context in
                        guard context.apiKey != nil else { throw APIError.unauthorized }
                        return try unrouted(request, context: context)
                    }
                }
            }
        }
    }

    private func unrouted(_ request: Request, context: Context) throws -> Response {
        let allowed = Self.methods(of: request.uri.path, in: routes)
        guard !allowed.isEmpty else { throw APIError(.notFound, .notFound, "no such API route") }
        let list = allowed.joined(separator: ", ")
        var response = try APIError(
            .methodNotAllowed, .methodNotAllowed, "\(request.method.rawValue) is not allowed here; this path takes \(list)"
        )
        .response(from: request, context: context)
        response.headers[.allow] = list
        if request.method == .head { response.body = .init() } // an answer to HEAD has no body
        return response
    }

    /// The contract's routes outside `/api` (health, readiness, metrics, the contract itself):
    /// another method than GET is a 405 there too.
    static let opsPaths: Set<String> = ["/healthz", "/readyz", "/metrics", "/openapi.yaml"]

    /// The methods of the routes whose path template `path` matches (a `{parameter}` matches
    /// any non-empty segment, with the text around it in the template: `{seq}.png`), in a fixed order.
    /// As in the router, a literal segment wins over a parameter: `/campaigns/preview` is that
    /// path's, not `/campaigns/{id}`'s.
    static func methods(of path: String, in routes: [APIRoute]) -> [String] {
        let segments = path.split(separator: "/")
        var methods: Set<String> = []
        var best: [Bool] = []
        for route in routes {
            let template = route.path.split(separator: "/")
            guard template.count == segments.count, zip(template, segments).allSatisfy({ matches($1, $0) }) else { continue }
            let literal = template.map { !$0.contains("{") }
            if literal.lexicographicallyPrecedes(best, by: { !$0 && $1 }) { continue }
            if best.lexicographicallyPrecedes(literal, by: { !$0 && $1 }) || best.isEmpty {
                best = literal
                methods = []
            }
            methods.insert(route.method)
        }
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
        return methods.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
    }

    private static func matches(_ segment: Substring, _ template: Substring) -> Bool {
        guard let open = template.firstIndex(of: "{"), let close = template.firstIndex(of: "}"), open < close else {
            return segment == template
        }
        let prefix = template[..<open]
        let suffix = template[template.index(after: close)...]
        return segment.count > prefix.count + suffix.count && segment.hasPrefix(prefix) && segment.hasSuffix(suffix)
    }
}
