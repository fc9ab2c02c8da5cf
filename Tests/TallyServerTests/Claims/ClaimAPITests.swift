import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// `POST /api/v1/claims`: what a channel backend sees, and what the database holds afterwards.
///
/// Not serialized: each test (and each refusal case) has a server and a database of its own,
/// and one after another these were the longest chain of the test run.
@Suite("Claims API over real HTTP")
struct ClaimAPITests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let unionID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    static let phone = "+8613800138000"

    // MARK: Claimed

    @Test("a claim credits the code's points once: answer, ledger entry, balance, identities, claim and scan")
    func claimed() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let code = app.code(batch, 7)
            let response = try await Self.claim(
                app,
                ClaimBody(
                    code: code.grouped, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone, latitude: 31.23,
                    longitude: 121.47)
            )
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.headers[Self.idempotentReplayed] == nil)
            let answer = try decode(ClaimResult.self, response)
            #expect(answer.outcome == "claimed")
            #expect(answer.code == code.text)
            #expect(answer.points == 10 && answer.balance == 10)

            let member = answer.memberId
            #expect(
                try await Self.ledger(app) == [
                    LedgerRow(member: member, kind: "claim", points: 10, balanceAfter: 10, serial: Int64(code.serial))
                ])
            #expect(try await Self.balance(app, member) == 10)
            #expect(
                try await Self.identities(app, member) == [
                    IdentityRow(channel: "phone", externalID: Self.phone), IdentityRow(channel: "wechat_unionid", externalID: Self.unionID),
                ])
            #expect(
                try await Self.claims(app) == [
                    ClaimRow(kid: Int16(code.kid), serial: Int64(code.serial), member: member, points: 10, channel: "wechat_unionid")
                ])
            #expect(try await app.count("members") == 1)
            #expect(try await Self.claimKeys(app) == 1)
            let scans = try await app.database.query(
                "SELECT result, member_id, latitude, longitude FROM scans", logger: TestDatabase.logger
            )
            var scanRows: [(String, UUID?, Double?, Double?)] = []
            for try await row in scans.decode((String, UUID?, Double?, Double?).self) { scanRows.append(row) }
            #expect(scanRows.count == 1)
            #expect(scanRows.first?.0 == "claimed" && scanRows.first?.1 == member)
            #expect(scanRows.first?.2 == 31.23 && scanRows.first?.3 == 121.47)
            try await Self.expectInvariants(app)
        }
    }

    @Test("without a phone the member is found by the channel identity alone; the code may be grouped, lower case or a QR URL")
    func withoutPhoneAndCodeForms() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let forms = [
                app.code(batch, 0).text,
                app.code(batch, 1).grouped,
                app.code(batch, 2).grouped.lowercased(),
                "https://tally.cn/Q/\(app.code(batch, 3).text)",
                "https://tally.cn/01/09506000134352/21/\(app.code(batch, 4).text)",
            ]
            var members: Set<UUID> = []
            for (index, form) in forms.enumerated() {
                let response = try await Self.claim(app, ClaimBody(code: form, channel: "wechat_unionid", externalID: Self.unionID))
                #expect(response.status == .created, "\(form): \(String(buffer: response.body))")
                let answer = try decode(ClaimResult.self, response)
                #expect(answer.code == app.code(batch, Int64(index)).text)
                #expect(answer.balance == Int64(10 * (index + 1)))
                members.insert(answer.memberId)
            }
            #expect(members.count == 1)
            let member = try #require(members.first)
            #expect(try await Self.identities(app, member) == [IdentityRow(channel: "wechat_unionid", externalID: Self.unionID)])
            #expect(try await app.count("members") == 1)
            #expect(try await Self.ledger(app).map(\.points) == [10, 10, 10, 10, 10])
            #expect(try await Self.ledger(app).map(\.balanceAfter) == [10, 20, 30, 40, 50])
            #expect(try await Self.balance(app, member) == 50)
            try await Self.expectInvariants(app)
        }
    }

    @Test("one person on two channels with one phone is one member; a channel identity of A with B's phone is a conflict")
    func samePersonAcrossChannels() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let alice = try decode(
                ClaimResult.self,
                try await Self.claim(
                    app,
                    ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: "wx-alice", phone: "+8613800138000")
                ))
            // Another channel, the same phone typed differently.
            let viaTmall = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 1).text, channel: "tmall", externalID: "tm-alice", phone: "138 0013 8000")
            )
            #expect(viaTmall.status == .created)
            let second = try decode(ClaimResult.self, viaTmall)
            #expect(second.memberId == alice.memberId)
            #expect(second.balance == 20)
            // The tmall identity alone now finds her too.
            let tmallOnly = try decode(
                ClaimResult.self,
                try await Self.claim(
                    app, ClaimBody(code: app.code(batch, 2).text, channel: "tmall", externalID: "tm-alice")
                ))
            #expect(tmallOnly.memberId == alice.memberId && tmallOnly.balance == 30)
            #expect(
                try await Self.identities(app, alice.memberId) == [
                    IdentityRow(channel: "phone", externalID: "+8613800138000"),
                    IdentityRow(channel: "tmall", externalID: "tm-alice"),
                    IdentityRow(channel: "wechat_unionid", externalID: "wx-alice"),
                ])
            #expect(try await Self.balance(app, alice.memberId) == 30)

            let bob = try decode(
                ClaimResult.self,
                try await Self.claim(
                    app, ClaimBody(code: app.code(batch, 3).text, channel: "jd", externalID: "jd-bob", phone: "+8613900139000")
                ))
            #expect(bob.memberId != alice.memberId && bob.balance == 10)
            #expect(try await app.count("members") == 2)

            // Alice's WeChat identity with Bob's phone: a CRM merge must decide, the claim changes nothing.
            let before = try await Snapshot(app)
            let conflict = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 4).text, channel: "wechat_unionid", externalID: "wx-alice", phone: "+8613900139000")
            )
            #expect(conflict.status == .conflict)
            #expect(try errorCode(conflict) == "identity_conflict")
            #expect(try await Snapshot(app) == before)
            #expect(try await Self.balance(app, alice.memberId) == 30)
            #expect(try await Self.balance(app, bob.memberId) == 10)
            #expect(
                try await Self.identities(app, bob.memberId) == [
                    IdentityRow(channel: "jd", externalID: "jd-bob"), IdentityRow(channel: "phone", externalID: "+8613900139000"),
                ])
            #expect(try await Self.claims(app).contains { $0.serial == Int64(app.code(batch, 4).serial) } == false)
            try await Self.expectInvariants(app)
        }
    }

    @Test("a channel identity first seen without a phone keeps its member when the phone comes later")
    func phoneArrivesLater() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let first = try decode(
                ClaimResult.self,
                try await Self.claim(
                    app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: "wx-carol")
                ))
            // The phone is known to nobody, the WeChat identity is: "created if neither is known"
            // does not apply, so she is found by her WeChat identity and her phone joins her.
            let later = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 1).text, channel: "wechat_unionid", externalID: "wx-carol", phone: "+8613700137000")
            )
            let laterMember = try? decode(ClaimResult.self, later).memberId
            #expect(later.status == .created, "\(String(buffer: later.body))")
            #expect(laterMember == first.memberId)
            if later.status == .created {
                #expect(
                    try await Self.identities(app, first.memberId) == [
                        IdentityRow(channel: "phone", externalID: "+8613700137000"),
                        IdentityRow(channel: "wechat_unionid", externalID: "wx-carol"),
                    ])
            } else { // whatever the answer, no half-made member is left behind
                #expect(try await app.count("members") == 1)
                #expect(try await Self.identities(app, first.memberId) == [IdentityRow(channel: "wechat_unionid", externalID: "wx-carol")])
            }
            try await Self.expectInvariants(app)
        }
    }

    // MARK: Idempotency

    @Test("a retry with the same Idempotency-Key and body gets the same answer and credits nothing more; another body is refused")
    func idempotentRetry() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let body = ClaimBody(code: app.code(batch, 5).text, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone)
            let first = try await Self.claim(app, body, key: "claim-42")
            #expect(first.status == .created)
            #expect(first.headers[Self.idempotentReplayed] == nil)
            let retry = try await Self.claim(app, body, key: "claim-42")
            #expect(retry.status == .created)
            #expect(retry.headers[Self.idempotentReplayed] == "true")
            #expect(retry.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(Array(buffer: retry.body) == Array(buffer: first.body))
            let answer = try decode(ClaimResult.self, retry)
            #expect(answer.balance == 10)
            #expect(try await app.count("claims") == 1)
            #expect(try await Self.ledger(app).count == 1)
            #expect(try await Self.balance(app, answer.memberId) == 10)
            #expect(try await Self.claimKeys(app) == 1)

            // The same key for another claim.
            let before = try await Snapshot(app)
            let other = ClaimBody(code: app.code(batch, 6).text, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone)
            let reused = try await Self.claim(app, other, key: "claim-42")
            #expect(reused.status == .unprocessableContent)
            #expect(try errorCode(reused) == "idempotency_key_reused")
            #expect(try await Snapshot(app) == before)

            // The same claim under a new key is a second claim of a claimed code.
            let again = try await Self.claim(app, body, key: "claim-43")
            #expect(again.status == .conflict)
            #expect(try Self.error(again) == "already_claimed")
            #expect(
                try Self.errorMessage(again).wholeMatch(of: /the code was claimed by this member at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil
            )
            #expect(try await Snapshot(app) == before)
            try await Self.expectInvariants(app)
        }
    }

    @Test("a refused claim keeps no Idempotency-Key: the same key works once the code is claimable")
    func refusalKeepsNoKey() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let body = ClaimBody(code: app.code(batch, 1).text, channel: "wechat_unionid", externalID: Self.unionID)
            let early = try await Self.claim(app, body, key: "scan-1")
            #expect(early.status == .conflict)
            #expect(try errorCode(early) == "not_active")
            #expect(try await Self.claimKeys(app) == 0)
            #expect(try await app.count("members") == 0)
            try #require(try await app.request(.post, "/api/v1/batches/\(batch.id)/activate").status == .ok)
            let later = try await Self.claim(app, body, key: "scan-1")
            #expect(later.status == .created)
            #expect(later.headers[Self.idempotentReplayed] == nil)
            #expect(try decode(ClaimResult.self, later).balance == 10)
            try await Self.expectInvariants(app)
        }
    }

    // MARK: Concurrency

    @Test(
        "50 different people claiming one code at once, each on a connection of its own: one 201, 49 already_claimed, one claim and one ledger entry"
    )
    func fiftyAtOnce() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let code = app.code(batch, 3)
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for person in 0..<50 {
                    group.addTask {
                        Answer(
                            try await Self.claimOnOwnConnection(
                                app, ClaimBody(code: code.text, channel: "wechat_unionid", externalID: "person-\(person)")))
                    }
                }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            let winners = answers.compactMap(\.claimed)
            #expect(winners.count == 1, "\(answers)")
            #expect(answers.filter { $0.status == 409 && $0.error == "already_claimed" }.count == 49, "\(answers)")
            let winner = try #require(winners.first)
            #expect(winner.points == 10 && winner.balance == 10)
            #expect(try await Self.claims(app).map(\.member) == [winner.memberId])
            #expect(
                try await Self.ledger(app) == [
                    LedgerRow(member: winner.memberId, kind: "claim", points: 10, balanceAfter: 10, serial: Int64(code.serial))
                ])
            #expect(try await Self.sumOfBalances(app) == 10)
            // The 49 refused requests left no member, identity or key behind.
            #expect(try await app.count("members") == 1)
            #expect(try await app.count("member_identities") == 1)
            #expect(try await Self.claimKeys(app) == 1)
            try await Self.expectInvariants(app)
        }
    }

    @Test("one new person claiming ten codes at once with a phone, each on a connection of its own: one member holding both identities")
    func firstSightingRace() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for sequence: Int64 in 0..<10 {
                    group.addTask {
                        Answer(
                            try await Self.claimOnOwnConnection(
                                app,
                                ClaimBody(
                                    code: app.code(batch, sequence).text, channel: "wechat_unionid", externalID: "wx-new",
                                    phone: "+8613600136000")
                            ))
                    }
                }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            // The losers of the race to create the member wait for the winner and take its member.
            let claimed = answers.compactMap(\.claimed)
            #expect(claimed.count == 10, "\(answers)")
            #expect(Set(claimed.map(\.memberId)).count == 1, "\(answers)")
            #expect(try await app.count("members") == 1)
            let member = try #require(claimed.first?.memberId)
            #expect(
                try await Self.identities(app, member) == [
                    IdentityRow(channel: "phone", externalID: "+8613600136000"),
                    IdentityRow(channel: "wechat_unionid", externalID: "wx-new"),
                ])
            #expect(try await Self.balance(app, member) == 100)
            try await Self.expectInvariants(app)
        }
    }

    @Test("a stream of refusals on many connections leaves the server's database connections free: a claim afterwards is answered")
    func refusalsDoNotHoldConnections() async throws {
        // A refusal is an error raised by api_claim. Through PostgresClient.query/execute, the pool
        // kept the connection of a statement whose error arrived before its rows were awaited, which
        // under wrk's load (not reliably here: it is a race) soon left none and hung the server.
        // With three connections, any such leak shows here as a claim that is never answered.
        try await TestApp.run(configure: { $0.databaseConnections = 3 }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let taken = ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: Self.unionID)
            try #require(try await Self.claim(app, taken).status == .created)
            let headers: HTTPFields = [.authorization: "Bearer \(app.secrets[.claim]!)", .contentType: "application/json"]
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for connection in 0..<24 {
                    group.addTask {
                        try await TestClient.withClient(host: "localhost", port: app.client.port!) { client in
                            var statuses: [Int] = []
                            for attempt in 0..<25 {
                                var headers = headers
                                headers[Self.idempotencyKey] = "refused-\(connection)-\(attempt)"
                                let request = TestClient.Request(
                                    "/api/v1/claims", method: .post, authority: "localhost", headers: headers,
                                    body: ByteBuffer(string: taken.json)
                                )
                                statuses.append(Int(try await client.executeChecked(request).status.code))
                            }
                            return statuses
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(statuses.count == 600 && statuses.allSatisfy { $0 == 409 })
            let next = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 1).text, channel: "wechat_unionid", externalID: Self.unionID))
            #expect(next.status == .created)
        }
    }

    @Test("the 201 body is byte for byte what JSONEncoder writes for the answer (the server encodes the claim's result)")
    func answerBytes() async throws {
        struct Claimed: Encodable {
            let outcome = "claimed"
            let code: String
            let memberId: UUID
            let points: Int
            let balance: Int64
            var awards: [Int] = []
        }
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 5}"#)
            let response = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 1).grouped, channel: "wechat_unionid", externalID: Self.unionID))
            #expect(response.status == .created)
            let answer = try decode(ClaimResult.self, response)
            // The server's response encoder: snake_case keys, sorted, ISO 8601 dates.
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            let expected = try encoder.encode(
                Claimed(code: answer.code, memberId: answer.memberId, points: answer.points, balance: answer.balance))
            #expect(String(buffer: response.body) == String(decoding: expected, as: UTF8.self))
        }
    }

    // MARK: Refusals

    /// A refused claim: how to set it up, what to send, and what the client must see.
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let status: Int
        let code: String
        /// Words the message must contain, if any.
        var message: String? = nil
        var key: String? = "refused-claim"
        var scope: Scope? = .claim
        /// Prepares the database (given an active batch of 20 codes) and returns the body to send.
        let prepare: @Sendable (TestApp, Batch) async throws -> String

        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "no Idempotency-Key", status: 400, code: "missing_idempotency_key", key: nil) { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "an empty Idempotency-Key", status: 400, code: "missing_idempotency_key", key: "") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(
            name: "an Idempotency-Key of 201 bytes", status: 422, code: "invalid_idempotency_key", key: String(repeating: "k", count: 201)
        ) { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "no API key", status: 401, code: "unauthorized", scope: nil) { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a mint key", status: 403, code: "forbidden", scope: .mint) { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "not JSON", status: 400, code: "invalid_json") { _, _ in "{\"code\": " },
        Refusal(name: "no identity", status: 400, code: "invalid_json") { app, batch in #"{"code": "\#(app.code(batch, 0).text)"}"# },
        Refusal(name: "identity of the wrong type", status: 400, code: "invalid_json") { app, batch in
            #"{"code": "\#(app.code(batch, 0).text)", "identity": "wx-1"}"#
        },
        Refusal(name: "a code too short", status: 422, code: "malformed_code") { _, _ in
            ClaimBody(code: "100XSN-JKV2X7", channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a code with a character no code has", status: 422, code: "malformed_code") { app, batch in
            ClaimBody(code: "!" + app.code(batch, 0).text.dropFirst(), channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "an empty code", status: 422, code: "malformed_code") { _, _ in
            ClaimBody(code: "", channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a mistyped code", status: 422, code: "mistyped_code") { app, batch in
            ClaimBody(code: mistyped(app.code(batch, 0).text, at: 9), channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a forged code (bad tag)", status: 422, code: "forged_code") { app, batch in
            let genuine = app.code(batch, 0)
            return ClaimBody(
                code: Code(kid: genuine.kid, serial: genuine.serial, tag: genuine.tag ^ 1).text, channel: "wechat_unionid",
                externalID: unionID
            ).json
        },
        Refusal(name: "a code under a key the server does not hold", status: 422, code: "forged_code") { _, _ in
            let foreign = try KeyRing([SigningKey(kid: 7, bytes: Array(repeating: 7, count: 32))]).mint(kid: 7, serial: 3)!
            return ClaimBody(code: foreign.text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "an invalid phone", status: 422, code: "invalid_phone") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID, phone: "12345").json
        },
        Refusal(name: "a phone with letters", status: 422, code: "invalid_phone") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID, phone: "+86 138 0013 800x").json
        },
        Refusal(name: "an upper-case channel", status: 422, code: "invalid_channel") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "WeChat", externalID: unionID).json
        },
        Refusal(name: "a one-letter channel", status: 422, code: "invalid_channel") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "w", externalID: unionID, phone: phone).json
        },
        Refusal(name: "an empty external_id", status: 422, code: "invalid_external_id") { app, batch in
            ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: "").json
        },
        Refusal(name: "an external_id of 201 characters", status: 422, code: "invalid_external_id") { app, batch in
            ClaimBody(
                code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: String(repeating: "x", count: 201), phone: phone
            ).json
        },
        Refusal(name: "a code claimed before by this member", status: 409, code: "already_claimed", message: "by this member") {
            app, batch in
            let body = ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID)
            try #require(try await claim(app, body).status == .created)
            return body.json
        },
        Refusal(name: "a code claimed before by another member", status: 409, code: "already_claimed", message: "by another member") {
            app, batch in
            try #require(
                try await claim(app, ClaimBody(code: app.code(batch, 0).text, channel: "tmall", externalID: "someone-else")).status
                    == .created)
            return ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID, phone: phone).json
        },
        Refusal(name: "a code of a batch not activated", status: 409, code: "not_active") { app, _ in
            let created = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 5}"#)
            return ClaimBody(code: app.code(created, 2).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a genuine code outside every batch", status: 409, code: "not_active") { _, _ in
            ClaimBody(code: testKeyRing.mint(kid: 1, serial: 1_000_000)!.text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a voided code", status: 409, code: "voided") { app, batch in
            try #require(
                try await app.request(.post, "/api/v1/batches/\(batch.id)/void", json: #"{"from": 0, "count": 5, "reason": "stolen roll"}"#)
                    .status == .ok)
            return ClaimBody(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(name: "a code of an expired batch", status: 409, code: "expired") { app, batch in
            try await app.database.query(
                "UPDATE batches SET expiry_date = current_date - 2 WHERE id = \(batch.id)", logger: TestDatabase.logger)
            return ClaimBody(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: unionID).json
        },
        Refusal(
            name: "a channel identity of one member with another member's phone", status: 409, code: "identity_conflict",
            message: "wechat_unionid \(unionID) belongs to another member than this phone; merge them first"
        ) { app, batch in
            try #require(
                try await claim(app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: unionID)).status
                    == .created)
            try #require(
                try await claim(app, ClaimBody(code: app.code(batch, 1).text, channel: "jd", externalID: "jd-1", phone: phone)).status
                    == .created)
            return ClaimBody(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: unionID, phone: phone).json
        },
    ]

    @Test("a refused claim says why and changes nothing", arguments: refusals)
    func refused(_ refusal: Refusal) async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let json = try await refusal.prepare(app, batch)
            let before = try await Snapshot(app)
            let headers: HTTPFields = refusal.key.map { [Self.idempotencyKey: $0] } ?? [:]
            let response = try await app.request(.post, "/api/v1/claims", as: refusal.scope, json: json, headers: headers)
            #expect(response.status.code == refusal.status, "\(String(buffer: response.body))")
            #expect(try errorCode(response) == refusal.code)
            if let words = refusal.message {
                let message = try Self.errorMessage(response)
                #expect(message.contains(words), "\(message)")
            }
            #expect(try await Snapshot(app) == before)
            try await Self.expectInvariants(app)
        }
    }

    @Test("a batch expiring today can still be claimed")
    func expiresToday() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 5}"#)
            try await app.database.query(
                "UPDATE batches SET expiry_date = (now() AT TIME ZONE 'Asia/Shanghai')::date WHERE id = \(batch.id)",
                logger: TestDatabase.logger
            )
            let response = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: Self.unionID))
            #expect(response.status == .created, "\(String(buffer: response.body))")
        }
    }

    // MARK: I6

    @Test("I6: forged variants of codes are never claimed, and do not use up the genuine code")
    func forgedNeverClaimed() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let genuine = (0..<4).map { app.code(batch, $0) }
            let before = try await Snapshot(app)
            var forged: [String] = []
            for code in genuine {
                for flip: UInt64 in [1, 1 << 39, 0xF_FFFF, code.tag] { // the last one makes the tag 0
                    let fake = Code(kid: code.kid, serial: code.serial, tag: code.tag ^ flip)
                    forged.append(contentsOf: [fake.text, fake.grouped, "https://tally.cn/Q/\(fake.text)"])
                }
            }
            for (index, text) in forged.enumerated() {
                let response = try await Self.claim(
                    app,
                    ClaimBody(
                        code: text, channel: "wechat_unionid", externalID: "forger-\(index % 3)", phone: index % 2 == 0 ? Self.phone : nil)
                )
                #expect(response.status == .unprocessableContent, "\(text)")
                #expect(try errorCode(response) == "forged_code", "\(text)")
            }
            let serials = Set(genuine.map { Int64($0.serial) })
            #expect(try await Self.claims(app).filter { serials.contains($0.serial) }.isEmpty)
            #expect(try await Snapshot(app) == before)
            #expect(before.claims == 0 && before.members == 0)
            // The genuine codes are still there to be claimed.
            for code in genuine {
                let response = try await Self.claim(app, ClaimBody(code: code.text, channel: "wechat_unionid", externalID: Self.unionID))
                #expect(response.status == .created)
            }
            #expect(try await Self.claims(app).count == 4)
            try await Self.expectInvariants(app)
        }
    }

    // MARK: Daily cap

    @Test("a member's third claim of the day is refused with 429 daily_cap when the cap is 2, on any channel")
    func dailyCap() async throws {
        try await TestApp.run(configure: { $0.dailyClaimCap = 2 }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            for sequence: Int64 in [0, 1] {
                let response = try await Self.claim(
                    app,
                    ClaimBody(code: app.code(batch, sequence).text, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone)
                )
                #expect(response.status == .created)
            }
            let before = try await Snapshot(app)
            let third = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone)
            )
            #expect(third.status == .tooManyRequests)
            #expect(try errorCode(third) == "daily_cap")
            #expect(try await Snapshot(app) == before)
            // The cap is the member's, whichever channel they come through.
            let viaTmall = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 2).text, channel: "tmall", externalID: "tm-1", phone: Self.phone)
            )
            #expect(viaTmall.status == .tooManyRequests)
            #expect(try errorCode(viaTmall) == "daily_cap")
            #expect(try await Snapshot(app) == before)
            // Somebody else may still claim that code.
            let other = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: "someone-else"))
            #expect(other.status == .created)
            #expect(try await Self.sumOfBalances(app) == 30)
            try await Self.expectInvariants(app)
        }
    }

    @Test("a member claiming many codes at once, each on a connection of its own, gets no more than the daily cap")
    func dailyCapConcurrent() async throws {
        try await TestApp.run(configure: { $0.dailyClaimCap = 3 }) { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let first = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: Self.unionID))
            try #require(first.status == .created)
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for sequence: Int64 in 1...10 {
                    group.addTask {
                        Answer(
                            try await Self.claimOnOwnConnection(
                                app, ClaimBody(code: app.code(batch, sequence).text, channel: "wechat_unionid", externalID: Self.unionID)))
                    }
                }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            // Every answer agrees with the database, whatever the cap did.
            let claimed = answers.compactMap(\.claimed)
            #expect(claimed.count + answers.filter { $0.status == 429 && $0.error == "daily_cap" }.count == 10, "\(answers)")
            #expect(try await Self.claims(app).count == 1 + claimed.count)
            #expect(try await Self.sumOfBalances(app) == Int64(10 * (1 + claimed.count)))
            try await Self.expectInvariants(app)
            #expect(claimed.count == 2, "\(1 + claimed.count) claims today with a cap of 3")
        }
    }

    @Test(
        "one member claiming ten codes at once, each on a connection of its own: ten credits, and a ledger whose running balance follows its order"
    )
    func oneMemberManyCodesAtOnce() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let first = try decode(
                ClaimResult.self,
                try await Self.claim(
                    app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: Self.unionID, phone: Self.phone)
                ))
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for sequence: Int64 in 1...10 {
                    group.addTask {
                        Answer(
                            try await Self.claimOnOwnConnection(
                                app,
                                ClaimBody(
                                    code: app.code(batch, sequence).text, channel: "wechat_unionid", externalID: Self.unionID,
                                    phone: Self.phone)
                            ))
                    }
                }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            let claimed = answers.compactMap(\.claimed)
            #expect(claimed.count == 10, "\(answers)")
            #expect(Set(claimed.map(\.memberId)) == [first.memberId])
            #expect(Set(claimed.map(\.balance)) == Set(stride(from: 20, through: 110, by: 10)))
            #expect(try await Self.balance(app, first.memberId) == 110)
            let ledger = try await Self.ledger(app)
            #expect(ledger.count == 11 && ledger.allSatisfy { $0.member == first.memberId && $0.points == 10 })
            #expect(Set(ledger.map(\.balanceAfter)) == Set(stride(from: 10, through: 110, by: 10)))
            #expect(ledger.map(\.balanceAfter) == Array(stride(from: 10, through: 110, by: 10)), "balance_after in id order")
            try await Self.expectInvariants(app)
        }
    }

    // MARK: Values the database cannot store

    @Test(
        "an external_id of at most 200 characters but more than 200 code points, or with a NUL, is refused with 422, not a 500",
        arguments: [
            String(repeating: "e\u{301}", count: 150), "wx\u{0}1",
        ])
    func externalIDTheDatabaseRefuses(_ externalID: String) async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 5}"#)
            let before = try await Snapshot(app)
            let response = try await Self.claim(
                app, ClaimBody(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: externalID))
            let code = try? errorCode(response)
            #expect(response.status == .unprocessableContent, "\(String(buffer: response.body))")
            #expect(code == "invalid_external_id")
            #expect(try await Snapshot(app) == before)
        }
    }

    // MARK: Helpers

    /// A claim body, encoded as a channel backend would send it.
    struct ClaimBody: Encodable, Sendable {
        struct Identity: Encodable, Sendable {
            let channel: String
            let externalId: String
        }
        let code: String
        let identity: Identity
        var phone: String?
        var latitude: Double?
        var longitude: Double?

        init(code: String, channel: String, externalID: String, phone: String? = nil, latitude: Double? = nil, longitude: Double? = nil) {
            self.code = code
            self.identity = Identity(channel: channel, externalId: externalID)
            self.phone = phone
            self.latitude = latitude
            self.longitude = longitude
        }

        var json: String {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try! encoder.encode(self), as: UTF8.self)
        }
    }

    /// What one request of a concurrent run got back.
    struct Answer: Sendable, CustomStringConvertible {
        let status: Int
        let claimed: ClaimResult?
        let error: String?

        init(_ response: TestClient.Response) {
            let body = Data(Array(buffer: response.body ?? ByteBuffer()))
            status = Int(response.status.code)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            claimed = status == 201 ? try? decoder.decode(ClaimResult.self, from: body) : nil
            error = try? ClaimAPITests.error(body)
        }

        var description: String { "\(status) \(error ?? claimed.map { "\($0.memberId)" } ?? "?")" }
    }

    struct ClaimResult: Decodable, Equatable, Sendable {
        let outcome: String
        let code: String
        let memberId: UUID
        let points: Int
        let balance: Int64
    }

    struct LedgerRow: Equatable, CustomStringConvertible {
        let member: UUID
        let kind: String
        let points: Int64
        let balanceAfter: Int64
        let serial: Int64?
        var description: String { "\(kind) \(points) → \(balanceAfter) for \(member) (serial \(serial.map(String.init) ?? "-"))" }
    }

    struct IdentityRow: Equatable {
        let channel: String
        let externalID: String
    }

    struct ClaimRow: Equatable {
        let kid: Int16
        let serial: Int64
        let member: UUID
        let points: Int
        let channel: String
    }

    /// Counts of everything a claim may write, and the sum of all balances.
    struct Snapshot: Equatable {
        var claims, ledgerEntries, identities, members, idempotencyKeys, scans: Int
        var balances: Int64

        init(_ app: TestApp) async throws {
            claims = try await app.count("claims")
            ledgerEntries = try await app.count("ledger_entries")
            identities = try await app.count("member_identities")
            members = try await app.count("members")
            idempotencyKeys = try await app.count("idempotency_keys")
            scans = try await app.count("scans")
            balances = try await ClaimAPITests.sumOfBalances(app)
        }
    }

    /// Sends a claim as the `claim` key with an Idempotency-Key (a new one unless given).
    static func claim(_ app: TestApp, _ body: ClaimBody, key: String = UUID().uuidString) async throws -> TestResponse {
        try await app.request(.post, "/api/v1/claims", as: .claim, json: body.json, headers: [idempotencyKey: key])
    }

    /// Idempotency-Keys recorded for the `claim` API key (batch orders record theirs too).
    static func claimKeys(_ app: TestApp) async throws -> Int {
        let actor = "key:" + String(app.secrets[.claim]!.prefix(12)) // tly_XXXXXXXX
        let rows = try await app.database.query(
            "SELECT count(*)::int FROM idempotency_keys WHERE actor = \(actor)", logger: TestDatabase.logger)
        for try await n in rows.decode(Int.self) { return n }
        return -1
    }

    /// Sends a claim on a connection of its own. The live test client is one HTTP/1.1
    /// connection, whose requests the server answers one after another: requests sent through
    /// it from many tasks never reach the database at the same time.
    static func claimOnOwnConnection(_ app: TestApp, _ body: ClaimBody, key: String = UUID().uuidString) async throws -> TestClient.Response
    {
        let headers: HTTPFields = [
            .authorization: "Bearer \(app.secrets[.claim]!)", .contentType: "application/json", idempotencyKey: key, .connection: "close",
        ]
        let request = TestClient.Request(
            "/api/v1/claims", method: .post, authority: "localhost", headers: headers, body: ByteBuffer(string: body.json))
        return try await TestClient.executeAlone(request, port: app.client.port!)
    }

    /// `code` with the symbol at `index` replaced by another valid symbol: a typo the check character catches.
    static func mistyped(_ code: String, at index: Int) -> String {
        var characters = Array(code)
        characters[index] = characters[index] == "7" ? "8" : "7"
        return String(characters)
    }

    static func errorMessage(_ response: TestResponse) throws -> String {
        struct Body: Decodable {
            struct Detail: Decodable { let message: String }
            let error: Detail
        }
        return try JSONDecoder().decode(Body.self, from: Data(Array(buffer: response.body))).error.message
    }

    /// `error.code` of a refusal, recording no expectation (for use inside tasks).
    static func error(_ response: TestResponse) throws -> String {
        try error(Data(Array(buffer: response.body)))
    }

    static func error(_ body: Data) throws -> String {
        struct Body: Decodable {
            struct Detail: Decodable { let code: String }
            let error: Detail
        }
        return try JSONDecoder().decode(Body.self, from: body).error.code
    }

    static func ledger(_ app: TestApp) async throws -> [LedgerRow] {
        let rows = try await app.database.query(
            "SELECT member_id, kind, points, balance_after, serial FROM ledger_entries ORDER BY id", logger: TestDatabase.logger
        )
        var entries: [LedgerRow] = []
        for try await (member, kind, points, after, serial) in rows.decode((UUID, String, Int64, Int64, Int64?).self) {
            entries.append(LedgerRow(member: member, kind: kind, points: points, balanceAfter: after, serial: serial))
        }
        return entries
    }

    static func balance(_ app: TestApp, _ member: UUID) async throws -> Int64? {
        let rows = try await app.database.query("SELECT balance FROM members WHERE id = \(member)", logger: TestDatabase.logger)
        for try await balance in rows.decode(Int64.self) { return balance }
        return nil
    }

    static func sumOfBalances(_ app: TestApp) async throws -> Int64 {
        let rows = try await app.database.query("SELECT coalesce(sum(balance), 0)::int8 FROM members", logger: TestDatabase.logger)
        for try await sum in rows.decode(Int64.self) { return sum }
        return -1
    }

    /// A member's identities, in (channel, external_id) order.
    static func identities(_ app: TestApp, _ member: UUID) async throws -> [IdentityRow] {
        let rows = try await app.database.query(
            "SELECT channel, external_id FROM member_identities WHERE member_id = \(member) ORDER BY channel, external_id",
            logger: TestDatabase.logger
        )
        var identities: [IdentityRow] = []
        for try await (channel, id) in rows.decode((String, String).self) {
            identities.append(IdentityRow(channel: channel, externalID: id))
        }
        return identities
    }

    static func claims(_ app: TestApp) async throws -> [ClaimRow] {
        let rows = try await app.database.query(
            "SELECT kid, serial, member_id, points, channel FROM claims ORDER BY kid, serial", logger: TestDatabase.logger
        )
        var claims: [ClaimRow] = []
        for try await (kid, serial, member, points, channel) in rows.decode((Int16, Int64, UUID, Int, String).self) {
            claims.append(ClaimRow(kid: kid, serial: serial, member: member, points: points, channel: channel))
        }
        return claims
    }

    /// I1, I2, I3 (and the rest the checker knows) hold.
    static func expectInvariants(_ app: TestApp) async throws {
        for finding in try await InvariantChecker(database: app.database, logger: TestDatabase.logger).check() {
            #expect(finding.holds, "\(finding)")
        }
    }
}
