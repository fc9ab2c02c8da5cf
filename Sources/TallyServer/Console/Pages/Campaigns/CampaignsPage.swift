import Foundation
import Hummingbird
import PostgresNIO
import TallyCodes
import TallyCore

/// `/console/campaigns`: the marketers' campaigns. The list with live counters; the editor
/// (a form of every condition and effect, or the API's JSON) for new campaigns and new
/// versions; each campaign's page with its steps, versions, change log, report per day and
/// draws; a preview for a code and member; a backtest with its chart. The same stores as the
/// campaign API (CampaignController), so the same rules and refusals; every change is also in
/// the staff audit log, in the store's own transaction.
struct CampaignsPage {
    let campaigns: CampaignStore
    let reports: CampaignReports
    let backtester: CampaignBacktester
    let draws: CampaignDraws
    let preview: CampaignPreview
    let batches: BatchStore
    let audit: StaffAudit
    let database: PostgresClient
    let keyRing: KeyRing

    static let pageSize = 50

    init(_ deps: Dependencies) {
        campaigns = deps.campaigns
        reports = deps.campaignReports
        backtester = deps.campaignBacktester
        draws = deps.campaignDraws
        preview = deps.campaignPreview
        batches = deps.batches
        audit = deps.staffAudit
        database = deps.database
        keyRing = deps.config.keyRing
    }

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/campaigns", .campaigns, .viewCampaigns) { console in try await list(console) }
        routes.page("/console/campaigns/new", .campaigns, .editCampaigns) { console in
            editor(console, values: CampaignFormValues(timeZone: ConsoleFormat.timeZone.identifier), campaign: nil, refusal: nil)
        }
        routes.action("/console/campaigns/new", .campaigns, .editCampaigns) { console, form in try await create(console, form) }
        routes.page("/console/campaigns/{id}", .campaigns, .viewCampaigns) { console in try await detail(console) }
        routes.page("/console/campaigns/{id}/edit", .campaigns, .editCampaigns) { console in try await edit(console) }
        routes.action("/console/campaigns/{id}/edit", .campaigns, .editCampaigns) { console, form in try await update(console, form) }
        for step in CampaignStep.allCases {
            routes.action(RouterPath("/console/campaigns/{id}/" + step.rawValue), .campaigns, .editCampaigns) { console, form in
                try await take(step, console, form)
            }
        }
        routes.page("/console/campaigns/{id}/report", .campaigns, .viewCampaigns) { console in try await report(console) }
        routes.page("/console/campaigns/{id}/versions", .campaigns, .viewCampaigns) { console in try await versions(console) }
        routes.page("/console/campaigns/{id}/changes", .campaigns, .viewCampaigns) { console in try await changes(console) }
        routes.page("/console/campaigns/{id}/draws", .campaigns, .viewCampaigns) { console in try await drawList(console) }
        routes.page("/console/campaigns/{id}/preview", .campaigns, .editCampaigns) { console in try await previewForm(console) }
        routes.action("/console/campaigns/{id}/preview", .campaigns, .editCampaigns) { console, form in
            try await previewClaim(console, form)
        }
        routes.page("/console/campaigns/{id}/backtest", .campaigns, .editCampaigns) { console in try await backtest(console) }
    }

    // MARK: The list

    private func list(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let status = try console.query("status").map { text in
            guard let status = CampaignStatus(rawValue: text) else {
                throw StoreError(
                    .invalid, .invalidStatus, lang("状态应为草稿、已排期、进行中、已暂停或已结束。", "status is draft, scheduled, live, paused or ended"))
            }
            return status
        }
        let before = console.query("before").flatMap { Int64($0) }
        let items = try await campaigns.list(
            status: status, before: before, limit: console.wantsCSV ? CampaignStore.maxPageSize : Self.pageSize)
        var rows: [[ConsoleTable.Cell]] = []
        for campaign in items {
            // The live counters are the report's totals (awards and points since the window began).
            let totals = try await reports.report(campaign: campaign.id, from: nil, to: nil).totals
            let budget = campaign.budget
            let used = budget.points.map { total in total - (budget.pointsLeft ?? total) }
            rows.append([
                .link(String(campaign.id), to: "/console/campaigns/\(campaign.id)"),
                .link(CampaignText.name(campaign.name, lang), to: "/console/campaigns/\(campaign.id)"),
                .init(campaign.status.rawValue, html: CampaignText.badge(campaign.status, lang)),
                .init(CampaignText.window(campaign)),
                .init(campaign.priority),
                .init(campaign.exclusive ? lang("是", "yes") : lang("否", "no")),
                .init(CampaignText.effect(campaign.effect, lang)),
                .init(totals.awards),
                .init(totals.points),
                .init(used.map { String($0) } ?? ""),
                .init(budget.pointsLeft.map { String($0) } ?? "", html: "\(CampaignText.limit(budget.pointsLeft, lang))"),
            ])
        }
        let table = ConsoleTable(
            caption: lang("活动", "Campaigns"),
            columns: [
                .init("ID", numeric: true), .init(lang("名称", "Name")), .init(lang("状态", "Status")), .init(lang("时间", "Window")),
                .init(lang("优先级", "Priority"), numeric: true), .init(lang("独占", "Exclusive")), .init(lang("奖励", "Effect")),
                .init(lang("获奖次数", "Awards"), numeric: true), .init(lang("奖励积分", "Points"), numeric: true),
                .init(lang("已用积分预算", "Points budget used"), numeric: true),
                .init(lang("剩余积分预算", "Points budget left"), numeric: true),
            ],
            rows: rows, empty: lang("没有符合条件的活动。", "No campaigns match."))
        if console.wantsCSV { return console.csv(table, name: "campaigns") }
        let options = [("", lang("全部", "All"))] + CampaignStatus.allCases.map { ($0.rawValue, CampaignText.status($0, lang)) }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/campaigns" role="search">
            \(ConsoleForm.select(lang("状态", "Status"), name: "status", options: options, selected: status?.rawValue ?? ""))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        let newLink: HTML =
            console.may(.editCampaigns)
            ? "<p><a class=\"button\" href=\"/console/campaigns/new\">\(lang("新建活动", "New campaign"))</a></p>" : ""
        var more: HTML = ""
        if items.count == Self.pageSize, let last = items.last, !console.wantsCSV {
            let url = ConsoleURL.make("/console/campaigns", [("status", status?.rawValue), ("before", String(last.id))])
            more = "<p><a href=\"\(url)\">\(lang("更早的活动", "Older campaigns"))</a></p>"
        }
        return console.page(
            .campaigns, title: ConsoleSection.campaigns.title(lang),
            Self.style + newLink + filters + table.html(csvURL: console.csvURL, lang: lang) + more)
    }

    // MARK: Shared

    /// The `:id` of the path: a positive whole number, else the campaign is not found.
    static func id(_ console: ConsoleRequest) throws -> Int64 {
        guard let text = console.context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw StoreError(.notFound, .campaignNotFound, console.lang("没有这个活动。", "There is no such campaign."))
        }
        return id
    }

    /// The few rules the campaign pages add to the console's style sheet (the CSP allows inline style).
    static let style: HTML = """
        <style>.campaign-form fieldset{border:1px solid var(--line)}.campaign-form legend{font-weight:600;padding:0 4px}\
        label.check{flex-direction:row;align-items:center;gap:6px}.checks{display:flex;flex-wrap:wrap;gap:8px 16px}\
        .hint{color:var(--muted);font-size:13px;margin:0 0 8px}fieldset.prize{margin:8px 0;border-radius:8px}\
        a.button{display:inline-block;padding:8px 14px;border-radius:6px;background:var(--accent);color:#fff;text-decoration:none}</style>
        """

    /// The audit target of a campaign.
    static func target(_ id: Int64) -> String { "campaign:\(id)" }
}
