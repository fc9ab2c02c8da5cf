import Foundation
import Hummingbird
import PostgresNIO
import TallyCore

/// The editor: a new campaign, a new version of one, and the steps of its lifecycle. Each
/// change is the store's, with the staff audit record written in the same transaction; a
/// refusal (the store's message) shows the form again as it was typed, and changes nothing.
extension CampaignsPage {
    /// The editor page: the field form, and the API's JSON as the advanced alternative.
    func editor(
        _ console: ConsoleRequest, values: CampaignFormValues, json: String? = nil, campaign: Campaign?, refusal: StoreError?
    ) -> Response {
        let lang = console.lang
        let action = campaign.map { "/console/campaigns/\($0.id)/edit" } ?? "/console/campaigns/new"
        let title =
            campaign.map { lang("编辑活动：", "Edit campaign: ") + CampaignText.name($0.name, lang) } ?? lang("新建活动", "New campaign")
        var body: HTML = ""
        if let refusal {
            body += """
                <div class="notice bad" role="alert"><strong>\(lang("未保存：", "Not saved: "))</strong>\(refusal.message)\
                <br>\(lang("没有做任何更改；已保留你填写的内容。", "Nothing was changed; what you typed is kept below."))</div>
                """
        }
        if let campaign {
            body += """
                <p>\(lang("当前版本", "Current version")) \(campaign.version) · \(CampaignText.badge(campaign.status, lang)) · \
                \(lang("保存后成为新版本；已发放的奖励不变。", "Saving makes a new version; awards already made never change."))</p>
                """
        }
        let submit = campaign == nil ? lang("创建草稿", "Create draft") : lang("保存为新版本", "Save as a new version")
        body += values.html(action: action, csrf: console.csrf, submit: submit, lang: lang)
        let open: HTML = json != nil ? " open" : ""
        body += """
            <details class="card"\(open)><summary>\(lang("高级：以 JSON 编辑（与 API 相同的格式）", "Advanced: edit as JSON (the API's format)"))</summary>
            <form method="post" action="\(action)">\(ConsoleForm.csrfField(console.csrf))
            <input type="hidden" name="mode" value="json">
            <label>\(lang("活动定义 JSON", "Campaign definition (JSON)"))<textarea name="json" rows="18" spellcheck="false">\(json ?? campaign.map(Self.json) ?? "")</textarea></label>
            <p><button type="submit">\(submit)</button></p>
            </form></details>
            \(CampaignsPage.style)
            """
        let status = refusal.map(ConsoleResponse.status(of:)) ?? .ok
        return console.page(.campaigns, title: title, status: status, body)
    }

    /// `POST /console/campaigns/new`: a draft at version 1.
    func create(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let json = form["mode"] == "json" ? form.raw("json") ?? "" : nil
        let values = json == nil ? CampaignFormValues(form) : CampaignFormValues(timeZone: ConsoleFormat.timeZone.identifier)
        do {
            let input = try json.map { try Self.input(json: $0, lang: console.lang) } ?? values.input(lang: console.lang)
            let created = try await database.transaction(logger: console.logger) { tx in
                let campaign = try await campaigns.create(input, actor: console.session.actor, on: tx)
                try await audit.record(
                    console.audit, action: "campaign.create", target: Self.target(campaign.id), before: nil, after: campaign, on: tx)
                return campaign
            }
            return console.done(
                "/console/campaigns/\(created.id)", notice: console.lang("已创建活动草稿 #\(created.id)", "Draft campaign #\(created.id) created"))
        } catch let refusal as StoreError where refusal.kind == .invalid {
            return editor(console, values: values, json: json, campaign: nil, refusal: refusal)
        }
    }

    /// `GET /console/campaigns/{id}/edit`: the form of the current version (an ended campaign cannot change).
    func edit(_ console: ConsoleRequest) async throws -> Response {
        let campaign = try await campaigns.get(id: try Self.id(console))
        guard campaign.status != .ended else { throw Self.ended(campaign, console.lang) }
        return editor(console, values: CampaignFormValues(campaign), campaign: campaign, refusal: nil)
    }

    /// `POST /console/campaigns/{id}/edit`: a new version, unless the form changes nothing.
    func update(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let id = try Self.id(console)
        let current = try await campaigns.get(id: id)
        guard current.status != .ended else { throw Self.ended(current, console.lang) }
        let json = form["mode"] == "json" ? form.raw("json") ?? "" : nil
        let values = json == nil ? CampaignFormValues(form) : CampaignFormValues(current)
        let lang = console.lang
        do {
            let input = try json.map { try Self.input(json: $0, lang: lang) } ?? values.input(lang: lang)
            let (before, after) = try await database.transaction(logger: console.logger) { tx in
                let (before, after) = try await campaigns.update(id: id, input, actor: console.session.actor, on: tx)
                if after.version != before.version {
                    try await audit.record(
                        console.audit, action: "campaign.update", target: Self.target(id), before: before, after: after, on: tx)
                }
                return (before, after)
            }
            let notice =
                after.version == before.version
                ? lang("没有改动，未生成新版本。", "Nothing changed: no new version was made.")
                : lang("已保存为第 \(after.version) 版", "Saved as version \(after.version)")
            return console.done("/console/campaigns/\(id)", notice: notice)
        } catch let refusal as StoreError where refusal.kind == .invalid {
            return editor(console, values: values, json: json, campaign: current, refusal: refusal)
        }
    }

    /// `POST /console/campaigns/{id}/schedule|pause|resume|end`. Ending is final (and publishes
    /// the draw's secret), so it is asked for twice: the first post shows what it does and a
    /// button that posts again with `confirm=yes`; only that one ends the campaign.
    func take(_ step: CampaignStep, _ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let id = try Self.id(console)
        let lang = console.lang
        if step == .end, form["confirm"] != "yes" {
            let campaign = try await campaigns.get(id: id)
            guard Self.allowed(.end, from: campaign.status) else { throw CampaignStep.end.refusal(from: campaign.status) }
            let body: HTML = """
                <div class="notice warn" role="alert">\(lang(
                    "结束后活动不再发放奖励，也不能恢复或再更改；抽奖密钥将公布。",
                    "Once ended, the campaign awards nothing more and can never resume or change; its draw's secret is published."))</div>
                <form method="post" action="/console/campaigns/\(id)/end">\(ConsoleForm.csrfField(console.csrf))
                <input type="hidden" name="confirm" value="yes">
                <button type="submit" class="danger">\(lang("确认结束活动", "Yes, end the campaign"))</button>
                <a href="/console/campaigns/\(id)">\(lang("取消", "Cancel"))</a>
                </form>
                """
            return console.page(.campaigns, title: lang("结束活动 #\(id)？", "End campaign #\(id)?"), body)
        }
        try await database.transaction(logger: console.logger) { tx in
            let (before, after) = try await campaigns.take(step, id: id, actor: console.session.actor, on: tx)
            try await audit.record(
                console.audit, action: "campaign.\(step.rawValue)", target: Self.target(id), before: before, after: after, on: tx)
        }
        let notice =
            switch step {
            case .schedule: lang("已排期", "Scheduled")
            case .pause: lang("已暂停", "Paused")
            case .resume: lang("已恢复", "Resumed")
            case .end: lang("已结束", "Ended")
            }
        return console.done("/console/campaigns/\(id)", notice: notice)
    }

    // MARK: The JSON alternative

    /// The API's JSON of a campaign's definition, as `POST /api/v1/campaigns` takes it.
    static func json(_ campaign: Campaign) -> String {
        var input = CampaignInput()
        (input.name, input.startsAt, input.endsAt, input.timeZone) = (campaign.name, campaign.startsAt, campaign.endsAt, campaign.timeZone)
        (input.priority, input.exclusive, input.conditions) = (campaign.priority, campaign.exclusive, campaign.conditions)
        var effect = campaign.effect
        effect.prizes = effect.prizes?.map { prize in
            var prize = prize
            prize.left = nil
            return prize
        }
        var budget = campaign.budget
        (budget.pointsLeft, budget.awardsLeft) = (nil, nil)
        (input.effect, input.budget, input.limits) = (effect, budget, campaign.limits)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .rfc3339
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(input)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The JSON typed in the advanced editor, read as the API reads it; what it cannot read is a
    /// refusal with the reader's message.
    static func input(json: String, lang: ConsoleLanguage) throws -> CampaignInput {
        do {
            return try APIRequestDecoder().decode(CampaignInput.self, from: Data(json.utf8))
        } catch let error as APIError {
            throw StoreError(.invalid, error.code, error.message)
        } catch {
            throw StoreError(
                .invalid, .invalidJSON,
                lang("JSON 无法读取：请检查括号、引号和字段类型。", "The JSON cannot be read: check its brackets, quotes and the types of its fields."))
        }
    }

    static func ended(_ campaign: Campaign, _ lang: ConsoleLanguage) -> StoreError {
        StoreError(
            .invalid, .campaignEnded,
            lang("活动 #\(campaign.id) 已结束，不能再更改。", "Campaign #\(campaign.id) has ended: an ended campaign cannot change."))
    }
}
