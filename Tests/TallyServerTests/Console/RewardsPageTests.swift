import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console rewards and redemptions: the catalogue with stock, create and edit, redemptions, cancel, roles")
struct RewardsPageTests {
    static let mug = #"{"sku": "MUG-01", "name": "Tally mug", "cost_points": 300, "stock": 5, "channels": ["web", "api"]}"#

    /// A member with two redemptions of MUG-01 (one unit each); returns the member and the redemptions' ids.
    static func redeemed(_ app: TestApp, phone: String = "13800138000") async throws -> (UUID, [UUID]) {
        let member = try await app.newMember(phone: phone)
        try await app.credit(member, 1000)
        var ids: [UUID] = []
        for _ in 0..<2 {
            let response = try await app.redeem(member, #"{"reward": "MUG-01", "quantity": 1}"#)
            try #require(response.status == .created, "\(String(buffer: response.body))")
            ids.append(try decode(Redemption.self, response).id)
        }
        return (member, ids)
    }

    static func actions(_ app: TestApp, _ action: String) async throws -> [(actor: String, before: String?, after: String?)] {
        let rows = try await app.database.query(
            "SELECT actor, before::text, after::text FROM staff_audit WHERE action = \(action) ORDER BY id", logger: TestDatabase.logger)
        var entries: [(String, String?, String?)] = []
        for try await row in rows.decode((String, String?, String?).self) { entries.append(row) }
        return entries
    }

    @Test("the catalogue shows stock left and units in live redemptions, in zh and en, and as CSV")
    func catalogue() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(Self.mug)
            _ = try await Self.redeemed(app)
            var browser = try await app.consoleBrowser(.viewer)
            let zh = try await browser.get("/console/rewards")
            #expect(zh.status == .ok)
            let zhText = Browser.text(zh)
            #expect(Browser.heading(zh) == "礼品与兑换")
            #expect(zhText.contains("礼品目录") && zhText.contains("剩余库存") && zhText.contains("Tally mug"))
            #expect(zhText.contains("<td class=\"num\">3</td><td class=\"num\">2</td>"), "stock left 3, two units in live redemptions")
            let en = try await browser.get("/console/rewards?lang=en")
            #expect(Browser.heading(en) == "Rewards")
            #expect(Browser.text(en).contains("Stock left") && Browser.text(en).contains("In live redemptions"))
            let csv = try await browser.get("/console/rewards?format=csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = Browser.text(csv).split(separator: "\r\n")
            #expect(
                lines.first?.hasSuffix(
                    "SKU,Name,Points,Stock left,In live redemptions,Per-member limit,Active from,Active until,Active now,Channels") == true)
            #expect(lines.contains { $0.hasPrefix("MUG-01,Tally mug,300,3,2,") && $0.hasSuffix(",yes,\"web, api\"") })
            // A viewer has no way to change the catalogue.
            #expect(!Browser.text(en).contains("/console/rewards/new") && !Browser.text(en).contains("/console/rewards/edit"))
        }
    }

    @Test("a marketer creates and edits a reward (terms and stock), audited; refusals re-show the form and change nothing")
    func createAndEdit() async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(.marketer, name: "mia")
            let list = try await browser.get("/console/rewards")
            #expect(Browser.text(list).contains("/console/rewards/new"))
            let form = try await browser.get("/console/rewards/new")
            #expect(form.status == .ok && Browser.text(form).contains("name=\"cost_points\""))

            // Refused: no change, the message and the values typed shown again.
            let before = try await RedemptionSnapshot(app)
            let refused = try await browser.submit(
                "/console/rewards/new", from: "/console/rewards/new",
                form: ["sku": "MUG-01", "name": "Tally mug", "cost_points": "0", "stock": "5", "channels": "web"])
            #expect(refused.status == .unprocessableContent)
            #expect(Browser.text(refused).contains("cost_points is between 1 and"))
            #expect(Browser.text(refused).contains("value=\"Tally mug\"") && Browser.text(refused).contains("没有做任何更改"))
            let badChannel = try await browser.submit(
                "/console/rewards/new", from: "/console/rewards/new",
                form: ["sku": "MUG-01", "name": "Tally mug", "cost_points": "300", "channels": "Web Shop!"])
            #expect(badChannel.status == .unprocessableContent)
            #expect(try await RedemptionSnapshot(app) == before)
            #expect(try await Self.actions(app, "reward.create").isEmpty)

            let created = try await browser.submit(
                "/console/rewards/new", from: "/console/rewards/new",
                form: [
                    "sku": "MUG-01", "name": "Tally mug", "cost_points": "300", "stock": "5", "per_member_limit": "2",
                    "active_from": "2026-03-01T00:00", "active_until": "2036-04-01T00:00", "channels": "web, wechat_miniprogram",
                    "description": "A mug",
                ])
            #expect(created.status == .seeOther && created.headers[.location] == "/console/rewards")
            let reward = try await RewardStore(database: app.database, logger: TestDatabase.logger).get(sku: "MUG-01")
            #expect(reward.costPoints == 300 && reward.stock == 5 && reward.perMemberLimit == 2)
            #expect(reward.channels == ["web", "wechat_miniprogram"])
            #expect(reward.activeFrom == ISO8601DateFormatter().date(from: "2026-02-28T16:00:00Z"), "read in the programme's time zone")
            let shown = try await browser.get("/console/rewards")
            #expect(Browser.text(shown).contains("已创建礼品 MUG-01"))
            let createdAudit = try await Self.actions(app, "reward.create")
            #expect(createdAudit.count == 1 && createdAudit.first?.actor == "staff:mia" && createdAudit.first?.before == nil)
            #expect(createdAudit.first?.after?.contains("\"sku\": \"MUG-01\"") == true)

            // A second reward with the same SKU: refused with its message.
            let taken = try await browser.submit(
                "/console/rewards/new", from: "/console/rewards/new", form: ["sku": "MUG-01", "name": "Other", "cost_points": "10"])
            #expect(taken.status == .conflict && Browser.text(taken).contains("already exists"))

            // Edit: the form shows the reward; terms and stock change, the rest is kept.
            let edit = try await browser.get("/console/rewards/edit?sku=MUG-01")
            #expect(edit.status == .ok && Browser.text(edit).contains("value=\"Tally mug\""))
            let saved = try await browser.submit(
                "/console/rewards/edit", from: "/console/rewards/edit?sku=MUG-01",
                form: [
                    "sku": "MUG-01", "name": "Tally mug (blue)", "cost_points": "250", "stock": "8", "stock_shown": "5",
                    "per_member_limit": "",
                ])
            #expect(saved.status == .seeOther)
            let edited = try await RewardStore(database: app.database, logger: TestDatabase.logger).get(sku: "MUG-01")
            #expect(edited.name == "Tally mug (blue)" && edited.costPoints == 250 && edited.stock == 8 && edited.initialStock == 8)
            #expect(edited.perMemberLimit == nil && edited.channels == ["web", "wechat_miniprogram"] && edited.description == "A mug")
            let updates = try await Self.actions(app, "reward.update")
            #expect(updates.count == 1 && updates.first?.before?.contains("\"cost_points\": 300") == true)
            #expect(updates.first?.after?.contains("\"cost_points\": 250") == true)
            let restock = try await browser.submit(
                "/console/rewards/edit", from: "/console/rewards/edit?sku=MUG-01", form: ["sku": "MUG-01", "add_stock": "2"])
            #expect(restock.status == .seeOther)
            #expect(try await app.stock("MUG-01") == (10, 10))

            // A refused edit: the window's end before its start; nothing changes, the values come back.
            let unchanged = try await RedemptionSnapshot(app)
            let badWindow = try await browser.submit(
                "/console/rewards/edit", from: "/console/rewards/edit?sku=MUG-01",
                form: ["sku": "MUG-01", "name": "Renamed", "active_until": "2020-01-01T00:00"])
            #expect(badWindow.status == .unprocessableContent)
            #expect(Browser.text(badWindow).contains("active_until must be later than active_from"))
            #expect(Browser.text(badWindow).contains("value=\"Renamed\""))
            let bothStocks = try await browser.submit(
                "/console/rewards/edit", from: "/console/rewards/edit?sku=MUG-01",
                form: ["sku": "MUG-01", "stock": "3", "stock_shown": "10", "add_stock": "1"])
            #expect(bothStocks.status == .unprocessableContent && Browser.text(bothStocks).contains("not both"))
            #expect(try await RedemptionSnapshot(app) == unchanged)
            #expect(try await Self.actions(app, "reward.update").count == 2)
        }
    }

    @Test("viewers and customer service may not create or edit rewards: 403 by URL and by form, no buttons")
    func rewardRoles() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(Self.mug)
            for role in [StaffRole.viewer, .service, .packaging] {
                var browser = try await app.consoleBrowser(role)
                let list = try await browser.get("/console/rewards")
                #expect(list.status == .ok)
                #expect(!Browser.text(list).contains("/console/rewards/new") && !Browser.text(list).contains("/console/rewards/edit"))
                #expect(try await browser.get("/console/rewards/new").status == .forbidden)
                #expect(try await browser.get("/console/rewards/edit?sku=MUG-01").status == .forbidden)
                let before = try await RedemptionSnapshot(app)
                let create = try await browser.submit(
                    "/console/rewards/new", from: "/console/rewards", form: ["sku": "CUP-01", "name": "Cup", "cost_points": "10"])
                #expect(create.status == .forbidden)
                let edit = try await browser.submit(
                    "/console/rewards/edit", from: "/console/rewards", form: ["sku": "MUG-01", "cost_points": "1"])
                #expect(edit.status == .forbidden)
                #expect(try await RedemptionSnapshot(app) == before)
            }
            #expect(try await app.count("staff_audit WHERE action LIKE 'reward.%'") == 0)
        }
    }

    @Test("redemptions: filtered, in zh and en, CSV; customer service cancels with a reason; a second cancel is refused")
    func redemptions() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(Self.mug)
            let (member, ids) = try await Self.redeemed(app)
            let (other, _) = try await Self.redeemed(app, phone: "13900139000")
            let vouchers = try await RedemptionStore(database: app.database, logger: TestDatabase.logger).list(
                member: member, before: nil, limit: 10
            ).items.map(\.voucher)
            var browser = try await app.consoleBrowser(.service, name: "sam")
            let zh = try await browser.get("/console/rewards/redemptions")
            #expect(zh.status == .ok && Browser.heading(zh) == "兑换记录")
            for voucher in vouchers { #expect(Browser.text(zh).contains(voucher)) }
            let en = try await browser.get("/console/rewards/redemptions?lang=en&member=\(member.uuidString.lowercased())")
            #expect(Browser.heading(en) == "Redemptions")
            #expect(!Browser.text(en).contains(other.uuidString.lowercased()))
            let csv = try await browser.get(
                "/console/rewards/redemptions?member=\(member.uuidString.lowercased())&status=issued&format=csv")
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = Browser.text(csv).split(separator: "\r\n")
            #expect(lines.count == 3)
            #expect(lines.first?.hasSuffix("Time,Reward,Member,Quantity,Points,Voucher,Channel,Status,Cancelled") == true)
            for voucher in vouchers { #expect(lines.contains { $0.contains(voucher) && $0.contains(",300,") }) }
            let refusedFilter = try await browser.get("/console/rewards/redemptions?status=lost")
            #expect(refusedFilter.status == .unprocessableContent)

            // Cancel: the detail page has the form; the points and the unit go back.
            let id = ids[0].uuidString.lowercased()
            let detail = try await browser.get("/console/rewards/redemptions/\(id)")
            #expect(Browser.text(detail).contains("/console/rewards/redemptions/\(id)/cancel"))
            let noReason = try await browser.submit(
                "/console/rewards/redemptions/\(id)/cancel", from: "/console/rewards/redemptions", form: [:])
            #expect(noReason.status == .unprocessableContent)
            #expect(try await app.balance(member) == 400)
            let cancelled = try await browser.submit(
                "/console/rewards/redemptions/\(id)/cancel", from: "/console/rewards/redemptions/\(id)", form: ["reason": "wrong colour"])
            #expect(cancelled.status == .seeOther && cancelled.headers[.location] == "/console/rewards/redemptions/\(id)")
            #expect(try await app.balance(member) == 700)
            #expect(try await app.stock("MUG-01") == (5, 2))
            let audits = try await Self.actions(app, "redemption.cancel")
            #expect(audits.count == 1 && audits.first?.actor == "staff:sam")
            #expect(audits.first?.before?.contains("\"status\": \"issued\"") == true)
            #expect(
                audits.first?.after?.contains("\"status\": \"cancelled\"") == true && audits.first?.after?.contains("wrong colour") == true)
            let ledgerActor = try await app.database.query(
                "SELECT actor FROM ledger_entries WHERE member_id = \(member) ORDER BY id DESC LIMIT 1", logger: TestDatabase.logger)
            for try await actor in ledgerActor.decode(String?.self) { #expect(actor == "staff:sam") }
            let after = try await browser.get("/console/rewards/redemptions/\(id)")
            // The language chosen above (English) stays with the browser.
            #expect(!Browser.text(after).contains("/cancel\"") && Browser.text(after).contains("badge bad\">cancelled"))

            // Twice: refused with its message, nothing changes.
            let snapshot = try await RedemptionSnapshot(app)
            let again = try await browser.submit(
                "/console/rewards/redemptions/\(id)/cancel", from: "/console/rewards/redemptions", form: ["reason": "again"])
            #expect(again.status == .conflict && Browser.text(again).contains("This redemption was cancelled already."))
            #expect(try await RedemptionSnapshot(app) == snapshot)
            let filtered = try await browser.get("/console/rewards/redemptions?status=cancelled&format=csv")
            #expect(Browser.text(filtered).split(separator: "\r\n").count == 2)
        }
    }

    @Test("viewers and marketers may not cancel a redemption: 403 by form, no button")
    func cancelRoles() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(Self.mug)
            let (_, ids) = try await Self.redeemed(app)
            let id = ids[0].uuidString.lowercased()
            for role in [StaffRole.viewer, .marketer, .packaging] {
                var browser = try await app.consoleBrowser(role)
                let detail = try await browser.get("/console/rewards/redemptions/\(id)")
                #expect(detail.status == .ok && !Browser.text(detail).contains("/cancel\""))
                let before = try await RedemptionSnapshot(app)
                let refused = try await browser.submit(
                    "/console/rewards/redemptions/\(id)/cancel", from: "/console/rewards/redemptions", form: ["reason": "no"])
                #expect(refused.status == .forbidden)
                #expect(try await RedemptionSnapshot(app) == before)
            }
        }
    }
}
