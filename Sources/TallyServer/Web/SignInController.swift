import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore

/// Phone sign-in with a one-time code, then a signed session cookie.
///
/// `POST /signin/code` sends a code and shows the page to type it; `POST /signin/verify`
/// checks it, finds or creates the member for the phone, sets the session and returns to
/// the code's page. Every form carries the visit's CSRF token and must come from our own pages.
struct SignInController {
    let config: ServerConfig
    let otp: OTPStore
    let members: MemberStore
    let sender: any CodeSender
    let signer: SessionSigner

    struct PhoneForm: Decodable {
        var csrf: String?
        var phone: String?
        var returnTo: String?

        enum CodingKeys: String, CodingKey {
            case csrf, phone
            case returnTo = "return_to"
        }
    }

    struct CodeForm: Decodable {
        var csrf: String?
        var phone: String?
        var code: String?
        var returnTo: String?

        enum CodingKeys: String, CodingKey {
            case csrf, phone, code
            case returnTo = "return_to"
        }
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/signin/code") { request, context in try await sendCode(request, context: context) }
        router.post("/signin/verify") { request, context in try await verify(request, context: context) }
        router.post("/signout") { request, context in try await signOut(request, context: context) }
    }

    /// Only our own pages are places to return to, a code's page or /me: no open redirects.
    static func safeReturn(_ path: String?) -> String {
        if path == MeController.path { return MeController.path }
        guard let path, path.hasPrefix("/Q/"), path.count <= 40,
            path.dropFirst(3).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { return "/Q" }
        return path
    }

    private func sendCode(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = ConsumerVisit(request: request, context: context, signer: signer, trustForwardedFor: config.trustForwardedFor)
        let form = try await FormBody.decode(PhoneForm.self, from: request, context: context)
        let returnTo = Self.safeReturn(form.returnTo)
        if let refusal = visit.refusal(of: form.csrf, publicHost: config.publicHost) {
            return refused(visit, refusal, returnTo: returnTo)
        }
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber(form.phone ?? "")
        } catch {
            return phoneForm(
                visit, returnTo: returnTo, phone: form.phone ?? "", error: visit.strings.badPhone, status: .unprocessableContent)
        }
        do {
            // A code the gateway did not take is withdrawn: it does not count against the limits.
            // The deadline leaves the gateway its own 5 s besides the database's.
            let (otp, sender, ip, logger) = (self.otp, self.sender, visit.ip, context.logger)
            try await withRequestDeadline(until: .now + config.pageDeadline + WebhookCodeSender.timeout) {
                try await otp.issue(phone: phone, ip: ip) { code, expiresAt in
                    try await sender.send(code: code, to: phone, expiresAt: expiresAt, logger: logger)
                }
            }
        } catch let error as StoreError where error.kind == .rateLimited {
            return phoneForm(visit, returnTo: returnTo, phone: form.phone ?? "", error: error.message, status: .tooManyRequests)
        } catch {
            context.logger.error("sign-in code not sent", metadata: ["phone": "\(phone.masked)", "error": "\(error.databaseDescription)"])
            return phoneForm(
                visit, returnTo: returnTo, phone: form.phone ?? "", error: visit.strings.sendFailed, status: .serviceUnavailable)
        }
        return codeForm(visit, phone: phone, returnTo: returnTo, error: nil, status: .ok)
    }

    private func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = ConsumerVisit(request: request, context: context, signer: signer, trustForwardedFor: config.trustForwardedFor)
        let form = try await FormBody.decode(CodeForm.self, from: request, context: context)
        let returnTo = Self.safeReturn(form.returnTo)
        if let refusal = visit.refusal(of: form.csrf, publicHost: config.publicHost) {
            return refused(visit, refusal, returnTo: returnTo)
        }
        guard let phone = try? PhoneNumber(form.phone ?? "") else {
            return phoneForm(visit, returnTo: returnTo, phone: "", error: visit.strings.badPhone, status: .unprocessableContent)
        }
        let s = visit.strings
        let verdict: OTPStore.Outcome
        let member: UUID?
        do {
            let (otp, members, typed) = (self.otp, self.members, form.code ?? "")
            (verdict, member) = try await withRequestDeadline(until: .now + config.pageDeadline) {
                let verdict = try await otp.verify(phone: phone, code: typed)
                guard case .verified = verdict else { return (verdict, nil) }
                return (verdict, try await members.findOrCreate(.phone(phone)))
            }
        } catch {
            context.logger.error("sign-in not verified", metadata: ["phone": "\(phone.masked)", "error": "\(error.databaseDescription)"])
            let page = visit.page(brand: config.brand, heading: s.unavailableTitle, tone: "warn", message: s.unavailableBody)
            return visit.respond(page, status: .serviceUnavailable, secureCookies: config.secureCookies)
        }
        switch verdict {
        case .verified:
            // Verified comes with its member (see above).
            guard let member else { throw HTTPError(.internalServerError) }
            var response = visit.redirect(to: returnTo, secureCookies: config.secureCookies)
            response.setCookie(
                Cookie(
                    name: SessionSigner.sessionCookie, value: signer.session(for: member),
                    maxAge: Int(SessionSigner.lifetime), path: "/", secure: config.secureCookies, httpOnly: true, sameSite: .lax
                ))
            return response
        case .wrongCode(let left):
            return codeForm(
                visit, phone: phone, returnTo: returnTo, error: s.format(s.wrongCode, String(left)), status: .unprocessableContent)
        case .expired:
            return phoneForm(visit, returnTo: returnTo, phone: phone.e164, error: s.codeExpired, status: .unprocessableContent)
        case .tooManyAttempts:
            return phoneForm(visit, returnTo: returnTo, phone: phone.e164, error: s.tooManyAttempts, status: .tooManyRequests)
        }
    }

    private func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = ConsumerVisit(request: request, context: context, signer: signer, trustForwardedFor: config.trustForwardedFor)
        let form = try await FormBody.decode(PhoneForm.self, from: request, context: context)
        let returnTo = Self.safeReturn(form.returnTo)
        if let refusal = visit.refusal(of: form.csrf, publicHost: config.publicHost) {
            return refused(visit, refusal, returnTo: returnTo)
        }
        var response = visit.redirect(to: returnTo, secureCookies: config.secureCookies)
        response.setCookie(
            Cookie(
                name: SessionSigner.sessionCookie, value: "", maxAge: 0, path: "/", secure: config.secureCookies, httpOnly: true,
                sameSite: .lax))
        return response
    }

    private func phoneForm(_ visit: ConsumerVisit, returnTo: String, phone: String, error: String?, status: HTTPResponse.Status) -> Response
    {
        var page = visit.page(brand: config.brand, heading: visit.strings.signInTitle, tone: "info", switchPath: returnTo)
        page.signInForm = .init(csrf: visit.csrf, returnTo: returnTo, phone: phone, error: error)
        return visit.respond(page, status: status, secureCookies: config.secureCookies)
    }

    private func codeForm(_ visit: ConsumerVisit, phone: PhoneNumber, returnTo: String, error: String?, status: HTTPResponse.Status)
        -> Response
    {
        var page = visit.page(brand: config.brand, heading: visit.strings.codeTitle, tone: "info", switchPath: returnTo)
        page.codeForm = .init(
            csrf: visit.csrf, returnTo: returnTo, phone: phone.e164,
            sentTo: visit.strings.format(visit.strings.codeSentTo, phone.masked), error: error
        )
        return visit.respond(page, status: status, secureCookies: config.secureCookies)
    }

    /// A form without this visit's CSRF token, or sent from another site: nothing happens; the
    /// visitor starts again from the page.
    private func refused(_ visit: ConsumerVisit, _ refusal: FormRefusal, returnTo: String) -> Response {
        let page = visit.refusedPage(refusal, brand: config.brand, switchPath: returnTo)
        var response = visit.respond(page, status: .forbidden, secureCookies: config.secureCookies)
        response.headers[.refresh] = "3; url=\(returnTo)"
        return response
    }
}

extension HTTPField.Name {
    static let refresh = Self("Refresh")!
}
