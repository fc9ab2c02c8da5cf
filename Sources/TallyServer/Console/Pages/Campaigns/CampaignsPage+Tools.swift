import Foundation
import Hummingbird
import PostgresNIO
import TallyCodes
import TallyCore

/// Trying a campaign out without changing anything: the preview of a claim (CampaignPreview: the
/// claim made and rolled back) and the backtest over past claims (backtest_campaign, read-only).
extension CampaignsPage {
    /// What the preview form was sent with, kept to show again with its answer or refusal.
    struct PreviewFields: Sendable {
        var code = ""
        var batch = ""
        var sequence = ""
        var member = ""
        var channel = ""

        init() {}

        init(_ form: ConsoleFormBody) {
            code = form["code"] ?? ""
            batch = form["batch"] ?? ""
            sequence = form["sequence"] ?? ""
            member = form["member"] ?? ""
            channel = form["channel"] ?? ""
        }
    }

    func previewForm(_ console: ConsoleRequest) async throws -> Response {
        let id = try Self.id(console)
        let campaign = try await campaigns.get(id: id)
        return previewPage(console, campaign: campaign, fields: PreviewFields(), answer: nil, refusal: nil)
    }

    /// `POST …/preview`: the claim a member would make of a code now, with this campaign as if
    /// live (an ended one cannot be: then the live campaigns alone). Nothing is written.
    func previewClaim(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let id = try Self.id(console)
        let campaign = try await campaigns.get(id: id)
        let fields = PreviewFields(form)
        do {
            let code = try await previewCode(fields, lang: console.lang)
            let member = try await previewMember(fields.member, console)
            let channel = try ChannelName(validating: fields.channel.isEmpty ? ChannelName.web.rawValue : fields.channel)
            let answer = try await preview.preview(
                code: code, member: member, channel: channel, asLive: campaign.status == .ended ? nil : id)
            return previewPage(console, campaign: campaign, fields: fields, answer: answer, refusal: nil)
        } catch let refusal as StoreError where refusal.kind == .invalid || refusal.kind == .notFound {
            return previewPage(console, campaign: campaign, fields: fields, answer: nil, refusal: refusal)
        }
    }

    /// The code typed (or a link holding one), or the one at `sequence` of batch `batch`.
    private func previewCode(_ fields: PreviewFields, lang: ConsoleLanguage) async throws -> Code {
        if !fields.code.isEmpty {
            switch keyRing.check(CodeLink.codeText(in: fields.code)) {
            case .valid(let code): return code
            case .malformed(let problem): throw StoreError(.invalid, .malformedCode, lang("码的格式不对：", "code: ") + "\(problem)")
            case .typo:
                throw StoreError(.invalid, .mistypedCode, lang("码的校验位不符，请核对。", "the code's check character does not match: re-check it"))
            case .unknownKey, .forged: throw StoreError(.invalid, .forgedCode, lang("这不是品牌发行的码。", "this code was not issued by the brand"))
            }
        }
        guard let batchID = Int64(fields.batch), let sequence = Int64(fields.sequence) else {
            throw StoreError(
                .invalid, .malformedCode,
                lang("请填写码，或批次编号与码在批次中的序号（从 0 开始）。", "Enter a code, or a batch id and the code's sequence in the batch (from 0)."))
        }
        let batch = try await batches.get(id: batchID)
        guard (0..<batch.quantity).contains(sequence),
            let code = keyRing.mint(kid: UInt8(batch.kid), serial: UInt64(batch.firstSerial + sequence))
        else {
            throw StoreError(
                .invalid, .malformedCode,
                lang("批次 \(batchID) 的序号为 0 至 \(batch.quantity - 1)。", "batch \(batchID) has sequences 0 to \(batch.quantity - 1)"))
        }
        return code
    }

    /// A member id, or the member holding a phone number (typed any usual way).
    private func previewMember(_ text: String, _ console: ConsoleRequest) async throws -> UUID {
        let lang = console.lang
        if let id = UUID(uuidString: text) { return id }
        let phone: PhoneNumber
        do { phone = try PhoneNumber(text) } catch {
            throw StoreError(
                .invalid, .invalidPhone, lang("会员填写会员 ID 或手机号：", "member is a member id or a phone number: ") + error.description)
        }
        let rows = try await database.query(
            "SELECT member_id FROM member_identities WHERE channel = 'phone' AND external_id = \(phone.e164)", logger: console.logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw StoreError(.notFound, .memberNotFound, lang("没有会员使用手机号 \(phone.e164)", "no member has the phone \(phone.e164)"))
    }

    private func previewPage(
        _ console: ConsoleRequest, campaign: Campaign, fields: PreviewFields, answer: CampaignPreview.Answer?, refusal: StoreError?
    ) -> Response {
        let lang = console.lang
        var body: HTML = back(campaign.id, lang)
        body += """
            <p>\(lang("预览某会员现在领取某个码会得到什么：本活动视为进行中，其他进行中的活动照常；不会写入任何数据。",
                "What a member would get for a code right now: this campaign as if live, with the live ones; nothing is written."))</p>
            <form class="card" method="post" action="/console/campaigns/\(campaign.id)/preview">\(ConsoleForm.csrfField(console.csrf))
            <div class="grid">
            \(ConsoleForm.field(lang("码（或含码的链接）", "Code (or a link holding one)"), name: "code", value: fields.code))
            \(ConsoleForm.field(lang("或：批次编号", "Or: batch id"), name: "batch", value: fields.batch, extra: "inputmode=\"numeric\""))
            \(ConsoleForm.field(lang("码在批次中的序号（从 0 开始）", "Sequence in the batch (from 0)"), name: "sequence", value: fields.sequence, extra: "inputmode=\"numeric\""))
            \(ConsoleForm.field(lang("会员 ID 或手机号", "Member id or phone"), name: "member", value: fields.member, required: true))
            \(ConsoleForm.field(lang("渠道（默认 web）", "Channel (web if empty)"), name: "channel", value: fields.channel))
            </div>
            <p><button type="submit">\(lang("预览", "Preview"))</button></p>
            </form>
            """
        if let refusal {
            body += """
                <div class="notice bad" role="alert"><strong>\(lang("无法预览：", "Cannot preview: "))</strong>\(refusal.message)</div>
                """
        }
        if let answer {
            let result =
                answer.result == "claimable"
                ? lang("可以领取", "claimable")
                : lang("不能领取：", "would be refused: ") + answer.result
            body += """
                <h2>\(lang("预览结果", "What the claim would give"))</h2>
                <div class="card"><dl class="facts">
                <dt>\(lang("码", "Code"))</dt><dd><code>\(answer.code)</code></dd>
                <dt>\(lang("会员", "Member"))</dt><dd><code>\(answer.memberId.uuidString.lowercased())</code></dd>
                <dt>\(lang("结果", "Result"))</dt><dd>\(result)</dd>
                <dt>\(lang("基础积分", "Base points"))</dt><dd>\(answer.points.map(String.init) ?? "—")</dd>
                <dt>\(lang("领取后余额", "Balance after"))</dt><dd>\(answer.balanceAfter.map { ConsoleFormat.number($0) } ?? "—")</dd>
                </dl></div>
                """
            let table = ConsoleTable(
                caption: lang("活动奖励", "Campaign awards"),
                columns: [
                    .init(lang("活动", "Campaign")), .init(lang("版本", "Version"), numeric: true), .init(lang("奖励", "Effect")),
                    .init(lang("积分", "Points"), numeric: true), .init(lang("奖品", "Prize")),
                ],
                rows: answer.awards.map { award in
                    [
                        .link(
                            "#\(award.campaignId) " + (lang == .zh ? award.name.zh : award.name.en),
                            to: "/console/campaigns/\(award.campaignId)"),
                        .init(award.version), .init(award.effect), .init(award.points),
                        .init(award.prize.map { lang == .zh ? $0.name.zh : $0.name.en } ?? award.reward?.name ?? ""),
                    ]
                },
                empty: lang("没有活动奖励。", "No campaign awards."))
            body += table.html(csvURL: nil, lang: lang)
        }
        let status = refusal.map(ConsoleResponse.status(of:)) ?? .ok
        return console.page(
            .campaigns, title: lang("预览：活动 #\(campaign.id)", "Preview: campaign #\(campaign.id)"), status: status, body)
    }

    // MARK: Backtest

    /// `GET …/backtest?days=N`: the current version replayed over the last N days' claims, as a
    /// chart (awards and points per day, budgets left) and a table (also as CSV). Read-only.
    func backtest(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let id = try Self.id(console)
        let campaign = try await campaigns.get(id: id)
        let daysText = console.query("days")
        var body: HTML = back(id, lang)
        body += """
            <form class="inline card" method="get" action="/console/campaigns/\(id)/backtest">
            \(ConsoleForm.field(lang("回测天数（1–\(CampaignBacktester.maxDays)）", "Days to replay (1–\(CampaignBacktester.maxDays))"),
                name: "days", value: daysText ?? "30", type: "number", extra: "min=\"1\" max=\"366\""))
            <button type="submit">\(lang("回测", "Run the backtest"))</button>
            </form>
            <p>\(lang("以当前版本重放过去的领取，只读，不写入任何数据。", "Replays past claims against the current version, reading only: nothing is written."))</p>
            """
        guard let daysText else {
            return console.page(.campaigns, title: lang("回测：", "Backtest: ") + CampaignText.name(campaign.name, lang), body)
        }
        let result = try await backtester.backtest(campaign: id, days: Int64(daysText) ?? 0)
        let table = CampaignTables.backtest(result, lang: lang)
        if console.wantsCSV { return console.csv(table, name: "campaign-\(id)-backtest") }
        let labels = result.perDay.map { String($0.day.suffix(5)) }
        body += """
            <div class="grid">
            <div class="metric"><div class="label">\(lang("预计获奖", "Projected awards"))</div><div class="value">\(ConsoleFormat.number(result.awards))</div></div>
            <div class="metric"><div class="label">\(lang("预计积分", "Projected points"))</div><div class="value">\(ConsoleFormat.number(result.points))</div></div>
            <div class="metric"><div class="label">\(lang("获奖会员", "Members reached"))</div><div class="value">\(ConsoleFormat.number(result.membersReached))</div></div>
            <div class="metric"><div class="label">\(lang("预算用尽于", "Budget runs out on"))</div><div class="value">\(result.budgetRunsOutOn ?? lang("不会用尽", "never"))</div></div>
            </div>
            <div class="card">
            \(SVGChart.lines(
                lang("每日预计获奖与积分", "Projected awards and points per day"), labels: labels,
                series: [
                    .init(lang("获奖", "Awards"), result.perDay.map(\.awards), color: "#0b6bcb"),
                    .init(lang("积分", "Points"), result.perDay.map(\.points), color: "#17803d", dashed: true),
                ]))
            </div>
            """
        var budgets: [SVGChart.Series] = []
        if result.perDay.contains(where: { $0.pointsBudgetLeft != nil }) {
            budgets.append(
                SVGChart.Series(lang("剩余积分预算", "Points budget left"), result.perDay.map { $0.pointsBudgetLeft ?? 0 }, color: "#b54708"))
        }
        if result.perDay.contains(where: { $0.awardsBudgetLeft != nil }) {
            budgets.append(
                SVGChart.Series(
                    lang("剩余获奖预算", "Awards budget left"), result.perDay.map { $0.awardsBudgetLeft ?? 0 }, color: "#b42318", dashed: true))
        }
        if !budgets.isEmpty {
            body +=
                "<div class=\"card\">\(SVGChart.lines(lang("每日剩余预算", "Budget left at each day's end"), labels: labels, series: budgets))</div>"
        } else {
            body += "<p>\(lang("此活动没有总预算：预算不会用尽。", "This campaign has no total budget: it cannot run out."))</p>"
        }
        body += table.html(csvURL: console.csvURL, lang: lang)
        return console.page(.campaigns, title: lang("回测：", "Backtest: ") + CampaignText.name(campaign.name, lang), body)
    }
}
