import Foundation
import HTTPTypes
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console campaigns: the list, the form editor, steps, preview, backtest, reports, roles")
struct CampaignPagesTests {
    /// The editor's fields for a 20-point bonus on RICE-5KG on Mondays and Wednesdays, from
    /// 2020 to 2099 (live once scheduled), with `extra` fields added or replaced.
    static func bonusForm(_ extra: [String: String] = [:]) -> [String: String] {
        var form = [
            "name_zh": "春节奖励", "name_en": "Spring bonus", "starts_at": "2020-01-01T00:00", "ends_at": "2099-01-01T00:00",
            "time_zone": "Asia/Shanghai", "priority": "5", "skus": "RICE-5KG", "weekday_1": "on", "weekday_3": "on",
            "nth_within": "overall", "effect": "bonus", "bonus_points": "20", "budget_points": "1000", "when_exhausted": "stop",
        ]
        for (name, value) in extra { form[name] = value }
        return form
    }

    /// A lucky draw: a pot (the reward POT) at 0.001 with 10 in stock, and 5-point red packets at 0.3.
    static func drawForm(_ extra: [String: String] = [:]) -> [String: String] {
        var form = [
            "name_zh": "幸运抽奖", "name_en": "Lucky draw", "starts_at": "2020-01-01T00:00", "ends_at": "2099-01-01T00:00",
            "time_zone": "Asia/Shanghai", "priority": "0", "nth_within": "overall", "effect": "draw", "when_exhausted": "stop",
            "prize_0_key": "pot", "prize_0_name_zh": "炒锅", "prize_0_name_en": "Cooking pot", "prize_0_reward": "POT",
            "prize_0_probability": "0.001", "prize_0_stock": "10",
            "prize_1_key": "red", "prize_1_name_zh": "红包", "prize_1_name_en": "Red packet", "prize_1_points": "5",
            "prize_1_probability": "0.3", "prize_1_stock": "100",
        ]
        for (name, value) in extra { form[name] = value }
        return form
    }

    /// The campaign id of a 303 to its page.
    static func createdID(_ page: Page) throws -> Int64 {
        #expect(page.status == .seeOther, "\(Browser.text(page))")
        let location = try #require(page.headers[.location])
        return try #require(Int64(location.replacingOccurrences(of: "/console/campaigns/", with: "")), "\(location)")
    }

    static func auditActions(_ app: TestApp) async throws -> [String] {
        let rows = try await app.database.query(
            "SELECT action || ' ' || coalesce(target, '') FROM staff_audit WHERE action LIKE 'campaign.%' ORDER BY id",
            logger: TestDatabase.logger)
        var actions: [String] = []
        for try await action in rows.decode(String.self) { actions.append(action) }
        return actions
    }

    /// Every table's digest but the sessions' (a page view refreshes its session's last use).
    static func digest(_ app: TestApp) async throws -> [String: String] {
        var digest = try await app.databaseDigest()
        digest["staff_sessions"] = nil
        return digest
    }

    @Test("a bonus and a draw made with the form, edited to a new version, then scheduled, paused, resumed and ended")
    func createEditAndSteps() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            var browser = try await app.consoleBrowser(.marketer, name: "mia")
            let form = try await browser.get("/console/campaigns/new")
            #expect(form.status == .ok)
            #expect(Browser.text(form).contains("name=\"prize_2_probability\""))

            let id = try Self.createdID(
                try await browser.submit("/console/campaigns/new", from: "/console/campaigns/new", form: Self.bonusForm()))
            var campaign = try await app.campaign(id)
            #expect(campaign.status == .draft && campaign.version == 1 && campaign.priority == 5)
            #expect(campaign.name == CampaignName(zh: "春节奖励", en: "Spring bonus"))
            #expect(campaign.conditions.skus == ["RICE-5KG"] && campaign.conditions.weekdays == [1, 3])
            #expect(campaign.effect == CampaignEffect(type: "bonus", points: 20))
            #expect(campaign.budget.points == 1000 && campaign.budget.pointsLeft == 1000)
            #expect(campaign.startsAt == Date(timeIntervalSince1970: 1_577_808_000))
            #expect(try await app.campaignChanges(id).map(\.actor) == ["staff:mia"])

            let drawID = try Self.createdID(
                try await browser.submit("/console/campaigns/new", from: "/console/campaigns/new", form: Self.drawForm()))
            let draw = try await app.campaign(drawID)
            #expect(draw.effect.prizes?.map(\.key) == ["pot", "red"])
            #expect(draw.effect.prizes?.map(\.probability) == [0.001, 0.3])
            #expect(draw.effect.prizes?.first?.reward == "POT" && draw.effect.prizes?.last?.points == 5)

            // The edit form shows the current version; saving it changed makes version 2.
            let edit = Browser.text(try await browser.get("/console/campaigns/\(id)/edit"))
            #expect(edit.contains("value=\"RICE-5KG\"") && edit.contains("value=\"20\"") && edit.contains("value=\"2020-01-01T00:00\""))
            #expect(edit.contains("name=\"weekday_3\" value=\"on\" checked"))
            let saved = try await browser.submit(
                "/console/campaigns/\(id)/edit", from: "/console/campaigns/\(id)/edit", form: Self.bonusForm(["bonus_points": "30"]))
            #expect(saved.status == .seeOther)
            campaign = try await app.campaign(id)
            #expect(campaign.version == 2 && campaign.effect.points == 30)
            // The same form again changes nothing: no version, no audit.
            _ = try await browser.submit(
                "/console/campaigns/\(id)/edit", from: "/console/campaigns/\(id)/edit", form: Self.bonusForm(["bonus_points": "30"]))
            #expect(try await app.campaign(id).version == 2)

            for (step, status) in [("schedule", CampaignStatus.live), ("pause", .paused), ("resume", .live)] {
                let page = try await browser.submit("/console/campaigns/\(id)/\(step)", from: "/console/campaigns/\(id)", form: [:])
                #expect(page.status == .seeOther, "\(step): \(Browser.text(page))")
                #expect(try await app.campaign(id).status == status)
            }
            // Ending asks first: the first post changes nothing.
            let ask = try await browser.submit("/console/campaigns/\(id)/end", from: "/console/campaigns/\(id)", form: [:])
            #expect(ask.status == .ok && Browser.text(ask).contains("name=\"confirm\" value=\"yes\""))
            #expect(try await app.campaign(id).status == .live)
            let ended = try await browser.submit("/console/campaigns/\(id)/end", from: "/console/campaigns/\(id)", form: ["confirm": "yes"])
            #expect(ended.status == .seeOther)
            #expect(try await app.campaign(id).status == .ended)
            // An ended campaign offers no edit, and refuses one.
            let detail = Browser.text(try await browser.get("/console/campaigns/\(id)"))
            #expect(!detail.contains("/console/campaigns/\(id)/edit\"") && !detail.contains("action=\"/console/campaigns/\(id)/pause\""))
            #expect(try await browser.get("/console/campaigns/\(id)/edit").status == .unprocessableContent)

            // The draw's secret: its hash once scheduled, the secret once ended.
            #expect(
                try await browser.submit("/console/campaigns/\(drawID)/schedule", from: "/console/campaigns/\(drawID)", form: [:]).status
                    == .seeOther)
            let scheduled = try await app.campaign(drawID)
            #expect(Browser.text(try await browser.get("/console/campaigns/\(drawID)")).contains(scheduled.draw!.secretSha256!))
            _ = try await browser.submit("/console/campaigns/\(drawID)/end", from: "/console/campaigns/\(drawID)", form: ["confirm": "yes"])
            let secret = try #require(try await app.campaign(drawID).draw?.secret)
            #expect(Browser.text(try await browser.get("/console/campaigns/\(drawID)")).contains(secret))

            #expect(
                try await Self.auditActions(app) == [
                    "campaign.create campaign:\(id)", "campaign.create campaign:\(drawID)", "campaign.update campaign:\(id)",
                    "campaign.schedule campaign:\(id)", "campaign.pause campaign:\(id)", "campaign.resume campaign:\(id)",
                    "campaign.end campaign:\(id)", "campaign.schedule campaign:\(drawID)", "campaign.end campaign:\(drawID)",
                ])
            #expect(
                try await app.int64(
                    "SELECT count(*) FROM staff_audit WHERE action LIKE 'campaign.%' AND (after IS NULL OR actor <> 'staff:mia')")
                    == 0)
            #expect(try await app.campaignChanges(id).allSatisfy { $0.actor == "staff:mia" })
            #expect(try await app.campaignVersions(id).first?.createdBy == "staff:mia")
        }
    }

    @Test("a refused form shows the store's message with what was typed, and changes nothing")
    func refusals() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            var browser = try await app.consoleBrowser(.marketer)
            let id = try Self.createdID(
                try await browser.submit("/console/campaigns/new", from: "/console/campaigns/new", form: Self.bonusForm()))
            let before = try await Self.digest(app)

            let cases: [([String: String], String, String)] = [
                (
                    Self.drawForm(["prize_0_probability": "0.6", "prize_1_probability": "0.6", "name_en": "Kept name"]),
                    "the prizes&#39; probabilities add up to more than 1", "value=\"Kept name\""
                ),
                (Self.bonusForm(["ends_at": "2019-01-01T00:00"]), "ends_at must be later than starts_at", "value=\"2019-01-01T00:00\""),
                (Self.bonusForm(["skus": "NOPE-1"]), "NOPE-1", "value=\"NOPE-1\""),
                (Self.bonusForm(["priority": "high"]), "high", "value=\"high\""),
                (Self.bonusForm(["effect": "draw"]), "a draw has 1 to", "value=\"20\""),
                (Self.drawForm(["prize_1_stock": ""]), "needs a stock", "value=\"0.3\""),
                (Self.bonusForm(["segment": "lapsed"]), "lapsed_days", "<option value=\"lapsed\" selected>"),
            ]
            for (form, message, kept) in cases {
                let page = try await browser.submit("/console/campaigns/new", from: "/console/campaigns/new", form: form)
                let text = Browser.text(page)
                #expect(page.status == .unprocessableContent, "\(message): \(page.status)")
                #expect(text.contains(message), "\(message) not in the page")
                #expect(text.contains(kept), "\(kept) not kept")
                #expect(text.contains("role=\"alert\""))
            }
            // An edit refused keeps its values too; the campaign stays at version 1.
            let edit = try await browser.submit(
                "/console/campaigns/\(id)/edit", from: "/console/campaigns/\(id)/edit",
                form: Self.bonusForm(["ends_at": "2019-06-01T00:00", "bonus_points": "99"]))
            #expect(edit.status == .unprocessableContent)
            #expect(Browser.text(edit).contains("ends_at must be later than starts_at") && Browser.text(edit).contains("value=\"99\""))
            // The JSON alternative: unreadable JSON, and a rule broken.
            let bad = try await browser.submit(
                "/console/campaigns/new", from: "/console/campaigns/new", form: ["mode": "json", "json": "{\"name\": "])
            #expect(bad.status == .unprocessableContent && Browser.text(bad).contains("{&quot;name&quot;: "))
            let window = try await browser.submit(
                "/console/campaigns/new", from: "/console/campaigns/new",
                form: ["mode": "json", "json": TestApp.campaignBody(starts: "2030-01-01T00:00:00Z", ends: "2029-01-01T00:00:00Z")])
            #expect(window.status == .unprocessableContent && Browser.text(window).contains("ends_at must be later than starts_at"))
            // A step the status does not allow.
            let resume = try await browser.submit("/console/campaigns/\(id)/resume", from: "/console/campaigns/\(id)", form: [:])
            #expect(resume.status == .unprocessableContent && Browser.text(resume).contains("a draft campaign cannot resume"))
            #expect(try await Self.digest(app) == before)

            // And the JSON path works when the JSON is good.
            let made = try await browser.submit(
                "/console/campaigns/new", from: "/console/campaigns/new", form: ["mode": "json", "json": TestApp.campaignBody()])
            #expect(try await app.campaign(try Self.createdID(made)).name.en == "Spring Festival double points")
        }
    }

    @Test("preview shows what a code would award a member now, by code or batch and by id or phone, writing nothing")
    func preview() async throws {
        try await TestApp.run { app in
            let batch = try await app.campaignWorld()
            let member = try await app.campaignClaim(batch, 0, phone: "13812345678").memberId
            var browser = try await app.consoleBrowser(.marketer)
            let id = try Self.createdID(
                try await browser.submit(
                    "/console/campaigns/new", from: "/console/campaigns/new", form: Self.bonusForm(["weekday_1": "", "weekday_3": ""])))
            let before = try await Self.digest(app)
            let path = "/console/campaigns/\(id)/preview"
            #expect(try await browser.get(path).status == .ok)
            let byCode = try await browser.submit(path, from: path, form: ["code": app.code(batch, 1).text, "member": member.uuidString])
            let text = Browser.text(byCode)
            #expect(byCode.status == .ok)
            #expect(text.contains("可以领取") && text.contains("<td class=\"num\">20</td>") && text.contains("春节奖励"))
            let byBatch = try await browser.submit(
                path, from: path, form: ["batch": String(batch.id), "sequence": "2", "member": "138 1234 5678"])
            #expect(Browser.text(byBatch).contains("<td class=\"num\">20</td>"))
            let claimed = try await browser.submit(path, from: path, form: ["code": app.code(batch, 0).text, "member": member.uuidString])
            #expect(Browser.text(claimed).contains("already_claimed"))
            let unknown = try await browser.submit(path, from: path, form: ["code": app.code(batch, 1).text, "member": "13900000000"])
            #expect(unknown.status == .notFound && Browser.text(unknown).contains("+8613900000000"))
            let forged = try await browser.submit(path, from: path, form: ["code": "NOT-A-CODE", "member": member.uuidString])
            #expect(forged.status == .unprocessableContent && Browser.text(forged).contains("value=\"NOT-A-CODE\""))
            #expect(try await Self.digest(app) == before)
        }
    }

    @Test("backtest: a chart and a row per day, as CSV too; the report per day and the list as CSV")
    func backtestReportAndCSV() async throws {
        try await TestApp.run { app in
            let batch = try await app.campaignWorld()
            _ = try await app.campaignClaim(batch, 0)
            _ = try await app.campaignClaim(batch, 1, externalID: "member-2")
            var browser = try await app.consoleBrowser(.marketer, language: "en")
            let id = try Self.createdID(
                try await browser.submit(
                    "/console/campaigns/new", from: "/console/campaigns/new",
                    form: Self.bonusForm(["weekday_1": "", "weekday_3": "", "budget_points": "30"])))
            let page = try await browser.get("/console/campaigns/\(id)/backtest?days=7")
            let text = Browser.text(page)
            #expect(page.status == .ok)
            #expect(text.contains("<svg") && text.contains("Projected awards and points per day") && text.contains("Budget left"))
            let csv = try await browser.get("/console/campaigns/\(id)/backtest?days=7&format=csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = String(buffer: csv.body).split(separator: "\r\n")
            #expect(lines.count >= 8)
            // Two claims today: the first awarded 20 of the 30 budget, the second did not fit.
            #expect(lines.last?.hasSuffix(",2,2,1,20,1,10,") == true, "\(lines.last ?? "")")
            let refused = try await browser.get("/console/campaigns/\(id)/backtest?days=400")
            #expect(refused.status == .unprocessableContent && Browser.text(refused).contains("1 to 366"))

            // Schedule it and claim: the report and the list count the award.
            _ = try await browser.submit("/console/campaigns/\(id)/schedule", from: "/console/campaigns/\(id)", form: [:])
            _ = try await app.campaignClaim(batch, 2, externalID: "member-3")
            let report = String(buffer: try await browser.get("/console/campaigns/\(id)/report?format=csv").body)
            #expect(report.contains("Points budget left") && report.contains(",1,1,20,0,1,0,0,0,0,10,"), "\(report)")
            let list = String(buffer: try await browser.get("/console/campaigns?status=live&format=csv").body)
            #expect(list.contains("Spring bonus") && list.contains(",1,20,20,10"), "\(list)")
            let none = String(buffer: try await browser.get("/console/campaigns?status=ended&format=csv").body)
            #expect(!none.contains("Spring bonus"))
            for table in ["versions", "changes", "draws"] {
                let page = try await browser.get("/console/campaigns/\(id)/\(table)?format=csv")
                #expect(page.status == .ok && page.headers[.contentType] == "text/csv; charset=utf-8", "\(table)")
            }
        }
    }

    @Test("every page in Chinese and English")
    func languages() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            var browser = try await app.consoleBrowser(.marketer)
            let id = try Self.createdID(
                try await browser.submit("/console/campaigns/new", from: "/console/campaigns/new", form: Self.drawForm()))
            let pages = [
                "", "/new", "/\(id)", "/\(id)/edit", "/\(id)/report", "/\(id)/versions", "/\(id)/changes", "/\(id)/draws",
                "/\(id)/preview", "/\(id)/backtest", "/\(id)/backtest?days=3",
            ]
            for (lang, word) in [("zh", "营销活动"), ("en", "Campaigns")] {
                for page in pages {
                    let path = "/console/campaigns" + page + (page.contains("?") ? "&" : "?") + "lang=\(lang)"
                    let shown = try await browser.get(path)
                    #expect(shown.status == .ok, "\(path): \(shown.status)")
                    #expect(
                        Browser.text(shown).contains("<html lang=\"\(lang == "zh" ? "zh-CN" : "en")\">")
                            && Browser.text(shown).contains(word), "\(path)")
                }
            }
            let english = Browser.text(try await browser.get("/console/campaigns/new?lang=en"))
            #expect(english.contains("Prizes (draw)") && !english.contains("奖品（即时抽奖）"))
        }
    }

    @Test("a viewer sees the campaigns but no way to change them, and gets 403 by URL and by form; a marketer may")
    func roles() async throws {
        try await TestApp.run { app in
            _ = try await app.campaignWorld()
            var marketer = try await app.consoleBrowser(.marketer)
            let id = try Self.createdID(
                try await marketer.submit("/console/campaigns/new", from: "/console/campaigns/new", form: Self.bonusForm()))
            var viewer = try await app.consoleBrowser(.viewer)
            let list = Browser.text(try await viewer.get("/console/campaigns"))
            #expect(list.contains("春节奖励") && !list.contains("/console/campaigns/new"))
            let detail = Browser.text(try await viewer.get("/console/campaigns/\(id)"))
            #expect(detail.contains("春节奖励"))
            for hidden in ["/edit\"", "/preview\"", "/backtest\"", "/schedule\"", "/end\""] {
                #expect(!detail.contains("/console/campaigns/\(id)\(hidden)"), "\(hidden) shown to a viewer")
            }
            let before = try await Self.digest(app)
            for path in [
                "/console/campaigns/new", "/console/campaigns/\(id)/edit", "/console/campaigns/\(id)/preview",
                "/console/campaigns/\(id)/backtest?days=3",
            ] {
                #expect(try await viewer.get(path).status == .forbidden, "GET \(path)")
            }
            let actions: [(String, [String: String])] = [
                ("/console/campaigns/new", Self.bonusForm()), ("/console/campaigns/\(id)/edit", Self.bonusForm(["bonus_points": "50"])),
                ("/console/campaigns/\(id)/schedule", [:]), ("/console/campaigns/\(id)/pause", [:]),
                ("/console/campaigns/\(id)/resume", [:]),
                ("/console/campaigns/\(id)/end", ["confirm": "yes"]), ("/console/campaigns/\(id)/preview", ["code": "X", "member": "1"]),
            ]
            for (path, form) in actions {
                let page = try await viewer.submit(path, from: "/console/campaigns", form: form)
                #expect(page.status == .forbidden, "POST \(path): \(page.status)")
            }
            #expect(try await Self.digest(app) == before)
            // A form without the session's token is refused for a marketer too.
            let forged = try await marketer.post("/console/campaigns/\(id)/schedule", form: ["_csrf": "nope"])
            #expect(forged.status == .forbidden)
            #expect(try await app.campaign(id).status == .draft)
            let mine = Browser.text(try await marketer.get("/console/campaigns/\(id)"))
            #expect(mine.contains("action=\"/console/campaigns/\(id)/schedule\"") && mine.contains("/console/campaigns/\(id)/edit"))
        }
    }
}
