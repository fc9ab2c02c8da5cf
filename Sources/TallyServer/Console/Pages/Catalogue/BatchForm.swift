import Foundation
import TallyCore

/// The form that creates a batch. It carries a key made when it was shown, used as the API's
/// Idempotency-Key: sent twice (a double click, a reload), it creates one batch, never two ranges.
struct BatchForm {
    static let names = [
        "sku", "quantity", "points_per_code", "points_valid_months", "lot", "production_date", "expiry_date", "region", "channel",
        "url_form", "request_key",
    ]

    var values: [String: String] = [:]

    init(sku: String?) {
        values["sku"] = sku
        values["request_key"] = UUID().uuidString.lowercased()
    }

    init(sent form: ConsoleFormBody) {
        for name in Self.names { values[name] = form.raw(name) }
        if (values["request_key"] ?? "").isEmpty { values["request_key"] = UUID().uuidString.lowercased() }
    }

    func html(_ console: ConsoleRequest, products: [Product]) -> HTML {
        let lang = console.lang
        let skus = products.map { ($0.sku, "\($0.sku) · \($0.name)") }
        let urlForms = [("short", lang("短链接", "Short URL")), ("gs1", lang("GS1 数字链接（需 GTIN）", "GS1 Digital Link (needs a GTIN)"))]
        return """
            <form class="card inline" method="post" action="/console/packaging/new-batch">\(ConsoleForm.csrfField(console.csrf))
            \(CatalogueFields.hidden("request_key", values["request_key"] ?? ""))
            \(ConsoleForm.select(lang("产品", "Product"), name: "sku", options: skus, selected: values["sku"]))
            \(ConsoleForm.field(lang("数量", "Quantity"), name: "quantity", value: values["quantity"], type: "number", required: true, extra: "min=\"1\""))
            \(ConsoleForm.field(lang("每码积分（留空用产品默认）", "Points per code (empty: the product's)"), name: "points_per_code", value: values["points_per_code"], type: "number", extra: "min=\"1\""))
            \(ConsoleForm.field(lang("积分有效月数（可选，0 为永久）", "Points valid for months (optional, 0: never expire)"), name: "points_valid_months", value: values["points_valid_months"], type: "number", extra: "min=\"0\""))
            \(ConsoleForm.field(lang("批号", "Lot"), name: "lot", value: values["lot"]))
            \(ConsoleForm.field(lang("生产日期", "Production date"), name: "production_date", value: values["production_date"], type: "date"))
            \(ConsoleForm.field(lang("到期日期", "Expiry date"), name: "expiry_date", value: values["expiry_date"], type: "date"))
            \(ConsoleForm.field(lang("地区（如 CN-31）", "Region (e.g. CN-31)"), name: "region", value: values["region"]))
            \(ConsoleForm.field(lang("渠道", "Channel"), name: "channel", value: values["channel"]))
            \(ConsoleForm.select(lang("网址形式", "URL form"), name: "url_form", options: urlForms, selected: values["url_form"] ?? "short"))
            <button type="submit">\(lang("创建批次", "Create batch"))</button></form>
            """
    }

    /// The batch the API's `createBatch` would take; the store checks it by the batch rules.
    static func newBatch(_ form: ConsoleFormBody) throws -> NewBatch {
        NewBatch(
            sku: form["sku"] ?? "",
            quantity: try CatalogueInput.integer(form["quantity"], field: "quantity", invalid: .invalidQuantity) ?? 0,
            pointsPerCode: try CatalogueInput.int(form["points_per_code"], field: "points_per_code", invalid: .invalidPoints),
            lot: form["lot"], productionDate: form["production_date"], expiryDate: form["expiry_date"], region: form["region"],
            channel: form["channel"], urlForm: form["url_form"],
            pointsValidMonths: try CatalogueInput.int(
                form["points_valid_months"], field: "points_valid_months", invalid: .invalidPointsValidMonths))
    }
}
