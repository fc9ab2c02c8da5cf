import Foundation
import Hummingbird
import TallyCore

/// A campaign's page: what it is and does, the steps its status allows, its report per day,
/// versions, change log and draws (each also a page of its own with its CSV).
extension CampaignsPage {
    static let recent = 20

    func detail(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let id = try Self.id(console)
        let campaign = try await campaigns.get(id: id)
        let report = try await reports.report(campaign: id, from: nil, to: nil)
        let versions = try await campaigns.versions(id: id, before: nil, limit: Self.recent)
        let changes = try await campaigns.changes(id: id, before: nil, limit: Self.recent)
        let base = "/console/campaigns/\(id)"

        var body: HTML = actions(campaign, console)
        body += facts(campaign, lang)
        // The page shows the last 30 days, newest last; the report page and its CSV have every day.
        var recent = report
        recent.days = Array(report.days.suffix(30))
        body += "<h2>\(lang("每日报表（最近 30 天）", "Report per day (the last 30 days)"))</h2>"
        body += CampaignTables.report(recent, lang: lang).html(csvURL: base + "/report?format=csv", lang: lang)
        body += "<p><a href=\"\(base)/report\">\(lang("按日期筛选报表", "The report for other days"))</a></p>"
        body += "<h2>\(lang("版本", "Versions"))</h2>"
        body += CampaignTables.versions(versions, lang: lang).html(csvURL: base + "/versions?format=csv", lang: lang)
        body += "<h2>\(lang("变更记录", "Change log"))</h2>"
        body += CampaignTables.changes(changes, lang: lang).html(csvURL: base + "/changes?format=csv", lang: lang)
        if changes.count == Self.recent { body += "<p><a href=\"\(base)/changes\">\(lang("全部变更", "Every change"))</a></p>" }
        body += drawSection(campaign, lang)
        return console.page(.campaigns, title: "#\(id) " + CampaignText.name(campaign.name, lang), body)
    }

    /// The links and buttons of what the staff member may do with the campaign now.
    private func actions(_ campaign: Campaign, _ console: ConsoleRequest) -> HTML {
        let lang = console.lang
        let base = "/console/campaigns/\(campaign.id)"
        var links: HTML = "<a href=\"/console/campaigns\">\(lang("← 全部活动", "← All campaigns"))</a>"
        guard console.may(.editCampaigns) else { return "<p class=\"actions\">\(links)</p>" }
        if campaign.status != .ended { links += " · <a href=\"\(base)/edit\">\(lang("编辑（新版本）", "Edit (new version)"))</a>" }
        links += " · <a href=\"\(base)/preview\">\(lang("预览领取", "Preview a claim"))</a>"
        links += " · <a href=\"\(base)/backtest\">\(lang("回测", "Backtest"))</a>"
        var buttons: HTML = ""
        for step in CampaignStep.allCases where Self.allowed(step, from: campaign.status) {
            let style: HTML = step == .end ? " class=\"danger\"" : step == .pause ? " class=\"secondary\"" : ""
            buttons += """
                <form method="post" action="\(base)/\(step.rawValue)">\(ConsoleForm.csrfField(console.csrf))\
                <button type="submit"\(style)>\(Self.stepName(step, lang))</button></form>
                """
        }
        return "<p class=\"actions\">\(links)</p><div class=\"inline\" style=\"display:flex;gap:8px;flex-wrap:wrap\">\(buttons)</div>"
    }

    /// Steps shown as buttons: those the campaign's status allows (the store checks again).
    static func allowed(_ step: CampaignStep, from status: CampaignStatus) -> Bool {
        switch step {
        case .schedule: status == .draft
        case .pause: status == .scheduled || status == .live
        case .resume: status == .paused
        case .end: status != .ended
        }
    }

    static func stepName(_ step: CampaignStep, _ lang: ConsoleLanguage) -> String {
        switch step {
        case .schedule: lang("排期上线", "Schedule")
        case .pause: lang("暂停", "Pause")
        case .resume: lang("恢复", "Resume")
        case .end: lang("结束活动…", "End…")
        }
    }

    private func facts(_ campaign: Campaign, _ lang: ConsoleLanguage) -> HTML {
        let c = campaign.conditions
        var conditions: [String] = []
        if let skus = c.skus { conditions.append(lang("商品：", "Products: ") + skus.joined(separator: ", ")) }
        if let batches = c.batches { conditions.append(lang("批次：", "Batches: ") + batches.map(String.init).joined(separator: ", ")) }
        if let regions = c.regions { conditions.append(lang("地区：", "Regions: ") + regions.joined(separator: ", ")) }
        if let channels = c.channels { conditions.append(lang("渠道：", "Channels: ") + channels.joined(separator: ", ")) }
        if let weekdays = c.weekdays { conditions.append(lang("星期：", "Weekdays: ") + weekdays.map(String.init).joined(separator: ", ")) }
        if let hours = c.hours { conditions.append(lang("时段：", "Hours: ") + "\(hours.from ?? 0)–\(hours.to ?? 24)") }
        if let tiers = c.tiers { conditions.append(lang("等级：", "Tiers: ") + tiers.joined(separator: ", ")) }
        if let segment = c.segment {
            conditions.append(lang("分群：", "Segment: ") + segment + (c.lapsedDays.map { " (\($0) " + lang("天", "days") + ")" } ?? ""))
        }
        if let nth = c.nthClaim {
            let every = nth.every == true ? lang("每第", "every ") : lang("第", "exactly the ")
            conditions.append(lang("领取次数：", "Nth claim: ") + every + "\(nth.n ?? 0) (\(nth.within ?? "overall"))")
        }
        if c.firstClaimOfProduct == true { conditions.append(lang("会员首次领取该商品", "the member's first claim of the product")) }
        if let awards = c.awardsPerMember { conditions.append(lang("每位会员最多 \(awards) 次", "at most \(awards) awards per member")) }
        let b = campaign.budget
        let l = campaign.limits
        var html: HTML = """
            <div class="card"><dl class="facts">
            <dt>\(lang("状态", "Status"))</dt><dd>\(CampaignText.badge(campaign.status, lang)) · \(lang("第", "version ")) \(campaign.version) \(lang("版", ""))</dd>
            <dt>\(lang("名称", "Name"))</dt><dd>\(campaign.name.zh ?? "") / \(campaign.name.en ?? "")</dd>
            <dt>\(lang("时间", "Window"))</dt><dd>\(CampaignText.window(campaign))</dd>
            <dt>\(lang("优先级", "Priority"))</dt><dd>\(campaign.priority)\(campaign.exclusive ? " · " + lang("独占", "exclusive") : "")</dd>
            <dt>\(lang("条件", "Conditions"))</dt><dd>\(conditions.isEmpty ? lang("每次领取", "every claim") : conditions.joined(separator: "; "))</dd>
            <dt>\(lang("奖励", "Effect"))</dt><dd>\(CampaignText.effect(campaign.effect, lang))</dd>
            <dt>\(lang("积分预算", "Points budget"))</dt><dd>\(CampaignText.limit(b.points, lang))\
            \(b.points != nil ? " · " + lang("剩余 ", "left ") + CampaignText.limit(b.pointsLeft, lang) : "")</dd>
            <dt>\(lang("获奖预算", "Awards budget"))</dt><dd>\(CampaignText.limit(b.awards, lang))\
            \(b.awards != nil ? " · " + lang("剩余 ", "left ") + CampaignText.limit(b.awardsLeft, lang) : "")</dd>
            <dt>\(lang("每位会员积分", "Points per member"))</dt><dd>\(lang("每天", "per day")) \(CampaignText.limit(b.memberPointsPerDay, lang)) · \
            \(lang("每周", "per week")) \(CampaignText.limit(b.memberPointsPerWeek, lang)) · \(lang("总计", "in all")) \(CampaignText.limit(b.memberPoints, lang))</dd>
            <dt>\(lang("预算用尽时", "When a budget runs out"))</dt><dd>\(b.whenExhausted == "base_only" ? lang("只给基础积分", "base points only") : lang("停止奖励", "stop awarding"))</dd>
            <dt>\(lang("每天获奖上限", "Awards per day"))</dt><dd>\(lang("手机号", "phone")) \(CampaignText.limit(l.awardsPerPhonePerDay.map(Int64.init), lang)) · \
            \(lang("设备", "device")) \(CampaignText.limit(l.awardsPerDevicePerDay.map(Int64.init), lang)) · IP \(CampaignText.limit(l.awardsPerIpPerDay.map(Int64.init), lang))</dd>
            </dl></div>
            """
        if let prizes = campaign.effect.prizes {
            let table = ConsoleTable(
                caption: lang("奖品", "Prizes"),
                columns: [
                    .init(lang("键", "Key")), .init(lang("名称", "Name")), .init(lang("奖励", "Award")),
                    .init(lang("概率", "Probability"), numeric: true), .init(lang("库存", "Stock"), numeric: true),
                    .init(lang("剩余", "Left"), numeric: true),
                ],
                rows: prizes.map { prize in
                    [
                        .init(prize.key ?? ""), .init(prize.name.map { CampaignText.name($0, lang) } ?? ""),
                        .init(prize.points.map { lang("\($0) 积分", "\($0) points") } ?? prize.reward ?? ""),
                        .init(prize.probability.map { CampaignFormValues.decimal($0, places: 6) } ?? ""),
                        CampaignTables.optional(prize.stock, lang), CampaignTables.optional(prize.left, lang),
                    ]
                },
                empty: "")
            html += table.html(csvURL: nil, lang: lang)
        }
        return html
    }

    private func drawSection(_ campaign: Campaign, _ lang: ConsoleLanguage) -> HTML {
        guard campaign.effect.type == "draw" else { return "" }
        let hash = campaign.draw?.secretSha256
        let secret = campaign.draw?.secret
        return """
            <h2>\(lang("抽奖公证", "The draw's fairness"))</h2>
            <div class="card"><dl class="facts">
            <dt>\(lang("密钥 SHA-256（上线时公布）", "Secret's SHA-256 (published once scheduled)"))</dt>\
            <dd><code>\(hash ?? lang("草稿阶段不公布", "not published while a draft"))</code></dd>
            <dt>\(lang("密钥（结束后公布）", "Secret (published once ended)"))</dt>\
            <dd><code>\(secret ?? lang("活动结束后公布", "published when the campaign ends"))</code></dd>
            </dl>
            <p>\(lang("任何人都可按公开算法（docs/campaign-reports.md）用密钥重新计算每次抽奖。",
                "Anyone can recompute every draw from the secret by the published recipe (docs/campaign-reports.md)."))\
             <a href="/console/campaigns/\(campaign.id)/draws">\(lang("全部抽奖记录", "Every draw"))</a></p></div>
            """
    }

    // MARK: The pages of its tables

    func report(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let id = try Self.id(console)
        let report = try await reports.report(campaign: id, from: console.query("from"), to: console.query("to"))
        let table = CampaignTables.report(report, lang: lang)
        if console.wantsCSV { return console.csv(table, name: "campaign-\(id)-report") }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/campaigns/\(id)/report" role="search">
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: console.query("from") ?? report.from, type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: console.query("to") ?? report.to, type: "date"))
            <button type="submit">\(lang("查看", "Show"))</button>
            </form>
            """
        let totals = report.totals
        let summary: HTML = """
            <div class="grid">
            <div class="metric"><div class="label">\(lang("获奖", "Awards"))</div><div class="value">\(ConsoleFormat.number(totals.awards))</div></div>
            <div class="metric"><div class="label">\(lang("奖励积分", "Points"))</div><div class="value">\(ConsoleFormat.number(totals.points))</div></div>
            <div class="metric"><div class="label">\(lang("获奖会员", "Members reached"))</div><div class="value">\(ConsoleFormat.number(totals.membersReached))</div></div>
            <div class="metric"><div class="label">\(lang("匹配领取", "Claims matched"))</div><div class="value">\(ConsoleFormat.number(totals.matched))</div></div>
            </div>
            """
        return console.page(
            .campaigns, title: lang("活动 #\(id) 报表", "Campaign #\(id): report"),
            back(id, lang) + filters + summary + table.html(csvURL: console.csvURL, lang: lang))
    }

    func versions(_ console: ConsoleRequest) async throws -> Response {
        let id = try Self.id(console)
        let table = CampaignTables.versions(
            try await campaigns.versions(id: id, before: nil, limit: CampaignStore.maxPageSize), lang: console.lang)
        if console.wantsCSV { return console.csv(table, name: "campaign-\(id)-versions") }
        return console.page(
            .campaigns, title: console.lang("活动 #\(id) 版本", "Campaign #\(id): versions"),
            back(id, console.lang) + table.html(csvURL: console.csvURL, lang: console.lang))
    }

    func changes(_ console: ConsoleRequest) async throws -> Response {
        let id = try Self.id(console)
        let table = CampaignTables.changes(
            try await campaigns.changes(id: id, before: nil, limit: CampaignStore.maxPageSize), lang: console.lang)
        if console.wantsCSV { return console.csv(table, name: "campaign-\(id)-changes") }
        return console.page(
            .campaigns, title: console.lang("活动 #\(id) 变更记录", "Campaign #\(id): change log"),
            back(id, console.lang) + table.html(csvURL: console.csvURL, lang: console.lang))
    }

    func drawList(_ console: ConsoleRequest) async throws -> Response {
        let id = try Self.id(console)
        let lang = console.lang
        let before = console.query("before").flatMap { Int64($0) }
        let entries = try await draws.list(campaign: id, before: before, limit: CampaignDraws.maxPageSize)
        let table = CampaignTables.draws(entries, lang: lang)
        if console.wantsCSV { return console.csv(table, name: "campaign-\(id)-draws") }
        var more: HTML = ""
        if entries.count == CampaignDraws.maxPageSize, let last = entries.last {
            more =
                "<p><a href=\"\(ConsoleURL.make("/console/campaigns/\(id)/draws", [("before", String(last.id))]))\">\(lang("更早的抽奖", "Older draws"))</a></p>"
        }
        return console.page(
            .campaigns, title: lang("活动 #\(id) 抽奖记录", "Campaign #\(id): draws"),
            back(id, lang) + table.html(csvURL: console.csvURL, lang: lang) + more)
    }

    func back(_ id: Int64, _ lang: ConsoleLanguage) -> HTML {
        "<p><a href=\"/console/campaigns/\(id)\">\(lang("← 返回活动", "← Back to the campaign"))</a></p>"
    }
}
