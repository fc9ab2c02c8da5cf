import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// The CRM's member API over real HTTP: lookup, profile, ledger, identities, adjustments.
@Suite("Member API over real HTTP")
struct MemberAPITests {
    static let phone = "+8613800138000"

    @Test("a member is found by phone (typed any usual way) or by any identity; the profile adds up their activity")
    func findAndProfile() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(extra: #", "region": "east""#)
            let member = try await app.claimAsMember(batch, 0, externalID: "u1", phone: Self.phone)
            try await app.claimAsMember(batch, 1, externalID: "u1")
            try await app.claimAsMember(batch, 2, externalID: "t1", phone: Self.phone, channel: "tmall")
            // One lot expires in 20 days, one in 50, one in a year.
            try await app.sql("UPDATE point_lots SET expires_at = now() + interval '20 days' WHERE id = (SELECT min(id) FROM point_lots)")
            try await app.sql(
                "UPDATE point_lots SET expires_at = now() + interval '50 days' WHERE id = (SELECT min(id) + 1 FROM point_lots)")

            for query in [
                "phone=13800138000", "phone=%2B86%20138-0013-8000", "channel=wechat_unionid&external_id=u1", "channel=tmall&external_id=t1",
            ] {
                let response = try await app.request(.get, "/api/v1/members?\(query)", as: .crmRead)
                #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
                #expect(try decode(MemberProfile.self, response).id == member, "\(query)")
            }
            let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(member)", as: .crmRead))
            #expect(profile.balance == 30 && profile.lifetimeEarned == 30 && profile.lifetimeRedeemed == 0 && profile.lifetimeExpired == 0)
            #expect(profile.claims == 3)
            #expect(profile.claimsByChannel == ["wechat_unionid": 2, "tmall": 1])
            #expect(profile.claimsByRegion == ["east": 3])
            #expect(profile.claimsByProduct.map(\.sku) == ["RICE-5KG"] && profile.claimsByProduct.first?.claims == 3)
            #expect([profile.expiring.next30Days, profile.expiring.next60Days, profile.expiring.next90Days] == [10, 20, 20])
            #expect(
                Set(profile.identities.map { "\($0.channel):\($0.externalId)" }) == [
                    "phone:\(Self.phone)", "wechat_unionid:u1", "tmall:t1",
                ])
            #expect(profile.firstScanAt != nil && profile.lastScanAt != nil && profile.firstScanAt! <= profile.lastScanAt!)
            #expect(profile.tier == nil && profile.mergedFrom.isEmpty)
        }
    }

    @Test("lookups that find nobody or make no sense get clear errors")
    func lookupErrors() async throws {
        try await TestApp.run { app in
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("/api/v1/members?phone=13800138000", .notFound, "member_not_found"),
                ("/api/v1/members?channel=tmall&external_id=nobody", .notFound, "member_not_found"),
                ("/api/v1/members", .badRequest, "missing_identity"),
                ("/api/v1/members?channel=tmall", .badRequest, "missing_identity"),
                ("/api/v1/members?channel=TMALL!&external_id=x", .unprocessableContent, "invalid_channel"),
                ("/api/v1/members?phone=12345", .unprocessableContent, "invalid_external_id"),
                ("/api/v1/members/not-a-uuid", .notFound, "member_not_found"),
                ("/api/v1/members/\(UUID())", .notFound, "member_not_found"),
                ("/api/v1/members/\(UUID())/ledger", .notFound, "member_not_found"),
            ]
            for (uri, status, code) in cases {
                let response = try await app.request(.get, uri, as: .crmRead)
                #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(uri)")
            }
        }
    }

    @Test("the ledger pages newest first with a cursor, filters by kind and time, and refuses bad parameters")
    func ledger() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            for sequence in 1..<5 { try await app.claimAsMember(batch, Int64(sequence), externalID: "u1") }
            #expect(
                try await app.write(.post, "/api/v1/members/\(member)/adjustments", json: #"{"points": -15, "reason": "damaged gift"}"#)
                    .status == .created)

            struct LedgerPage: Decodable {
                let items: [LedgerEntry]
                let nextCursor: String?
            }
            let first = try decode(LedgerPage.self, try await app.request(.get, "/api/v1/members/\(member)/ledger?limit=4", as: .crmRead))
            #expect(first.items.map(\.kind) == ["adjustment", "claim", "claim", "claim"])
            #expect(first.items.map(\.balanceAfter) == [35, 50, 40, 30])
            #expect(first.items.first?.reason == "damaged gift" && first.items.first?.actor == "key:" + app.secrets[.crmWrite]!.prefix(12))
            let cursor = try #require(first.nextCursor)
            let second = try decode(
                LedgerPage.self, try await app.request(.get, "/api/v1/members/\(member)/ledger?limit=4&cursor=\(cursor)", as: .crmRead))
            #expect(second.items.map(\.balanceAfter) == [20, 10])
            #expect(second.nextCursor == nil)
            let claims = try decode(
                LedgerPage.self, try await app.request(.get, "/api/v1/members/\(member)/ledger?kind=claim", as: .crmRead))
            #expect(claims.items.count == 5 && claims.items.allSatisfy { $0.codeSerial != nil })
            let future = try decode(
                LedgerPage.self, try await app.request(.get, "/api/v1/members/\(member)/ledger?from=2999-01-01T00:00:00Z", as: .crmRead))
            #expect(future.items.isEmpty)
            let past = try decode(
                LedgerPage.self, try await app.request(.get, "/api/v1/members/\(member)/ledger?to=2999-01-01T00:00:00Z", as: .crmRead))
            #expect(past.items.count == 6)

            for (query, status, code) in [
                ("limit=0", HTTPResponse.Status.badRequest, "invalid_limit"), ("limit=201", .badRequest, "invalid_limit"),
                ("cursor=abc", .badRequest, "invalid_cursor"), ("from=yesterday", .badRequest, "invalid_from"),
                ("to=2026-13-01", .badRequest, "invalid_to"), ("kind=gift", .unprocessableContent, "invalid_kind"),
            ] {
                let response = try await app.request(.get, "/api/v1/members/\(member)/ledger?\(query)", as: .crmRead)
                #expect(response.status == status, "\(query)")
                #expect(try errorCode(response) == code, "\(query)")
            }
        }
    }

    @Test("identities link and unlink; one held by another member, or a member's last, is refused and nothing changes")
    func identities() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            let other = try await app.claimAsMember(batch, 1, externalID: "u2", phone: "+8613900139000")
            let path = "/api/v1/members/\(member)/identities"

            let linked = try await app.request(.post, path, as: .crmWrite, json: #"{"channel": "phone", "external_id": "138 0013 8000"}"#)
            #expect(linked.status == .created, "\(String(buffer: linked.body))")
            #expect(try decode(MemberProfile.self, linked).identities.contains { $0.channel == "phone" && $0.externalId == Self.phone })
            let again = try await app.request(.post, path, as: .crmWrite, json: #"{"channel": "phone", "external_id": "+8613800138000"}"#)
            #expect(again.status == .ok)

            let before = try await app.snapshot()
            for (json, status, code) in [
                (#"{"channel": "phone", "external_id": "+8613900139000"}"#, HTTPResponse.Status.conflict, "identity_conflict"),
                (#"{"channel": "wechat_unionid", "external_id": "u2"}"#, .conflict, "identity_conflict"),
                (#"{"channel": "phone", "external_id": "12"}"#, .unprocessableContent, "invalid_external_id"),
                (#"{"channel": "Tmall", "external_id": "x"}"#, .unprocessableContent, "invalid_channel"),
                (#"{"channel": "tmall", "external_id": ""}"#, .unprocessableContent, "invalid_external_id"),
                (#"{"channel": "tmall"}"#, .badRequest, "invalid_json"),
            ] {
                let response = try await app.request(.post, path, as: .crmWrite, json: json)
                #expect(response.status == status, "\(json): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(json)")
            }
            #expect(try await app.snapshot() == before)

            let unlinked = try await app.request(.delete, "\(path)/phone/%2B8613800138000", as: .crmWrite)
            #expect(unlinked.status == .noContent)
            #expect(try await app.int64("SELECT count(*) FROM member_identities WHERE member_id = '\(member)'") == 1)
            let missing = try await app.request(.delete, "\(path)/phone/%2B8613800138000", as: .crmWrite)
            #expect(missing.status == .notFound)
            #expect(try errorCode(missing) == "identity_not_found")
            let last = try await app.request(.delete, "\(path)/wechat_unionid/u1", as: .crmWrite)
            #expect(last.status == .conflict)
            #expect(try errorCode(last) == "last_identity")
            #expect(try await app.int64("SELECT count(*) FROM member_identities WHERE member_id = '\(member)'") == 1)
            _ = other
        }
    }

    @Test("adjustments credit a lot or debit the soonest-expiring lots, keyed by Idempotency-Key; refusals change nothing")
    func adjustments() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let member = try await app.claimAsMember(batch, 0, externalID: "u1")
            try await app.claimAsMember(batch, 1, externalID: "u1")
            // The second lot expires first: a debit takes from it before the first.
            try await app.sql("UPDATE point_lots SET expires_at = now() + interval '10 days' WHERE id = (SELECT max(id) FROM point_lots)")
            let path = "/api/v1/members/\(member)/adjustments"

            let credit = try await app.write(.post, path, json: #"{"points": 5, "reason": "sorry for the delay"}"#, key: "credit-1")
            #expect(credit.status == .created, "\(String(buffer: credit.body))")
            #expect(try decode(AdjustmentResult.self, credit).balance == 25)
            let replay = try await app.write(.post, path, json: #"{"points": 5, "reason": "sorry for the delay"}"#, key: "credit-1")
            #expect(replay.status == .created && replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(String(buffer: replay.body) == String(buffer: credit.body))
            #expect(try await app.int64("SELECT count(*) FROM ledger_entries WHERE kind = 'adjustment'") == 1)

            let debit = try await app.write(.post, path, json: #"{"points": -12, "reason": "returned goods"}"#)
            #expect(debit.status == .created)
            #expect(try decode(AdjustmentResult.self, debit).balance == 13)
            // 10 from the soonest-expiring lot, then 2 from the next soonest (the first claim's).
            let remaining = try await app.int64(
                "SELECT string_agg(remaining::text, '')::int8 FROM (SELECT remaining FROM point_lots ORDER BY id) x")
            #expect(remaining == 8_0_5, "lots left: \(remaining)")

            let before = try await app.snapshot()
            for (json, key, status, code) in [
                (#"{"points": -14, "reason": "too much"}"#, "k1", HTTPResponse.Status.unprocessableContent, "insufficient_points"),
                (#"{"points": 0, "reason": "nothing"}"#, "k2", .unprocessableContent, "invalid_points"),
                (#"{"points": 10000001, "reason": "a lot"}"#, "k3", .unprocessableContent, "invalid_points"),
                (#"{"points": 5, "reason": ""}"#, "k4", .unprocessableContent, "invalid_reason"),
                (#"{"points": 5}"#, "k5", .badRequest, "invalid_json"),
                (#"{"points": 6, "reason": "sorry for the delay"}"#, "credit-1", .unprocessableContent, "idempotency_key_reused"),
            ] {
                let response = try await app.write(.post, path, json: json, key: key)
                #expect(response.status == status, "\(json): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(json)")
            }
            let unkeyed = try await app.write(.post, path, json: #"{"points": 5, "reason": "x"}"#, key: nil)
            #expect(unkeyed.status == .badRequest)
            #expect(try errorCode(unkeyed) == "missing_idempotency_key")
            let unknown = try await app.write(.post, "/api/v1/members/\(UUID())/adjustments", json: #"{"points": 5, "reason": "x"}"#)
            #expect(unknown.status == .notFound)
            #expect(try await app.snapshot() == before)
            try await app.expectInvariants()
        }
    }
}
