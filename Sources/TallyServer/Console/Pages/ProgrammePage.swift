import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/console/programme`: points expiry, tiers, the redemption cancel window and the scans'
/// retention, for everyone who
/// reads the reports; admins (`editProgramme`) change them through `ProgrammeStore.replace`, the
/// API's PUT, so the same rules refuse the same mistakes. A refused change shows the form again
/// with what was typed and the message; nothing is written.
struct ProgrammePage {
    let programme: ProgrammeStore
    let audit: StaffAudit

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/programme", .programme, .viewReports) { console in try await show(console) }
        routes.action("/console/programme", .programme, .editProgramme) { console, form in try await save(console, form) }
    }

    private func save(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let typed = ProgrammeForm(form)
        do {
            let rules = try typed.programme(console.lang)
            let before = try await programme.get()
            let after = try await programme.replace(with: rules)
            try await audit.record(console.audit, action: "programme.update", target: "programme", before: before, after: after)
            return console.done("/console/programme", notice: console.lang("积分规则已保存。", "The programme's rules were saved."))
        } catch let error as StoreError {
            return try await show(console, typed: typed, refusal: error)
        }
    }

    private func show(_ console: ConsoleRequest, typed: ProgrammeForm? = nil, refusal: StoreError? = nil) async throws -> Response {
        let lang = console.lang
        let current = try await programme.get()
        let tiers = ConsoleTable(
            caption: lang("会员等级", "Tiers"),
            columns: [.init(lang("等级", "Tier")), .init(lang("周期内获得积分", "Points earned within the window"), numeric: true)],
            rows: current.tiers.map { [.init($0.name), .init($0.minEarned)] },
            empty: lang("没有设置等级。", "No tiers."))
        if console.wantsCSV { return console.csv(tiers, name: "tiers") }
        let validity =
            current.pointsValidMonths == 0
            ? lang("永不过期", "never expire")
            : lang("\(current.pointsValidMonths) 个月", "\(current.pointsValidMonths) months")
        let months = current.scanRetentionMonths ?? 0
        let retention =
            months == 0
            ? lang("永久", "ever")
            : lang(
                "当月及之前 \(months) 个整月（更早的按月删除，看板仍计入）",
                "this month and the \(months) whole months before it (older months are dropped; the dashboard still counts them)")
        var body: HTML = RefusalNotice.html(refusal, lang)
        body += """
            <section class="card" aria-labelledby="rules"><h2 id="rules">\(lang("过期、撤销与保留", "Expiry, cancelling and retention"))</h2>
            <dl class="facts">
            <dt>\(lang("积分有效期", "Points stay spendable for"))</dt><dd>\(validity)\
            \(lang("（批次可单独设置）", " (a batch may set its own)"))</dd>
            <dt>\(lang("等级计算周期", "Tiers go by points earned within"))</dt><dd>\(lang("最近 \(current.tierWindowMonths) 个月", "the last \(current.tierWindowMonths) months"))</dd>
            <dt>\(lang("兑换可撤销时长", "A redemption may be cancelled for"))</dt><dd>\(lang("\(current.redemptionCancelHours) 小时", "\(current.redemptionCancelHours) hours"))</dd>
            <dt>\(lang("扫码记录保留", "Raw scans are kept for"))</dt><dd>\(retention)</dd>
            </dl></section>
            """
        body += tiers.html(csvURL: console.csvURL, lang: lang)
        if console.may(.editProgramme) {
            body += (typed ?? ProgrammeForm(current)).html(csrf: console.csrf, lang: lang)
            body += """
                <p class="export">\(lang("修改等级或周期后，所有会员的等级会在后台重新计算。",
                    "After the tiers or their window change, every member's tier is recomputed in the background."))</p>
                """
        }
        return console.page(
            .programme, title: ConsoleSection.programme.title(lang),
            status: refusal.map(ConsoleResponse.status(of:)) ?? .ok, body)
    }
}
