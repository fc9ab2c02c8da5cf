import TallyCore

/// A refused form's message, shown above the form it came from (which is shown again with what
/// was typed): what was wrong, and that nothing was changed.
enum RefusalNotice {
    static func html(_ error: StoreError?, _ lang: ConsoleLanguage) -> HTML {
        guard let error else { return "" }
        return """
            <div class="notice bad" role="alert"><strong>\(lang("未执行：", "Not done: "))</strong>\(error.message) \
            \(lang("没有做任何更改。", "Nothing was changed."))</div>
            """
    }
}
