import Foundation
import Hummingbird
import TallyCore

/// `/console/regions`: claims and scans by province for a period, once by the region printed on
/// the batch and once by where the consumer was (a shared location), and the batches scanned far
/// from their region, flagged for diversion review. From the rollups only.
struct RegionsPage {
    let dashboard: DashboardStore

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/regions", .regions, .viewReports) { console in try await show(console) }
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let report = try await dashboard.regions(from: console.query("from"), to: console.query("to"), diversions: 100)
        let provinces = ConsoleTable(
            caption: lang("各省份", "By province"),
            columns: [
                .init(lang("代码", "Code")), .init(lang("省份", "Province")),
                .init(lang("领取（按批次地区）", "Claims (batch region)"), numeric: true),
                .init(lang("扫码（按批次地区）", "Scans (batch region)"), numeric: true),
                .init(lang("领取（按消费者位置）", "Claims (consumer location)"), numeric: true),
                .init(lang("扫码（按消费者位置）", "Scans (consumer location)"), numeric: true),
            ],
            rows: report.provinces.sorted {
                ($0.claimsByBatchRegion, $0.scansByLocation, $1.code) > ($1.claimsByBatchRegion, $1.scansByLocation, $0.code)
            }
            .map { province in
                [
                    .init(province.code), .init(lang(province.nameZh, province.nameEn)), .init(province.claimsByBatchRegion),
                    .init(province.scansByBatchRegion), .init(province.claimsByLocation), .init(province.scansByLocation),
                ]
            },
            empty: "")
        let others = ConsoleTable(
            caption: lang("其他批次地区（未对应到省份）", "Other batch regions (naming no province)"),
            columns: [.init(lang("地区", "Region")), .init(lang("领取", "Claims"), numeric: true), .init(lang("扫码", "Scans"), numeric: true)],
            rows: report.otherRegions.map {
                [.init($0.region == "unknown" ? lang("（未填写）", "(none)") : $0.region), .init($0.claims), .init($0.scans)]
            },
            empty: lang("没有。", "None."))
        let diversions = ConsoleTable(
            caption: lang("疑似窜货：在远离批次地区的地方被扫码", "Diversion review: batches scanned far from their region"),
            columns: [
                .init(lang("批次", "Batch")), .init("SKU"), .init(lang("产品", "Product")), .init(lang("批次地区", "Batch region")),
                .init(lang("扫码地", "Scanned in")), .init(lang("最远距离（公里）", "Farthest (km)"), numeric: true),
                .init(lang("扫码", "Scans"), numeric: true), .init(lang("领取", "Claims"), numeric: true),
            ],
            rows: report.diversions.map { row in
                [
                    .link(String(row.batchId), to: "/console/packaging/batches/\(row.batchId)"), .init(row.sku), .init(row.productName),
                    .init("\(row.region) (\(row.regionProvince))"), .init(row.scannedIn), .init(Int64(row.maxKm.rounded())),
                    .init(row.scans), .init(row.claims),
                ]
            },
            empty: lang("这段时间没有远离批次地区的扫码。", "No scans far from their batch's region in this period."))
        if console.wantsCSV {
            switch console.query("table") {
            case "other": return console.csv(others, name: "regions-other")
            case "diversions": return console.csv(diversions, name: "regions-diversions")
            default: return console.csv(provinces, name: "regions-provinces")
            }
        }
        let period = report.period
        let top = report.provinces.filter { $0.claimsByBatchRegion > 0 }.sorted { $0.claimsByBatchRegion > $1.claimsByBatchRegion }.prefix(
            10)
        // Where consumers were: their claims and scans together (a claim's own scan counts as the claim).
        let located = report.provinces.map { ($0, $0.claimsByLocation + $0.scansByLocation) }.filter { $0.1 > 0 }
            .sorted { $0.1 > $1.1 }.prefix(10)
        let body: HTML = """
            <form class="inline card" method="get" action="/console/regions" aria-label="\(lang("时间段", "Period"))">
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: period.from, type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: period.to, type: "date"))
            <button type="submit">\(lang("查看", "Show"))</button>
            </form>
            <div class="split">
            <section class="card"><h2>\(lang("领取最多的省份（按批次地区）", "Most claims by batch region"))</h2>\
            \(SVGChart.bars(lang("各省领取", "Claims by province"), items: top.map { (lang($0.nameZh, $0.nameEn), $0.claimsByBatchRegion) }))</section>
            <section class="card"><h2>\(lang("消费者所在省份（共享位置的扫码）", "Where consumers scanned (shared locations)"))</h2>\
            \(SVGChart.bars(lang("各省领取与扫码", "Claims and scans by province"), items: located.map { (lang($0.0.nameZh, $0.0.nameEn), $0.1) }, color: "#17803d"))\
            <dl class="facts">
            <dt>\(lang("未共享位置的扫码", "Scans without a location"))</dt><dd>\(ConsoleFormat.number(report.unlocatedScans))</dd>
            <dt>\(lang("未共享位置的领取", "Claims without a location"))</dt><dd>\(ConsoleFormat.number(report.unlocatedClaims))</dd>
            <dt>\(lang("境外扫码", "Scans abroad"))</dt><dd>\(ConsoleFormat.number(report.scansAbroad))</dd>
            </dl></section>
            </div>
            <section>\(diversions.html(csvURL: console.csvURL(table: "diversions"), lang: lang))
            <p class="muted">\(lang("扫码位置距批次地区省会超过 \(report.diversionKm) 公里即列出。", "Listed when a scan's location is more than \(report.diversionKm) km from the centre of the batch's region."))</p></section>
            <section>\(provinces.html(csvURL: console.csvURL(table: "provinces"), lang: lang))</section>
            <section>\(others.html(csvURL: console.csvURL(table: "other"), lang: lang))</section>
            """
        return console.page(.regions, title: ConsoleSection.regions.title(lang), body)
    }
}
