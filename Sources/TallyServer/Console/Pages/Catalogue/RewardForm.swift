import Foundation
import TallyCore

/// The form that creates or edits a reward. Its values come from the reward, or after a refusal
/// from what was sent, so that nothing typed is lost; reading it builds the same `NewReward` or
/// `RewardPatch` the API takes, which the store checks by its one set of rules.
struct RewardForm {
    static let names = [
        "sku", "name", "description", "image_url", "cost_points", "stock", "stock_shown", "add_stock", "per_member_limit",
        "active_from", "active_until", "channels",
    ]

    var values: [String: String]

    init(sent form: ConsoleFormBody) {
        values = [:]
        for name in Self.names { values[name] = form.raw(name) }
    }

    init(_ reward: Reward?) {
        values = [:]
        guard let reward else { return }
        values["sku"] = reward.sku
        values["name"] = reward.name
        values["description"] = reward.description
        values["image_url"] = reward.imageURL ?? ""
        values["cost_points"] = String(reward.costPoints)
        values["stock"] = reward.stock.map { String($0) } ?? ""
        values["stock_shown"] = values["stock"]
        values["per_member_limit"] = reward.perMemberLimit.map { String($0) } ?? ""
        values["active_from"] = CatalogueInput.dateTimeValue(reward.activeFrom)
        values["active_until"] = CatalogueInput.dateTimeValue(reward.activeUntil)
        values["channels"] = reward.channels?.joined(separator: ", ") ?? ""
    }

    /// The form posting to `action`; `editing` shows the SKU fixed and the stock fields of a change.
    func html(action: String, editing: Reward?, console: ConsoleRequest) -> HTML {
        let lang = console.lang
        var fields: HTML = ConsoleForm.csrfField(console.csrf)
        if let editing {
            fields += CatalogueFields.hidden("sku", editing.sku)
            fields += CatalogueFields.hidden("stock_shown", values["stock_shown"] ?? "")
        } else {
            fields += ConsoleForm.field(lang("SKU", "SKU"), name: "sku", value: values["sku"], required: true, extra: "maxlength=\"64\"")
        }
        fields += ConsoleForm.field(lang("名称", "Name"), name: "name", value: values["name"], required: true, extra: "maxlength=\"200\"")
        fields += ConsoleForm.field(
            lang("所需积分", "Points"), name: "cost_points", value: values["cost_points"], type: "number", required: true, extra: "min=\"1\"")
        fields += ConsoleForm.field(
            editing == nil ? lang("库存（留空为不限）", "Stock (empty: unlimited)") : lang("可兑数量（留空为不限）", "Units available (empty: unlimited)"),
            name: "stock", value: values["stock"], type: "number", extra: "min=\"0\"")
        if editing != nil {
            fields += ConsoleForm.field(
                lang("补货数量（负数为撤回）", "Add units (negative: withdraw)"), name: "add_stock", value: values["add_stock"], type: "number")
        }
        fields += ConsoleForm.field(
            lang("每人限兑（留空为不限）", "Per-member limit (empty: none)"), name: "per_member_limit", value: values["per_member_limit"],
            type: "number", extra: "min=\"1\"")
        fields += ConsoleForm.field(lang("开始时间", "Active from"), name: "active_from", value: values["active_from"], type: "datetime-local")
        fields += ConsoleForm.field(
            lang("结束时间", "Active until"), name: "active_until", value: values["active_until"], type: "datetime-local")
        fields += ConsoleForm.field(
            lang("兑换渠道（逗号分隔，留空为全部）", "Channels (comma-separated, empty: all)"), name: "channels", value: values["channels"],
            extra: "placeholder=\"web, wechat_miniprogram\"")
        fields += ConsoleForm.field(lang("图片网址", "Image URL"), name: "image_url", value: values["image_url"], type: "url")
        fields += CatalogueFields.textarea(lang("说明", "Description"), name: "description", value: values["description"])
        let button = editing == nil ? lang("创建礼品", "Create reward") : lang("保存修改", "Save changes")
        return """
            <form class="card inline" method="post" action="\(action)">\(fields)
            <button type="submit">\(button)</button></form>
            """
    }

    /// The new reward the form describes.
    static func newReward(_ form: ConsoleFormBody) throws -> NewReward {
        NewReward(
            sku: form["sku"] ?? "", name: form["name"] ?? "",
            description: form["description"]?.replacingOccurrences(of: "\r\n", with: "\n"), imageURL: form["image_url"],
            costPoints: try CatalogueInput.integer(form["cost_points"], field: "cost_points", invalid: .invalidCostPoints) ?? 0,
            stock: try CatalogueInput.integer(form["stock"], field: "stock", invalid: .invalidStock),
            perMemberLimit: try CatalogueInput.int(form["per_member_limit"], field: "per_member_limit", invalid: .invalidPerMemberLimit),
            activeFrom: try CatalogueInput.dateTime(form["active_from"], field: "active_from", invalid: .invalidActiveWindow),
            activeUntil: try CatalogueInput.dateTime(form["active_until"], field: "active_until", invalid: .invalidActiveWindow),
            channels: CatalogueInput.list(form["channels"]))
    }

    /// The change from `current` that the form asks for: only fields that differ from what the
    /// form showed are sent, so a field left alone never overwrites a change made meanwhile.
    static func patch(_ form: ConsoleFormBody, current: Reward) throws -> RewardPatch {
        var patch = RewardPatch()
        let shown = RewardForm(current).values
        // A field the form did not send is kept.
        func changed(_ name: String) -> Bool { form.raw(name) != nil && (form[name] ?? "") != (shown[name] ?? "") }
        if changed("name") { patch.name = .set(form["name"] ?? "") }
        if let description = form.raw("description")?.replacingOccurrences(of: "\r\n", with: "\n"), description != current.description {
            patch.description = .set(description)
        }
        if changed("image_url") { patch.imageURL = form["image_url"].map { .set($0) } ?? .clear }
        if changed("cost_points") {
            patch.costPoints = .set(try CatalogueInput.integer(form["cost_points"], field: "cost_points", invalid: .invalidCostPoints) ?? 0)
        }
        if changed("per_member_limit") {
            patch.perMemberLimit =
                try CatalogueInput.int(form["per_member_limit"], field: "per_member_limit", invalid: .invalidPerMemberLimit).map {
                    .set($0)
                }
                ?? .clear
        }
        if changed("active_from") {
            patch.activeFrom =
                try CatalogueInput.dateTime(form["active_from"], field: "active_from", invalid: .invalidActiveWindow).map { .set($0) }
                ?? .clear
        }
        if changed("active_until") {
            patch.activeUntil =
                try CatalogueInput.dateTime(form["active_until"], field: "active_until", invalid: .invalidActiveWindow).map { .set($0) }
                ?? .clear
        }
        if form.raw("channels") != nil && CatalogueInput.list(form["channels"]) != current.channels {
            patch.channels = CatalogueInput.list(form["channels"]).map { .set($0) } ?? .clear
        }
        // The stock the form showed, not the stock now: redemptions meanwhile are not undone.
        if form.raw("stock") != nil && (form["stock"] ?? "") != (form["stock_shown"] ?? "") {
            patch.stock = try CatalogueInput.integer(form["stock"], field: "stock", invalid: .invalidStock).map { .set($0) } ?? .clear
        }
        patch.addStock = try CatalogueInput.integer(form["add_stock"], field: "add_stock", invalid: .invalidAddStock)
        return patch
    }

    /// True when the patch changes nothing.
    static func isEmpty(_ patch: RewardPatch) -> Bool {
        func kept<T>(_ update: FieldUpdate<T>) -> Bool {
            if case .keep = update { return true }
            return false
        }
        return kept(patch.name) && kept(patch.description) && kept(patch.imageURL) && kept(patch.costPoints) && kept(patch.stock)
            && patch.addStock == nil && kept(patch.perMemberLimit) && kept(patch.activeFrom) && kept(patch.activeUntil)
            && kept(patch.channels)
    }
}
