import Foundation
import HTTPTypes
import NIOCore
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

/// A staff account made for a test: its name, password and TOTP secret.
struct TestStaff: Sendable {
    let name: String
    let password: String
    let secret: String?
    let role: StaffRole
}

extension TestApp {
    /// Creates a staff account with `role` (with a second factor unless `totp` is false).
    func staff(_ name: String, role: StaffRole, totp: Bool = true) async throws -> TestStaff {
        let password = "correct horse \(name)"
        let (_, secret) = try await StaffStore(database: database, logger: TestDatabase.logger).create(
            name: name, role: role, password: password, secondFactor: totp, by: .commandLine)
        return TestStaff(name: name, password: password, secret: secret, role: role)
    }

    /// A browser signed in to the console as a new staff member with `role`.
    func consoleBrowser(_ role: StaffRole, name: String? = nil, language: String = "zh-CN,zh;q=0.9") async throws -> Browser {
        let member = try await staff(name ?? "\(role.rawValue)-\(UUID().uuidString.prefix(6).lowercased())", role: role)
        var browser = Browser(self, language: language)
        let page = try await browser.signIn(member)
        #expect(page.status == .seeOther, "sign-in as \(member.name) answered \(page.status)")
        return browser
    }
}

extension Browser {
    /// Signs in on /console/sign-in with the account's password and current TOTP code.
    mutating func signIn(_ staff: TestStaff, code: String? = nil, password: String? = nil, next: String? = nil) async throws -> Page {
        let form = try await get("/console/sign-in")
        let token = try #require(Self.consoleCSRF(in: form), "no form on the sign-in page")
        let path =
            next.map { "/console/sign-in?next=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "/console/sign-in"
        return try await post(
            path,
            form: [
                "_csrf": token, "name": staff.name, "password": password ?? staff.password,
                "code": code ?? staff.secret.map { StaffTOTP.code(secret: $0) } ?? "",
            ])
    }

    /// Posts a console form from the page at `page`, with that page's CSRF token.
    mutating func submit(_ action: String, from page: String, form: [String: String]) async throws -> Page {
        let shown = try await get(page)
        let token = try #require(Self.consoleCSRF(in: shown), "no console form on \(page) (\(shown.status))")
        var fields = form
        fields["_csrf"] = token
        return try await post(action, form: fields)
    }

    /// The CSRF token of the console forms on `page`.
    static func consoleCSRF(in page: Page) -> String? {
        let html = String(buffer: page.body)
        guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix(while: { $0 != "\"" }))
    }

    static func text(_ page: Page) -> String {
        String(buffer: page.body)
    }
}
