import Foundation
import HTTPTypes
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console reports: the dashboard, regions and alerts pages, their CSV and refusals")
struct ReportPagesTests {
    /// Three claims by two members of a product with a batch region, and a forged scan.
    static func history(_ app: TestApp) async throws {
        try await app.createProduct()
        let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100, "region": "广东"}"#)
        let members = MemberStore(database: app.database, logger: TestDatabase.logger)
        let claims = ClaimStore(database: app.database, logger: TestDatabase.logger)
        let first = try await members.findOrCreate(.phone(PhoneNumber("13800138000")))
        let second = try await members.findOrCreate(.phone(PhoneNumber("13900139000")))
        for (sequence, member) in [(0, first), (1, first), (2, second)] as [(Int64, UUID)] {
            _ = try await claims.claim(app.code(batch, sequence), for: member, context: .init(channel: "web"))
        }
        try await app.database.query(
            "INSERT INTO scans (result, input, ip, user_agent) VALUES ('forged', 'FAKE-CODE-1', '203.0.113.9', 'test phone')",
            logger: TestDatabase.logger)
    }

    @Test("the dashboard shows the period's claims, members and points, in both languages, with CSV of each table")
    func dashboard() async throws {
        try await TestApp.run { app in
            try await Self.history(app)
            var browser = try await app.consoleBrowser(.viewer)
            let page = try await browser.get("/console")
            #expect(page.status == .ok)
            let html = Browser.text(page)
            #expect(html.contains("<h1>概览</h1>") && html.contains("<svg class=\"chart\""))
            #expect(html.contains("Rice 5 kg") && html.contains("积分负债"))
            let english = try await browser.get("/console?lang=en")
            #expect(Browser.text(english).contains("<h1>Dashboard</h1>") && Browser.text(english).contains("Scan-to-claim rate"))

            let days = Browser.text(try await browser.get("/console?format=csv&table=days"))
            #expect(days.hasPrefix("\u{FEFF}Day,Scans,Genuine,Forged,Claims,New members,Points issued"), "\(days.prefix(80))")
            let today = days.split(separator: "\r\n").last ?? ""
            #expect(today.split(separator: ",")[4] == "3", "three claims today: \(today)")
            #expect(today.split(separator: ",")[5] == "2", "two new members today: \(today)")
            #expect(today.split(separator: ",")[6] == "30", "30 points issued today: \(today)")
            let products = Browser.text(try await browser.get("/console?format=csv&table=products"))
            #expect(products.contains("RICE-5KG,Rice 5 kg,3,30"))
            let channels = Browser.text(try await browser.get("/console?format=csv&table=channels"))
            #expect(channels.contains("web,3,30"))
        }
    }

    @Test("a bad period is refused with its reason")
    func badPeriod() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.viewer)
            for (query, words) in [
                ("from=2026-02-30", "calendar date"), ("from=2026-03-02&to=2026-03-01", "is after"),
                ("from=2024-01-01&to=2026-01-01", "at most 366 days"),
            ] {
                let page = try await browser.get("/console?lang=en&\(query)")
                #expect(page.status == .unprocessableContent, "\(query)")
                #expect(Browser.text(page).contains(words) && Browser.text(page).contains("Nothing was changed"), "\(query)")
            }
        }
    }

    @Test("regions show claims by the batch's province and export as CSV")
    func regions() async throws {
        try await TestApp.run { app in
            try await Self.history(app)
            var browser = try await app.consoleBrowser(.viewer)
            let page = try await browser.get("/console/regions")
            #expect(page.status == .ok)
            #expect(Browser.text(page).contains("广东"))
            let csv = Browser.text(try await browser.get("/console/regions?lang=en&format=csv&table=provinces"))
            #expect(csv.contains("GD,Guangdong,3,"), "\(csv.prefix(300))")
        }
    }

    @Test("alerts list a forged scan by address; a bad threshold is refused")
    func alerts() async throws {
        try await TestApp.run { app in
            try await Self.history(app)
            var browser = try await app.consoleBrowser(.viewer)
            let page = try await browser.get("/console/alerts")
            #expect(page.status == .ok)
            #expect(Browser.text(page).contains("203.0.113.9") && Browser.text(page).contains("FAKE-CODE-1"))
            let csv = Browser.text(try await browser.get("/console/alerts?lang=en&format=csv&table=forged"))
            #expect(csv.contains("203.0.113.9"))
            let refused = try await browser.get("/console/alerts?lang=en&burst_minutes=0")
            #expect(refused.status == .unprocessableContent)
            let words = try await browser.get("/console/alerts?lang=en&copied_min=many")
            #expect(words.status == .unprocessableContent && Browser.text(words).contains("whole number"))
        }
    }
}
