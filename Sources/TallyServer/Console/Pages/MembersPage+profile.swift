import Foundation
import Hummingbird
import TallyCore

/// `/console/members/{id}`: the profile, its rollups, identities, redemptions and ledger, and
/// the forms of the actions the staff member's role may do. Each table is also CSV
/// (`?format=csv&table=ledger|redemptions|identities|channels|regions|products`).
extension MembersPage {
    static let ledgerPage = 50
    static let redemptionsPage = 20
    /// The most rows one CSV holds.
    static let csvRows = 10_000

    func profile(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let id = try memberID(console)
        switch try await directory.profile(of: id) {
        case .merged(let survivor):
            let to = survivor.uuidString.lowercased()
            let body: HTML = """
                <div class="notice warn" role="status">\(lang("此会员已合并到", "This member was merged into")) \
                <a href="/console/members/\(to)">\(to)</a>\(lang("。积分、身份和记录都在该会员名下。",
                    ". Its points, identities and history are that member's now."))</div>
                """
            return console.page(.members, title: lang("会员 ", "Member ") + id.uuidString.lowercased(), body)
        case .member(let profile):
            return try await show(profile, console)
        }
    }

    private func show(_ profile: MemberProfile, _ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let id = profile.id.uuidString.lowercased()
        let path = "/console/members/\(id)"
        let csv = console.wantsCSV
        // The ledger: a kind filter and pages by entry id, as the API's.
        let kind = console.query("kind")
        if let kind, !LedgerFilter.kinds.contains(kind) {
            throw StoreError(
                .invalid, .invalidKind, lang("记录类型应为：", "kind is one of ") + LedgerFilter.kinds.sorted().joined(separator: ", "))
        }
        let before = console.query("before").flatMap { Int64($0) }
        guard
            case .member(let entries) = try await ledger.entries(
                of: profile.id, LedgerFilter(before: before, kind: kind, limit: csv ? Self.csvRows : Self.ledgerPage))
        else { throw StoreError(.conflict, .memberMerged, lang("此会员刚被合并。", "This member was just merged.")) }
        let redemptionsBefore = console.query("redemptions_before").flatMap { Int64($0) }
        let (items, nextRedemptions) = try await redemptions.list(
            member: profile.id, before: redemptionsBefore, limit: csv ? RedemptionStore.maxPageSize : Self.redemptionsPage)

        let tables: [(String, ConsoleTable)] = [
            ("channels", counts(profile.claimsByChannel, caption: lang("按渠道领取", "Claims by channel"), key: lang("渠道", "Channel"), lang)),
            ("regions", counts(profile.claimsByRegion, caption: lang("按地区领取", "Claims by region"), key: lang("地区", "Region"), lang)),
            ("products", products(profile, lang)),
            ("identities", identities(profile, console)),
            ("redemptions", redemptionTable(items, console)),
            ("ledger", ledgerTable(entries, lang)),
        ]
        if csv {
            let name = console.query("table") ?? "ledger"
            guard let table = tables.first(where: { $0.0 == name })?.1 else {
                throw StoreError(.invalid, .invalidKind, lang("没有这个表格：", "No such table: ") + name)
            }
            return console.csv(table, name: "member-\(id.prefix(8))-\(name)")
        }
        func tableHTML(_ name: String) -> HTML {
            let table = tables.first { $0.0 == name }!.1
            let url = ConsoleURL.make(
                path,
                [
                    ("kind", name == "ledger" ? kind : nil), ("before", name == "ledger" ? before.map(String.init) : nil),
                    ("redemptions_before", name == "redemptions" ? redemptionsBefore.map(String.init) : nil), ("format", "csv"),
                    ("table", name),
                ])
            return table.html(csvURL: url, lang: lang)
        }

        var body: HTML = facts(profile, lang)
        body += "<h2>\(lang("领取统计", "Claims"))</h2><div class=\"side\">\(tableHTML("channels"))\(tableHTML("regions"))</div>"
        body += tableHTML("products")
        body += "<h2 id=\"identities\">\(lang("身份", "Identities"))</h2>" + tableHTML("identities")
        if console.may(.editMembers) { body += actionForms(profile, console) }
        body += "<h2 id=\"redemptions\">\(lang("兑换", "Redemptions"))</h2>" + tableHTML("redemptions")
        if let nextRedemptions {
            let url = ConsoleURL.make(path, [("redemptions_before", String(nextRedemptions))]) + "#redemptions"
            body += "<p><a href=\"\(url)\">\(lang("更早的兑换", "Older redemptions"))</a></p>"
        }
        body += "<h2 id=\"ledger\">\(lang("积分明细", "Ledger"))</h2>"
        let kinds = [("", lang("全部", "All"))] + LedgerFilter.kinds.sorted().map { ($0, Self.kindName($0, lang)) }
        body += """
            <form class="inline card" method="get" action="\(path)#ledger">
            \(ConsoleForm.select(lang("类型", "Kind"), name: "kind", options: kinds, selected: kind ?? ""))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        body += tableHTML("ledger")
        if entries.count == Self.ledgerPage, let last = entries.last {
            let url = ConsoleURL.make(path, [("kind", kind), ("before", String(last.id))]) + "#ledger"
            body += "<p><a href=\"\(url)\">\(lang("更早的记录", "Older entries"))</a></p>"
        }
        return console.page(.members, title: lang("会员 ", "Member ") + id, body)
    }

    private func facts(_ profile: MemberProfile, _ lang: ConsoleLanguage) -> HTML {
        func number(_ value: Int64) -> String { ConsoleFormat.number(value) }
        var merged: HTML = ""
        for absorbed in profile.mergedFrom {
            let text = absorbed.uuidString.lowercased()
            merged += "<a href=\"/console/members/\(text)\">\(text)</a> "
        }
        let phones = Self.phones(of: profile)
        let mergedRow: HTML =
            profile.mergedFrom.isEmpty ? "" : "<dt>\(lang("已并入的会员", "Merged into this one"))</dt><dd>\(merged)</dd>"
        return """
            <div class="grid">
            <div class="metric"><div class="label">\(lang("余额", "Balance"))</div><div class="value">\(number(profile.balance))</div></div>
            <div class="metric"><div class="label">\(lang("等级", "Tier"))</div><div class="value">\(profile.tier ?? "—")</div></div>
            <div class="metric"><div class="label">\(lang("领取次数", "Claims"))</div><div class="value">\(number(profile.claims))</div></div>
            <div class="metric"><div class="label">\(lang("30 天内过期", "Expiring in 30 days"))</div><div class="value">\(number(profile.expiring.next30Days))</div></div>
            </div>
            <div class="card"><dl class="facts">
            <dt>\(lang("会员 ID", "Member ID"))</dt><dd>\(profile.id.uuidString.lowercased())</dd>
            <dt>\(lang("手机号", "Phone"))</dt><dd>\(phones.isEmpty ? "—" : phones.joined(separator: ", "))</dd>
            <dt>\(lang("累计获得", "Lifetime earned"))</dt><dd>\(number(profile.lifetimeEarned))</dd>
            <dt>\(lang("累计兑换", "Lifetime redeemed"))</dt><dd>\(number(profile.lifetimeRedeemed))</dd>
            <dt>\(lang("累计过期", "Lifetime expired"))</dt><dd>\(number(profile.lifetimeExpired))</dd>
            <dt>\(lang("即将过期", "Expiring"))</dt><dd>\(lang("30 天", "30 days")) \(number(profile.expiring.next30Days)) · \
            \(lang("60 天", "60 days")) \(number(profile.expiring.next60Days)) · \(lang("90 天", "90 days")) \(number(profile.expiring.next90Days))</dd>
            <dt>\(lang("首次扫码", "First scan"))</dt><dd>\(ConsoleFormat.time(profile.firstScanAt, lang: lang))</dd>
            <dt>\(lang("最近扫码", "Last scan"))</dt><dd>\(ConsoleFormat.time(profile.lastScanAt, lang: lang))</dd>
            <dt>\(lang("注册时间", "Joined"))</dt><dd>\(ConsoleFormat.time(profile.createdAt, lang: lang))</dd>
            \(mergedRow)
            </dl></div>
            """
    }

    private func counts(_ counts: [String: Int64], caption: String, key: String, _ lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: caption, columns: [.init(key), .init(lang("领取次数", "Claims"), numeric: true)],
            rows: counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { [.init($0.key), .init($0.value)] },
            empty: lang("暂无领取。", "No claims yet."))
    }

    private func products(_ profile: MemberProfile, _ lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("按产品领取", "Claims by product"),
            columns: [.init("SKU"), .init(lang("产品", "Product")), .init(lang("领取次数", "Claims"), numeric: true)],
            rows: profile.claimsByProduct.map { [.init($0.sku), .init($0.name), .init($0.claims)] },
            empty: lang("暂无领取。", "No claims yet."))
    }

    private func identities(_ profile: MemberProfile, _ console: ConsoleRequest) -> ConsoleTable {
        let lang = console.lang
        let id = profile.id.uuidString.lowercased()
        let mayEdit = console.may(.editMembers)
        return ConsoleTable(
            caption: lang("已绑定的身份", "Linked identities"),
            columns: [.init(lang("渠道", "Channel")), .init(lang("渠道用户 ID", "External ID")), .init(lang("绑定时间", "Linked"))]
                + (mayEdit ? [.init(lang("操作", "Action"))] : []),
            rows: profile.identities.map { identity in
                var row: [ConsoleTable.Cell] = [
                    .init(identity.channel), .init(identity.externalId), .init(ConsoleFormat.time(identity.linkedAt, lang: lang)),
                ]
                if mayEdit {
                    row.append(
                        .init(
                            "",
                            html: """
                                <form method="post" action="/console/members/\(id)/unlink">\(ConsoleForm.csrfField(console.csrf))\
                                <input type="hidden" name="channel" value="\(identity.channel)">\
                                <input type="hidden" name="external_id" value="\(identity.externalId)">\
                                <button type="submit" class="secondary" aria-label="\(lang("解绑", "Unlink")) \(identity.channel) \(identity.externalId)">\
                                \(lang("解绑", "Unlink"))</button></form>
                                """))
                }
                return row
            },
            empty: lang("没有身份。", "No identities."))
    }

    private func redemptionTable(_ items: [Redemption], _ console: ConsoleRequest) -> ConsoleTable {
        let lang = console.lang
        let mayCancel = console.may(.cancelRedemptions)
        let now = Date()
        return ConsoleTable(
            caption: lang("兑换记录", "Redemptions"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("礼品", "Reward")), .init(lang("数量", "Quantity"), numeric: true),
                .init(lang("积分", "Points"), numeric: true), .init(lang("券码", "Voucher")), .init(lang("渠道", "Channel")),
                .init(lang("状态", "Status")), .init(lang("可取消至", "Cancellable until")),
            ] + (mayCancel ? [.init(lang("操作", "Action"))] : []),
            rows: items.map { item in
                var row: [ConsoleTable.Cell] = [
                    .init(ConsoleFormat.time(item.createdAt, lang: lang)), .init("\(item.reward) \(item.rewardName)"), .init(item.quantity),
                    .init(item.points), .init(item.voucher), .init(item.channel),
                    .init(item.status == "cancelled" ? lang("已取消", "Cancelled") : lang("已兑换", "Issued")),
                    .init(item.cancellableUntil.map { ConsoleFormat.time($0, lang: lang) } ?? ""),
                ]
                if mayCancel {
                    if item.status == "issued", let until = item.cancellableUntil, until > now {
                        let action =
                            "/console/members/\(item.memberId.uuidString.lowercased())/redemptions/\(item.id.uuidString.lowercased())/cancel"
                        row.append(
                            .init(
                                "",
                                html: """
                                    <form class="inline" method="post" action="\(action)">\(ConsoleForm.csrfField(console.csrf))\
                                    \(ConsoleForm.field(lang("原因", "Reason"), name: "reason", required: true))\
                                    <button type="submit" class="danger">\(lang("取消兑换", "Cancel redemption"))</button></form>
                                    """))
                    } else {
                        row.append(.init(""))
                    }
                }
                return row
            },
            empty: lang("没有兑换。", "No redemptions."))
    }

    private func ledgerTable(_ entries: [LedgerEntry], _ lang: ConsoleLanguage) -> ConsoleTable {
        ConsoleTable(
            caption: lang("积分明细（新的在前）", "Ledger (newest first)"),
            columns: [
                .init("#", numeric: true), .init(lang("时间", "Time")), .init(lang("类型", "Kind")), .init(lang("积分", "Points"), numeric: true),
                .init(lang("变动后余额", "Balance after"), numeric: true), .init(lang("码", "Code")), .init(lang("原因", "Reason")),
                .init(lang("操作人", "By")), .init(lang("活动", "Campaign")),
            ],
            rows: entries.map { entry in
                [
                    .init(entry.id), .init(ConsoleFormat.time(entry.createdAt, lang: lang)), .init(Self.kindName(entry.kind, lang)),
                    .init(entry.points), .init(entry.balanceAfter),
                    .init(entry.codeSerial.map { serial in entry.codeKid.map { "\($0):\(serial)" } ?? String(serial) } ?? ""),
                    .init(entry.reason ?? ""), .init(entry.actor ?? ""),
                    .init(entry.campaignId.map { id in entry.campaignVersion.map { "\(id) v\($0)" } ?? String(id) } ?? ""),
                ]
            },
            empty: lang("没有记录。", "No entries."))
    }

    static func kindName(_ kind: String, _ lang: ConsoleLanguage) -> String {
        switch kind {
        case "claim": lang("扫码领取", "Claim")
        case "campaign": lang("活动奖励", "Campaign award")
        case "redemption": lang("兑换", "Redemption")
        case "redemption_cancel": lang("取消兑换", "Redemption cancelled")
        case "adjustment": lang("人工调整", "Adjustment")
        case "expiry": lang("过期", "Expiry")
        case "merge_in": lang("合并转入", "Merged in")
        case "merge_out": lang("合并转出", "Merged out")
        default: kind
        }
    }

    /// Adjust, link and start a merge: shown only to those who may (`editMembers`).
    private func actionForms(_ profile: MemberProfile, _ console: ConsoleRequest) -> HTML {
        let lang = console.lang
        let path = "/console/members/\(profile.id.uuidString.lowercased())"
        return """
            <h2>\(lang("操作", "Actions"))</h2>
            <div class="side">
            <form class="card" method="post" action="\(path)/adjust">\(ConsoleForm.csrfField(console.csrf))
            <h3>\(lang("调整积分", "Adjust points"))</h3>
            \(ConsoleForm.field(lang("积分（负数为扣减）", "Points (negative to debit)"), name: "points", type: "number", required: true, extra: "step=\"1\""))
            \(ConsoleForm.field(lang("原因", "Reason"), name: "reason", required: true, extra: "maxlength=\"500\""))
            <p><button type="submit">\(lang("调整", "Adjust"))</button></p>
            </form>
            <form class="card" method="post" action="\(path)/link">\(ConsoleForm.csrfField(console.csrf))
            <h3>\(lang("绑定身份", "Link an identity"))</h3>
            \(ConsoleForm.field(lang("渠道", "Channel"), name: "channel", required: true, extra: "placeholder=\"wechat_unionid\""))
            \(ConsoleForm.field(lang("渠道用户 ID（手机号任意写法）", "External ID (a phone in any typing)"), name: "external_id", required: true))
            <p><button type="submit">\(lang("绑定", "Link"))</button></p>
            </form>
            <form class="card" method="get" action="\(path)/merge">
            <h3>\(lang("合并会员", "Merge a member"))</h3>
            <p>\(lang("把另一个会员并入此会员：下一步会并排显示两人，确认后才合并。", "Merge another member into this one: the next step shows both side by side; nothing is merged until you confirm."))</p>
            \(ConsoleForm.field(lang("要并入的会员 ID", "Member ID to merge in"), name: "absorb", required: true))
            <p><button type="submit" class="secondary">\(lang("对比", "Compare"))</button></p>
            </form>
            </div>
            """
    }
}
