import Foundation
import Hummingbird
import Logging
import Metrics
import TallyCodes
import TallyCore

/// The consumer's pages: what a scanned (or typed) code is, and claiming its points.
///
/// A code is checked without the database first: a forged or mistyped code gets its page
/// even when the database is down. Every scan is recorded, off the request path.
struct LandingController {
    let config: ServerConfig
    let claims: ClaimStore
    let members: MemberStore
    let scans: ScanRecorder
    let signer: SessionSigner

    struct ClaimFormBody: Decodable {
        var csrf: String?
        var latitude: String?
        var longitude: String?
        var accuracy: String?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/Q/{code}") { request, context in try await landing(request, context: context) }
        router.get("/q/{code}") { request, context in try await landing(request, context: context) }
        router.get("/01/{gtin}/21/{code}") { request, context in try await landing(request, context: context) }
        router.get("/Q") { request, context in manualEntry(request, context: context) }
        router.get("/q") { request, context in manualEntry(request, context: context) }
        router.post("/Q/{code}/claim") { request, context in try await claim(request, context: context) }
        router.get("/brand/logo") { _, _ in try logo() }
    }

    private func visit(_ request: Request, _ context: AppRequestContext) -> ConsumerVisit {
        ConsumerVisit(request: request, context: context, signer: signer, trustForwardedFor: config.trustForwardedFor)
    }

    /// `/Q` shows the form for typing a code from a damaged QR; `/Q?code=…` checks what was typed.
    private func manualEntry(_ request: Request, context: AppRequestContext) -> Response {
        let visit = visit(request, context)
        if let typed = request.uri.queryParameters["code"].map(String.init), !typed.isEmpty {
            if let text = CodeInput.normalised(CodeLink.codeText(in: typed)) {
                return visit.redirect(to: "/Q/\(text)", secureCookies: config.secureCookies)
            }
            var page = visit.page(brand: config.brand, heading: visit.strings.typoTitle, tone: "warn", message: visit.strings.typoBody)
            page.manualForm = .init(value: typed, intro: false)
            record(Scan(result: "malformed", input: typed, ip: visit.ip, userAgent: visit.userAgent))
            return visit.respond(page, secureCookies: config.secureCookies)
        }
        var page = visit.page(brand: config.brand, heading: visit.strings.manualTitle, tone: "info")
        page.manualForm = .init(value: "", intro: true)
        return visit.respond(page, secureCookies: config.secureCookies)
    }

    private func landing(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = visit(request, context)
        let typed = context.parameters.get("code") ?? ""
        let code: Code
        switch config.keyRing.check(typed) {
        case .valid(let valid):
            code = valid
        case .malformed, .typo:
            record(Scan(result: "typo", input: typed, ip: visit.ip, userAgent: visit.userAgent))
            var page = visit.page(brand: config.brand, heading: visit.strings.typoTitle, tone: "warn", message: visit.strings.typoBody)
            page.manualForm = .init(value: Self.grouped(typed) ?? typed, intro: false)
            return visit.respond(page, secureCookies: config.secureCookies)
        case .unknownKey, .forged:
            record(Scan(result: "forged", input: typed, ip: visit.ip, userAgent: visit.userAgent))
            Counter(label: "tally_forged_scans_total").increment()
            var page = visit.page(brand: config.brand, heading: visit.strings.forgedTitle, tone: "bad", message: visit.strings.forgedBody)
            page.codeGrouped = Self.grouped(typed) // so it can be compared with the package and reported
            page.withSupport(config.brand)
            return visit.respond(page, secureCookies: config.secureCookies)
        }
        // A typed form (lower case, dashes) is shown at its canonical address.
        if typed != code.text && context.parameters.get("gtin") == nil {
            return visit.redirect(to: "/Q/\(code.text)", secureCookies: config.secureCookies)
        }
        do {
            // A person is waiting on a phone: if the database does not answer soon, say so.
            let claims = self.claims
            let status = try await withRequestDeadline(until: .now + config.pageDeadline) {
                try await claims.status(of: code, viewer: visit.member)
            }
            let page = try await statusPage(code: code, status: status, visit: visit)
            return visit.respond(page, secureCookies: config.secureCookies)
        } catch {
            context.logger.error("landing page failed", metadata: ["error": "\(error.databaseDescription)"])
            let page = visit.page(
                brand: config.brand, heading: visit.strings.unavailableTitle, tone: "warn", message: visit.strings.unavailableBody)
            return visit.respond(page, status: .serviceUnavailable, secureCookies: config.secureCookies)
        }
    }

    /// The page for a genuine code, by its state; records the scan with what was shown.
    private func statusPage(code: Code, status: CodeStatus?, visit: ConsumerVisit) async throws -> ConsumerPage {
        let s = visit.strings
        var scan = Scan(
            result: "valid", kid: Int16(code.kid), serial: Int64(code.serial), member: visit.member, ip: visit.ip,
            userAgent: visit.userAgent)
        defer { record(scan) }
        guard let status else {
            scan.result = "unknown_batch"
            return withCode(visit.page(brand: config.brand, heading: s.notActiveTitle, tone: "warn", message: s.notActiveBody), code)
        }
        var page: ConsumerPage
        if status.claimedBy != nil, let claimedAt = status.claimedAt {
            let when = s.date(claimedAt, timeZone: config.timeZone)
            if status.claimedByViewer {
                scan.result = "claimed_by_self"
                page = visit.page(brand: config.brand, heading: s.yoursTitle, tone: "good", message: s.format(s.yoursBody, when))
            } else if visit.member == nil {
                // Maybe theirs, through another channel: let them sign in to see.
                scan.result = "claimed_by_other"
                page = visit.page(brand: config.brand, heading: s.otherTitle, tone: "warn", message: s.format(s.claimedSignedOutBody, when))
                page.signInForm = .init(csrf: visit.csrf, returnTo: "/Q/\(code.text)", phone: "", error: nil)
                page.withSupport(config.brand)
            } else {
                scan.result = "claimed_by_other"
                page = visit.page(brand: config.brand, heading: s.otherTitle, tone: "bad", message: s.format(s.otherBody, when))
                page.withSupport(config.brand)
            }
        } else if status.state == .voided {
            scan.result = "voided"
            page = visit.page(brand: config.brand, heading: s.voidedTitle, tone: "bad", message: s.voidedBody)
            page.withSupport(config.brand)
        } else if status.state == .created {
            scan.result = "not_active"
            page = visit.page(brand: config.brand, heading: s.notActiveTitle, tone: "warn", message: s.notActiveBody)
        } else if status.expired {
            scan.result = "expired"
            page = visit.page(brand: config.brand, heading: s.expiredTitle, tone: "warn", message: s.expiredBody)
        } else {
            page = visit.page(brand: config.brand, heading: s.genuineTitle, tone: "good", message: s.genuineBody)
            if visit.member != nil {
                page.claimForm = .init(action: "/Q/\(code.text)/claim", csrf: visit.csrf)
            } else {
                page.signInForm = .init(csrf: visit.csrf, returnTo: "/Q/\(code.text)", phone: "", error: nil)
            }
        }
        let claimable = status.claimedBy == nil && status.state == .active && !status.expired
        page.product = .init(
            name: status.productName, imageURL: status.imageURL, lot: status.lot,
            productionDate: status.productionDate, points: claimable ? status.pointsPerCode : nil
        )
        return withSignedIn(withCode(page, code), visit: visit, returnTo: "/Q/\(code.text)")
    }

    private func claim(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = visit(request, context)
        let s = visit.strings
        let typed = context.parameters.get("code") ?? ""
        guard let code = config.keyRing.check(typed).code else {
            return visit.redirect(to: "/Q/\(typed)", secureCookies: config.secureCookies)
        }
        let form = try await FormBody.decode(ClaimFormBody.self, from: request, context: context)
        if let refusal = visit.refusal(of: form.csrf, publicHost: config.publicHost) {
            var page = visit.refusedPage(refusal, brand: config.brand, switchPath: "/Q/\(code.text)")
            page.codeGrouped = code.grouped
            return visit.respond(page, status: .forbidden, secureCookies: config.secureCookies)
        }
        guard let member = visit.member else {
            return visit.redirect(to: "/Q/\(code.text)", secureCookies: config.secureCookies)
        }
        let claimContext = ClaimContext(
            channel: ChannelName.web.rawValue, ip: visit.ip, userAgent: visit.userAgent,
            latitude: form.latitude.flatMap(Double.init).flatMap { (-90...90).contains($0) ? $0 : nil },
            longitude: form.longitude.flatMap(Double.init).flatMap { (-180...180).contains($0) ? $0 : nil },
            accuracy: form.accuracy.flatMap(Float.init).flatMap { $0 >= 0 && $0 < 1_000_000 ? $0 : nil },
            device: visit.device
        )
        let outcome: ClaimOutcome
        do {
            let claims = self.claims
            outcome = try await withRequestDeadline(until: .now + config.pageDeadline) {
                try await claims.claim(code, for: member, context: claimContext)
            }
        } catch {
            context.logger.error("claim failed", metadata: ["error": "\(error.databaseDescription)"])
            let page = visit.page(brand: config.brand, heading: s.unavailableTitle, tone: "warn", message: s.unavailableBody)
            return visit.respond(page, status: .serviceUnavailable, secureCookies: config.secureCookies)
        }
        var page: ConsumerPage
        switch outcome {
        case .claimed(let points, let balance, let awards):
            Counter(label: "tally_claims_total", dimensions: [("channel", "web")]).increment()
            page = visit.page(brand: config.brand, heading: s.claimedTitle, tone: "good", switchPath: "/Q/\(code.text)")
            page.result = .init(
                earned: s.format(s.earned, String(points)), balance: s.format(s.balance, String(balance)), awards: awards.map(s.award))
        case .dailyCap:
            page = visit.page(
                brand: config.brand, heading: s.dailyCapTitle, tone: "warn",
                message: s.format(s.dailyCapBody, String(config.dailyClaimCap)), switchPath: "/Q/\(code.text)"
            )
        case .alreadyClaimed, .unknownBatch, .notActive, .voided, .expired:
            // Show the code's page as it now stands.
            page = try await statusPage(code: code, status: try await claims.status(of: code, viewer: visit.member), visit: visit)
            return visit.respond(page, secureCookies: config.secureCookies)
        }
        return visit.respond(
            withSignedIn(withCode(page, code), visit: visit, returnTo: "/Q/\(code.text)"), secureCookies: config.secureCookies)
    }

    /// Typed input as `XXXXXX-XXXXXX-XXXXXX` when it has the 18 characters of a code.
    static func grouped(_ typed: String) -> String? {
        guard let text = CodeInput.normalised(typed) else { return nil }
        let c = Array(text)
        return String(c[0..<6]) + "-" + String(c[6..<12]) + "-" + String(c[12..<18])
    }

    private func withCode(_ page: ConsumerPage, _ code: Code) -> ConsumerPage {
        var page = page
        page.codeGrouped = code.grouped
        return page
    }

    private func withSignedIn(_ page: ConsumerPage, visit: ConsumerVisit, returnTo: String) -> ConsumerPage {
        guard visit.member != nil else { return page }
        var page = page
        page.signedIn = .init(
            label: visit.strings.signedInAs, csrf: visit.csrf, returnTo: returnTo, accountLink: MeStrings.choose(visit.strings).accountLink
        )
        return page
    }

    private func record(_ scan: Scan) {
        scans.record(scan)
    }

    private func logo() throws -> Response {
        guard let path = config.brand.logoPath, let data = FileManager.default.contents(atPath: path) else {
            throw HTTPError(.notFound)
        }
        let type = path.lowercased().hasSuffix(".svg") ? "image/svg+xml" : "image/png"
        return Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Reads an `application/x-www-form-urlencoded` body (at most 16 KiB).
enum FormBody {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        let body = try await request.body.collect(upTo: 16 * 1024)
        return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
    }
}
