import Foundation
import Hummingbird
import TallyCodes
import TallyCore

/// `/console/alerts`: counterfeit and abuse alerts for a window (the last 7 days by default):
/// forged-code scans by address and hour, claimed codes scanned by many others (a copied QR),
/// bursts from one address, and sign-in codes asked for many phones from one address. Each is a
/// table with its CSV; thresholds and grouping (address or network) are the form's.
struct AlertsPage {
    let alerts: AbuseAlerts
    let keyRing: KeyRing

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/alerts", .alerts, .viewReports) { console in try await show(console) }
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let from = try day(console, "from")
        let to = try day(console, "to").map { $0.addingTimeInterval(86_400) }
        let grouping = AlertGrouping(rawValue: console.query("by") ?? "address") ?? .address
        let counting = BurstCounting(rawValue: console.query("counting") ?? "scans") ?? .scans
        let forgedMin = try number(console, "forged_min", AbuseAlerts.defaultForgedMinScans)
        let copiedMin = try number(console, "copied_min", AbuseAlerts.defaultCopiedMinScanners)
        let burstMin = try number(console, "burst_min", AbuseAlerts.defaultBurstMinCount)
        let burstMinutes = try number(console, "burst_minutes", AbuseAlerts.defaultBurstMinutes)
        let phonesMin = try number(console, "phones_min", AbuseAlerts.defaultSignInMinPhones)
        let limit = console.wantsCSV ? AbuseAlerts.limits.upperBound : AbuseAlerts.defaultLimit

        let forged = try await alerts.forgedScans(from: from, to: to, by: grouping, minScans: forgedMin, limit: limit)
        let copied = try await alerts.copiedCodes(from: from, to: to, minScanners: copiedMin, limit: limit)
        let bursts = try await alerts.bursts(
            from: from, to: to, by: grouping, counting: counting, minCount: burstMin, minutes: burstMinutes, limit: limit)
        let signIns = try await alerts.signInCodes(from: from, to: to, by: grouping, minPhones: phonesMin, limit: limit)

        let time = { (date: Date) in ConsoleFormat.time(date, lang: lang) }
        let forgedTable = ConsoleTable(
            caption: lang("伪码扫码（按地址和小时）", "Forged-code scans by address and hour"),
            columns: [
                .init(lang("地址", "Address")), .init(lang("小时", "Hour")), .init(lang("扫码", "Scans"), numeric: true),
                .init(lang("地址数", "Addresses"), numeric: true), .init(lang("浏览器数", "Browsers"), numeric: true),
                .init(lang("首次", "First")), .init(lang("最后", "Last")), .init(lang("扫到的内容（示例）", "What was scanned (samples)")),
            ],
            rows: forged.map { row in
                [
                    .init(row.address ?? "—"), .init(time(row.hour)), .init(row.scans), .init(row.addresses), .init(row.userAgents),
                    .init(time(row.firstAt)), .init(time(row.lastAt)), .init(row.sampleInputs.joined(separator: " · ")),
                ]
            },
            empty: lang("没有伪码扫码。", "No forged codes scanned."))
        let copiedTable = ConsoleTable(
            caption: lang("已领取后仍被多人扫码的码（疑似二维码被复制）", "Claimed codes scanned by many others (a copied QR?)"),
            columns: [
                .init(lang("码", "Code")), .init("SKU"), .init(lang("产品", "Product")), .init(lang("批次", "Batch")),
                .init(lang("领取时间", "Claimed")), .init(lang("领取会员", "Claimed by")), .init(lang("渠道", "Channel")),
                .init(lang("其他扫码人", "Other scanners"), numeric: true), .init(lang("扫码", "Scans"), numeric: true),
                .init(lang("最后扫码", "Last scan")),
            ],
            rows: copied.map { row in
                let code = keyRing.mint(kid: UInt8(row.kid), serial: UInt64(row.serial))?.grouped ?? "\(row.kid)/\(row.serial)"
                let member = row.claimedBy.uuidString.lowercased()
                return [
                    .init(code), .init(row.sku), .init(row.productName),
                    .link(String(row.batchID), to: "/console/packaging/batches/\(row.batchID)"), .init(time(row.claimedAt)),
                    .link(member, to: "/console/members/\(member)"), .init(row.channel), .init(row.scanners), .init(row.scans),
                    .init(time(row.lastScanAt)),
                ]
            },
            empty: lang("没有。", "None."))
        let burstTable = ConsoleTable(
            caption: lang("同一地址的集中访问", "Bursts from one address"),
            columns: [
                .init(lang("地址", "Address")), .init(lang("开始", "Start")), .init(lang("结束", "End")),
                .init(lang("次数", "Count"), numeric: true), .init(lang("其中领取", "Of which claims"), numeric: true),
                .init(lang("码数", "Codes"), numeric: true), .init(lang("会员数", "Members"), numeric: true),
                .init(lang("浏览器（示例）", "Browsers (samples)")),
            ],
            rows: bursts.map { row in
                [
                    .init(row.address), .init(time(row.start)), .init(time(row.end)), .init(row.count), .init(row.claims), .init(row.codes),
                    .init(row.members), .init(row.sampleUserAgents.joined(separator: " · ")),
                ]
            },
            empty: lang("没有。", "None."))
        let signInTable = ConsoleTable(
            caption: lang("同一地址为多个手机号申请验证码", "Sign-in codes asked for many phones from one address"),
            columns: [
                .init(lang("地址", "Address")), .init(lang("手机号数", "Phones"), numeric: true), .init(lang("验证码", "Codes"), numeric: true),
                .init(lang("首次", "First")), .init(lang("最后", "Last")), .init(lang("手机号（示例）", "Phones (samples)")),
            ],
            rows: signIns.map { row in
                [
                    .init(row.address), .init(row.phones), .init(row.codes), .init(time(row.firstAt)), .init(time(row.lastAt)),
                    .init(row.maskedPhones.joined(separator: " · ")),
                ]
            },
            empty: lang("没有。", "None."))
        if console.wantsCSV {
            switch console.query("table") {
            case "copied": return console.csv(copiedTable, name: "alerts-copied-codes")
            case "bursts": return console.csv(burstTable, name: "alerts-bursts")
            case "signin": return console.csv(signInTable, name: "alerts-sign-in-codes")
            default: return console.csv(forgedTable, name: "alerts-forged-scans")
            }
        }
        let shownFrom = from.map { ConsoleFormat.day($0, lang: lang) } ?? console.query("from")
        let form: HTML = """
            <form class="inline card" method="get" action="/console/alerts" aria-label="\(lang("筛选", "Filters"))">
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: shownFrom, type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: console.query("to"), type: "date"))
            \(ConsoleForm.select(lang("按", "By"), name: "by", options: [("address", lang("地址", "Address")), ("network", lang("网段（/24、/64）", "Network (/24, /64)"))], selected: grouping.rawValue))
            \(ConsoleForm.field(lang("伪码：每小时至少", "Forged: at least per hour"), name: "forged_min", value: String(forgedMin), type: "number"))
            \(ConsoleForm.field(lang("复制码：至少几人", "Copied: at least scanners"), name: "copied_min", value: String(copiedMin), type: "number"))
            \(ConsoleForm.field(lang("集中访问：至少次数", "Burst: at least"), name: "burst_min", value: String(burstMin), type: "number"))
            \(ConsoleForm.field(lang("分钟内", "within minutes"), name: "burst_minutes", value: String(burstMinutes), type: "number"))
            \(ConsoleForm.select(lang("计", "Counting"), name: "counting", options: [("scans", lang("扫码", "Scans")), ("claims", lang("领取", "Claims"))], selected: counting.rawValue))
            \(ConsoleForm.field(lang("验证码：至少手机号", "Sign-in: at least phones"), name: "phones_min", value: String(phonesMin), type: "number"))
            <button type="submit">\(lang("查看", "Show"))</button>
            </form>
            <p class="muted">\(lang("默认看最近 \(AlertWindow.defaultDays) 天，最长 \(AlertWindow.maxDays) 天。处理建议见 docs/console.md。",
                "The last \(AlertWindow.defaultDays) days unless chosen, at most \(AlertWindow.maxDays). What to do about each: docs/console.md."))</p>
            """
        let body: HTML = """
            \(form)
            <section>\(forgedTable.html(csvURL: console.csvURL(table: "forged"), lang: lang))</section>
            <section>\(copiedTable.html(csvURL: console.csvURL(table: "copied"), lang: lang))</section>
            <section>\(burstTable.html(csvURL: console.csvURL(table: "bursts"), lang: lang))</section>
            <section>\(signInTable.html(csvURL: console.csvURL(table: "signin"), lang: lang))</section>
            """
        return console.page(.alerts, title: ConsoleSection.alerts.title(lang), body)
    }

    private func day(_ console: ConsoleRequest, _ name: String) throws -> Date? {
        guard let text = console.query(name) else { return nil }
        guard let date = ConsoleFormat.parseDay(text) else {
            throw StoreError(.invalid, .invalidAlertWindow, console.lang("日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."))
        }
        return date
    }

    private func number(_ console: ConsoleRequest, _ name: String, _ fallback: Int) throws -> Int {
        guard let text = console.query(name) else { return fallback }
        guard let value = Int(text) else {
            throw StoreError(.invalid, .invalidAlertThreshold, console.lang("\(name) 应为整数。", "\(name) is a whole number."))
        }
        return value
    }
}
