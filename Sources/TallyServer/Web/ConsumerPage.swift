import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import TallyCodes
import TallyCore

/// The model the page template renders; optional parts are shown only when present.
struct ConsumerPage {
    struct ProductCard {
        var name: String
        var imageURL: String?
        var lot: String?
        var productionDate: String?
        /// Shown only while the code can still earn them.
        var points: Int?
    }
    struct ClaimResult {
        var earned: String
        var balance: String
        /// What campaigns awarded with the claim, one line each.
        var awards: [String] = []
    }
    struct ClaimForm {
        var action: String
        var csrf: String
    }
    struct SignInForm {
        var csrf: String
        var returnTo: String
        var phone: String
        var error: String?
    }
    struct CodeForm {
        var csrf: String
        var returnTo: String
        var phone: String
        var sentTo: String
        var error: String?
    }
    struct ManualForm {
        var value: String
        /// The "if the QR is damaged" explanation, for the plain entry page.
        var intro: Bool
    }
    struct SignedIn {
        var label: String
        var csrf: String
        var returnTo: String
        /// The words of the link to /me.
        var accountLink: String
    }

    var s: PageStrings
    var brandName: String
    var brandColor: String
    var hasLogo: Bool
    var switchURL: String
    var heading: String
    /// good, warn, bad or info: the colour of the state card.
    var tone: String
    var message: String?
    /// Customer service, on pages that ask the consumer to contact the brand.
    var support: String?
    var supportLink: String?
    var result: ClaimResult?
    var codeGrouped: String?
    var product: ProductCard?
    var claimForm: ClaimForm?
    var signInForm: SignInForm?
    var codeForm: CodeForm?
    var manualForm: ManualForm?
    var signedIn: SignedIn?
    /// /me: the signed-in consumer's account and the catalogue.
    var account: AccountView?
    /// The answer to a redemption on /me.
    var redeemed: RedeemedView?
    var backLink: BackLink?

    /// Adds the brand's customer-service contact, if one is configured.
    mutating func withSupport(_ brand: Brand) {
        support = brand.supportLink == nil ? nil : brand.support
        supportLink = brand.supportLink
    }

    func render() -> String {
        PageTemplate.render(self)
    }
}

/// Why a posted form was refused (nothing was done).
enum FormRefusal {
    /// The form's CSRF token is missing or not this visit's: an old page, or a forgery.
    case expired
    /// The form was sent from another site's page (`Origin`, or else `Referer`).
    case crossSite
}

/// Everything a consumer request carries that a page needs: language, CSRF token, who is
/// signed in, where the request came from. It also sets the cookies a page needs.
struct ConsumerVisit {
    let strings: PageStrings
    /// The token this visit's forms carry (see `SessionSigner.csrfToken`).
    let csrf: String
    let member: UUID?
    let ip: String?
    let userAgent: String?
    let path: String
    /// The random visitor id of the `tally_csrf` cookie, which anchors a signed-out visit's token.
    private let visitorID: String
    /// The device, for the campaigns' abuse limits: a hash of the visitor id (which the database
    /// never sees), so a browser keeps it for as long as it keeps the cookie (a year).
    var device: String { Hex.lowercase(Array(SHA256.hash(data: Array(("device:" + visitorID).utf8)).prefix(16))) }
    private let isNewVisitor: Bool
    private let chosenLanguage: String?
    /// Where a posted form says it was sent from: the `Origin` header, else `Referer`.
    private let formSource: String?
    /// The host the request was sent to (`Host`).
    private let host: String?

    init(request: Request, context: AppRequestContext, signer: SessionSigner, trustForwardedFor: Bool) {
        let query = request.uri.queryParameters
        strings = PageStrings.choose(
            query: query["lang"].map(String.init),
            cookie: request.cookies["tally_lang"]?.value,
            acceptLanguage: request.headers[.acceptLanguage]
        )
        chosenLanguage = query["lang"].flatMap { $0 == "en" || $0 == "zh" ? String($0) : nil }
        if let existing = request.cookies[SessionSigner.csrfCookie]?.value, existing.count == 32,
            existing.allSatisfy({ $0.isHexDigit })
        {
            visitorID = existing
            isNewVisitor = false
        } else {
            visitorID = SessionSigner.newCSRFToken()
            isNewVisitor = true
        }
        let session = request.cookies[SessionSigner.sessionCookie]?.value
        member = session.flatMap { signer.member(fromSession: $0) }
        // Signed in, the token is bound to the session; signed out, to the visitor id.
        if member != nil, let session {
            csrf = signer.csrfToken(anchor: "session:" + session)
        } else {
            csrf = signer.csrfToken(anchor: "visitor:" + visitorID)
        }
        ip = context.clientIP(request: request, trustForwardedFor: trustForwardedFor)
        userAgent = request.headers[.userAgent]
        path = request.uri.path
        formSource = request.headers[.origin] ?? request.headers[.referer]
        host = request.head.authority
    }

    /// Why a posted form must be refused, or nil to act on it. It must come from one of our
    /// own pages: its `Origin` (or, without one, its `Referer`) must name the public host or
    /// the host the request was sent to (a form sent with neither, as some privacy settings
    /// do, is judged by its token alone). And it must carry this visit's token: a signed-out
    /// visitor's needs the `tally_csrf` cookie it was made for.
    func refusal(of token: String?, publicHost: String) -> FormRefusal? {
        if let formSource {
            let own = [publicHost, host].compactMap { $0.map(Self.normalised) }
            guard let source = Self.authority(of: formSource), own.contains(source) else { return .crossSite }
        }
        guard member != nil || !isNewVisitor, let token, token.utf8.count == csrf.utf8.count else { return .expired }
        return zip(token.utf8, csrf.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0 ? nil : .expired
    }

    /// The host and port of an origin or URL (`https://tally.cn/Q/…` → `tally.cn`), or nil
    /// for `null` and anything that is not an http(s) origin.
    static func authority(of source: String) -> String? {
        let lower = source.trimmingCharacters(in: .whitespaces).lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else { return nil }
        var authority = lower.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        return normalised(String(authority))
    }

    /// A host as compared: lower case, without the default ports.
    static func normalised(_ host: String) -> String {
        var host = host.lowercased()
        for port in [":80", ":443"] where host.hasSuffix(port) { host.removeLast(port.count) }
        return host
    }

    /// The page refusing a form: nothing was done, in words that say why.
    func refusedPage(_ refusal: FormRefusal, brand: Brand, switchPath: String? = nil) -> ConsumerPage {
        switch refusal {
        case .expired:
            page(brand: brand, heading: strings.sessionExpired, tone: "warn", switchPath: switchPath)
        case .crossSite:
            page(brand: brand, heading: strings.crossSiteTitle, tone: "warn", message: strings.crossSiteBody, switchPath: switchPath)
        }
    }

    /// A page; `switchPath` is where the language link goes (the page itself by default, but a
    /// page answering a form post switches on the code's page, which can be fetched again).
    func page(brand: Brand, heading: String, tone: String, message: String? = nil, switchPath: String? = nil) -> ConsumerPage {
        ConsumerPage(
            s: strings, brandName: brand.name, brandColor: brand.color, hasLogo: brand.logoPath != nil,
            switchURL: (switchPath ?? path) + "?lang=" + strings.switchTo, heading: heading, tone: tone, message: message
        )
    }

    /// An HTML response for `page`, with the cookies this visit needs and strict headers:
    /// no caching, no framing, no referrer to other sites (the URL holds the code), nothing
    /// loaded from elsewhere but product images.
    func respond(_ page: ConsumerPage, status: HTTPResponse.Status = .ok, secureCookies: Bool) -> Response {
        var response = Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy: PageSecurity.contentSecurityPolicy,
                // Same-origin: no other site learns the page's address (it holds the code), and a
                // form sent from the page keeps its Origin, which the server checks.
                .referrerPolicy: "same-origin",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page.render()))
        )
        setCookies(on: &response, secure: secureCookies)
        return response
    }

    /// A 303 to `location`, keeping this visit's cookies.
    func redirect(to location: String, secureCookies: Bool) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        setCookies(on: &response, secure: secureCookies)
        return response
    }

    private func setCookies(on response: inout Response, secure: Bool) {
        if isNewVisitor {
            response.setCookie(
                Cookie(
                    name: SessionSigner.csrfCookie, value: visitorID, maxAge: 365 * 24 * 3600, path: "/", secure: secure, httpOnly: true,
                    sameSite: .lax))
        }
        if let chosenLanguage {
            response.setCookie(
                Cookie(
                    name: "tally_lang", value: chosenLanguage, maxAge: 365 * 24 * 3600, path: "/", secure: secure, httpOnly: true,
                    sameSite: .lax))
        }
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xForwardedFor = Self("X-Forwarded-For")!
}
