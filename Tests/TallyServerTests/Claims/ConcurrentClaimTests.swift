import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Concurrent claims keep the ledger's invariants")
struct ConcurrentClaimTests {
    static let sessionKey = Array(repeating: UInt8(9), count: 32)

    /// A browser signed in as a new member with phone `phone`.
    static func signedIn(_ app: TestApp, phone: String) async throws -> (Browser, UUID, String) {
        let member = try await MemberStore(database: app.database, logger: TestDatabase.logger).findOrCreate(.phone(PhoneNumber(phone)))
        var browser = Browser(app)
        _ = try await browser.get("/Q")
        browser.cookies["tally_session"] = SessionSigner(key: sessionKey).session(for: member)
        return (browser, member, try await browser.formToken())
    }

    @Test("50 people claiming one code at once: exactly one is credited, the others see it is taken")
    func fiftyAtOnce() async throws {
        try await TestApp.run(configure: { $0.sessionKey = Self.sessionKey }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let code = app.code(batch, 3)
            var people: [(Browser, UUID, String)] = []
            for i in 0..<50 { people.append(try await Self.signedIn(app, phone: "1380000\(String(format: "%04d", i))")) }
            let headings = try await withThrowingTaskGroup(of: String.self) { group in
                for (browser, _, csrf) in people {
                    group.addTask {
                        var browser = browser
                        return Browser.heading(try await browser.post("/Q/\(code.text)/claim", form: ["csrf": csrf]))
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(headings.filter { $0 == "领取成功" }.count == 1)
            #expect(headings.filter { $0 == "此码已被领取" }.count == 49)
            #expect(try await app.count("claims") == 1)
            #expect(try await app.count("ledger_entries") == 1)
            for finding in try await InvariantChecker(database: app.database, logger: TestDatabase.logger).check() {
                #expect(finding.holds, "\(finding)")
            }
        }
    }

    @Test("a random concurrent run of web and API claims, duplicates, forged and voided codes keeps I1, I2, I3, I5 and I6")
    func randomRun() async throws {
        try await TestApp.run(configure: { $0.sessionKey = Self.sessionKey }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 60}"#)
            try await app.request(.post, "/api/v1/batches/\(batch.id)/void", json: #"{"from": 50, "count": 10, "reason": "test"}"#)
            var people: [(Browser, UUID, String)] = []
            for i in 0..<12 { people.append(try await Self.signedIn(app, phone: "1390000\(String(format: "%04d", i))")) }
            let claimKey = app.secrets[.claim]!
            let port = app.client.port!

            /// One attempt: who, which code (or a forged one), which way in; returns an acknowledged claim if any.
            struct Attempt: Sendable {
                let person: Int
                let sequence: Int64
                let forged: Bool
                let viaAPI: Bool
            }
            var generator = SystemRandomNumberGenerator()
            let attempts = (0..<300).map { _ in
                Attempt(
                    person: Int.random(in: 0..<12, using: &generator), sequence: Int64.random(in: 0..<60, using: &generator),
                    forged: Int.random(in: 0..<10, using: &generator) == 0, viaAPI: Bool.random(using: &generator)
                )
            }
            let forgedSerials = Set(attempts.filter(\.forged).map { batch.firstSerial + $0.sequence })
            let acknowledged = try await withThrowingTaskGroup(of: (UUID, Int64)?.self) { group in
                for (index, attempt) in attempts.enumerated() {
                    let (browser, member, csrf) = people[attempt.person]
                    let genuine = app.code(batch, attempt.sequence)
                    let code = attempt.forged ? Code(kid: genuine.kid, serial: genuine.serial, tag: genuine.tag ^ 0xFF) : genuine
                    let phone = "+861390000" + String(format: "%04d", attempt.person) // the same person's web sign-in phone
                    group.addTask {
                        if attempt.viaAPI {
                            let body =
                                #"{"code": "\#(code.text)", "identity": {"channel": "wechat_unionid", "external_id": "u\#(attempt.person)"}, "phone": "\#(phone)"}"#
                            // A connection of its own, like the claims of separate backends' requests.
                            let request = TestClient.Request(
                                "/api/v1/claims", method: .post, authority: "localhost",
                                headers: [
                                    .authorization: "Bearer \(claimKey)", .contentType: "application/json",
                                    HTTPField.Name("Idempotency-Key")!: "attempt-\(index)", .connection: "close",
                                ],
                                body: ByteBuffer(string: body)
                            )
                            let response = try await TestClient.executeAlone(request, port: port)
                            guard response.status == .created else { return nil }
                            let answer = try JSONSerialization.jsonObject(with: Data(Array(buffer: response.body!))) as! [String: Any]
                            #expect(answer["member_id"] as? String == member.uuidString)
                            return (member, Int64(genuine.serial))
                        } else {
                            var browser = browser
                            let page = try await browser.post("/Q/\(code.text)/claim", form: ["csrf": csrf])
                            return Browser.heading(page) == "领取成功" ? (member, Int64(genuine.serial)) : nil
                        }
                    }
                }
                return try await group.reduce(into: [(UUID, Int64)]()) { if let ack = $1 { $0.append(ack) } }
            }

            // I5: every acknowledged claim is stored, once, for the member who was told so.
            let rows = try await app.database.query("SELECT member_id, serial FROM claims", logger: TestDatabase.logger)
            var stored: [Int64: UUID] = [:]
            for try await (member, serial) in rows.decode((UUID, Int64).self) { stored[serial] = member }
            #expect(acknowledged.count == stored.count)
            for (member, serial) in acknowledged { #expect(stored[serial] == member) }
            #expect(Set(acknowledged.map(\.1)).count == acknowledged.count)
            // Voided codes earn nothing.
            #expect(stored.keys.allSatisfy { $0 < batch.firstSerial + 50 })
            // I6: a forged code is never claimed (its genuine twin may be, by a genuine attempt).
            let genuineAttempts = Set(attempts.filter { !$0.forged }.map { batch.firstSerial + $0.sequence })
            for serial in forgedSerials where !genuineAttempts.contains(serial) { #expect(stored[serial] == nil) }
            // I1, I2, I3 from the database.
            for finding in try await InvariantChecker(database: app.database, logger: TestDatabase.logger).check() {
                #expect(finding.holds, "\(finding)")
            }
        }
    }
}
