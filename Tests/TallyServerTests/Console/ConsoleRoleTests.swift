import Foundation
import HTTPTypes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console roles: each role reaches what it may, by navigation and by URL, and nothing else")
struct ConsoleRoleTests {
    @Test(
        "every section answers each role 200 or 403 as its permission says, and the navigation shows only the allowed",
        arguments: StaffRole.allCases)
    func sections(role: StaffRole) async throws {
        try await TestApp.run { app in
            var browser = try await app.consoleBrowser(role)
            for section in ConsoleSection.allCases {
                let page = try await browser.get(section.path)
                let allowed = role.may(section.permission)
                #expect(page.status == (allowed ? .ok : .forbidden), "\(role) \(section.path): \(page.status)")
                let html = Browser.text(page)
                if !allowed {
                    #expect(html.contains("不能打开此页"), "\(role) \(section.path) says why")
                }
                for other in ConsoleSection.allCases {
                    let linked = html.contains("<li><a href=\"\(other.path)\"")
                    #expect(linked == role.may(other.permission), "\(role) on \(section.path): nav link \(other.path)")
                }
            }
        }
    }
}
