import Foundation
import HTTPTypes
import Hummingbird
import Mustache
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

    private static let template = try! MustacheTemplate(string: PageTemplate.page)

    func render() -> String {
        Self.template.render(self)
    }
}

/// Everything a consumer request carries that a page needs: language, CSRF token, who is
/// signed in, where the request came from. It also sets the cookies a page needs.
struct ConsumerVisit {
    let strings: PageStrings
    let csrf: String
    let member: UUID?
    let ip: String?
    let userAgent: String?
    let path: String
    private let isNewCSRF: Bool
    private let chosenLanguage: String?

    init(request: Request, context: AppRequestContext, signer: SessionSigner, trustForwardedFor: Bool) {
        let query = request.uri.queryParameters
        strings = PageStrings.choose(
            query: query["lang"].map(String.init),
            cookie: request.cookies["tally_lang"]?.value,
            acceptLanguage: request.headers[.acceptLanguage]
        )
        chosenLanguage = query["lang"].flatMap { $0 == "en" || $0 == "zh" ? String($0) : nil }
        if let existing = request.cookies[SessionSigner.csrfCookie]?.value, existing.count == 32 {
            csrf = existing
            isNewCSRF = false
        } else {
            csrf = SessionSigner.newCSRFToken()
            isNewCSRF = true
        }
        member = request.cookies[SessionSigner.sessionCookie].flatMap { signer.member(fromSession: $0.value) }
        ip = context.clientIP(request: request, trustForwardedFor: trustForwardedFor)
        userAgent = request.headers[.userAgent]
        path = request.uri.path
    }

    /// True when a posted form's CSRF token matches this visitor's cookie.
    func acceptsForm(token: String?) -> Bool {
        guard !isNewCSRF, let token, token.count == csrf.count else { return false }
        return zip(token.utf8, csrf.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
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
    /// no caching, no framing, no referrer (the URL holds the code), nothing loaded from elsewhere
    /// but product images.
    func respond(_ page: ConsumerPage, status: HTTPResponse.Status = .ok, secureCookies: Bool) -> Response {
        var response = Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .cacheControl: "no-store",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                .referrerPolicy: "no-referrer",
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
        if isNewCSRF {
            response.setCookie(
                Cookie(name: SessionSigner.csrfCookie, value: csrf, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
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
