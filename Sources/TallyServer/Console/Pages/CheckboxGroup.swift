/// Checkboxes as the console shows them: the box beside its words (the kit's labels stack a
/// field under its title), a group of them in columns under a legend.
enum CheckboxGroup {
    static func box(name: String, value: String, checked: Bool, _ label: HTML) -> HTML {
        let on: HTML = checked ? " checked" : ""
        return """
            <label style="flex-direction:row;align-items:center;gap:8px;color:inherit">\
            <input type="checkbox" name="\(name)" value="\(value)"\(on) style="min-height:0;margin:0"> <span>\(label)</span></label>
            """
    }

    static func group(_ legend: String, name: String, options: [(value: String, label: HTML)], checked: Set<String>) -> HTML {
        var boxes: HTML = ""
        for option in options {
            boxes += box(name: name, value: option.value, checked: checked.contains(option.value), option.label)
        }
        return """
            <fieldset style="display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:6px 16px;\
            border:1px solid var(--line);border-radius:8px;margin:12px 0"><legend>\(legend)</legend>\(boxes)</fieldset>
            """
    }
}
