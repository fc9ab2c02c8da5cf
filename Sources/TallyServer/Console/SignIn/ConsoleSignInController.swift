import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore

/// `/console/sign-in` and `/console/sign-out`: name, password and the authenticator's code, then
/// a session cookie (`tally_staff`: the session's random id, signed; HttpOnly, SameSite=Strict,
/// Secure when `TALLY_SECURE_COOKIES`). The sign-in form's CSRF token is bound to a random visitor
/// cookie, as the consumer pages' are.
struct ConsoleSignInController {
    static let visitorCookie = "tally_console_visitor"

    let gate: ConsoleSessionGate
    let staff: StaffStore

    func addRoutes(to routes: ConsoleRoutes) {
        routes.router.get("/console/sign-in") { request, context in form(request, context, error: nil, status: .ok) }
        routes.router.post("/console/sign-in") { request, context in try await signIn(request, context) }
        routes.action("/console/sign-out", nil, .viewReports) { console, _ in try await signOut(console) }
    }

    private func form(_ request: Request, _ context: AppRequestContext, error: String?, status: HTTPResponse.Status, name: String = "")
        -> Response
    {
        let lang = language(request)
        let (visitor, isNew) = visitorID(request)
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        let errorHTML: HTML = error.map { "<div class=\"notice bad\" role=\"alert\">\($0)</div>" } ?? ""
        let switchURL = ConsoleURL.make("/console/sign-in", [("lang", lang.other.rawValue), ("next", next)])
        let page: HTML = """
            <!doctype html>
            <html lang="\(lang.tag)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(lang("登录", "Sign in")) · Tally</title><style>\(HTML(trusted: ConsoleStyle.css))</style></head>
            <body><main><div class="signin">
            <h1>\(lang("Tally 品牌控制台", "Tally brand console"))</h1>
            \(errorHTML)
            <form method="post" action="\(ConsoleURL.make("/console/sign-in", [("next", next)]))">
            \(ConsoleForm.csrfField(gate.signer.csrfToken(anchor: "console-visitor:" + visitor)))
            <label>\(lang("用户名", "Name"))<input name="name" value="\(name)" autocomplete="username" required autofocus></label>
            <label>\(lang("密码", "Password"))<input name="password" type="password" autocomplete="current-password" required></label>
            <label>\(lang("验证码（身份验证器中的 6 位数字）", "Code (6 digits from your authenticator app)"))\
            <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="7"></label>
            <button type="submit">\(lang("登录", "Sign in"))</button>
            </form>
            <p><a href="\(switchURL)" lang="\(lang.other.tag)">\(lang.other == .en ? "English" : "中文")</a></p>
            </div></main></body></html>
            """
        var response = ConsoleResponse.html(page.text, status: status)
        if isNew {
            response.setCookie(
                Cookie(
                    name: Self.visitorCookie, value: visitor, maxAge: 3600, path: "/console", secure: gate.config.secureCookies,
                    httpOnly: true, sameSite: .strict))
        }
        if request.uri.queryParameters["lang"] != nil { ConsoleResponse.setLanguage(&response, lang, secure: gate.config.secureCookies) }
        return response
    }

    private func signIn(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        var request = request
        let form = ConsoleFormBody(String(buffer: try await request.collectBody(upTo: 16 * 1024)))
        let lang = language(request)
        let (visitor, isNew) = visitorID(request)
        guard !isNew, ConsoleGate.sameOrigin(request, publicHost: gate.config.publicHost),
            ConsoleGate.same(form[ConsoleForm.csrfName], gate.signer.csrfToken(anchor: "console-visitor:" + visitor))
        else {
            return self.form(
                request, context, error: lang("此表单已过期或来自其他网站，请再试一次。", "This form expired or came from another site: please try again."),
                status: .forbidden)
        }
        let name = (form["name"] ?? "").lowercased()
        let ip = context.clientIP(request: request, trustForwardedFor: gate.config.trustForwardedFor)
        let outcome: StaffSignIn
        do {
            let (staff, password, code, userAgent) = (
                self.staff, form.raw("password") ?? "", form["code"] ?? "", request.headers[.userAgent]
            )
            outcome = try await withRequestDeadline(until: .now + ConsoleRoutes.deadline) {
                try await staff.signIn(name: name, password: password, code: code, ip: ip, userAgent: userAgent)
            }
        } catch {
            context.logger.error("console sign-in failed", metadata: ["error": "\(error.databaseDescription)"])
            return ConsoleResponse.html(ConsolePlainPage.unavailable(lang), status: .serviceUnavailable)
        }
        switch outcome {
        case .signedIn(let session):
            context.logger.info("console sign-in", metadata: ["staff": "\(session.name)"])
            let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
            var response = Response(status: .seeOther, headers: [.location: next, .cacheControl: "no-store"])
            response.setCookie(
                Cookie(
                    name: ConsoleRoutes.sessionCookie, value: gate.signer.signed(session.id), path: "/console",
                    secure: gate.config.secureCookies, httpOnly: true, sameSite: .strict))
            return response
        case .refused:
            return self.form(
                request, context,
                error: lang(
                    "用户名、密码或验证码不正确。连续错误 \(StaffStore.maxFailures) 次将锁定账户 15 分钟。",
                    "Wrong name, password or code. \(StaffStore.maxFailures) wrong attempts in a row lock the account for 15 minutes."),
                status: .unauthorized, name: name)
        case .locked(let until):
            return self.form(
                request, context,
                error: lang(
                    "错误次数过多，账户已锁定至 \(ConsoleFormat.time(until, lang: lang))。",
                    "Too many wrong attempts: the account is locked until \(ConsoleFormat.time(until, lang: lang))."),
                status: .init(code: 423, reasonPhrase: "Locked"), name: name)
        case .disabled:
            return self.form(
                request, context, error: lang("此账户已停用，请联系管理员。", "This account is disabled: ask an admin."), status: .forbidden,
                name: name)
        }
    }

    private func signOut(_ console: ConsoleRequest) async throws -> Response {
        try await staff.signOut(console.session, ip: console.ip)
        var response = Response(status: .seeOther, headers: [.location: "/console/sign-in", .cacheControl: "no-store"])
        response.setCookie(
            Cookie(
                name: ConsoleRoutes.sessionCookie, value: "", maxAge: 0, path: "/console", secure: gate.config.secureCookies,
                httpOnly: true, sameSite: .strict))
        return response
    }

    private func language(_ request: Request) -> ConsoleLanguage {
        ConsoleLanguage.choose(
            query: request.uri.queryParameters["lang"].map(String.init), cookie: request.cookies[ConsoleLanguage.cookie]?.value,
            acceptLanguage: request.headers[.acceptLanguage])
    }

    private func visitorID(_ request: Request) -> (String, isNew: Bool) {
        if let existing = request.cookies[Self.visitorCookie]?.value, existing.count == 32, existing.allSatisfy(\.isHexDigit) {
            return (existing, false)
        }
        return (SessionSigner.newCSRFToken(), true)
    }

    /// Only console pages are places to go after signing in: no open redirects.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console"), !next.hasPrefix("/console/sign-"), !next.contains("//"), !next.contains("\\"),
            next.count <= 500
        else { return "/console" }
        return next
    }
}
