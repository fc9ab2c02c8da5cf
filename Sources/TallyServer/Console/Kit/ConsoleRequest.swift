import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TallyCore

/// One request to a console page, after `ConsoleRoutes` checked the session and the role:
/// who asks, in which language, and the helpers every page answers with.
struct ConsoleRequest: Sendable {
    let request: Request
    let context: AppRequestContext
    let session: StaffSession
    let lang: ConsoleLanguage
    /// The token this session's forms carry (`ConsoleForm.csrfField`).
    let csrf: String
    let ip: String?
    let secureCookies: Bool
    /// A notice left by the action before (a redirect after a form), shown once.
    let notice: String?

    var audit: StaffAudit.Actor { StaffAudit.Actor(session, ip: ip) }
    var logger: Logger { context.logger }

    func may(_ permission: StaffPermission) -> Bool { session.may(permission) }

    /// A query parameter, trimmed; nil when absent or empty.
    func query(_ name: String) -> String? {
        guard let value = request.uri.queryParameters[Substring(name)] else { return nil }
        let trimmed = String(value).trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// True when the page was asked for as CSV (`?format=csv`).
    var wantsCSV: Bool { query("format") == "csv" }

    /// This page's address with `format=csv` added: the CSV of what is shown, filters and all.
    var csvURL: String {
        var items = request.uri.queryParameters.filter { $0.key != "format" && $0.key != "lang" && $0.key != "table" }.map {
            "\(ConsoleURL.encode(String($0.key)))=\(ConsoleURL.encode(String($0.value)))"
        }
        items.append("format=csv")
        return request.uri.path + "?" + items.joined(separator: "&")
    }

    /// The CSV of one of several tables on this page: `csvURL` with `table=name`.
    func csvURL(table: String) -> String {
        csvURL + "&table=" + ConsoleURL.encode(table)
    }

    /// A page of `section` with `body` in the console's frame.
    func page(_ section: ConsoleSection?, title: String, status: HTTPResponse.Status = .ok, _ body: HTML) -> Response {
        let html = ConsoleLayout(request: self, section: section, title: title, body: body).render()
        var response = ConsoleResponse.html(html, status: status)
        if notice != nil { ConsoleResponse.clearNotice(&response, secure: secureCookies) }
        if let chosen = query("lang"), ConsoleLanguage(rawValue: chosen) != nil {
            ConsoleResponse.setLanguage(&response, lang, secure: secureCookies)
        }
        return response
    }

    /// A 303 after a form did what it said, to `location`, with a notice the next page shows.
    func done(_ location: String, notice: String) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        ConsoleResponse.setNotice(&response, notice, secure: secureCookies)
        return response
    }

    /// The refusal of a form or a page: the domain's message, in a page that says nothing was done.
    func refused(_ error: StoreError, section: ConsoleSection?, back: String?) -> Response {
        let body: HTML = """
            <div class="notice bad" role="alert"><strong>\(lang("未执行：", "Not done: "))</strong>\(error.message)</div>
            <p>\(lang("没有做任何更改。", "Nothing was changed."))\(back.map { _ in " " } ?? "")\
            \(HTML(trusted: back.map { "<a href=\"\(ConsoleURL.attribute($0))\">\(HTML.escaped(lang("返回", "Back")))</a>" } ?? ""))</p>
            """
        return page(section, title: lang("未执行", "Not done"), status: ConsoleResponse.status(of: error), body)
    }

    /// A CSV download of `table`, named `name`-YYYY-MM-DD.csv.
    func csv(_ table: ConsoleTable, name: String) -> Response {
        ConsoleResponse.csv(table.csv(), filename: "\(name)-\(ConsoleFormat.day(Date(), lang: .en)).csv")
    }
}
