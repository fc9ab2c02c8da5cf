import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

/// The consumer's /me page: balance, expiring points, history, vouchers and redeeming.
@Suite("The /me page over real HTTP", .serialized)
struct MePageTests {
    static let sessionKey = Array(repeating: UInt8(5), count: 32)

    /// A browser signed in as `member`, with its forms' CSRF token.
    static func signedIn(_ app: TestApp, _ member: UUID, language: String = "zh-CN") async throws -> (Browser, String) {
        var browser = Browser(app, language: language)
        _ = try await browser.get("/Q")
        browser.cookies["tally_session"] = SessionSigner(key: sessionKey).session(for: member)
        return (browser, try await browser.formToken())
    }

    /// The nonce of the redeem form for reward `sku` on a /me page.
    static func nonce(for sku: String, in page: Page) -> String? {
        let html = String(buffer: page.body)
        guard let form = html.range(of: #"name="reward" value="\#(sku)"><input type="hidden" name="nonce" value=""#) else { return nil }
        return String(html[form.upperBound...].prefix(while: { $0 != "\"" }))
    }

    static func run(_ body: @Sendable (TestApp) async throws -> Void) async throws {
        try await TestApp.run(configure: { $0.sessionKey = Self.sessionKey }, body)
    }

    @Test("signed out, /me asks to sign in and returns there; the page is private and strict")
    func signedOut() async throws {
        try await Self.run { app in
            var browser = Browser(app)
            let page = try await browser.get("/me")
            #expect(page.status == .ok)
            #expect(Browser.heading(page) == "我的积分")
            let html = String(buffer: page.body)
            #expect(html.contains(#"action="/signin/code""#) && html.contains(#"name="return_to" value="/me""#))
            #expect(!html.contains("/me/redeem"))
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")

            // The sign-in flow may return to /me, and to nothing outside our own pages.
            #expect(SignInController.safeReturn("/me") == "/me")
            for foreign in ["/me/../admin", "//evil.example/me", "https://evil.example/me", "/me?x=1", "/mex", nil] {
                #expect(SignInController.safeReturn(foreign) == "/Q", "\(foreign ?? "nil")")
            }
            // A forged session is no session.
            browser.cookies["tally_session"] = "\(UUID().uuidString.lowercased()).9999999999.00000000000000000000000000000000"
            #expect(String(buffer: try await browser.get("/me").body).contains(#"name="return_to" value="/me""#))
        }
    }

    @Test("phone sign-in from /me comes back to /me")
    func signInReturnsToMe() async throws {
        let secret = "me-sms-secret"
        try await withSMSGateway(secret: secret) { url, inbox in
            try await TestApp.run(configure: { $0.codeDelivery = .webhook(url: url, secret: Array(secret.utf8)) }) { app in
                var browser = Browser(app)
                let csrf = try #require(Browser.csrf(in: try await browser.get("/me")))
                let sent = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13800138000", "return_to": "/me"])
                #expect(String(buffer: sent.body).contains(#"name="return_to" value="/me""#))
                let otp = try #require(await inbox.lastCode(for: "+8613800138000"))
                let verified = try await browser.post(
                    "/signin/verify", form: ["csrf": csrf, "phone": "+8613800138000", "code": otp, "return_to": "/me"])
                #expect(verified.status == .seeOther && verified.headers[.location] == "/me")
                let me = try await browser.get("/me")
                #expect(String(buffer: me.body).contains("积分余额"))
            }
        }
    }

    @Test("signed in: balance, points expiring soon, history, vouchers and the web catalogue, in Chinese and English")
    func content() async throws {
        try await Self.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "description": "350 ml", "cost_points": 30, "stock": 4}"#)
            _ = try await app.createReward(#"{"sku": "TV", "name": "Television", "cost_points": 5000}"#)
            _ = try await app.createReward(#"{"sku": "GONE", "name": "Sold out cap", "cost_points": 1, "stock": 0}"#)
            _ = try await app.createReward(
                #"{"sku": "WX", "name": "Mini-program gift", "cost_points": 1, "channels": ["wechat_miniprogram"]}"#)
            _ = try await app.createReward(
                #"{"sku": "SOON", "name": "Future gift", "cost_points": 1, "active_from": "2099-01-01T00:00:00Z"}"#)
            _ = try await app.createReward(#"{"sku": "XSS", "name": "<script>alert(1)</script>", "cost_points": 1, "channels": ["web"]}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 70, expiresInDays: 10)
            try await app.credit(member, 50)
            let voucher = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#)).voucher

            var (browser, _) = try await Self.signedIn(app, member)
            let page = try await browser.get("/me")
            #expect(page.status == .ok)
            #expect(page.headers[.cacheControl] == "no-store")
            let html = String(buffer: page.body)
            #expect(Browser.heading(page) == "我的积分")
            #expect(html.contains(#"<p class="big">90</p>"#))
            #expect(html.contains("40 积分将在 30 天内过期"))
            #expect(html.contains("Tally mug") && html.contains("350 ml") && html.contains("剩余 3 件"))
            #expect(Self.nonce(for: "MUG", in: page) != nil)
            #expect(html.contains("Television") && Self.nonce(for: "TV", in: page) == nil && html.contains("积分不足"))
            #expect(html.contains("Sold out cap") && Self.nonce(for: "GONE", in: page) == nil && html.contains("已兑完"))
            #expect(!html.contains("Mini-program gift") && !html.contains("Future gift"))
            #expect(html.contains("&lt;script&gt;") && !html.contains("<script>alert"))
            #expect(html.contains(voucher))
            #expect(html.contains("兑换礼品") && html.contains("-30") && html.contains("积分调整") && html.contains("+70"))
            #expect(html.contains(#"href="/me?lang=en""#))

            browser.acceptLanguage = "en-GB,en;q=0.9"
            let english = String(buffer: try await browser.get("/me").body)
            #expect(english.contains("<h1>My points</h1>") && english.contains("40 points expire within 30 days"))
            #expect(english.contains("3 left") && english.contains("Not enough points") && english.contains("Reward redeemed"))
        }
    }

    @Test("redeeming through the form: one voucher however often the form is sent; refusals are friendly and change nothing")
    func redeemThroughForm() async throws {
        try await Self.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 30, "stock": 2}"#)
            _ = try await app.createReward(#"{"sku": "CAP", "name": "Cap", "cost_points": 40, "stock": 1}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 60)
            var (browser, csrf) = try await Self.signedIn(app, member)
            let page = try await browser.get("/me")
            let nonce = try #require(Self.nonce(for: "MUG", in: page))

            let answer = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "MUG", "nonce": nonce])
            #expect(answer.status == .created)
            #expect(Browser.heading(answer) == "兑换成功")
            let html = String(buffer: answer.body)
            let voucher = try #require(html.firstMatch(of: RedemptionAPITests.voucherShape).map { String($0.output.0) })
            #expect(html.contains("使用 30 积分") && html.contains("当前积分余额：30") && html.contains(#"href="/me""#))
            // A double tap or a reload: the same voucher, nothing more debited.
            let again = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "MUG", "nonce": nonce])
            #expect(again.status == .created && String(buffer: again.body).contains(voucher))
            #expect(try await app.count("redemptions") == 1)
            #expect(try await app.balance(member) == 30)
            let rows = try await app.database.query("SELECT channel, voucher FROM redemptions", logger: TestDatabase.logger)
            for try await (channel, stored) in rows.decode((String, String).self) { #expect(channel == "web" && stored == voucher) }

            let before = try await RedemptionSnapshot(app)
            // Refusals, whatever the page showed: not enough points, unknown reward, sold out.
            let poor = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "CAP", "nonce": "n-1"])
            #expect(poor.status == .unprocessableContent && Browser.heading(poor) == "积分不足")
            #expect(String(buffer: poor.body).contains(#"href="/me""#))
            let unknown = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "NOPE", "nonce": "n-2"])
            #expect(Browser.heading(unknown) == "礼品不存在")
            try await app.request(.patch, "/api/v1/rewards/MUG", as: .crmWrite, json: #"{"stock": 0}"#)
            let afterPatch = try await RedemptionSnapshot(app)
            let soldOut = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "MUG", "nonce": "n-3"])
            #expect(soldOut.status == .unprocessableContent && Browser.heading(soldOut) == "礼品已兑完")
            #expect(try await RedemptionSnapshot(app) == afterPatch)
            #expect(afterPatch.ledger == before.ledger && afterPatch.balances == before.balances)

            // The same nonce for another reward: that form is out of date.
            let stale = try await browser.post("/me/redeem", form: ["csrf": csrf, "reward": "CAP", "nonce": nonce])
            #expect(stale.status == .forbidden)
            #expect(try await app.count("redemptions") == 1)
            try await app.expectInvariants()
        }
    }

    @Test("a redeem form without the visitor's CSRF token, nonce or session changes nothing")
    func csrf() async throws {
        try await Self.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 30}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            var (browser, csrf) = try await Self.signedIn(app, member)
            let before = try await RedemptionSnapshot(app)
            for form in [
                ["reward": "MUG", "nonce": "a"],
                ["csrf": "", "reward": "MUG", "nonce": "b"],
                ["csrf": String(csrf.reversed()), "reward": "MUG", "nonce": "c"],
                ["csrf": "0123456789abcdef0123456789abcdef", "reward": "MUG", "nonce": "d"],
                ["csrf": csrf, "reward": "MUG"],
            ] {
                let page = try await browser.post("/me/redeem", form: form)
                #expect(page.status == .forbidden, "\(form)")
            }
            // This session with the token of another visit (signed out, in another browser).
            var other = Browser(app)
            let otherToken = try await other.formToken()
            other.cookies["tally_session"] = browser.cookies["tally_session"]
            #expect(try await other.post("/me/redeem", form: ["csrf": otherToken, "reward": "MUG", "nonce": "e"]).status == .forbidden)
            // The right token without a session: back to /me, which asks to sign in.
            var stranger = Browser(app)
            let strangerToken = try await stranger.formToken()
            let anonymous = try await stranger.post(
                "/me/redeem", form: ["csrf": strangerToken, "reward": "MUG", "nonce": "f"])
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/me")
            #expect(try await RedemptionSnapshot(app) == before)
        }
    }

    @Test("the landing page links a signed-in consumer to /me")
    func landingLink() async throws {
        try await Self.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let member = try await app.newMember(phone: "13800138000")
            var (browser, csrf) = try await Self.signedIn(app, member)
            let claimed = try await browser.post("/Q/\(app.code(batch, 0).text)/claim", form: ["csrf": csrf])
            #expect(Browser.heading(claimed) == "领取成功")
            #expect(String(buffer: claimed.body).contains(#"<a href="/me">我的积分</a>"#))
            let yours = try await browser.get("/Q/\(app.code(batch, 0).text)")
            #expect(String(buffer: yours.body).contains(#"<a href="/me">我的积分</a>"#))
        }
    }
}
