import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

/// The console's admin pages over real HTTP: programme, webhooks, API keys and liability.
@Suite("Console admin pages: programme, webhooks, API keys, liability")
struct AdminPagesTests {
    static let pages: [(path: String, zh: String, en: String)] = [
        ("/console/programme", "积分规则", "Programme"), ("/console/webhooks", "Webhook", "Webhooks"),
        ("/console/api-keys", "API 密钥", "API keys"), ("/console/liability", "积分负债", "Liability"),
    ]

    @Test("each page renders in Chinese and in English")
    func languages() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin)
            for page in Self.pages {
                let zh = try await browser.get(page.path + "?lang=zh")
                #expect(zh.status == .ok, "\(page.path)")
                #expect(Browser.heading(zh) == page.zh)
                #expect(Browser.text(zh).contains("<html lang=\"zh-CN\">"))
                let en = try await browser.get(page.path + "?lang=en")
                #expect(en.status == .ok, "\(page.path)")
                #expect(Browser.heading(en) == page.en)
                #expect(en.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test("an admin edits the programme: saved as the API's PUT saves it, audited with before and after")
    func programmeEdit() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            let edited = try await browser.submit(
                "/console/programme", from: "/console/programme",
                form: [
                    "points_valid_months": "24", "tier_window_months": "6", "redemption_cancel_hours": "48",
                    "scan_retention_months": "36", "tier_name_0": "silver", "tier_min_0": "500", "tier_name_1": "gold",
                    "tier_min_1": "2000",
                ])
            #expect(edited.status == .seeOther && edited.headers[.location] == "/console/programme")
            let api = try decode(Programme.self, try await app.request(.get, "/api/v1/programme", as: .crmRead))
            #expect(
                api
                    == Programme(
                        pointsValidMonths: 24, tierWindowMonths: 6, redemptionCancelHours: 48,
                        tiers: [.init(name: "silver", minEarned: 500), .init(name: "gold", minEarned: 2000)], scanRetentionMonths: 36))
            let shown = Browser.text(try await browser.get("/console/programme"))
            #expect(shown.contains("The programme&#39;s rules were saved.") && shown.contains("gold"))
            let csv = Browser.text(try await browser.get("/console/programme?format=csv"))
            #expect(csv.contains("silver,500\r\ngold,2000\r\n"))
            let audit = try await app.auditRows("programme.update")
            #expect(audit.count == 1)
            #expect(audit.first?.after?.contains("\"gold\"") == true && audit.first?.before?.contains("\"points_valid_months\":12") == true)
        }
    }

    @Test("a bad programme is refused with its message, the form shows what was typed, nothing changes")
    func programmeRefusals() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            let before = try await app.request(.get, "/api/v1/programme", as: .crmRead)
            let cases: [([String: String], String)] = [
                (["tier_name_0": "silver", "tier_min_0": "500", "tier_name_1": "gold", "tier_min_1": "500"], "must each be distinct"),
                (["tier_name_0": "silver", "tier_min_0": "-5"], "min_earned is 0 to 10^12"),
                (["tier_name_0": "Gold Tier", "tier_min_0": "100"], "lower-case letters"),
                (["tier_name_0": "silver"], "needs both a name and its points"),
                (["tier_name_0": "silver", "tier_min_0": "lots"], "must be a whole number"),
                (["points_valid_months": "500"], "points_valid_months is 0 (never expire) to 120"),
                (["scan_retention_months": "121"], "scan_retention_months is 0 (keep forever) to 120"),
                (["scan_retention_months": "two years"], "must be a whole number"),
            ]
            for (fields, message) in cases {
                var form = ["points_valid_months": "12", "tier_window_months": "12", "redemption_cancel_hours": "72"]
                form.merge(fields) { $1 }
                let refused = try await browser.submit("/console/programme", from: "/console/programme", form: form)
                let text = Browser.text(refused)
                #expect(refused.status == .unprocessableContent, "\(fields)")
                #expect(text.contains(message), "\(fields): \(message)")
                #expect(text.contains("Nothing was changed."))
                for (name, value) in fields {
                    #expect(text.contains("name=\"\(name)\" value=\"\(HTML.escaped(value))\""), "\(name) kept")
                }
            }
            let after = try await app.request(.get, "/api/v1/programme", as: .crmRead)
            #expect(String(buffer: after.body) == String(buffer: before.body))
            #expect(try await app.count("tiers") == 0)
            #expect(try await app.auditRows("programme.update").isEmpty)
        }
    }

    @Test("webhooks: subscribe (secret shown once), turn off, replay a dead letter and all dead letters, delete; CSV of each table")
    func webhooks() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            // A receiver that refuses connections: nothing is ever delivered.
            let url = "http://127.0.0.1:9/tally"
            let created = try await browser.submit(
                "/console/webhooks/create", from: "/console/webhooks",
                form: ["url": url, "event_types": "member.created", "active": "true"])
            #expect(created.status == .ok)
            let secret = try #require(Self.secret(in: created))
            #expect(secret.count == 64)
            #expect(created.headers[.cacheControl] == "no-store")
            let webhooks = try await app.request(.get, "/api/v1/webhooks", as: .admin)
            #expect(String(buffer: webhooks.body).contains(#""url":"http:\/\/127.0.0.1:9\/tally""#))
            #expect(!Browser.text(try await browser.get("/console/webhooks")).contains(secret))
            let subscription = try #require(try await app.subscriptionIDs().first)
            let audit = try await app.auditRows("webhook.create")
            #expect(audit.count == 1 && audit.first?.after?.contains(url) == true && audit.first?.after?.contains(secret) == false)

            let member = try await app.newMember()
            #expect(try await app.deliveries(subscription).count == 1)
            let off = try await browser.submit(
                "/console/webhooks/update", from: "/console/webhooks", form: ["id": subscription.uuidString, "active": "false"])
            #expect(off.status == .seeOther)
            #expect(try await app.auditRows("webhook.update").first?.after?.contains("\"active\":false") == true)
            try await Task.sleep(for: .milliseconds(300)) // a try under way when it was turned off records its outcome
            try await app.database.query(
                "UPDATE webhook_deliveries SET status = 'dead', last_error = 'gave up'", logger: TestDatabase.logger)
            let delivery = try #require(try await app.deliveries(subscription).first)

            let page = Browser.text(try await browser.get("/console/webhooks?status=dead&event=member.created"))
            #expect(page.contains("gave up") && page.contains(">\(delivery.id)<"))
            let deadCSV = Browser.text(try await browser.get("/console/webhooks?table=dead&format=csv"))
            #expect(deadCSV.contains("\(delivery.id),\(url),member.created,dead,"))
            let deliveriesCSV = Browser.text(try await browser.get("/console/webhooks?table=deliveries&status=delivered&format=csv"))
            #expect(deliveriesCSV.split(separator: "\r\n").count == 1, "filtered as shown: no delivered ones")
            let subscriptionsCSV = Browser.text(try await browser.get("/console/webhooks?table=subscriptions&format=csv"))
            #expect(subscriptionsCSV.contains("\(subscription.uuidString.lowercased()),\(url),member.created,off,"))

            let replayed = try await browser.submit(
                "/console/webhooks/replay", from: "/console/webhooks",
                form: ["subscription": subscription.uuidString, "delivery": String(delivery.id)])
            #expect(replayed.status == .seeOther)
            let again = try #require(try await app.deliveries(subscription).first)
            #expect(again.status == .pending && again.attempts == 0)
            #expect(try await app.auditRows("webhook.replay").first?.target == "delivery:\(delivery.id)")

            // A pending one is on its way: refused, with its message, nothing changed.
            let pending = try await browser.submit(
                "/console/webhooks/replay", from: "/console/webhooks",
                form: ["subscription": subscription.uuidString, "delivery": String(delivery.id)])
            #expect(pending.status == .conflict)
            #expect(Browser.text(pending).contains("is still pending") && Browser.text(pending).contains("Nothing was changed."))
            #expect(try await app.auditRows("webhook.replay").count == 1)

            try await app.database.query("UPDATE webhook_deliveries SET status = 'dead'", logger: TestDatabase.logger)
            let all = try await browser.submit(
                "/console/webhooks/replay-dead", from: "/console/webhooks", form: ["subscription": subscription.uuidString])
            #expect(all.status == .seeOther)
            #expect(try await app.deliveries(subscription, status: "pending").count == 1)
            #expect(try await app.auditRows("webhook.replay_dead").first?.after == "{\"replayed\":1}")
            _ = member

            let confirm = try await browser.get("/console/webhooks/delete?id=\(subscription.uuidString)")
            #expect(confirm.status == .ok && Browser.text(confirm).contains(url))
            let deleted = try await browser.submit(
                "/console/webhooks/delete", from: "/console/webhooks", form: ["id": subscription.uuidString])
            #expect(deleted.status == .seeOther)
            #expect(try await app.subscriptionIDs().isEmpty)
            #expect(try await app.auditRows("webhook.delete").count == 1)
        }
    }

    @Test("a bad subscription is refused with its message and the values typed; nothing is created")
    func webhookRefusals() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            for (form, message) in [
                (["url": "ftp://example.com/x", "event_types": "member.created"], "url"),
                (["url": "https://example.com/x"], "event_types must list"),
                (["url": "https://example.com/x", "event_types": "member.exploded"], "unknown event type"),
            ] {
                let refused = try await browser.submit("/console/webhooks/create", from: "/console/webhooks", form: form)
                #expect(refused.status == .unprocessableContent, "\(form)")
                #expect(Browser.text(refused).contains(message) && Browser.text(refused).contains("Nothing was changed."))
                #expect(Browser.text(refused).contains("value=\"\(form["url"]!)\""))
                #expect(Self.secret(in: refused) == nil)
            }
            #expect(try await app.count("webhook_subscriptions") == 0)
            #expect(try await app.auditRows("webhook.create").isEmpty)
        }
    }

    @Test("an API key is created with its secret shown once, works against the API, and fails once revoked")
    func apiKeys() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            let created = try await browser.submit(
                "/console/api-keys/create", from: "/console/api-keys", form: ["name": "crm sync", "scope": "crm:read"])
            #expect(created.status == .ok)
            #expect(created.headers[.cacheControl] == "no-store")
            #expect(created.headers[.location] == nil)
            let secret = try #require(Self.secret(in: created))
            #expect(secret.hasPrefix("tly_") && secret.count == 56)
            let prefix = String(secret.prefix(12))
            #expect(!browser.cookies.values.contains { $0.contains(secret) })
            let listed = Browser.text(try await browser.get("/console/api-keys"))
            #expect(listed.contains(prefix) && listed.contains("crm sync") && !listed.contains(secret))
            let csv = Browser.text(try await browser.get("/console/api-keys?format=csv"))
            #expect(csv.contains("\(prefix),crm sync,crm:read,active,") && !csv.contains(secret))

            let auth: HTTPFields = [.authorization: "Bearer \(secret)"]
            let works = try await app.client.execute(uri: "/api/v1/programme", method: .get, headers: auth, body: nil)
            #expect(works.status == .ok)
            let create = try await app.auditRows("apikey.create")
            #expect(create.count == 1 && create.first?.target == prefix)
            #expect(create.first?.after?.contains(secret) == false && create.first?.after?.contains("crm:read") == true)

            let confirm = try await browser.get("/console/api-keys/revoke?prefix=\(prefix)")
            #expect(confirm.status == .ok && Browser.text(confirm).contains("Revoke this key"))
            #expect(try await app.client.execute(uri: "/api/v1/programme", method: .get, headers: auth, body: nil).status == .ok)
            let revoked = try await browser.submit("/console/api-keys/revoke", from: "/console/api-keys", form: ["prefix": prefix])
            #expect(revoked.status == .seeOther)
            #expect(try await app.client.execute(uri: "/api/v1/programme", method: .get, headers: auth, body: nil).status == .unauthorized)
            #expect(Browser.text(try await browser.get("/console/api-keys?format=csv")).contains("\(prefix),crm sync,crm:read,revoked,"))
            #expect(try await app.auditRows("apikey.revoke").first?.after?.contains("revoked_at") == true)
        }
    }

    @Test("a bad API key is refused with its message; no key is made")
    func apiKeyRefusals() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.admin, language: "en")
            let keys = try await app.count("api_keys")
            for (form, message) in [
                (["name": "no scopes"], "at least one scope"),
                (["name": "", "scope": "redeem"], "name"),
                (["name": "old", "scope": "redeem", "expires": "2020-01-01"], "the expiry must be in the future"),
                (["name": "odd", "scope": "root"], "Unknown scope: root"),
            ] {
                let refused = try await browser.submit("/console/api-keys/create", from: "/console/api-keys", form: form)
                #expect(refused.status == .unprocessableContent, "\(form)")
                #expect(Browser.text(refused).contains(message), "\(form)")
                #expect(Self.secret(in: refused) == nil)
            }
            let unknown = try await browser.submit("/console/api-keys/revoke", from: "/console/api-keys", form: ["prefix": "tly_NOPE0000"])
            #expect(unknown.status == .notFound && Browser.text(unknown).contains("No API key with prefix tly_NOPE0000"))
            #expect(try await app.count("api_keys") == keys)
            #expect(try await app.auditRows("apikey.create").isEmpty)
            #expect(try await app.auditRows("apikey.revoke").isEmpty)
        }
    }

    @Test("the liability page's numbers are the API's report, and each of its tables exports as CSV")
    func liability() async throws {
        try await TestApp.run { app in
            let first = try await app.newMember()
            let second = try await app.newMember()
            try await app.adjust(first, by: 120)
            try await app.adjust(second, by: 80)
            try await app.adjust(first, by: -30)
            var browser = try await app.consoleBrowser(.viewer, language: "en")
            let report = try decode(LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability", as: .crmRead))
            #expect(report.outstanding == 170)
            let page = try await browser.get("/console/liability")
            #expect(page.status == .ok && Browser.text(page).contains("<div class=\"value\">170</div>"))
            let months = Browser.text(try await browser.get("/console/liability?table=months&format=csv"))
            let expected = report.months.map { "\($0.month),\($0.issued),\($0.redeemed),\($0.expired),\($0.outstanding)" }
            #expect(Array(months.split(separator: "\r\n").dropFirst().map(String.init)) == expected)
            #expect(months.contains(",170,0,0,170"))

            let from = report.months.last!.month
            let narrowed = try decode(
                LiabilityReport.self, try await app.request(.get, "/api/v1/reports/liability?from=\(from)&to=\(from)", as: .crmRead))
            let one = Browser.text(try await browser.get("/console/liability?from=\(from)&to=\(from)&table=months&format=csv"))
            #expect(one.split(separator: "\r\n").count == 2 && narrowed.months.count == 1)
            let campaigns = Browser.text(try await browser.get("/console/liability?table=campaigns&format=csv"))
            #expect(campaigns.split(separator: "\r\n").count == 1 + report.campaigns.count)
            let expiring = Browser.text(try await browser.get("/console/liability?table=expiring&format=csv"))
            let total = expiring.split(separator: "\r\n").dropFirst().compactMap { Int64($0.split(separator: ",")[1]) }.reduce(0, +)
            #expect(total == report.outstanding)

            let bad = try await browser.get("/console/liability?from=2026-13")
            #expect(bad.status == .unprocessableContent && Browser.text(bad).contains("months are written YYYY-MM"))
        }
    }

    @Test("viewer, marketer, service and packaging: 403 on webhooks, API keys and programme edits, by URL and by form; no links")
    func roles() async throws {
        try await TestApp.run { app in
            let subscription = try await WebhookSubscriptionStore(database: app.database, logger: TestDatabase.logger).create(
                WebhookSubscriptionFields(url: "https://example.com/hook", eventTypes: ["member.created"])
            ).subscription
            for role in [StaffRole.viewer, .marketer, .service, .packaging] {
                var browser = try await app.consoleBrowser(role, language: "en")
                let before = try await app.stateDigest()
                for path in [
                    "/console/webhooks", "/console/webhooks?table=subscriptions&format=csv",
                    "/console/webhooks/delete?id=\(subscription.id)",
                    "/console/api-keys", "/console/api-keys?format=csv", "/console/api-keys/revoke?prefix=tly_00000000",
                ] {
                    let page = try await browser.get(path)
                    #expect(page.status == .forbidden, "\(role) \(path)")
                    #expect(!Browser.text(page).contains(subscription.url))
                }
                let programme = try await browser.get("/console/programme")
                #expect(programme.status == .ok)
                let html = Browser.text(programme)
                #expect(!html.contains("action=\"/console/programme\""), "\(role) sees no edit form")
                #expect(!html.contains("href=\"/console/webhooks\"") && !html.contains("href=\"/console/api-keys\""), "\(role) nav")
                #expect(html.contains("href=\"/console/liability\""))
                #expect(try await browser.get("/console/liability").status == .ok)
                let forms: [(String, [String: String])] = [
                    ("/console/programme", ["points_valid_months": "1", "tier_window_months": "1", "redemption_cancel_hours": "1"]),
                    ("/console/webhooks/create", ["url": "https://evil.example/x", "event_types": "member.created", "active": "true"]),
                    ("/console/webhooks/update", ["id": subscription.id.uuidString, "active": "false"]),
                    ("/console/webhooks/delete", ["id": subscription.id.uuidString]),
                    ("/console/webhooks/replay-dead", ["subscription": subscription.id.uuidString]),
                    ("/console/webhooks/replay", ["subscription": subscription.id.uuidString, "delivery": "1"]),
                    ("/console/api-keys/create", ["name": "mine", "scope": "admin"]),
                    ("/console/api-keys/revoke", ["prefix": String(app.secrets[.admin]!.prefix(12))]),
                ]
                for (action, form) in forms {
                    let refused = try await browser.submit(action, from: "/console/programme", form: form)
                    #expect(refused.status == .forbidden, "\(role) \(action)")
                    #expect(Self.secret(in: refused) == nil)
                }
                #expect(try await app.stateDigest() == before, "\(role) changed nothing")
            }
            var admin = try await app.consoleBrowser(.admin)
            let html = Browser.text(try await admin.get("/console/programme"))
            #expect(html.contains("action=\"/console/programme\""))
            #expect(html.contains("href=\"/console/webhooks\"") && html.contains("href=\"/console/api-keys\""))
            #expect(try await admin.get("/console/webhooks").status == .ok)
            #expect(try await admin.get("/console/api-keys").status == .ok)
        }
    }

    /// The secret shown once on a page (`id="new-secret"`).
    static func secret(in page: Page) -> String? {
        let html = String(buffer: page.body)
        guard let range = html.range(of: #"id="new-secret" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix(while: { $0 != "\"" }))
    }
}

/// One row of the staff audit log, as the tests read it.
struct AuditRow: Sendable {
    let target: String?
    let before: String?
    let after: String?
}

extension TestApp {
    /// The audit log's rows of `action`, newest first, before and after as compact JSON text.
    func auditRows(_ action: String) async throws -> [AuditRow] {
        let rows = try await database.query(
            "SELECT target, before::text, after::text FROM staff_audit WHERE action = \(action) ORDER BY id DESC",
            logger: TestDatabase.logger)
        var found: [AuditRow] = []
        for try await (target, before, after) in rows.decode((String?, String?, String?).self) {
            // jsonb writes `{"a": 1, "b": 2}`; compact it to compare with what the encoder wrote.
            func compact(_ text: String?) -> String? {
                text?.replacingOccurrences(of: ", ", with: ",").replacingOccurrences(of: ": ", with: ":")
            }
            found.append(AuditRow(target: target, before: compact(before), after: compact(after)))
        }
        return found
    }

    /// Live webhook subscriptions' ids.
    func subscriptionIDs() async throws -> [UUID] {
        let rows = try await database.query(
            "SELECT id FROM webhook_subscriptions WHERE deleted_at IS NULL ORDER BY created_at", logger: TestDatabase.logger)
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// Every table's digest but the sessions' (each request marks its session seen) and the
    /// audit log's sign-ins: what a refused page or form must leave as it was.
    func stateDigest() async throws -> [String: String] {
        var digest = try await databaseDigest()
        digest["staff_sessions"] = nil
        digest["staff"] = nil
        let rows = try await database.query(
            "SELECT count(*)::int FROM staff_audit WHERE action NOT IN ('staff.create', 'staff.sign_in')", logger: TestDatabase.logger)
        for try await count in rows.decode(Int.self) { digest["staff_audit"] = String(count) }
        return digest
    }
}
