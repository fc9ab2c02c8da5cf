import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console members: search, profile, ledger, adjust, link, unlink, merge, cancel a redemption, roles")
struct MembersPageTests {
    @Test("search finds a member by phone in any usual typing, by channel identity and by id; CSV has the same rows")
    func search() async throws {
        try await TestApp.run { app in
            let member = try await app.newMember(phone: "13800138000")
            _ = try await IdentityLinks(database: app.database, logger: TestDatabase.logger).link(
                Identity(channel: "wechat_unionid", externalId: "wx-1"), to: member)
            try await app.credit(member, 120)
            let id = member.uuidString.lowercased()
            var browser = try await app.consoleBrowser(.viewer)

            for typed in ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 138 0013 8000"] {
                let page = try await browser.get("/console/members?q=" + Self.encoded(typed))
                let text = Browser.text(page)
                #expect(page.status == .ok, "\(typed)")
                #expect(text.contains("/console/members/\(id)"), "\(typed) found no member")
                // Staff see the whole number.
                #expect(text.contains("+8613800138000") && text.contains(">120<"), "\(typed)")
            }
            let byIdentity = Browser.text(try await browser.get("/console/members?channel=wechat_unionid&external_id=wx-1"))
            #expect(byIdentity.contains("/console/members/\(id)"))
            let byID = Browser.text(try await browser.get("/console/members?q=\(id.uppercased())"))
            #expect(byID.contains("/console/members/\(id)"))

            let nobody = try await browser.get("/console/members?q=13900139000")
            #expect(nobody.status == .ok)
            #expect(Browser.text(nobody).contains("没有找到会员") && !Browser.text(nobody).contains(id))
            let unknownID = Browser.text(try await browser.get("/console/members?q=\(UUID().uuidString)"))
            #expect(unknownID.contains("没有找到会员"))
            let unknownIdentity = Browser.text(try await browser.get("/console/members?channel=wechat_unionid&external_id=wx-9"))
            #expect(unknownIdentity.contains("没有找到会员"))
            let notAPhone = try await browser.get("/console/members?q=12345")
            #expect(notAPhone.status == .unprocessableContent)
            #expect(Browser.text(notAPhone).contains("not a valid mobile number"))

            let csv = try await browser.get("/console/members?q=\(Self.encoded("138 0013 8000"))&format=csv")
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = Self.csvLines(csv)
            #expect(lines.count == 2)
            // (A CSV field starting with + gets a ' so that a spreadsheet does not read it as a formula.)
            #expect(lines.last?.hasPrefix("\(id),'+8613800138000,,120,0,") == true, "\(lines)")
            let empty = Self.csvLines(try await browser.get("/console/members?q=13900139000&format=csv"))
            #expect(empty.count == 1)
        }
    }

    @Test("the profile shows balance, rollups, identities, redemptions and ledger in Chinese and English; the ledger pages and exports")
    func profile() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "wx-1", phone: "13800138000")
            try await app.claimAsMember(batch, 1, externalID: "wx-1")
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 5, "stock": 10}"#)
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#).status == .created)
            let id = member.uuidString.lowercased()

            var zh = try await app.consoleBrowser(.viewer)
            let chinese = try await zh.get("/console/members/\(id)")
            let text = Browser.text(chinese)
            #expect(chinese.status == .ok)
            for expected in [
                "余额", ">15<", "按渠道领取", "RICE-5KG", "wechat_unionid", "wx-1", "+8613800138000", "兑换记录", "Tally mug", "扫码领取", "积分明细",
            ] {
                #expect(text.contains(expected), "zh profile lacks \(expected)")
            }
            var en = try await app.consoleBrowser(.viewer, language: "en")
            let english = Browser.text(try await en.get("/console/members/\(id)"))
            for expected in ["Balance", "Claims by channel", "Claims by product", "Linked identities", "Redemptions", "Ledger", "Claim"] {
                #expect(english.contains(expected), "en profile lacks \(expected)")
            }
            #expect(english.contains("lang=\"en\""))

            let ledger = Self.csvLines(try await en.get("/console/members/\(id)?format=csv&table=ledger"))
            try #require(ledger.count == 4, "\(ledger)") // header, the redemption, two claims
            #expect(ledger.first?.hasPrefix("#,Time,Kind,Points") == true)
            #expect(ledger[1].contains("Redemption,-5,15"))
            let claims = Self.csvLines(try await en.get("/console/members/\(id)?format=csv&table=ledger&kind=claim"))
            #expect(claims.count == 3)
            let second = try Self.firstColumn(ledger[2])
            let older = Self.csvLines(try await en.get("/console/members/\(id)?format=csv&table=ledger&before=\(second)"))
            #expect(older.count == 2)
            let redemptions = Self.csvLines(try await en.get("/console/members/\(id)?format=csv&table=redemptions"))
            #expect(redemptions.count == 2 && redemptions[1].contains("MUG Tally mug"))
            let products = Self.csvLines(try await en.get("/console/members/\(id)?format=csv&table=products"))
            #expect(products == ["SKU,Product,Claims", "RICE-5KG,Rice 5 kg,2"])
            #expect(try await en.get("/console/members/\(id)?kind=nonsense").status == .unprocessableContent)
            #expect(try await en.get("/console/members/\(UUID().uuidString)").status == .notFound)
            #expect(try await en.get("/console/members/not-an-id").status == .notFound)
        }
    }

    @Test("customer service adjusts points up and down; an overdraft or an empty reason is refused and changes nothing")
    func adjust() async throws {
        try await TestApp.run { app in
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            let path = "/console/members/\(member.uuidString.lowercased())"
            var browser = try await app.consoleBrowser(.service)
            #expect(Browser.text(try await browser.get(path)).contains("action=\"\(path)/adjust\""))

            let credit = try await browser.submit("\(path)/adjust", from: path, form: ["points": "50", "reason": "goodwill"])
            #expect(credit.status == .seeOther && credit.headers[.location] == path)
            #expect(try await app.balance(member) == 150)
            #expect(Browser.text(try await browser.get(path)).contains("已调整 50 积分"))
            let debit = try await browser.submit("\(path)/adjust", from: path, form: ["points": "-30", "reason": "correction"])
            #expect(debit.status == .seeOther)
            #expect(try await app.balance(member) == 120)
            let records = try await Self.audit(app, "member.adjust")
            #expect(records.count == 2)
            #expect(records.first?.target == "member:\(member.uuidString.lowercased())")
            #expect(records.first?.before?.contains("\"balance\": 100") == true, "\(records)")
            #expect(records.first?.after?.contains("\"balance\": 150") == true && records.first?.after?.contains("goodwill") == true)
            #expect(records.last?.after?.contains("\"points\": -30") == true)

            let before = try await app.snapshot()
            let audited = try await app.count("staff_audit")
            let overdraft = try await browser.submit("\(path)/adjust", from: path, form: ["points": "-1000", "reason": "too much"])
            #expect(overdraft.status == .unprocessableContent)
            #expect(Browser.text(overdraft).contains("the member has 120 points, fewer than the 1000 to debit"))
            #expect(Browser.text(overdraft).contains("没有做任何更改"))
            for form in [
                ["points": "10", "reason": "  "], ["points": "10"], ["points": "ten", "reason": "x"], ["points": "0", "reason": "x"],
            ] {
                let refused = try await browser.submit("\(path)/adjust", from: path, form: form)
                #expect(refused.status == .unprocessableContent, "\(form)")
            }
            #expect(try await app.snapshot() == before)
            #expect(try await app.count("staff_audit") == audited)
        }
    }

    @Test("link and unlink identities, audited; an identity another member holds and the last identity are refused")
    func linkAndUnlink() async throws {
        try await TestApp.run { app in
            let member = try await app.newMember(phone: "13800138000")
            let other = try await app.newMember(phone: "13900139000")
            let path = "/console/members/\(member.uuidString.lowercased())"
            var browser = try await app.consoleBrowser(.service)

            let linked = try await browser.submit("\(path)/link", from: path, form: ["channel": "wechat_unionid", "external_id": "wx-7"])
            #expect(linked.status == .seeOther)
            let phone = try await browser.submit("\(path)/link", from: path, form: ["channel": "phone", "external_id": "137 0013 7000"])
            #expect(phone.status == .seeOther)
            #expect(try await app.int64("SELECT count(*) FROM member_identities WHERE member_id = '\(member)'") == 3)
            #expect(try await app.int64("SELECT count(*) FROM member_identities WHERE external_id = '+8613700137000'") == 1)
            let links = try await Self.audit(app, "member.link")
            #expect(links.count == 2)
            #expect(links.first?.after?.contains("wechat_unionid:wx-7") == true && links.first?.before?.contains("wx-7") == false)

            let before = try await app.snapshot()
            let audited = try await app.count("staff_audit")
            let taken = try await browser.submit("\(path)/link", from: path, form: ["channel": "phone", "external_id": "139-0013-9000"])
            #expect(taken.status == .conflict)
            #expect(Browser.text(taken).contains("belongs to member \(other.uuidString.lowercased())"))
            let badChannel = try await browser.submit("\(path)/link", from: path, form: ["channel": "WeChat!", "external_id": "x"])
            #expect(badChannel.status == .unprocessableContent)
            let lastOne = try await browser.submit(
                "/console/members/\(other.uuidString.lowercased())/unlink", from: path,
                form: ["channel": "phone", "external_id": "+8613900139000"])
            #expect(lastOne.status == .conflict)
            let notHeld = try await browser.submit("\(path)/unlink", from: path, form: ["channel": "tmall", "external_id": "t-1"])
            #expect(notHeld.status == .notFound)
            #expect(try await app.snapshot() == before)
            #expect(try await app.count("staff_audit") == audited)

            let page = Browser.text(try await browser.get(path))
            #expect(page.contains("action=\"\(path)/unlink\""))
            let unlinked = try await browser.submit(
                "\(path)/unlink", from: path, form: ["channel": "wechat_unionid", "external_id": "wx-7"])
            #expect(unlinked.status == .seeOther)
            #expect(try await app.int64("SELECT count(*) FROM member_identities WHERE member_id = '\(member)'") == 2)
            let unlinks = try await Self.audit(app, "member.unlink")
            #expect(
                unlinks.count == 1 && unlinks.first?.before?.contains("wx-7") == true && unlinks.first?.after?.contains("wx-7") == false)
        }
    }

    @Test("a merge is confirmed on a page showing both members; only the confirm merges, audited; self and merged members refused")
    func merge() async throws {
        try await TestApp.run { app in
            let survivor = try await app.newMember(phone: "13800138000")
            let absorbed = try await app.newMember(phone: "13900139000")
            let third = try await app.newMember(phone: "13700137000")
            try await app.credit(survivor, 100)
            try await app.credit(absorbed, 40)
            let (s, a) = (survivor.uuidString.lowercased(), absorbed.uuidString.lowercased())
            let path = "/console/members/\(s)"
            var browser = try await app.consoleBrowser(.service, language: "en")

            let before = try await app.snapshot()
            let confirm = try await browser.get("\(path)/merge?absorb=\(a)")
            let text = Browser.text(confirm)
            #expect(confirm.status == .ok)
            for expected in [
                s, a, "+8613800138000", "+8613900139000", ">100<", ">40<", ">140<", "Confirm the merge", "name=\"absorb\" value=\"\(a)\"",
            ] {
                #expect(text.contains(expected), "the confirmation lacks \(expected)")
            }
            #expect(try await app.snapshot() == before)

            let audited = try await app.count("staff_audit")
            #expect(try await browser.get("\(path)/merge?absorb=\(s)").status == .unprocessableContent)
            #expect(try await browser.get("\(path)/merge?absorb=nobody").status == .unprocessableContent)
            let itself = try await browser.submit("\(path)/merge", from: path, form: ["absorb": s, "reason": "same person"])
            #expect(itself.status == .unprocessableContent && Browser.text(itself).contains("cannot be merged into itself"))
            let noReason = try await browser.submit("\(path)/merge", from: path, form: ["absorb": a])
            #expect(noReason.status == .unprocessableContent)
            #expect(try await app.snapshot() == before)
            #expect(try await app.count("staff_audit") == audited)

            let merged = try await browser.submit(
                "\(path)/merge", from: "\(path)/merge?absorb=\(a)", form: ["absorb": a, "reason": "same person"])
            #expect(merged.status == .seeOther && merged.headers[.location] == path)
            #expect(try await app.balance(survivor) == 140)
            #expect(try await app.int64("SELECT count(*) FROM members WHERE id = '\(absorbed)' AND merged_into = '\(survivor)'") == 1)
            let records = try await Self.audit(app, "member.merge")
            #expect(records.count == 1)
            #expect(
                records.first?.before?.contains("+8613900139000") == true && records.first?.after?.contains("\"points_moved\": 40") == true)

            // The member merged away shows where it went; nothing can be merged into or out of it.
            let gone = try await browser.get("/console/members/\(a)")
            #expect(gone.status == .ok && Browser.text(gone).contains("merged into") && Browser.text(gone).contains("href=\"\(path)\""))
            let after = try await app.snapshot()
            let t = third.uuidString.lowercased()
            #expect(try await browser.get("/console/members/\(a)/merge?absorb=\(t)").status == .conflict)
            let intoMerged = try await browser.submit(
                "/console/members/\(a)/merge", from: path, form: ["absorb": t, "reason": "into a merged one"])
            #expect(intoMerged.status == .conflict && Browser.text(intoMerged).contains("was merged into"))
            let mergedAgain = try await browser.submit("/console/members/\(t)/merge", from: path, form: ["absorb": a, "reason": "again"])
            #expect(mergedAgain.status == .conflict)
            let adjustMerged = try await browser.submit("/console/members/\(a)/adjust", from: path, form: ["points": "5", "reason": "x"])
            #expect(adjustMerged.status == .conflict)
            #expect(try await app.snapshot() == after)
            #expect(try await Self.audit(app, "member.merge").count == 1)
        }
    }

    @Test("a redemption is cancelled with a reason, audited; cancelling again is refused")
    func cancelRedemption() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 30, "stock": 10}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            let redemption = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            let path = "/console/members/\(member.uuidString.lowercased())"
            let action = "\(path)/redemptions/\(redemption.id.uuidString.lowercased())/cancel"
            var browser = try await app.consoleBrowser(.service)
            #expect(Browser.text(try await browser.get(path)).contains("action=\"\(action)\""))

            let noReason = try await browser.submit(action, from: path, form: [:])
            #expect(noReason.status == .unprocessableContent)
            #expect(try await app.balance(member) == 70)
            let cancelled = try await browser.submit(action, from: path, form: ["reason": "customer asked"])
            #expect(cancelled.status == .seeOther)
            #expect(try await app.balance(member) == 100)
            let records = try await Self.audit(app, "redemption.cancel")
            #expect(records.count == 1 && records.first?.target == "redemption:\(redemption.id.uuidString.lowercased())")
            #expect(records.first?.before?.contains("\"issued\"") == true && records.first?.after?.contains("\"cancelled\"") == true)
            #expect(!Browser.text(try await browser.get(path)).contains("action=\"\(action)\""))

            let again = try await browser.submit(action, from: path, form: ["reason": "again"])
            #expect(again.status == .conflict && Browser.text(again).contains("此兑换已经取消过"))
            #expect(try await app.balance(member) == 100)
            #expect(try await Self.audit(app, "redemption.cancel").count == 1)
        }
    }

    @Test("a viewer sees no action and gets 403 for every action, by form and by URL; nothing changes")
    func viewerMayNotAct() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 30, "stock": 10}"#)
            let member = try await app.newMember(phone: "13800138000")
            let other = try await app.newMember(phone: "13900139000")
            try await app.credit(member, 100)
            let redemption = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            let path = "/console/members/\(member.uuidString.lowercased())"
            var viewer = try await app.consoleBrowser(.viewer)
            let page = Browser.text(try await viewer.get(path))
            for hidden in ["/adjust", "/link", "/unlink", "/merge", "/cancel", "调整积分", "确认合并"] {
                #expect(!page.contains(hidden), "a viewer is shown \(hidden)")
            }
            let before = try await app.snapshot()
            let audited = try await app.count("staff_audit")
            let o = other.uuidString.lowercased()
            let forms: [(String, [String: String])] = [
                ("\(path)/adjust", ["points": "10", "reason": "x"]),
                ("\(path)/link", ["channel": "wechat_unionid", "external_id": "wx-1"]),
                ("\(path)/unlink", ["channel": "phone", "external_id": "+8613800138000"]),
                ("\(path)/merge", ["absorb": o, "reason": "x"]),
                ("\(path)/redemptions/\(redemption.id.uuidString.lowercased())/cancel", ["reason": "x"]),
            ]
            for (action, form) in forms {
                let refused = try await viewer.submit(action, from: path, form: form)
                #expect(refused.status == .forbidden, "\(action)")
                #expect(Browser.text(refused).contains("没有做任何更改"))
            }
            #expect(try await viewer.get("\(path)/merge?absorb=\(o)").status == .forbidden)
            #expect(try await app.snapshot() == before)
            #expect(try await app.balance(member) == 70)
            #expect(try await app.count("staff_audit") == audited)

            // Customer service sees the actions; a marketer does not.
            var service = try await app.consoleBrowser(.service)
            let served = Browser.text(try await service.get(path))
            for shown in ["/adjust", "/link", "/unlink", "/merge", "/cancel"] { #expect(served.contains(shown), "service lacks \(shown)") }
            var marketer = try await app.consoleBrowser(.marketer)
            #expect(!Browser.text(try await marketer.get(path)).contains("/adjust"))
            #expect(try await marketer.submit("\(path)/adjust", from: path, form: ["points": "10", "reason": "x"]).status == .forbidden)
        }
    }

    // MARK: helpers

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// A CSV download's lines (without the byte-order mark and the final CRLF).
    static func csvLines(_ page: Page) -> [String] {
        var text = Browser.text(page)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    static func firstColumn(_ line: String) throws -> String {
        try #require(line.split(separator: ",").first.map(String.init))
    }

    struct AuditRecord {
        let target: String?
        let before: String?
        let after: String?
    }

    /// The audit log's records of `action`, oldest first (before and after as jsonb prints them).
    static func audit(_ app: TestApp, _ action: String) async throws -> [AuditRecord] {
        let rows = try await app.database.query(
            "SELECT target, before::text, after::text FROM staff_audit WHERE action = \(action) ORDER BY id", logger: TestDatabase.logger)
        var records: [AuditRecord] = []
        for try await (target, before, after) in rows.decode((String?, String?, String?).self) {
            records.append(AuditRecord(target: target, before: before, after: after))
        }
        return records
    }
}
