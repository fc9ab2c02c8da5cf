import Foundation
import Hummingbird
import TallyCore

/// `/console/rewards`: the rewards catalogue with its stock (units left, units in live
/// redemptions), points, window and channels, as a table and CSV; creating and editing a
/// reward (`editRewards`) through `RewardStore`, the API's store and rules, audited.
struct RewardsPage {
    static let pageSize = 200

    let rewards: RewardStore
    let audit: StaffAudit

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/rewards", .rewards, .viewCatalogue) { console in try await catalogue(console) }
        routes.page("/console/rewards/new", .rewards, .editRewards) { console in
            form(console, title: console.lang("新建礼品", "New reward"), RewardForm(nil), editing: nil, refusal: nil)
        }
        routes.action("/console/rewards/new", .rewards, .editRewards) { console, form in try await create(console, form) }
        routes.page("/console/rewards/edit", .rewards, .editRewards) { console in
            let reward = try await rewards.get(sku: console.query("sku") ?? "")
            return self.form(console, title: editTitle(reward, console.lang), RewardForm(reward), editing: reward, refusal: nil)
        }
        routes.action("/console/rewards/edit", .rewards, .editRewards) { console, form in try await update(console, form) }
    }

    private func catalogue(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let activeOnly = console.query("active") == "true"
        let channel = console.query("channel")
        let items = try await rewards.list(after: console.query("after"), limit: Self.pageSize, activeNow: activeOnly, channel: channel)
        let mayEdit = console.may(.editRewards)
        let table = ConsoleTable(
            caption: lang("礼品目录", "Catalogue"),
            columns: [
                .init("SKU"), .init(lang("名称", "Name")), .init(lang("所需积分", "Points"), numeric: true),
                .init(lang("剩余库存", "Stock left"), numeric: true), .init(lang("已兑未取消", "In live redemptions"), numeric: true),
                .init(lang("每人限兑", "Per-member limit"), numeric: true), .init(lang("开始", "Active from")),
                .init(lang("结束", "Active until")), .init(lang("当前有效", "Active now")), .init(lang("渠道", "Channels")),
            ],
            rows: items.map { reward -> [ConsoleTable.Cell] in
                let unlimited = lang("不限", "unlimited")
                let sku: ConsoleTable.Cell =
                    mayEdit ? .link(reward.sku, to: ConsoleURL.make("/console/rewards/edit", [("sku", reward.sku)])) : .init(reward.sku)
                let live = Self.liveUnits(reward)
                let active: ConsoleTable.Cell =
                    reward.active
                    ? .init(lang("是", "yes"), html: "<span class=\"badge good\">\(lang("是", "yes"))</span>")
                    : .init(lang("否", "no"), html: "<span class=\"badge\">\(lang("否", "no"))</span>")
                return [
                    sku, .init(reward.name), .init(reward.costPoints), .init(reward.stock.map { String($0) } ?? unlimited), .init(live),
                    .init(reward.perMemberLimit.map { String($0) } ?? "—"), .init(ConsoleFormat.time(reward.activeFrom, lang: lang)),
                    .init(ConsoleFormat.time(reward.activeUntil, lang: lang)), active,
                    .init(reward.channels?.joined(separator: ", ") ?? lang("全部", "all")),
                ]
            },
            empty: lang("没有礼品。", "No rewards."))
        if console.wantsCSV { return console.csv(table, name: "rewards") }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/rewards" role="search">
            \(ConsoleForm.field(lang("渠道", "Channel"), name: "channel", value: channel, extra: "placeholder=\"web\""))
            \(ConsoleForm.select(lang("状态", "Status"), name: "active", options: [("", lang("全部", "All")), ("true", lang("当前有效", "Active now"))], selected: activeOnly ? "true" : ""))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        var links: HTML = "<p><a href=\"/console/rewards/redemptions\">\(lang("兑换记录", "Redemptions"))</a>"
        if mayEdit { links += " · <a href=\"/console/rewards/new\">\(lang("新建礼品", "New reward"))</a>" }
        links += "</p>"
        var more: HTML = ""
        if items.count == Self.pageSize, let last = items.last {
            let url = ConsoleURL.make(
                "/console/rewards", [("channel", channel), ("active", activeOnly ? "true" : nil), ("after", last.sku)])
            more = "<p><a href=\"\(url)\">\(lang("下一页", "Next page"))</a></p>"
        }
        return console.page(
            .rewards, title: ConsoleSection.rewards.title(lang), links + filters + table.html(csvURL: console.csvURL, lang: lang) + more)
    }

    private func form(_ console: ConsoleRequest, title: String, _ form: RewardForm, editing: Reward?, refusal: StoreError?) -> Response {
        let lang = console.lang
        let action = editing == nil ? "/console/rewards/new" : "/console/rewards/edit"
        var intro: HTML = ""
        if let editing {
            intro = """
                <dl class="facts card"><dt>SKU</dt><dd>\(editing.sku)</dd>\
                <dt>\(lang("剩余库存", "Stock left"))</dt><dd>\(editing.stock.map { String($0) } ?? lang("不限", "unlimited"))</dd>\
                <dt>\(lang("已兑未取消", "In live redemptions"))</dt><dd>\(Self.liveUnits(editing))</dd></dl>
                """
        }
        var body = CatalogueFields.refusal(refusal?.message, lang: lang)
        body += intro
        body += form.html(action: action, editing: editing, console: console)
        body += "<p><a href=\"/console/rewards\">\(lang("返回礼品目录", "Back to the catalogue"))</a></p>"
        return console.page(.rewards, title: title, status: refusal.map { ConsoleResponse.status(of: $0) } ?? .ok, body)
    }

    /// Units in live redemptions (I4: initial stock − stock); "—" for an unlimited reward.
    static func liveUnits(_ reward: Reward) -> String {
        guard let initial = reward.initialStock, let left = reward.stock else { return "—" }
        return String(initial - left)
    }

    private func editTitle(_ reward: Reward, _ lang: ConsoleLanguage) -> String {
        lang("编辑礼品 ", "Edit reward ") + reward.sku
    }

    private func create(_ console: ConsoleRequest, _ sent: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        do {
            let reward = try await rewards.create(try RewardForm.newReward(sent))
            try await audit.record(console.audit, action: "reward.create", target: "reward:\(reward.sku)", before: nil, after: reward)
            return console.done("/console/rewards", notice: lang("已创建礼品 ", "Created reward ") + reward.sku)
        } catch let error as StoreError {
            return form(console, title: lang("新建礼品", "New reward"), RewardForm(sent: sent), editing: nil, refusal: error)
        }
    }

    private func update(_ console: ConsoleRequest, _ sent: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let before = try await rewards.get(sku: sent["sku"] ?? "")
        do {
            let patch = try RewardForm.patch(sent, current: before)
            guard !RewardForm.isEmpty(patch) else {
                return console.done("/console/rewards", notice: lang("没有修改。", "Nothing to change."))
            }
            let after = try await rewards.update(sku: before.sku, patch)
            try await audit.record(console.audit, action: "reward.update", target: "reward:\(after.sku)", before: before, after: after)
            return console.done("/console/rewards", notice: lang("已保存礼品 ", "Saved reward ") + after.sku)
        } catch let error as StoreError {
            var shown = RewardForm(sent: sent)
            shown.values["sku"] = before.sku
            return form(console, title: editTitle(before, lang), shown, editing: before, refusal: error)
        }
    }
}
