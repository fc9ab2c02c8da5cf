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

@Suite("Phone sign-in and claiming through the landing page")
struct SignInTests {
    static let gatewaySecret = "sms-gateway-shared-secret"

    /// Runs `body` with a server whose codes go to a local SMS gateway, and an active batch.
    static func withSignIn(_ body: @Sendable (TestApp, SMSInbox, Batch) async throws -> Void) async throws {
        try await withSMSGateway(secret: gatewaySecret) { url, inbox in
            try await TestApp.run(configure: { $0.codeDelivery = .webhook(url: url, secret: Array(gatewaySecret.utf8)) }) { app in
                try await app.createProduct()
                let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
                try await body(app, inbox, batch)
            }
        }
    }

    @Test("scan → phone → one-time code → signed in → claim → balance; the code cannot be used twice")
    func fullFlow() async throws {
        try await Self.withSignIn { app, inbox, batch in
            let code = app.code(batch, 0)
            var browser = Browser(app)
            let landing = try await browser.get("/Q/\(code.text)")
            let csrf = try #require(Browser.csrf(in: landing))
            #expect(String(buffer: landing.body).contains("action=\"/signin/code\""))

            let sent = try await browser.post(
                "/signin/code", form: ["csrf": csrf, "phone": "138 0013 8000", "return_to": "/Q/\(code.text)"])
            #expect(sent.status == .ok)
            #expect(Browser.heading(sent) == "输入验证码")
            #expect(String(buffer: sent.body).contains("138****8000"))
            // The language link goes back to the code's page, not to the form's address.
            #expect(String(buffer: sent.body).contains("href=\"/Q/\(code.text)?lang=en\""))
            let otp = try #require(await inbox.lastCode(for: "+8613800138000"))
            #expect(await inbox.badSignatures == 0)

            let wrong = try await browser.post(
                "/signin/verify",
                form: [
                    "csrf": csrf, "phone": "+8613800138000", "code": otp == "000000" ? "111111" : "000000", "return_to": "/Q/\(code.text)",
                ])
            #expect(wrong.status == .unprocessableContent)
            #expect(String(buffer: wrong.body).contains("还可尝试 4 次"))
            #expect(browser.cookies["tally_session"] == nil)

            let verified = try await browser.post(
                "/signin/verify", form: ["csrf": csrf, "phone": "+8613800138000", "code": otp, "return_to": "/Q/\(code.text)"])
            #expect(verified.status == .seeOther)
            #expect(verified.headers[.location] == "/Q/\(code.text)")
            let cookie = try #require(verified.headers[values: .setCookie].first { $0.hasPrefix("tally_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))

            let signedIn = try await browser.get("/Q/\(code.text)")
            #expect(String(buffer: signedIn.body).contains("action=\"/Q/\(code.text)/claim\""))
            // Signed in, the forms carry a token bound to the session, not the signed-out one.
            let sessionToken = try #require(Browser.csrf(in: signedIn))
            #expect(sessionToken != csrf)
            let stale = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": csrf])
            #expect(stale.status == .forbidden)
            #expect(try await app.count("claims") == 0)
            let claimed = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": sessionToken])
            #expect(Browser.heading(claimed) == "领取成功")
            #expect(String(buffer: claimed.body).contains("本次获得 10 积分"))
            #expect(String(buffer: claimed.body).contains("当前积分余额：10"))
            #expect(String(buffer: claimed.body).contains("href=\"/Q/\(code.text)?lang=en\""))

            let again = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": sessionToken])
            #expect(Browser.heading(again) == "您已领取过本件积分")
            let second = try await browser.post("/Q/\(app.code(batch, 1).text)/claim", form: ["csrf": sessionToken])
            #expect(String(buffer: second.body).contains("当前积分余额：20"))

            var otherBrowser = Browser(app)
            let reused = try await otherBrowser.post(
                "/signin/verify", form: ["csrf": csrf, "phone": "+8613800138000", "code": otp, "return_to": "/Q"])
            #expect(reused.status == .forbidden) // another browser has no CSRF cookie
            let reusedHere = try await browser.post(
                "/signin/verify", form: ["csrf": sessionToken, "phone": "+8613800138000", "code": otp, "return_to": "/Q"])
            #expect(reusedHere.status == .unprocessableContent)
            #expect(String(buffer: reusedHere.body).contains("验证码已失效"))

            let out = try await browser.post("/signout", form: ["csrf": sessionToken, "return_to": "/Q/\(code.text)"])
            #expect(out.status == .seeOther)
            #expect(browser.cookies["tally_session"] == nil)
            #expect(String(buffer: try await browser.get("/Q/\(app.code(batch, 2).text)").body).contains("/signin/code"))

            #expect(try await app.count("claims") == 2)
            #expect(try await app.count("members") == 1)
            let identities = try await app.database.query("SELECT channel, external_id FROM member_identities", logger: TestDatabase.logger)
            for try await (channel, id) in identities.decode((String, String).self) {
                #expect(channel == "phone" && id == "+8613800138000")
            }
        }
    }

    @Test("expired, wrong and exhausted one-time codes are refused")
    func badCodes() async throws {
        try await Self.withSignIn { app, inbox, _ in
            var browser = Browser(app)
            let csrf = try await browser.formToken()
            let phone = "+8613900139000"
            _ = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": phone, "return_to": "/Q"])
            let first = try #require(await inbox.lastCode(for: phone))
            try await app.database.query("UPDATE otp_challenges SET expires_at = now() - interval '1 second'", logger: TestDatabase.logger)
            let expired = try await browser.post("/signin/verify", form: ["csrf": csrf, "phone": phone, "code": first, "return_to": "/Q"])
            #expect(expired.status == .unprocessableContent)
            #expect(String(buffer: expired.body).contains("验证码已失效"))

            try await app.database.query("UPDATE otp_challenges SET created_at = now() - interval '2 minutes'", logger: TestDatabase.logger)
            _ = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": phone, "return_to": "/Q"])
            let second = try #require(await inbox.lastCode(for: phone))
            let wrongCode = second == "123456" ? "654321" : "123456"
            for left in [4, 3, 2, 1] {
                let wrong = try await browser.post(
                    "/signin/verify", form: ["csrf": csrf, "phone": phone, "code": wrongCode, "return_to": "/Q"])
                #expect(String(buffer: wrong.body).contains("还可尝试 \(left) 次"))
            }
            let exhausted = try await browser.post(
                "/signin/verify", form: ["csrf": csrf, "phone": phone, "code": wrongCode, "return_to": "/Q"])
            #expect(exhausted.status == .tooManyRequests)
            let tooLate = try await browser.post("/signin/verify", form: ["csrf": csrf, "phone": phone, "code": second, "return_to": "/Q"])
            #expect(tooLate.status != .seeOther)
            #expect(browser.cookies["tally_session"] == nil)
            #expect(try await app.count("members") == 0)
        }
    }

    @Test("forms without the visitor's CSRF token, or claims without a session, change nothing")
    func csrfAndSession() async throws {
        try await Self.withSignIn { app, inbox, batch in
            let code = app.code(batch, 0)
            var browser = Browser(app)
            let csrf = try #require(Browser.csrf(in: try await browser.get("/Q/\(code.text)")))
            for token in ["", "0123456789abcdef0123456789abcdef", String(csrf.reversed())] {
                let sent = try await browser.post("/signin/code", form: ["csrf": token, "phone": "13800138000", "return_to": "/Q"])
                #expect(sent.status == .forbidden)
            }
            #expect(try await app.count("otp_challenges") == 0)
            #expect(await inbox.messages.isEmpty)

            // Signed in, but the claim form's token is wrong: no claim.
            _ = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13800138000", "return_to": "/Q"])
            let otp = try #require(await inbox.lastCode(for: "+8613800138000"))
            _ = try await browser.post("/signin/verify", form: ["csrf": csrf, "phone": "+8613800138000", "code": otp, "return_to": "/Q"])
            #expect(browser.cookies["tally_session"] != nil)
            let forged = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": "nope"])
            #expect(forged.status == .forbidden)
            let missing = try await browser.post("/Q/\(code.text)/claim", form: [:])
            #expect(missing.status == .forbidden)

            // The right token but no session: back to the page, no claim.
            var stranger = Browser(app)
            let strangerToken = try #require(Browser.csrf(in: try await stranger.get("/Q/\(code.text)")))
            let anonymous = try await stranger.post("/Q/\(code.text)/claim", form: ["csrf": strangerToken])
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/Q/\(code.text)")
            // A forged session cookie is not a session.
            stranger.cookies["tally_session"] = "\(UUID().uuidString.lowercased()).9999999999.00000000000000000000000000000000"
            let fake = try await stranger.post("/Q/\(code.text)/claim", form: ["csrf": strangerToken])
            #expect(fake.status == .seeOther)
            #expect(try await app.count("claims") == 0)
        }
    }

    @Test("bad numbers, repeated requests, foreign return addresses and a gateway that is down")
    func limits() async throws {
        try await Self.withSignIn { app, inbox, _ in
            var browser = Browser(app)
            let csrf = try await browser.formToken()
            let bad = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "12345", "return_to": "/Q"])
            #expect(bad.status == .unprocessableContent)
            #expect(String(buffer: bad.body).contains("请输入有效的手机号"))
            #expect(try await app.count("otp_challenges") == 0)

            let first = try await browser.post(
                "/signin/code", form: ["csrf": csrf, "phone": "13700137000", "return_to": "https://evil.example/"])
            #expect(String(buffer: first.body).contains(#"name="return_to" value="/Q""#))
            let again = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13700137000", "return_to": "/Q"])
            #expect(again.status == .tooManyRequests)
            #expect(await inbox.messages.count == 1)
            #expect(try await app.count("otp_challenges") == 1)
        }
        try await TestApp.run(configure: { $0.codeDelivery = .webhook(url: "http://127.0.0.1:9/sms", secret: Array("x".utf8)) }) { app in
            var browser = Browser(app)
            let csrf = try await browser.formToken()
            let down = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13600136000", "return_to": "/Q"])
            #expect(down.status == .serviceUnavailable)
            #expect(String(buffer: down.body).contains("验证码发送失败"))
            #expect(try await app.count("otp_challenges") == 0, "a code that could not be sent was kept")
        }
    }

    @Test("a code the SMS gateway did not take counts against no limit, and the page says to try again, in both languages")
    func failedDelivery() async throws {
        try await Self.withSignIn { app, inbox, _ in
            await inbox.setDown(true)
            var browser = Browser(app)
            let csrf = try await browser.formToken()
            // More tries than a phone may have codes in an hour (5), each within the minute.
            for attempt in 1...7 {
                let down = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13600136000", "return_to": "/Q"])
                #expect(down.status == .serviceUnavailable, "try \(attempt)")
                #expect(String(buffer: down.body).contains("验证码发送失败，请重试。"), "try \(attempt)")
                // The phone form again, with the number kept.
                #expect(String(buffer: down.body).contains(#"action="/signin/code""#))
                #expect(String(buffer: down.body).contains(#"value="13600136000""#))
            }
            var english = Browser(app, language: "en")
            let englishToken = try await english.formToken()
            let downInEnglish = try await english.post(
                "/signin/code", form: ["csrf": englishToken, "phone": "13600136000", "return_to": "/Q"])
            #expect(downInEnglish.status == .serviceUnavailable)
            #expect(String(buffer: downInEnglish.body).contains("The code could not be sent. Please try again."))
            #expect(await inbox.refused == 8)
            #expect(await inbox.messages.isEmpty)
            #expect(try await app.count("otp_challenges") == 0)

            // The gateway is back: the next ask sends a code at once, and it signs in.
            await inbox.setDown(false)
            let sent = try await browser.post("/signin/code", form: ["csrf": csrf, "phone": "13600136000", "return_to": "/Q"])
            #expect(sent.status == .ok)
            #expect(Browser.heading(sent) == "输入验证码")
            let otp = try #require(await inbox.lastCode(for: "+8613600136000"))
            #expect(try await app.count("otp_challenges") == 1)
            let verified = try await browser.post(
                "/signin/verify", form: ["csrf": csrf, "phone": "+8613600136000", "code": otp, "return_to": "/Q"])
            #expect(verified.status == .seeOther)
            #expect(browser.cookies["tally_session"] != nil)
        }
    }
}
