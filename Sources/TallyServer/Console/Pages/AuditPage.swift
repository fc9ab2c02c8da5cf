import Foundation
import Hummingbird
import TallyCore

/// `/console/audit` (admins): every change staff made, newest first, filtered by who, what and
/// when, with before and after; the same rows as CSV.
struct AuditPage {
    let audit: StaffAudit

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/audit", .audit, .readAudit) { console in try await show(console) }
    }

    private func show(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let from = ConsoleFormat.parseDay(console.query("from"))
        let to = ConsoleFormat.parseDay(console.query("to")).map { $0.addingTimeInterval(24 * 3600) }
        if console.query("from") != nil && from == nil || console.query("to") != nil && to == nil {
            throw StoreError(.invalid, .invalidFrom, lang("日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."))
        }
        let before = console.query("before").flatMap { Int64($0) }
        let entries = try await audit.list(
            actor: console.query("actor"), action: console.query("action"), from: from, to: to, before: before,
            limit: console.wantsCSV ? 10_000 : 100)
        let table = ConsoleTable(
            caption: lang("操作记录", "Changes"),
            columns: [
                .init(lang("时间", "Time")), .init(lang("操作人", "Who")), .init(lang("操作", "Action")), .init(lang("对象", "Target")),
                .init(lang("之前", "Before")), .init(lang("之后", "After")), .init("IP"),
            ],
            rows: entries.map { entry in
                [
                    .init(ConsoleFormat.time(entry.at, lang: lang)), .init(entry.actor), .init(entry.action), .init(entry.target ?? ""),
                    .init(entry.before ?? "", html: entry.before.map { "<pre>\($0)</pre>" }),
                    .init(entry.after ?? "", html: entry.after.map { "<pre>\($0)</pre>" }), .init(entry.ip ?? ""),
                ]
            },
            empty: lang("没有符合条件的记录。", "No changes match."))
        if console.wantsCSV { return console.csv(table, name: "audit") }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/audit" role="search">
            \(ConsoleForm.field(lang("操作人", "Who"), name: "actor", value: console.query("actor"), extra: "placeholder=\"staff:alice\""))
            \(ConsoleForm.field(lang("操作", "Action"), name: "action", value: console.query("action"), extra: "placeholder=\"member.adjust\""))
            \(ConsoleForm.field(lang("从", "From"), name: "from", value: console.query("from"), type: "date"))
            \(ConsoleForm.field(lang("到", "To"), name: "to", value: console.query("to"), type: "date"))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        var more: HTML = ""
        if entries.count == 100, let last = entries.last {
            let url = ConsoleURL.make(
                "/console/audit",
                [
                    ("actor", console.query("actor")), ("action", console.query("action")), ("from", console.query("from")),
                    ("to", console.query("to")), ("before", String(last.id)),
                ])
            more = "<p><a href=\"\(url)\">\(lang("更早的记录", "Older changes"))</a></p>"
        }
        return console.page(
            .audit, title: ConsoleSection.audit.title(lang), filters + table.html(csvURL: console.csvURL, lang: lang) + more)
    }
}
