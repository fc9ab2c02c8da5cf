import Hummingbird
import TallyCore

/// The frame of every console page: the navigation the staff member's role may use, the
/// language switch, who is signed in and the sign-out button, a notice from the last action.
struct ConsoleLayout {
    let request: ConsoleRequest
    let section: ConsoleSection?
    let title: String
    let body: HTML

    func render() -> String {
        let lang = request.lang
        var nav: HTML = ""
        for item in ConsoleSection.allCases where request.may(item.permission) {
            nav +=
                item == section
                ? "<li><a href=\"\(item.path)\" aria-current=\"page\">\(item.title(lang))</a></li>"
                : "<li><a href=\"\(item.path)\">\(item.title(lang))</a></li>"
        }
        let switchURL = ConsoleURL.make(request.request.uri.path, [("lang", lang.other.rawValue)])
        let notice: HTML = request.notice.map { "<div class=\"notice good\" role=\"status\">\($0)</div>" } ?? ""
        let page: HTML = """
            <!doctype html>
            <html lang="\(lang.tag)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Tally</title>
            <style>\(HTML(trusted: ConsoleStyle.css))</style>
            </head>
            <body>
            <a class="skip" href="#main">\(lang("跳到正文", "Skip to content"))</a>
            <header>
            <a class="brand" href="/console">Tally</a>
            <nav aria-label="\(lang("控制台", "Console"))"><ul>\(nav)</ul></nav>
            <div class="who">
            <a href="\(switchURL)" lang="\(lang.other.tag)">\(lang.other == .en ? "English" : "中文")</a>
            <span>\(request.session.name) · \(ConsoleRoleName.name(request.session.role, lang))</span>
            <form method="post" action="/console/sign-out">\(ConsoleForm.csrfField(request.csrf))<button type="submit" class="link">\(lang("退出", "Sign out"))</button></form>
            </div>
            </header>
            <main id="main">
            <h1>\(title)</h1>
            \(notice)\(body)
            </main>
            </body>
            </html>
            """
        return page.text
    }
}
