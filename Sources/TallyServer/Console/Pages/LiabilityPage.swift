import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/console/liability`: the points liability finance asks for — outstanding now, issued,
/// redeemed, expired and outstanding per month, per campaign, and what is left to expire by
/// month. The report is the API's (`LiabilityReports`, `GET /reports/liability`), so the numbers
/// are the same; each table as CSV (`?table=months|campaigns|expiring&format=csv`).
struct LiabilityPage {
    let liability: LiabilityReports
    let timeZone: String

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/liability", .liability, .viewReports) { console in try await show(console) }
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let report = try await liability.report(from: console.query("from"), to: console.query("to"), timeZone: timeZone)
        let expiring = try await liability.expiring(timeZone: timeZone)
        let months = ConsoleTable(
            caption: lang("按月（\(report.timeZone)）", "By month (\(report.timeZone))"),
            columns: [
                .init(lang("月份", "Month")), .init(lang("发放", "Issued"), numeric: true), .init(lang("兑换", "Redeemed"), numeric: true),
                .init(lang("过期", "Expired"), numeric: true), .init(lang("月末未兑付", "Outstanding at month end"), numeric: true),
            ],
            rows: report.months.map { month in
                [.init(month.month), number(month.issued), number(month.redeemed), number(month.expired), number(month.outstanding)]
            },
            empty: lang("没有数据。", "Nothing in these months."))
        let campaigns = ConsoleTable(
            caption: lang("按营销活动", "By campaign"),
            columns: [
                .init("ID", numeric: true), .init(lang("活动", "Campaign")), .init(lang("期间发放", "Issued in the months"), numeric: true),
                .init(lang("当前未兑付", "Outstanding now"), numeric: true),
            ],
            rows: report.campaigns.map { campaign in
                [
                    .init(campaign.campaignId), .init(lang(campaign.name.zh, campaign.name.en)), number(campaign.issued),
                    number(campaign.outstanding),
                ]
            },
            empty: lang("这些月份没有活动发放积分。", "No campaign issued points in these months."))
        let expiry = ConsoleTable(
            caption: lang("未使用积分的到期月份", "Unspent points by the month they expire"),
            columns: [
                .init(lang("到期月份", "Expires in")), .init(lang("积分", "Points"), numeric: true),
                .init(lang("会员数", "Members"), numeric: true),
            ],
            rows: expiring.map { [.init($0.month ?? lang("永不过期", "never")), number($0.points), .init($0.members)] },
            empty: lang("没有未使用的积分。", "No unspent points."))
        if console.wantsCSV {
            switch console.query("table") {
            case "months": return console.csv(months, name: "liability-months")
            case "campaigns": return console.csv(campaigns, name: "liability-campaigns")
            case "expiring": return console.csv(expiry, name: "liability-expiring")
            default:
                throw StoreError(
                    .invalid, .invalidFormat,
                    lang("table 须为 months、campaigns 或 expiring。", "table is months, campaigns or expiring."))
            }
        }
        let first = report.months.first?.month ?? ""
        let last = report.months.last?.month ?? ""
        func csvURL(_ table: String) -> String {
            ConsoleURL.make(
                "/console/liability", [("from", console.query("from")), ("to", console.query("to")), ("table", table), ("format", "csv")])
        }
        let issued = report.months.reduce(Int64(0)) { $0 + $1.issued }
        let redeemed = report.months.reduce(Int64(0)) { $0 + $1.redeemed }
        let expired = report.months.reduce(Int64(0)) { $0 + $1.expired }
        var body: HTML = """
            <form class="inline card" method="get" action="/console/liability" role="search">
            \(ConsoleForm.field(lang("从（月）", "From (month)"), name: "from", value: console.query("from") ?? first, type: "month", extra: "placeholder=\"2026-01\""))
            \(ConsoleForm.field(lang("到（月）", "To (month)"), name: "to", value: console.query("to") ?? last, type: "month", extra: "placeholder=\"2026-12\""))
            <button type="submit">\(lang("查看", "Show"))</button>
            </form>
            <div class="grid">
            \(metric(lang("当前未兑付积分", "Outstanding now"), report.outstanding))
            \(metric(lang("\(first) 至 \(last) 发放", "Issued \(first) to \(last)"), issued))
            \(metric(lang("兑换", "Redeemed"), redeemed))
            \(metric(lang("过期", "Expired"), expired))
            </div>
            """
        body += months.html(csvURL: csvURL("months"), lang: lang)
        body += "<h2>\(lang("营销活动", "Campaigns"))</h2>"
        body += campaigns.html(csvURL: csvURL("campaigns"), lang: lang)
        body += "<h2>\(lang("即将到期", "Expiring"))</h2>"
        body += expiry.html(csvURL: csvURL("expiring"), lang: lang)
        body += """
            <p class="export">\(lang("已过期但尚未被过期任务清除的积分计入其到期月份；各行之和等于当前未兑付积分。",
                "Points past their date that the expiry job has not yet written off count in their month; the rows add up to what is outstanding now."))</p>
            """
        return console.page(.liability, title: ConsoleSection.liability.title(lang), body)
    }

    /// A number cell: grouped digits on the page, plain digits in the CSV.
    private func number(_ value: Int64) -> ConsoleTable.Cell {
        .init(String(value), html: "\(ConsoleFormat.number(value))")
    }

    private func metric(_ label: String, _ value: Int64) -> HTML {
        "<div class=\"metric\"><div class=\"label\">\(label)</div><div class=\"value\">\(ConsoleFormat.number(value))</div></div>"
    }
}
