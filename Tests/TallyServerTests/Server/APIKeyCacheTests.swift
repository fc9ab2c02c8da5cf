import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

/// The claim API, redemptions and the member reads take their key from a cache (no lookup
/// before their statements, which check the key again); these check that revocation and expiry
/// by anyone, anywhere, still act at once.
@Suite("Cached API keys on the claim, redemption and member APIs", .serialized)
struct APIKeyCacheTests {
    typealias Body = ClaimAPITests.ClaimBody

    @Test("a key revoked by another connection (as `tally apikey revoke` does) is refused at once, even while cached")
    func revokedElsewhere() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let first = Body(code: app.code(batch, 0).text, channel: "wechat_unionid", externalID: "wx-1")
            // Two claims: the first reads the key from the database, the second from the cache.
            #expect(try await ClaimAPITests.claim(app, first, key: "first").status == .created)
            #expect(
                try await ClaimAPITests.claim(app, Body(code: app.code(batch, 1).text, channel: "wechat_unionid", externalID: "wx-1"))
                    .status == .created)

            // app.database is not the server's connection pool: this is another client.
            let prefix = String(app.secrets[.claim]!.prefix(12))
            _ = try await APIKeyStore(database: app.database, logger: TestDatabase.logger).revoke(prefix: prefix)
            let before = try await ClaimAPITests.Snapshot(app)
            let attempts: [(String, TestResponse)] = [
                (
                    "a new claim",
                    try await ClaimAPITests.claim(app, Body(code: app.code(batch, 2).text, channel: "wechat_unionid", externalID: "wx-1"))
                ),
                ("a retry of a stored answer", try await ClaimAPITests.claim(app, first, key: "first")),
                (
                    "a mistyped code",
                    try await ClaimAPITests.claim(
                        app,
                        Body(code: ClaimAPITests.mistyped(app.code(batch, 3).text, at: 9), channel: "wechat_unionid", externalID: "wx-1")
                    )
                ),
                (
                    "an invalid identity",
                    try await ClaimAPITests.claim(app, Body(code: app.code(batch, 3).text, channel: "WeChat", externalID: "wx-1"))
                ),
                (
                    "a body that is not JSON",
                    try await app.request(
                        .post, "/api/v1/claims", as: .claim, json: "{", headers: [ClaimAPITests.idempotencyKey: "not-json"]
                    )
                ),
            ]
            for (what, response) in attempts {
                #expect(response.status == .unauthorized, "\(what): \(String(buffer: response.body))")
                #expect(try errorCode(response) == "unauthorized", "\(what)")
            }
            #expect(try await ClaimAPITests.Snapshot(app) == before)
        }
    }

    @Test("a redemption with a key revoked by another connection while cached is refused, retries included, and changes nothing")
    func revokedRedemptionKey() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 10, "stock": 5}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            // The first redemption reads the key from the database, the second from the cache.
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "first").status == .created)
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#).status == .created)

            let prefix = String(app.secrets[.redeem]!.prefix(12))
            _ = try await APIKeyStore(database: app.database, logger: TestDatabase.logger).revoke(prefix: prefix)
            let attempts = [
                ("a new redemption", try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#)),
                ("a retry of a stored answer", try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "first")),
                ("a refused redemption", try await app.redeem(member, #"{"reward": "MUG", "quantity": 9}"#)),
            ]
            for (what, response) in attempts {
                #expect(response.status == .unauthorized, "\(what): \(String(buffer: response.body))")
                #expect(try errorCode(response) == "unauthorized", "\(what)")
            }
            #expect(try await app.balance(member) == 80)
            #expect(try await app.stock("MUG") == (5, 3))
            #expect(try await app.count("redemptions") == 2)
            try await app.expectInvariants()
        }
    }

    @Test("the member reads refuse a key revoked or expired by another connection at once, even while cached; another scope's key gets 403")
    func memberReads() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "wx-1", phone: "+8613800138000")
            let absorbed = try await app.claimAsMember(batch, 1, externalID: "wx-2")
            #expect(
                try await app.write(.post, "/api/v1/members/\(member)/merge", json: #"{"absorb": "\#(absorbed)", "reason": "one person"}"#)
                    .status == .ok)
            let reads: [(String, HTTPResponse.Status)] = [
                ("/api/v1/members/\(member)", .ok), ("/api/v1/members?phone=13800138000", .ok),
                ("/api/v1/members?channel=wechat_unionid&external_id=wx-2", .ok), ("/api/v1/members/\(member)/ledger", .ok),
                ("/api/v1/members/\(absorbed)", .movedPermanently), ("/api/v1/members/\(absorbed)/ledger", .movedPermanently),
                ("/api/v1/members/\(UUID())", .notFound), ("/api/v1/members?phone=13900139000", .notFound),
            ]
            func expectAnswers(_ status: (HTTPResponse.Status) -> HTTPResponse.Status, as scope: Scope, _ when: String) async throws {
                for (uri, answer) in reads {
                    let response = try await app.request(.get, uri, as: scope)
                    #expect(response.status == status(answer), "\(when): \(uri): \(String(buffer: response.body))")
                }
            }
            // Twice: the first lookup stores the key in the cache, the second read takes it from there.
            try await expectAnswers({ $0 }, as: .crmRead, "a valid key")
            try await expectAnswers({ $0 }, as: .crmRead, "a valid key, cached")
            // The claim key is cached too (the claims above): it lacks crm:read.
            try await expectAnswers({ _ in .forbidden }, as: .claim, "another scope's key")

            // app.database is not the server's connection pool: this is another client.
            _ = try await APIKeyStore(database: app.database, logger: TestDatabase.logger).revoke(
                prefix: String(app.secrets[.crmRead]!.prefix(12)))
            try await expectAnswers({ _ in .unauthorized }, as: .crmRead, "a revoked key")

            try await expectAnswers({ $0 }, as: .admin, "an admin key, now cached")
            let admin = String(app.secrets[.admin]!.prefix(12))
            try await app.database.query(
                "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE prefix = \(admin)", logger: TestDatabase.logger)
            try await expectAnswers({ _ in .unauthorized }, as: .admin, "an expired key")
        }
    }

    @Test("a key is refused at its expiry time, even while cached, and at once when another connection moves its expiry forward")
    func expiry() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 20}"#)
            let keys = APIKeyStore(database: app.database, logger: TestDatabase.logger)
            let expiresAt = Date().addingTimeInterval(2)
            let (_, soon) = try await keys.create(name: "expires soon", scopes: [.claim], expiresAt: expiresAt)
            let (later, secret) = try await keys.create(name: "expires later", scopes: [.claim], expiresAt: Date().addingTimeInterval(3600))
            func claim(_ secret: String, _ sequence: Int64) async throws -> TestResponse {
                let body = Body(code: app.code(batch, sequence).text, channel: "wechat_unionid", externalID: "wx-2").json
                return try await app.client.execute(
                    uri: "/api/v1/claims", method: .post,
                    headers: [
                        .authorization: "Bearer \(secret)", .contentType: "application/json",
                        ClaimAPITests.idempotencyKey: UUID().uuidString,
                    ],
                    body: ByteBuffer(string: body)
                )
            }
            for (secret, sequence) in [(soon, Int64(0)), (soon, 1), (secret, 2), (secret, 3)] {
                #expect(try await claim(secret, sequence).status == .created)
            }

            try await app.database.query(
                "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = \(later.id)", logger: TestDatabase.logger
            )
            #expect(try await claim(secret, 4).status == .unauthorized)

            try await Task.sleep(for: .seconds(max(0, expiresAt.timeIntervalSinceNow) + 0.1))
            #expect(try await claim(soon, 5).status == .unauthorized)
            #expect(try await app.count("claims") == 4)
        }
    }
}
