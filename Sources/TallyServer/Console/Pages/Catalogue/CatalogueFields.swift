/// Form controls the catalogue and packaging forms need beyond `ConsoleForm`'s.
enum CatalogueFields {
    /// A labelled multi-line text.
    static func textarea(_ label: String, name: String, value: String?) -> HTML {
        "<label>\(label)<textarea name=\"\(name)\" rows=\"3\">\(value ?? "")</textarea></label>"
    }

    static func hidden(_ name: String, _ value: String) -> HTML {
        "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">"
    }

    /// The refusal of a form shown above the form again, with the values as they were sent.
    static func refusal(_ message: String?, lang: ConsoleLanguage) -> HTML {
        guard let message else { return "" }
        return """
            <div class="notice bad" role="alert"><strong>\(lang("未执行：", "Not done: "))</strong>\(message) \
            \(lang("没有做任何更改。", "Nothing was changed."))</div>
            """
    }
}
