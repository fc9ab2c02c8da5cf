import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore

/// Registers console pages and form actions behind the one gate every console route passes:
/// a live staff session (else to the sign-in page), the role's permission (else 403, with the
/// section hidden from the navigation anyway), and for forms an own-site `Origin` and the
/// session's CSRF token (else 403, nothing done). A refusal from the domain becomes a page
/// that says what and that nothing was changed.
struct ConsoleRoutes {
    static let sessionCookie = "tally_staff"
    /// How long a console request may take with the database; the dashboard reads rollups only.
    static let deadline: Duration = .seconds(15)

    let router: Router<AppRequestContext>
    let gate: ConsoleSessionGate

    var signer: SessionSigner { gate.signer }
    var config: ServerConfig { gate.config }

    typealias PageHandler = @Sendable (ConsoleRequest) async throws -> Response
    typealias ActionHandler = @Sendable (ConsoleRequest, ConsoleFormBody) async throws -> Response

    /// A page (GET) of `section`, for those with `permission`.
    func page(_ path: RouterPath, _ section: ConsoleSection?, _ permission: StaffPermission, _ handler: @escaping PageHandler) {
        let gate = self.gate
        router.get(path) { request, context in
            try await gate.serve(request, context, section: section, permission: permission, form: nil) { console, _ in
                try await handler(console)
            }
        }
    }

    /// A form action (POST), for those with `permission`.
    func action(_ path: RouterPath, _ section: ConsoleSection?, _ permission: StaffPermission, _ handler: @escaping ActionHandler) {
        let gate = self.gate
        router.post(path) { request, context in
            var request = request
            let body = try await request.collectBody(upTo: ConsoleFormBody.maxSize)
            let form = ConsoleFormBody(String(buffer: body))
            return try await gate.serve(request, context, section: section, permission: permission, form: form, handler)
        }
    }

}

/// The checks behind every console route (see `ConsoleRoutes`).
struct ConsoleSessionGate: Sendable {
    let staff: StaffStore
    let signer: SessionSigner
    let config: ServerConfig

    typealias ActionHandler = ConsoleRoutes.ActionHandler

    /// The CSRF token of a session's forms: bound to the session, so a token is worthless with another.
    func csrfToken(sessionID: String) -> String {
        signer.csrfToken(anchor: "console:" + sessionID)
    }

    func serve(
        _ request: Request, _ context: AppRequestContext, section: ConsoleSection?, permission: StaffPermission,
        form: ConsoleFormBody?, _ handler: @escaping ActionHandler
    ) async throws -> Response {
        let lang = ConsoleLanguage.choose(
            query: request.uri.queryParameters["lang"].map(String.init), cookie: request.cookies[ConsoleLanguage.cookie]?.value,
            acceptLanguage: request.headers[.acceptLanguage])
        let ip = context.clientIP(request: request, trustForwardedFor: config.trustForwardedFor)
        let session: StaffSession?
        do {
            session = try await withRequestDeadline(until: .now + ConsoleRoutes.deadline) { [staff, signer] in
                guard let cookie = request.cookies[ConsoleRoutes.sessionCookie]?.value, let id = signer.verified(cookie) else { return nil }
                return try await staff.session(id: id)
            }
        } catch {
            context.logger.error("console session not read", metadata: ["error": "\(error.databaseDescription)"])
            return ConsoleResponse.html(ConsolePlainPage.unavailable(lang), status: .serviceUnavailable)
        }
        guard let session else {
            // Signed out, expired or idle: sign in, then come back here (a form is not resent).
            let back = form == nil ? request.uri.path + (request.uri.query.map { "?" + $0 } ?? "") : "/console"
            return Response(
                status: .seeOther,
                headers: [.location: ConsoleURL.make("/console/sign-in", [("next", back)]), .cacheControl: "no-store"])
        }
        let console = ConsoleRequest(
            request: request, context: context, session: session, lang: lang, csrf: csrfToken(sessionID: session.id), ip: ip,
            secureCookies: config.secureCookies,
            notice: request.cookies[ConsoleResponse.noticeCookie]?.value.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 })
        guard session.may(permission) else {
            context.logger.notice("console: not permitted", metadata: ["staff": "\(session.name)", "path": "\(request.uri.path)"])
            let body: HTML = """
                <div class="notice bad" role="alert">\(lang("你的角色（", "Your role ("))\(ConsoleRoleName.name(session.role, lang))\
                \(lang("）不能打开此页或执行此操作。没有做任何更改。", ") may not open this page or do this. Nothing was changed."))</div>
                """
            return console.page(nil, title: lang("无权限", "Not permitted"), status: .forbidden, body)
        }
        if let form {
            guard ConsoleGate.sameOrigin(request, publicHost: config.publicHost), ConsoleGate.same(form[ConsoleForm.csrfName], console.csrf)
            else {
                let body: HTML = """
                    <div class="notice bad" role="alert">\(lang("此表单已过期或来自其他网站，没有做任何更改。请重新打开页面再试。",
                        "This form has expired or was sent from another site. Nothing was changed: open the page again and retry."))</div>
                    """
                return console.page(section, title: lang("表单无效", "Form refused"), status: .forbidden, body)
            }
        }
        do {
            return try await withRequestDeadline(until: .now + ConsoleRoutes.deadline) {
                try await handler(console, form ?? ConsoleFormBody(""))
            }
        } catch let error as StoreError {
            return console.refused(error, section: section, back: request.uri.path)
        } catch let error as HTTPError {
            throw error
        } catch {
            context.logger.error(
                "console request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error.databaseDescription)"])
            return ConsoleResponse.html(ConsolePlainPage.unavailable(lang), status: .serviceUnavailable)
        }
    }
}
