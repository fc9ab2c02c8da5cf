/// Pieces of the console's forms. Every form posts to a path of the page it is on, with the
/// session's CSRF token as `_csrf`.
enum ConsoleForm {
    static let csrfName = "_csrf"

    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(token)\">"
    }

    /// A labelled text input.
    static func field(
        _ label: String, name: String, value: String? = nil, type: String = "text", required: Bool = false, extra: String = ""
    )
        -> HTML
    {
        let requiredAttribute: HTML = required ? " required" : ""
        return
            "<label>\(label)<input type=\"\(type)\" name=\"\(name)\" value=\"\(value ?? "")\"\(requiredAttribute)\(HTML(trusted: extra.isEmpty ? "" : " " + extra))></label>"
    }

    /// A labelled select of (value, label) options.
    static func select(_ label: String, name: String, options: [(String, String)], selected: String?) -> HTML {
        var html: HTML = "<label>\(label)<select name=\"\(name)\">"
        for (value, text) in options {
            html +=
                value == selected ? "<option value=\"\(value)\" selected>\(text)</option>" : "<option value=\"\(value)\">\(text)</option>"
        }
        html += "</select></label>"
        return html
    }
}
