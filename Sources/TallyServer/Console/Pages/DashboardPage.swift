import Foundation
import Hummingbird
import TallyCore

/// `/console`: the programme at a glance for a period, against the period before it: scans,
/// claims, new members, points issued and redeemed per day (charts, with the numbers in a table
/// beside them), scan-to-claim and repeat-claim rates, top products and channels, the points
/// liability. Read from the rollups only (DashboardStore), so it costs the same whatever the history.
struct DashboardPage {
    let dashboard: DashboardStore

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console", .dashboard, .viewReports) { console in try await show(console) }
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let report = try await dashboard.report(from: console.query("from"), to: console.query("to"), top: 10)
        let now = report.current
        let before = report.previous

        let daily = ConsoleTable(
            caption: lang("每日明细", "Day by day"),
            columns: [
                .init(lang("日期", "Day")), .init(lang("扫码", "Scans"), numeric: true), .init(lang("正品扫码", "Genuine"), numeric: true),
                .init(lang("伪码扫码", "Forged"), numeric: true), .init(lang("领取", "Claims"), numeric: true),
                .init(lang("新会员", "New members"), numeric: true), .init(lang("发放积分", "Points issued"), numeric: true),
                .init(lang("兑换积分", "Points redeemed"), numeric: true), .init(lang("过期积分", "Points expired"), numeric: true),
            ],
            rows: report.days.map { day in
                [
                    .init(day.day), .init(day.scans), .init(day.genuineScans), .init(day.forgedScans), .init(day.claims),
                    .init(day.newMembers), .init(day.pointsIssued), .init(day.pointsRedeemed), .init(day.pointsExpired),
                ]
            },
            empty: lang("这段时间没有数据。", "Nothing in this period."))
        let products = ConsoleTable(
            caption: lang("热门产品", "Top products"),
            columns: [
                .init("SKU"), .init(lang("产品", "Product")), .init(lang("领取", "Claims"), numeric: true),
                .init(lang("积分", "Points"), numeric: true),
            ],
            rows: report.topProducts.map { [.init($0.key), .init($0.name), .init($0.claims), .init($0.points)] },
            empty: lang("这段时间没有领取。", "No claims in this period."))
        let channels = ConsoleTable(
            caption: lang("渠道", "Channels"),
            columns: [
                .init(lang("渠道", "Channel")), .init(lang("领取", "Claims"), numeric: true), .init(lang("积分", "Points"), numeric: true),
            ],
            rows: report.topChannels.map { [.init($0.key), .init($0.claims), .init($0.points)] },
            empty: lang("这段时间没有领取。", "No claims in this period."))
        if console.wantsCSV {
            switch console.query("table") {
            case "products": return console.csv(products, name: "dashboard-products")
            case "channels": return console.csv(channels, name: "dashboard-channels")
            default: return console.csv(daily, name: "dashboard-days")
            }
        }

        let period = report.period
        let presets: HTML = HTML.joined(
            [7, 30, 90].map { days in
                let url = ConsoleURL.make("/console", [("from", Self.daysBefore(period.to, days - 1)), ("to", period.to)])
                return "<a href=\"\(url)\">\(lang("近 \(days) 天", "\(days) days"))</a> "
            })
        let filters: HTML = """
            <form class="inline card" method="get" action="/console" aria-label="\(lang("时间段", "Period"))">
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: period.from, type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: period.to, type: "date"))
            <button type="submit">\(lang("查看", "Show"))</button>
            <span>\(presets)</span>
            <span class="muted">\(lang("对比：", "Compared with: "))\(period.previousFrom) – \(period.previousTo)</span>
            </form>
            """
        let metrics: HTML = HTML.joined([
            metric(lang("扫码", "Scans"), now.scans, before.scans, lang),
            metric(lang("领取", "Claims"), now.claims, before.claims, lang),
            metric(lang("新会员", "New members"), now.newMembers, before.newMembers, lang),
            metric(lang("发放积分", "Points issued"), now.pointsIssued, before.pointsIssued, lang),
            metric(lang("兑换积分", "Points redeemed"), now.pointsRedeemed, before.pointsRedeemed, lang),
            rate(lang("扫码领取率", "Scan-to-claim rate"), now.scanToClaimRate, before.scanToClaimRate, note: nil, lang),
            rate(
                lang("复购率（90 天内 2 次以上领取的会员）", "Repeat-claim rate (members with 2+ claims in 90 days)"), now.repeatClaimRate,
                before.repeatClaimRate,
                note: now.repeatClaimDay.map { lang("截至 \($0)", "as of \($0)") } ?? lang("本期尚无已结束的日子", "no finished day in the period yet"),
                lang),
            """
            <div class="metric"><div class="label">\(lang("积分负债（未兑换积分）", "Points liability (outstanding)"))</div>\
            <div class="value">\(ConsoleFormat.number(report.liability))</div>\
            <div class="delta">\(lang("期末：", "At period end: "))\(ConsoleFormat.number(now.liability))</div></div>
            """,
        ])
        let labels = report.days.map { String($0.day.suffix(5)) }
        let claimsChart = SVGChart.lines(
            lang("每日领取与扫码", "Claims and scans per day"), labels: labels,
            series: [
                .init(lang("领取", "Claims"), report.days.map(\.claims), color: "#0b6bcb"),
                .init(lang("上期领取", "Claims, previous period"), report.previousDays.map(\.claims), color: "#0b6bcb", dashed: true),
                .init(lang("扫码", "Scans"), report.days.map(\.scans), color: "#17803d"),
            ])
        let pointsChart = SVGChart.lines(
            lang("每日积分发放与兑换", "Points issued and redeemed per day"), labels: labels,
            series: [
                .init(lang("发放", "Issued"), report.days.map(\.pointsIssued), color: "#b54708"),
                .init(lang("兑换", "Redeemed"), report.days.map(\.pointsRedeemed), color: "#6941c6"),
                .init(lang("上期发放", "Issued, previous period"), report.previousDays.map(\.pointsIssued), color: "#b54708", dashed: true),
            ])
        let membersChart = SVGChart.lines(
            lang("每日新会员", "New members per day"), labels: labels,
            series: [
                .init(lang("新会员", "New members"), report.days.map(\.newMembers), color: "#0e9384"),
                .init(lang("上期", "Previous period"), report.previousDays.map(\.newMembers), color: "#0e9384", dashed: true),
            ])
        let body: HTML = """
            \(filters)
            <section aria-labelledby="totals"><h2 id="totals" class="sr">\(period.from) – \(period.to)</h2><div class="grid">\(metrics)</div></section>
            <div class="side">
            <section class="card"><h2>\(lang("领取与扫码", "Claims and scans"))</h2>\(claimsChart)</section>
            <section class="card"><h2>\(lang("积分", "Points"))</h2>\(pointsChart)</section>
            </div>
            <div class="side">
            <section class="card"><h2>\(lang("新会员", "New members"))</h2>\(membersChart)</section>
            <section class="card"><h2>\(lang("渠道", "Channels"))</h2>\
            \(SVGChart.bars(lang("各渠道领取", "Claims by channel"), items: report.topChannels.map { ($0.key, $0.claims) }))</section>
            </div>
            <section class="card"><h2>\(lang("热门产品", "Top products"))</h2>\
            \(SVGChart.bars(lang("各产品领取", "Claims by product"), items: report.topProducts.map { ($0.name, $0.claims) }))</section>
            <div class="side">
            <section>\(products.html(csvURL: console.csvURL(table: "products"), lang: lang))</section>
            <section>\(channels.html(csvURL: console.csvURL(table: "channels"), lang: lang))</section>
            </div>
            <section>\(daily.html(csvURL: console.csvURL(table: "days"), lang: lang))</section>
            <p class="muted">\(lang("日期按 \(report.timeZone) 时区计算。数据来自实时更新的汇总表。",
                "Days are in \(report.timeZone). Figures come from rollups kept up to date with every write."))</p>
            """
        return console.page(.dashboard, title: ConsoleSection.dashboard.title(lang), body)
    }

    private func metric(_ label: String, _ now: Int64, _ before: Int64, _ lang: ConsoleLanguage) -> HTML {
        """
        <div class="metric"><div class="label">\(label)</div><div class="value">\(ConsoleFormat.number(now))</div>\
        <div class="delta">\(ConsoleFormat.change(now, from: before)) \(lang("对比上期", "vs previous")) \
        (\(ConsoleFormat.number(before)))</div></div>
        """
    }

    private func rate(_ label: String, _ now: Double?, _ before: Double?, note: String?, _ lang: ConsoleLanguage) -> HTML {
        func shown(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        let noteHTML: HTML = note.map { " · \($0)" } ?? ""
        return """
            <div class="metric"><div class="label">\(label)</div><div class="value">\(shown(now))</div>\
            <div class="delta">\(lang("上期", "Previous")) \(shown(before))\(noteHTML)</div></div>
            """
    }

    static func daysBefore(_ day: String, _ days: Int) -> String {
        ConsoleFormat.addDays(day, -days)
    }
}
