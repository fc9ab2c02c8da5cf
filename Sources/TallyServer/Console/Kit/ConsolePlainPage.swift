/// Pages without the console's frame: when there is no session to frame them with.
enum ConsolePlainPage {
    static func unavailable(_ lang: ConsoleLanguage) -> String {
        let page: HTML = """
            <!doctype html><html lang="\(lang.tag)"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>Tally</title>\
            <style>\(HTML(trusted: ConsoleStyle.css))</style></head><body><main><div class="signin">\
            <h1>\(lang("暂时无法使用", "Unavailable"))</h1><p>\(lang("数据库暂时没有响应，没有做任何更改。请稍后再试。",
                "The database did not answer in time; nothing was changed. Please try again in a moment."))</p>\
            </div></main></body></html>
            """
        return page.text
    }
}
