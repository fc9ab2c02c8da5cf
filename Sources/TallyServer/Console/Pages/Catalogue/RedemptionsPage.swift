import Foundation
import Hummingbird
import TallyCore

/// `/console/rewards/redemptions`: all members' recent redemptions, filtered by reward, status,
/// member and dates, as a table and CSV; one redemption's page, and cancelling it with a reason
/// (`cancelRedemptions`) through `RedemptionStore.cancel`, as the API does, audited.
struct RedemptionsPage {
    static let pageSize = 100

    let redemptions: RedemptionStore
    let audit: StaffAudit

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/rewards/redemptions", .rewards, .viewCatalogue) { console in try await list(console) }
        routes.page("/console/rewards/redemptions/{id}", .rewards, .viewCatalogue) { console in try await show(console) }
        routes.action("/console/rewards/redemptions/{id}/cancel", .rewards, .cancelRedemptions) { console, form in
            try await cancel(console, form)
        }
    }

    private func list(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let from = ConsoleFormat.parseDay(console.query("from"))
        let to = ConsoleFormat.parseDay(console.query("to")).map { $0.addingTimeInterval(24 * 3600) }
        if console.query("from") != nil && from == nil || console.query("to") != nil && to == nil {
            throw StoreError(.invalid, .invalidFrom, lang("日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."))
        }
        var member: UUID?
        if let text = console.query("member") {
            guard let id = UUID(uuidString: text) else {
                throw StoreError(.invalid, .memberNotFound, lang("会员应填写会员 ID。", "Member is a member id (a UUID)."))
            }
            member = id
        }
        let filter = RedemptionFilter(reward: console.query("reward"), status: console.query("status"), member: member, from: from, to: to)
        let before = console.query("before").flatMap { Int64($0) }
        let (items, next) = try await redemptions.search(filter, before: before, limit: Self.pageSize)
        let table = ConsoleTable(
            caption: lang("兑换记录", "Redemptions"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("礼品", "Reward")), .init(lang("会员", "Member")),
                .init(lang("数量", "Quantity"), numeric: true), .init(lang("积分", "Points"), numeric: true), .init(lang("兑换码", "Voucher")),
                .init(lang("渠道", "Channel")), .init(lang("状态", "Status")), .init(lang("取消时间", "Cancelled")),
            ],
            rows: items.map { redemption -> [ConsoleTable.Cell] in
                let detail = "/console/rewards/redemptions/\(redemption.id.uuidString.lowercased())"
                return [
                    .link(ConsoleFormat.time(redemption.createdAt, lang: lang), to: detail),
                    .init(redemption.reward, html: "\(redemption.reward) · \(redemption.rewardName)"),
                    .init(redemption.memberId.uuidString.lowercased()), .init(redemption.quantity), .init(redemption.points),
                    .init(redemption.voucher), .init(redemption.channel), Self.status(redemption, lang),
                    .init(redemption.cancelledAt.map { ConsoleFormat.time($0, lang: lang) } ?? ""),
                ]
            },
            empty: lang("没有符合条件的兑换。", "No redemptions match."))
        if console.wantsCSV { return console.csv(table, name: "redemptions") }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/rewards/redemptions" role="search">
            \(ConsoleForm.field(lang("礼品 SKU", "Reward SKU"), name: "reward", value: console.query("reward")))
            \(ConsoleForm.select(lang("状态", "Status"), name: "status", options: [("", lang("全部", "All")), ("issued", lang("已兑换", "Issued")), ("cancelled", lang("已取消", "Cancelled"))], selected: console.query("status") ?? ""))
            \(ConsoleForm.field(lang("会员 ID", "Member id"), name: "member", value: console.query("member")))
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: console.query("from"), type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: console.query("to"), type: "date"))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        var more: HTML = ""
        if let next {
            let url = ConsoleURL.make(
                "/console/rewards/redemptions",
                [
                    ("reward", console.query("reward")), ("status", console.query("status")), ("member", console.query("member")),
                    ("from", console.query("from")), ("to", console.query("to")), ("before", String(next)),
                ])
            more = "<p><a href=\"\(url)\">\(lang("更早的兑换", "Older redemptions"))</a></p>"
        }
        let back: HTML = "<p><a href=\"/console/rewards\">\(lang("礼品目录", "Catalogue"))</a></p>"
        return console.page(
            .rewards, title: lang("兑换记录", "Redemptions"), back + filters + table.html(csvURL: console.csvURL, lang: lang) + more)
    }

    private static func status(_ redemption: Redemption, _ lang: ConsoleLanguage) -> ConsoleTable.Cell {
        redemption.status == "cancelled"
            ? .init(redemption.status, html: "<span class=\"badge bad\">\(lang("已取消", "cancelled"))</span>")
            : .init(redemption.status, html: "<span class=\"badge good\">\(lang("已兑换", "issued"))</span>")
    }

    private func redemption(_ console: ConsoleRequest) async throws -> Redemption {
        let text = console.context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw StoreError(.notFound, .redemptionNotFound, "no redemption \(text)") }
        return try await redemptions.get(id: id)
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let redemption = try await redemption(console)
        let id = redemption.id.uuidString.lowercased()
        var body: HTML = """
            <dl class="facts card">
            <dt>\(lang("礼品", "Reward"))</dt><dd>\(redemption.reward) · \(redemption.rewardName)</dd>
            <dt>\(lang("会员", "Member"))</dt><dd>\(redemption.memberId.uuidString.lowercased())</dd>
            <dt>\(lang("数量", "Quantity"))</dt><dd>\(redemption.quantity)</dd>
            <dt>\(lang("积分", "Points"))</dt><dd>\(redemption.points)</dd>
            <dt>\(lang("兑换码", "Voucher"))</dt><dd>\(redemption.voucher)</dd>
            <dt>\(lang("渠道", "Channel"))</dt><dd>\(redemption.channel)</dd>
            <dt>\(lang("兑换时间", "Redeemed"))</dt><dd>\(ConsoleFormat.time(redemption.createdAt, lang: lang))</dd>
            <dt>\(lang("状态", "Status"))</dt><dd>\(Self.status(redemption, lang).html ?? "")</dd>
            <dt>\(lang("可取消至", "Cancellable until"))</dt><dd>\(ConsoleFormat.time(redemption.cancellableUntil, lang: lang))</dd>
            <dt>\(lang("取消时间", "Cancelled"))</dt><dd>\(ConsoleFormat.time(redemption.cancelledAt, lang: lang))</dd>
            </dl>
            """
        if console.may(.cancelRedemptions) && redemption.status == "issued" {
            body += """
                <h2>\(lang("取消兑换", "Cancel the redemption"))</h2>
                <p>\(lang("积分退回原积分批次（保留原到期日），库存退回。", "The points go back to the lots they came from (keeping their expiry), the units back to stock."))</p>
                <form class="inline card" method="post" action="/console/rewards/redemptions/\(id)/cancel">\(ConsoleForm.csrfField(console.csrf))
                \(ConsoleForm.field(lang("原因", "Reason"), name: "reason", required: true, extra: "maxlength=\"500\""))
                <button type="submit" class="danger">\(lang("取消兑换", "Cancel redemption"))</button></form>
                """
        }
        body += "<p><a href=\"/console/rewards/redemptions\">\(lang("返回兑换记录", "Back to redemptions"))</a></p>"
        return console.page(.rewards, title: lang("兑换 ", "Redemption ") + redemption.voucher, body)
    }

    private func cancel(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let before = try await redemption(console)
        let reason = form["reason"] ?? ""
        switch try await redemptions.cancel(redemption: before.id, reason: reason, actor: console.session.actor) {
        case .cancelled(let after):
            struct Cancellation: Encodable, Sendable {
                let redemption: Redemption
                let reason: String
            }
            try await audit.record(
                console.audit, action: "redemption.cancel", target: "redemption:\(before.id.uuidString.lowercased())", before: before,
                after: Cancellation(redemption: after, reason: reason))
            return console.done(
                "/console/rewards/redemptions/\(before.id.uuidString.lowercased())",
                notice: lang("已取消兑换，积分已退回。", "Cancelled; the points are back."))
        case .alreadyCancelled:
            throw StoreError(.conflict, .alreadyCancelled, lang("这笔兑换已经取消过了。", "This redemption was cancelled already."))
        case .windowClosed(let redemption):
            let until = redemption.cancellableUntil.map { ConsoleFormat.time($0, lang: lang) } ?? "—"
            throw StoreError(
                .conflict, .windowClosed, lang("取消期限已过（截至 \(until)）。", "The time to cancel this redemption ended (\(until))."))
        }
    }
}
