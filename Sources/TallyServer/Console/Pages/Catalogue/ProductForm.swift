import Foundation
import TallyCore

/// The form that creates a product; after a refusal it shows what was sent again.
struct ProductForm {
    static let names = ["sku", "name", "gtin", "default_points", "description", "image_url"]

    var values: [String: String] = [:]

    init() {}

    init(sent form: ConsoleFormBody) {
        for name in Self.names { values[name] = form.raw(name) }
    }

    func html(_ console: ConsoleRequest) -> HTML {
        let lang = console.lang
        return """
            <form class="card inline" method="post" action="/console/packaging/new-product">\(ConsoleForm.csrfField(console.csrf))
            \(ConsoleForm.field("SKU", name: "sku", value: values["sku"], required: true, extra: "maxlength=\"64\""))
            \(ConsoleForm.field(lang("名称", "Name"), name: "name", value: values["name"], required: true, extra: "maxlength=\"200\""))
            \(ConsoleForm.field(lang("每码默认积分", "Default points per code"), name: "default_points", value: values["default_points"], type: "number", required: true, extra: "min=\"0\""))
            \(ConsoleForm.field(lang("GTIN（可选）", "GTIN (optional)"), name: "gtin", value: values["gtin"], extra: "inputmode=\"numeric\""))
            \(ConsoleForm.field(lang("图片网址", "Image URL"), name: "image_url", value: values["image_url"], type: "url"))
            \(CatalogueFields.textarea(lang("说明", "Description"), name: "description", value: values["description"]))
            <button type="submit">\(lang("创建产品", "Create product"))</button></form>
            """
    }

    /// The fields the API's `createProduct` takes; the store checks them by the product rules.
    static func fields(_ form: ConsoleFormBody) throws -> ProductFields {
        ProductFields(
            sku: form["sku"], name: form["name"], gtin: form["gtin"], imageURL: form["image_url"],
            description: form["description"]?.replacingOccurrences(of: "\r\n", with: "\n"),
            defaultPoints: try CatalogueInput.int(form["default_points"], field: "default_points", invalid: .invalidDefaultPoints))
    }
}
