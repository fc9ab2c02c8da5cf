import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Landing page states over real HTTP")
struct ConsumerPageTests {
    /// A session cookie for `member`, as the server signs them.
    static let sessionKey = Array(repeating: UInt8(7), count: 32)
    static func session(for member: UUID) -> String {
        SessionSigner(key: sessionKey).session(for: member)
    }

    static func member(_ app: TestApp, phone: String) async throws -> UUID {
        try await MemberStore(database: app.database, logger: TestDatabase.logger).findOrCreate(.phone(PhoneNumber(phone)))
    }

    @Test("every state of a code has its own page, in Chinese and in English")
    func states() async throws {
        try await TestApp.run(configure: {
            $0.sessionKey = Self.sessionKey
            $0.brand = Brand(name: "COFCO", support: "400-800-1234")
        }) { app in
            try await app.createProduct()
            let active = try await app.createActiveBatch(
                #"{"sku": "RICE-5KG", "quantity": 100, "lot": "L7", "production_date": "2026-11-01"}"#)
            let created = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let expired = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            try await app.database.query(
                "UPDATE batches SET expiry_date = current_date - 2 WHERE id = \(expired.id)", logger: TestDatabase.logger)
            try await app.request(.post, "/api/v1/batches/\(active.id)/void", json: #"{"from": 90, "count": 10, "reason": "stolen"}"#)
            let me = try await Self.member(app, phone: "13800138000")
            let someoneElse = try await Self.member(app, phone: "13900139000")
            let claims = ClaimStore(database: app.database, logger: TestDatabase.logger)
            #expect(
                try await claims.claim(app.code(active, 1), for: me, context: .init(channel: "web")) == .claimed(points: 10, balance: 10))
            _ = try await claims.claim(app.code(active, 2), for: someoneElse, context: .init(channel: "web"))
            let forged = app.code(active, 3)
            let forgedText = Code(kid: forged.kid, serial: forged.serial, tag: forged.tag ^ 0x10).text
            var typo = Array(app.code(active, 3).text)
            typo[5] = typo[5] == "A" ? "B" : "A"

            // (path, signed in as me?, Chinese heading, English heading, what is on the page)
            let cases: [(String, Bool, String, String, String)] = [
                ("/Q/\(app.code(active, 0).text)", false, "正品验证通过", "Genuine product", "/signin/code"),
                ("/Q/\(app.code(active, 0).text)", true, "正品验证通过", "Genuine product", "/claim"),
                ("/Q/\(app.code(active, 1).text)", true, "您已领取过本件积分", "You have claimed this one", "2026"),
                ("/Q/\(app.code(active, 2).text)", true, "此码已被领取", "Already claimed", "tel:4008001234"),
                ("/Q/\(app.code(active, 2).text)", false, "此码已被领取", "Already claimed", "/signin/code"),
                ("/Q/\(app.code(created, 0).text)", false, "此码尚未激活", "Not active yet", "Rice 5 kg"),
                ("/Q/\(app.code(active, 95).text)", false, "此码已作废", "Code withdrawn", "400-800-1234"),
                ("/Q/\(app.code(expired, 0).text)", false, "此码已过期", "Code expired", "Rice 5 kg"),
                ("/Q/\(forgedText)", false, "无法验证此码", "This code cannot be verified", LandingController.grouped(forgedText)!),
                ("/Q/\(String(typo))", false, "码似乎有误", "That code looks mistyped", LandingController.grouped(String(typo))!),
                ("/Q", false, "手动输入防伪码", "Enter a code by hand", "XXXXXX-XXXXXX-XXXXXX"),
            ]
            for (path, signedIn, chinese, english, content) in cases {
                for (language, heading) in [("zh-CN,zh;q=0.9", chinese), ("en-GB,en;q=0.8", english)] {
                    var browser = Browser(app, language: language)
                    if signedIn { browser.cookies["tally_session"] = Self.session(for: me) }
                    let page = try await browser.get(path)
                    #expect(page.status == .ok, "\(path)")
                    #expect(Browser.heading(page) == heading, "\(path) \(language)")
                    #expect(String(buffer: page.body).contains(content), "\(path) should show \(content)")
                }
            }
            // The other person's claim shows its date but nothing about them.
            var visitor = Browser(app)
            let other = try await visitor.get("/Q/\(app.code(active, 2).text)")
            #expect(!String(buffer: other.body).contains("13900139000"))
            #expect(!String(buffer: other.body).contains(someoneElse.uuidString.lowercased()))
            // The genuine page shows the product, its lot and production date.
            let genuine = String(buffer: try await visitor.get("/Q/\(app.code(active, 0).text)").body)
            #expect(genuine.contains("Rice 5 kg") && genuine.contains("L7") && genuine.contains("2026-11-01"))
            #expect(genuine.contains("<dt>每件积分</dt><dd>10</dd>"))
            // A code that can no longer earn points does not show them.
            let voided = String(buffer: try await visitor.get("/Q/\(app.code(active, 95).text)").body)
            #expect(!voided.contains("每件积分"))
        }
    }

    @Test("after a merge, a code claimed by the absorbed member is the survivor's, whichever of the two is signed in")
    func mergedHolder() async throws {
        try await TestApp.run(configure: { $0.sessionKey = Self.sessionKey }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let absorbed = try await Self.member(app, phone: "13800138001")
            let survivor = try await Self.member(app, phone: "13800138002")
            let stranger = try await Self.member(app, phone: "13800138003")
            let claims = ClaimStore(database: app.database, logger: TestDatabase.logger)
            _ = try await claims.claim(app.code(batch, 1), for: absorbed, context: .init(channel: "web"))
            try await app.database.query(
                "SELECT merge_members(\(survivor), \(absorbed), 'test', 'test')", logger: TestDatabase.logger)
            let status = try await claims.status(of: app.code(batch, 1), viewer: absorbed)
            #expect(status?.claimedBy == survivor && status?.claimedByViewer == true)
            #expect(try await claims.status(of: app.code(batch, 1), viewer: stranger)?.claimedByViewer == false)
            #expect(try await claims.status(of: app.code(batch, 1))?.claimedByViewer == false)
            let unclaimed = try await claims.status(of: app.code(batch, 2), viewer: survivor)
            #expect(unclaimed?.claimedBy == nil && unclaimed?.claimedAt == nil && unclaimed?.claimedByViewer == false)
            for (viewer, heading) in [
                (survivor, "You have claimed this one"), (absorbed, "You have claimed this one"), (stranger, "Already claimed"),
            ] {
                var browser = Browser(app, language: "en")
                browser.cookies["tally_session"] = Self.session(for: viewer)
                #expect(Browser.heading(try await browser.get("/Q/\(app.code(batch, 1).text)")) == heading)
            }
        }
    }

    @Test("other ways in: lower case, the GS1 form, the language switch, typed codes")
    func routes() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let code = app.code(batch, 0)
            var browser = Browser(app)
            let lower = try await browser.get("/q/\(code.text.lowercased())")
            #expect(lower.status == .seeOther)
            #expect(lower.headers[.location] == "/Q/\(code.text)")
            let gs1 = try await browser.get("/01/09506000134352/21/\(code.text)")
            #expect(Browser.heading(gs1) == "正品验证通过")
            let english = try await browser.get("/Q/\(code.text)?lang=en")
            #expect(Browser.heading(english) == "Genuine product")
            #expect(Browser.heading(try await browser.get("/Q/\(code.text)")) == "Genuine product") // remembered
            let typed = try await browser.get("/Q?code=\(code.grouped.lowercased())")
            #expect(typed.status == .seeOther && typed.headers[.location] == "/Q/\(code.text)")
            let garbage = try await browser.get("/Q?code=hello")
            #expect(Browser.heading(garbage) == "That code looks mistyped")
        }
    }

    @Test("pages are private and self-contained: no caching, no referrer, nothing from elsewhere")
    func headers() async throws {
        try await TestApp.run { app in
            var browser = Browser(app)
            let page = try await browser.get("/Q")
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
            let html = String(buffer: page.body)
            #expect(!html.contains("stylesheet") && !html.contains("src=\"http") && !html.contains("href=\"http"))
            #expect(page.body.readableBytes < 12_000)
        }
    }

    @Test("a forged or mistyped code is answered while the database is down; a genuine one says try later")
    func databaseDown() async throws {
        var logger = quietLogger
        logger.logLevel = .critical
        let app = try buildApplication(
            ServerConfig(port: 0, databaseURL: "postgres://tally@127.0.0.1:9/none?sslmode=disable", keyRing: testKeyRing),
            logger: logger
        )
        let genuine = testKeyRing.mint(kid: 1, serial: 42)!
        let forged = Code(kid: 1, serial: 42, tag: genuine.tag ^ 1)
        try await app.test(.live) { client in
            let started = ContinuousClock.now
            let forgedPage = try await client.execute(uri: "/Q/\(forged.text)", method: .get)
            #expect(forgedPage.status == .ok)
            #expect(String(buffer: forgedPage.body).contains("无法验证此码"))
            var typo = Array(genuine.text)
            typo[17] = typo[17] == "0" ? "1" : "0"
            let typoPage = try await client.execute(uri: "/Q/\(String(typo))", method: .get)
            #expect(String(buffer: typoPage.body).contains("码似乎有误"))
            #expect(started.duration(to: .now) < .seconds(5))
            let genuinePage = try await client.execute(uri: "/Q/\(genuine.text)", method: .get)
            #expect(genuinePage.status == .serviceUnavailable)
            #expect(String(buffer: genuinePage.body).contains("服务暂时不可用"))
        }
    }
}
