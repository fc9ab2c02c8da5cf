import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Forged consumer forms: a planted `tally_csrf` cookie, a token of another visit, a missing
/// token, or a form sent from another site's page. Each is refused with a page saying so, in
/// both languages, and changes nothing; the real form still works.
@Suite("Forged forms on the consumer pages")
struct FormForgeryTests {
    static let phone = "+8613800138000"

    /// What the forms could change: codes sent, claims, redemptions.
    struct Snapshot: Equatable {
        let codes: Int
        let claims: Int
        let redemptions: Int

        init(_ app: TestApp) async throws {
            codes = try await app.count("otp_challenges")
            claims = try await app.count("claims")
            redemptions = try await app.count("redemptions")
        }
    }

    /// A browser signed in as a new member through the real sign-in forms.
    static func signIn(_ app: TestApp, _ inbox: SMSInbox, language: String = "zh-CN,zh;q=0.9") async throws -> Browser {
        var browser = Browser(app, language: language)
        let token = try await browser.formToken()
        let sent = try await browser.post("/signin/code", form: ["csrf": token, "phone": phone, "return_to": "/Q"])
        try #require(sent.status == .ok)
        let otp = try #require(await inbox.lastCode(for: phone))
        let verified = try await browser.post("/signin/verify", form: ["csrf": token, "phone": phone, "code": otp, "return_to": "/Q"])
        try #require(verified.status == .seeOther)
        return browser
    }

    @Test("a planted tally_csrf cookie with the same form value is refused, signed in or out")
    func plantedCookie() async throws {
        try await SignInTests.withSignIn { app, inbox, batch in
            let planted = "0123456789abcdef0123456789abcdef"
            var victim = Browser(app)
            victim.cookies["tally_csrf"] = planted
            let sent = try await victim.post("/signin/code", form: ["csrf": planted, "phone": "13900139000", "return_to": "/Q"])
            #expect(sent.status == .forbidden)
            #expect(Browser.heading(sent) == "页面已过期，请重试。")
            #expect(try await app.count("otp_challenges") == 0)
            #expect(await inbox.messages.isEmpty)

            // Signed in: neither a planted value nor a genuine pair the attacker got from their
            // own visit passes, for the token is bound to the victim's session.
            var signedIn = try await Self.signIn(app, inbox)
            var attacker = Browser(app)
            let attackerToken = try await attacker.formToken()
            let attackerCookie = try #require(attacker.cookies["tally_csrf"])
            let before = try await Snapshot(app)
            let code = app.code(batch, 0)
            for (cookie, token) in [(planted, planted), (attackerCookie, attackerToken)] {
                signedIn.cookies["tally_csrf"] = cookie
                let claim = try await signedIn.post("/Q/\(code.text)/claim", form: ["csrf": token])
                #expect(claim.status == .forbidden)
                #expect(Browser.heading(claim) == "页面已过期，请重试。")
                let out = try await signedIn.post("/signout", form: ["csrf": token, "return_to": "/Q"])
                #expect(out.status == .forbidden)
                #expect(signedIn.cookies["tally_session"] != nil, "signed out by a forged form")
            }
            #expect(try await Snapshot(app) == before)

            // The page's own form still works, with the planted cookie still there.
            let page = try await signedIn.get("/Q/\(code.text)")
            let token = try #require(Browser.csrf(in: page))
            #expect(token != planted && token != attackerToken)
            let claimed = try await signedIn.post("/Q/\(code.text)/claim", form: ["csrf": token])
            #expect(claimed.status == .ok)
            #expect(Browser.heading(claimed) == "领取成功")
            #expect(try await app.count("claims") == 1)
        }
    }

    @Test("a form sent from another site's page is refused on every form, in both languages, and changes nothing")
    func crossSite() async throws {
        try await SignInTests.withSignIn { app, inbox, batch in
            let code = app.code(batch, 0)
            for (language, heading) in [("zh-CN,zh;q=0.9", "无法确认请求来源"), ("en", "This form came from another site")] {
                var browser = try await Self.signIn(app, inbox, language: language)
                let token = try await browser.formToken()
                let before = try await Snapshot(app)
                let forms: [(String, [String: String])] = [
                    ("/signin/code", ["csrf": token, "phone": "13900139000", "return_to": "/Q"]),
                    ("/signin/verify", ["csrf": token, "phone": "+8613900139000", "code": "123456", "return_to": "/Q"]),
                    ("/Q/\(code.text)/claim", ["csrf": token]),
                    ("/me/redeem", ["csrf": token, "reward": "MUG", "nonce": "n1"]),
                    ("/signout", ["csrf": token, "return_to": "/Q"]),
                ]
                let foreign: [(origin: String?, referer: String?)] = [
                    ("https://evil.example", nil),
                    ("null", nil),
                    ("http://localhost.evil.example", nil),
                    ("https://tally.cn.evil.example", nil),
                    (nil, "https://evil.example/win-points"),
                    ("https://evil.example", "http://localhost/Q"),
                ]
                for (origin, referer) in foreign {
                    browser.origin = origin
                    browser.referer = referer
                    for (path, form) in forms {
                        let page = try await browser.post(path, form: form)
                        #expect(page.status == .forbidden, "\(path) from \(origin ?? "-") / \(referer ?? "-"): \(page.status)")
                        #expect(Browser.heading(page) == heading, "\(path) from \(origin ?? "-")")
                    }
                }
                #expect(try await Snapshot(app) == before)
                #expect(await inbox.messages.count == (language == "en" ? 2 : 1), "a code was sent by a forged form")
                #expect(browser.cookies["tally_session"] != nil, "signed out by a forged form")

                // From our own pages: the public host, the host asked for, or a Referer on it.
                let own: [(origin: String?, referer: String?)] = [
                    ("https://tally.cn", nil), ("http://localhost", nil), (nil, "http://localhost/Q/\(code.text)"), (nil, nil),
                ]
                for (origin, referer) in own {
                    browser.origin = origin
                    browser.referer = referer
                    let page = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": token])
                    #expect(page.status == .ok, "claim from \(origin ?? "-") / \(referer ?? "-"): \(page.status)")
                }
                try await app.database.query("DELETE FROM otp_challenges", logger: TestDatabase.logger)
            }
            #expect(try await app.count("claims") == 1)
        }
    }

    @Test("a form without a token, or with another visit's, is refused and changes nothing")
    func missingToken() async throws {
        try await SignInTests.withSignIn { app, inbox, batch in
            var browser = try await Self.signIn(app, inbox)
            var other = Browser(app)
            let otherToken = try await other.formToken()
            let before = try await Snapshot(app)
            let code = app.code(batch, 0)
            for token in [nil, "", otherToken] {
                var claimForm: [String: String] = [:]
                claimForm["csrf"] = token
                #expect(try await browser.post("/Q/\(code.text)/claim", form: claimForm).status == .forbidden)
                var redeemForm = ["reward": "MUG", "nonce": "n2"]
                redeemForm["csrf"] = token
                #expect(try await browser.post("/me/redeem", form: redeemForm).status == .forbidden)
                var signOutForm = ["return_to": "/Q"]
                signOutForm["csrf"] = token
                #expect(try await browser.post("/signout", form: signOutForm).status == .forbidden)
            }
            // Signed out, too: no token, or an empty one, sends no code.
            for token in [nil, ""] {
                var codeForm = ["phone": "13900139000", "return_to": "/Q"]
                codeForm["csrf"] = token
                #expect(try await other.post("/signin/code", form: codeForm).status == .forbidden)
            }
            #expect(try await Snapshot(app) == before)
            #expect(browser.cookies["tally_session"] != nil)
        }
    }
}
