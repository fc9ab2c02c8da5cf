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

/// Merging two members who turn out to be one person.
@Suite("Member merges over real HTTP")
struct MergeTests {
    @Test("a merge moves identities, lots, counters and balance; the absorbed id redirects to the survivor")
    func merge() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let survivor = try await app.claimAsMember(batch, 0, externalID: "u1", phone: "+8613800138000")
            let absorbed = try await app.claimAsMember(batch, 1, externalID: "t1", channel: "tmall")
            try await app.claimAsMember(batch, 2, externalID: "t1", channel: "tmall")
            #expect(
                try await app.write(.post, "/api/v1/members/\(absorbed)/adjustments", json: #"{"points": -5, "reason": "x"}"#).status
                    == .created)

            let response = try await app.write(
                .post, "/api/v1/members/\(survivor)/merge", json: #"{"absorb": "\#(absorbed)", "reason": "same phone on a Tmall order"}"#,
                key: "m1")
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let result = try decode(MergeResult.self, response)
            #expect(result.pointsMoved == 15 && result.identitiesMoved == 1 && result.balance == 25)

            let profile = try decode(MemberProfile.self, try await app.request(.get, "/api/v1/members/\(survivor)", as: .crmRead))
            #expect(profile.balance == 25 && profile.lifetimeEarned == 25)
            #expect(profile.mergedFrom == [absorbed])
            #expect(profile.claims == 3 && profile.claimsByChannel == ["wechat_unionid": 1, "tmall": 2])
            #expect(Set(profile.identities.map(\.channel)) == ["phone", "wechat_unionid", "tmall"])
            // The tmall identity now finds the survivor; its next claim credits the survivor.
            let found = try await app.request(.get, "/api/v1/members?channel=tmall&external_id=t1", as: .crmRead)
            #expect(try decode(MemberProfile.self, found).id == survivor)
            #expect(try await app.claimAsMember(batch, 3, externalID: "t1", channel: "tmall") == survivor)

            // The absorbed id points at the survivor: 301 for reads, 308 for writes.
            let moved = try await app.request(.get, "/api/v1/members/\(absorbed)/ledger?limit=5", as: .crmRead)
            #expect(moved.status == .movedPermanently)
            #expect(moved.headers[.location] == "/api/v1/members/\(survivor.uuidString.lowercased())/ledger?limit=5")
            #expect(String(buffer: moved.body).contains(#""merged_into":"\#(survivor.uuidString.lowercased())""#))
            let write = try await app.write(.post, "/api/v1/members/\(absorbed)/adjustments", json: #"{"points": 1, "reason": "x"}"#)
            #expect(write.status == .permanentRedirect)

            // Both histories show under the survivor, with the merge as a pair of entries.
            struct LedgerPage: Decodable { let items: [LedgerEntry] }
            let ledger = try decode(LedgerPage.self, try await app.request(.get, "/api/v1/members/\(survivor)/ledger", as: .crmRead))
            #expect(ledger.items.map(\.kind) == ["claim", "merge_in", "merge_out", "adjustment", "claim", "claim", "claim"])
            #expect(try await app.int64("SELECT count(*) FROM member_merges WHERE reason = 'same phone on a Tmall order'") == 1)

            // A retry gets the first answer; merging again is refused.
            let replay = try await app.write(
                .post, "/api/v1/members/\(survivor)/merge", json: #"{"absorb": "\#(absorbed)", "reason": "same phone on a Tmall order"}"#,
                key: "m1")
            #expect(replay.status == .ok && replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            try await app.expectInvariants()
        }
    }

    @Test("after a merge, the absorbed member's signed-in page sees the survivor's claims as theirs")
    func landingPageAfterMerge() async throws {
        try await Self.withAbsorbedSession { app, batch, survivor, absorbed, browser in
            var browser = browser
            #expect(Browser.heading(try await browser.get("/Q/\(app.code(batch, 0).text)")) == "此码已被领取")
            #expect(
                try await app.write(
                    .post, "/api/v1/members/\(survivor)/merge", json: #"{"absorb": "\#(absorbed)", "reason": "one person"}"#
                ).status == .ok)
            #expect(Browser.heading(try await browser.get("/Q/\(app.code(batch, 0).text)")) == "您已领取过本件积分")
            #expect(Browser.heading(try await browser.get("/Q/\(app.code(batch, 1).text)")) == "您已领取过本件积分")
            // A claim through the old session credits the survivor.
            let csrf = try await browser.formToken()
            _ = try await browser.post("/Q/\(app.code(batch, 2).text)/claim", form: ["csrf": csrf])
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(survivor)'") == 30)
            try await app.expectInvariants()
        }
    }

    @Test("a claim that waits for its member while a merge takes it away credits the survivor")
    func claimWaitingOnAMerge() async throws {
        try await Self.withAbsorbedSession { app, batch, survivor, absorbed, browser in
            var browser = browser
            let csrf = try await browser.formToken()
            let code = app.code(batch, 2).text

            // The merge holds both members, uncommitted, while the absorbed member's page claims:
            // the claim waits for the absorbed member's row, then finds it merged and must lock
            // the survivor instead (db/functions/lock_member.sql).
            let page = try await app.database.withConnection { holder in
                try await holder.query("BEGIN", logger: TestDatabase.logger)
                try await holder.query(
                    "SELECT outcome FROM merge_members(\(survivor), \(absorbed), 'one person', 'test')",
                    logger: TestDatabase.logger)
                let claim = Task { [browser] in
                    var browser = browser
                    return try await browser.post("/Q/\(code)/claim", form: ["csrf": csrf])
                }
                #expect(try await app.lockWaiters(atLeast: 1) > 0, "the claim never waited for the merge")
                try await holder.query("COMMIT", logger: TestDatabase.logger)
                return try await claim.value
            }
            #expect(page.status == .ok || page.status == .seeOther, "\(page.status)")
            #expect(try await app.int64("SELECT count(*) FROM claims WHERE member_id = '\(survivor)'") == 2)
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(survivor)'") == 30)
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(absorbed)'") == 0)
            try await app.expectInvariants()
        }
    }

    /// Two members who claimed a code each (codes 0 and 1, 10 points each), and a browser
    /// signed in as the second, the one the tests merge into the first: a phone that keeps its
    /// session through the merge.
    private static func withAbsorbedSession(
        _ body: @escaping @Sendable (TestApp, Batch, _ survivor: UUID, _ absorbed: UUID, Browser) async throws -> Void
    ) async throws {
        let sessionKey = Array(repeating: UInt8(7), count: 32)
        try await TestApp.run(configure: { $0.sessionKey = sessionKey }) { app in
            let batch = try await app.activeBatch()
            let survivor = try await app.claimAsMember(batch, 0, externalID: "u1")
            let absorbed = try await app.claimAsMember(batch, 1, externalID: "t1", channel: "tmall")
            var browser = Browser(app)
            _ = try await browser.get("/Q")
            browser.cookies["tally_session"] = SessionSigner(key: sessionKey).session(for: absorbed)
            try await body(app, batch, survivor, absorbed, browser)
        }
    }

    @Test("merges that cannot be are refused and change nothing")
    func refusals() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch()
            let a = try await app.claimAsMember(batch, 0, externalID: "u1")
            let b = try await app.claimAsMember(batch, 1, externalID: "u2")
            let c = try await app.claimAsMember(batch, 2, externalID: "u3")
            #expect(try await app.write(.post, "/api/v1/members/\(a)/merge", json: #"{"absorb": "\#(b)", "reason": "dup"}"#).status == .ok)
            let before = try await app.snapshot()
            for (path, json, status, code) in [
                (
                    "/api/v1/members/\(a)/merge", #"{"absorb": "\#(a)", "reason": "dup"}"#, HTTPResponse.Status.unprocessableContent,
                    "same_member"
                ),
                ("/api/v1/members/\(c)/merge", #"{"absorb": "\#(b)", "reason": "dup"}"#, .conflict, "already_merged"),
                ("/api/v1/members/\(c)/merge", #"{"absorb": "\#(UUID())", "reason": "dup"}"#, .notFound, "member_not_found"),
                ("/api/v1/members/\(c)/merge", #"{"absorb": "\#(a)", "reason": ""}"#, .unprocessableContent, "invalid_reason"),
                ("/api/v1/members/\(c)/merge", #"{"absorb": "not-a-uuid", "reason": "dup"}"#, .badRequest, "invalid_json"),
                ("/api/v1/members/\(UUID())/merge", #"{"absorb": "\#(a)", "reason": "dup"}"#, .notFound, "member_not_found"),
            ] {
                let response = try await app.write(.post, path, json: json)
                #expect(response.status == status, "\(json): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(json)")
            }
            #expect(try await app.snapshot() == before)
        }
    }

    @Test("a merge during a burst of claims for both members loses no points and keeps the invariants")
    func mergeUnderConcurrentClaims() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 200)
            let survivor = try await app.claimAsMember(batch, 0, externalID: "s")
            let absorbed = try await app.claimAsMember(batch, 1, externalID: "a")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for sequence in 2..<82 {
                    let who = sequence % 2 == 0 ? "s" : "a"
                    let code = app.code(batch, Int64(sequence)).text
                    group.addTask {
                        let body = #"{"code": "\#(code)", "identity": {"channel": "wechat_unionid", "external_id": "\#(who)"}}"#
                        return try await app.requestAlone(.post, "/api/v1/claims", as: .claim, json: body, key: "c\(sequence)").status
                    }
                    if sequence == 40 {
                        group.addTask {
                            try await app.requestAlone(
                                .post, "/api/v1/members/\(survivor)/merge", as: .crmWrite,
                                json: #"{"absorb": "\#(absorbed)", "reason": "one person"}"#, key: "merge"
                            ).status
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 200 }, "\(statuses.sorted())")
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(survivor)'") == 82 * 10)
            #expect(try await app.int64("SELECT balance FROM members WHERE id = '\(absorbed)'") == 0)
            try await app.expectInvariants()
        }
    }
}
