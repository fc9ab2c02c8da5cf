import Foundation
import HTTPTypes
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Console sign-in: password, TOTP, lock-out, sessions, CSRF and Origin")
struct ConsoleSignInTests {
    @Test("the right password and code sign in; the session opens console pages until sign-out")
    func signInAndOut() async throws {
        try await TestApp.run { app in
            let admin = try await app.staff("alice", role: .admin)
            var browser = Browser(app)
            let refused = try await browser.get("/console/audit")
            #expect(refused.status == .seeOther)
            #expect(refused.headers[.location] == "/console/sign-in?next=%2Fconsole%2Faudit")

            let signedIn = try await browser.signIn(admin, next: "/console/audit")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/console/audit")
            let setCookie = signedIn.headers[values: .setCookie].first { $0.hasPrefix("tally_staff=") } ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/console"))
            let audit = try await browser.get("/console/audit")
            #expect(audit.status == .ok)
            #expect(Browser.text(audit).contains("staff.sign_in"))
            #expect(audit.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)

            let out = try await browser.submit("/console/sign-out", from: "/console/audit", form: [:])
            #expect(out.status == .seeOther && out.headers[.location] == "/console/sign-in")
            #expect(try await browser.get("/console/audit").status == .seeOther)
            let actions = try await app.database.query("SELECT action FROM staff_audit ORDER BY id", logger: TestDatabase.logger)
            var seen: [String] = []
            for try await action in actions.decode(String.self) { seen.append(action) }
            #expect(seen == ["staff.create", "staff.sign_in", "staff.sign_out"])
        }
    }

    @Test("a wrong password, a wrong or reused code, an unknown name: refused alike, no session")
    func refusals() async throws {
        try await TestApp.run { app in
            let admin = try await app.staff("alice", role: .admin)
            var browser = Browser(app)
            for (password, code) in [("wrong password!", nil), (admin.password, "000000"), (admin.password, "12345")] as [(String, String?)]
            {
                let page = try await browser.signIn(admin, code: code, password: password)
                #expect(page.status == .unauthorized)
                #expect(Browser.text(page).contains("用户名、密码或验证码不正确"))
            }
            let unknown = TestStaff(name: "nobody", password: "whatever password", secret: admin.secret, role: .admin)
            #expect(try await browser.signIn(unknown).status == .unauthorized)
            #expect(try await browser.get("/console/audit").status == .seeOther)

            // A code is good once: signed out, the same code does not sign in again.
            let code = StaffTOTP.code(secret: admin.secret!)
            #expect(try await browser.signIn(admin, code: code).status == .seeOther)
            _ = try await browser.submit("/console/sign-out", from: "/console/audit", form: [:])
            #expect(try await browser.signIn(admin, code: code).status == .unauthorized)
            #expect(try await browser.signIn(admin, code: StaffTOTP.code(secret: admin.secret!, at: Date() + 30)).status == .seeOther)
        }
    }

    @Test("five wrong attempts lock the account for 15 minutes, even against the right password")
    func lockOut() async throws {
        try await TestApp.run { app in
            let staff = try await app.staff("bob", role: .viewer)
            var browser = Browser(app)
            for _ in 1..<StaffStore.maxFailures {
                #expect(try await browser.signIn(staff, password: "not the password").status == .unauthorized)
            }
            let locked = try await browser.signIn(staff, password: "not the password")
            #expect(locked.status.code == 423)
            #expect(Browser.text(locked).contains("账户已锁定"))
            #expect(try await browser.signIn(staff).status.code == 423)
            let rows = try await app.database.query(
                "SELECT locked_until > now() + interval '14 minutes' FROM staff WHERE name = 'bob'", logger: TestDatabase.logger)
            for try await isLocked in rows.decode(Bool.self) { #expect(isLocked) }
            #expect(try await app.count("staff_sessions") == 0)
        }
    }

    @Test("a form without the session's token or from another site is refused and changes nothing")
    func forgery() async throws {
        try await TestApp.run { app in
            let staff = try await app.staff("carol", role: .admin)
            var browser = Browser(app)
            let form = try await browser.get("/console/sign-in")
            let token = try #require(Browser.consoleCSRF(in: form))
            let code = StaffTOTP.code(secret: staff.secret!)
            browser.origin = "https://evil.example"
            let crossSite = try await browser.post(
                "/console/sign-in", form: ["_csrf": token, "name": staff.name, "password": staff.password, "code": code])
            #expect(crossSite.status == .forbidden)
            browser.origin = nil
            let noOrigin = try await browser.post(
                "/console/sign-in", form: ["_csrf": token, "name": staff.name, "password": staff.password, "code": code])
            #expect(noOrigin.status == .forbidden)
            browser.origin = "http://localhost"
            let noToken = try await browser.post("/console/sign-in", form: ["name": staff.name, "password": staff.password, "code": code])
            #expect(noToken.status == .forbidden)
            #expect(try await app.count("staff_sessions") == 0)

            #expect(try await browser.signIn(staff).status == .seeOther)
            let outNoToken = try await browser.post("/console/sign-out", form: [:])
            #expect(outNoToken.status == .forbidden)
            browser.origin = "https://evil.example"
            let shown = try await browser.get("/console/audit")
            let outCrossSite = try await browser.post("/console/sign-out", form: ["_csrf": Browser.consoleCSRF(in: shown)!])
            #expect(outCrossSite.status == .forbidden)
            #expect(try await browser.get("/console/audit").status == .ok, "still signed in")
        }
    }

    @Test("a session ends when idle, at its absolute expiry, when the account is disabled, and with a forged cookie")
    func sessionEnds() async throws {
        try await TestApp.run { app in
            let store = StaffStore(database: app.database, logger: TestDatabase.logger)
            for ending in ["idle", "absolute", "disabled", "forged"] {
                var browser = try await app.consoleBrowser(.admin, name: "admin-\(ending)")
                #expect(try await browser.get("/console/audit").status == .ok)
                switch ending {
                case "idle":
                    try await app.database.query(
                        "UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes'", logger: TestDatabase.logger)
                case "absolute":
                    try await app.database.query("UPDATE staff_sessions SET expires_at = now()", logger: TestDatabase.logger)
                case "disabled":
                    _ = try await store.setDisabled(true, name: "admin-disabled", by: .commandLine)
                default:
                    let cookie = browser.cookies["tally_staff"]!
                    browser.cookies["tally_staff"] = String(cookie.dropLast()) + (cookie.last == "0" ? "1" : "0")
                }
                #expect(try await browser.get("/console/audit").status == .seeOther, "\(ending)")
                try await app.database.query("UPDATE staff_sessions SET ended_at = now()", logger: TestDatabase.logger)
            }
            let disabled = TestStaff(name: "admin-disabled", password: "correct horse admin-disabled", secret: nil, role: .admin)
            var browser = Browser(app)
            #expect(try await browser.signIn(disabled).status == .forbidden)
        }
    }

    @Test("staff accounts refuse bad names, short passwords, admins without a second factor and taken names")
    func accountRules() async throws {
        try await TestApp.run { app in
            let store = StaffStore(database: app.database, logger: TestDatabase.logger)
            let cases: [(String, StaffRole, String, Bool, ErrorCode)] = [
                ("A", .viewer, "long enough password", true, .invalidStaffName),
                ("Bad Name", .viewer, "long enough password", true, .invalidStaffName),
                ("-dash", .viewer, "long enough password", true, .invalidStaffName),
                ("dave", .viewer, "short", true, .invalidPassword),
                ("dave", .admin, "long enough password", false, .secondFactorRequired),
            ]
            for (name, role, password, totp, code) in cases {
                await #expect(throws: StoreError.self) {
                    do {
                        _ = try await store.create(name: name, role: role, password: password, secondFactor: totp, by: .commandLine)
                    } catch let error as StoreError {
                        #expect(error.code == code, "\(name)")
                        throw error
                    }
                }
            }
            _ = try await store.create(name: "dave", role: .viewer, password: "long enough password", secondFactor: false, by: .commandLine)
            await #expect(throws: StoreError(.conflict, .staffNameTaken, "there is already a staff member named dave")) {
                _ = try await store.create(
                    name: "dave", role: .admin, password: "long enough password", secondFactor: true, by: .commandLine)
            }
            #expect(try await app.count("staff") == 1)
            // A viewer without a second factor signs in with the password alone.
            var browser = Browser(app)
            let dave = TestStaff(name: "dave", password: "long enough password", secret: nil, role: .viewer)
            #expect(try await browser.signIn(dave).status == .seeOther)
        }
    }
}
