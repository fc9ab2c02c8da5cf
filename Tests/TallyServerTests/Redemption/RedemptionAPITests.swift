import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Redeeming, listing and cancelling over real HTTP, and what the database holds afterwards.
@Suite("Redemption API over real HTTP", .serialized)
struct RedemptionAPITests {
    static var voucherShape: Regex<(Substring, Substring)> { /[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}/ }

    /// The ledger entries of `member`, oldest first: (kind, points, balance after, reason).
    static func ledger(_ app: TestApp, _ member: UUID) async throws -> [String] {
        let rows = try await app.database.query(
            "SELECT kind, points, balance_after, coalesce(reason, '') FROM ledger_entries WHERE member_id = \(member) ORDER BY id",
            logger: TestDatabase.logger
        )
        var entries: [String] = []
        for try await (kind, points, after, reason) in rows.decode((String, Int64, Int64, String).self) {
            entries.append("\(kind) \(points) → \(after)\(reason.isEmpty ? "" : " (\(reason))")")
        }
        return entries
    }

    @Test("a redemption debits points and stock together and issues a voucher; the database agrees")
    func redeemed() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Tally mug", "cost_points": 30, "stock": 10}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            let response = try await app.redeem(member, #"{"reward": "MUG", "quantity": 2, "channel": "wechat_miniprogram"}"#)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.headers[TestApp.idempotentReplayed] == nil)
            let redemption = try decode(Redemption.self, response)
            #expect(redemption.memberId == member && redemption.reward == "MUG" && redemption.rewardName == "Tally mug")
            #expect(redemption.quantity == 2 && redemption.points == 60 && redemption.balance == 40)
            #expect(redemption.status == "issued" && redemption.channel == "wechat_miniprogram")
            #expect(redemption.voucher.wholeMatch(of: Self.voucherShape) != nil, "\(redemption.voucher)")
            let until = try #require(redemption.cancellableUntil)
            #expect(abs(until.timeIntervalSince(redemption.createdAt) - 72 * 3600) < 1)

            #expect(try await app.balance(member) == 40)
            #expect(try await app.stock("MUG") == (10, 8))
            #expect(try await Self.ledger(app, member) == ["adjustment 100 → 100 (test credit)", "redemption -60 → 40 (MUG)"])
            #expect(try await app.lots(member) == [40])
            #expect(try await app.count("lot_debits") == 1)

            // Without a channel: `api`. Listed newest first.
            let second = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            #expect(second.channel == "api" && second.balance == 10 && second.voucher != redemption.voucher)
            struct RedemptionPage: Decodable {
                let items: [Redemption]
                let nextCursor: String?
            }
            let page = try decode(RedemptionPage.self, try await app.request(.get, "/api/v1/members/\(member)/redemptions", as: .redeem))
            #expect(page.items.map(\.id) == [second.id, redemption.id] && page.nextCursor == nil)
            #expect(page.items.allSatisfy { $0.balance == nil })
            var listed = redemption
            listed.balance = nil
            #expect(page.items.last == listed)
            try await app.expectInvariants()
        }
    }

    @Test("each refusal is a clear 422 or 404 and changes nothing: balance, stock, lots, ledger, keys")
    func refusals() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 30, "stock": 2, "per_member_limit": 3}"#)
            _ = try await app.createReward(#"{"sku": "TV", "name": "TV", "cost_points": 5000}"#)
            _ = try await app.createReward(#"{"sku": "SOON", "name": "Soon", "cost_points": 1, "active_from": "2099-01-01T00:00:00Z"}"#)
            _ = try await app.createReward(#"{"sku": "OVER", "name": "Over", "cost_points": 1, "active_until": "2001-01-01T00:00:00Z"}"#)
            _ = try await app.createReward(#"{"sku": "WX", "name": "WeChat only", "cost_points": 1, "channels": ["wechat_miniprogram"]}"#)
            _ = try await app.createReward(#"{"sku": "PEN", "name": "Pen", "cost_points": 1, "per_member_limit": 2}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            #expect(try await app.redeem(member, #"{"reward": "PEN", "quantity": 2}"#).status == .created)

            let before = try await RedemptionSnapshot(app)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"reward": "TV", "quantity": 1}"#, .unprocessableContent, "insufficient_points"),
                (#"{"reward": "MUG", "quantity": 3}"#, .unprocessableContent, "out_of_stock"),
                (#"{"reward": "PEN", "quantity": 1}"#, .unprocessableContent, "limit_reached"),
                (#"{"reward": "SOON", "quantity": 1}"#, .unprocessableContent, "inactive"),
                (#"{"reward": "OVER", "quantity": 1}"#, .unprocessableContent, "inactive"),
                (#"{"reward": "WX", "quantity": 1}"#, .unprocessableContent, "wrong_channel"),
                (#"{"reward": "WX", "quantity": 1, "channel": "web"}"#, .unprocessableContent, "wrong_channel"),
                (#"{"reward": "NOPE", "quantity": 1}"#, .unprocessableContent, "unknown_reward"),
                (#"{"reward": "MUG", "quantity": 0}"#, .unprocessableContent, "invalid_quantity"),
                (#"{"reward": "MUG", "quantity": 101}"#, .unprocessableContent, "invalid_quantity"),
                (#"{"reward": "MUG", "quantity": 1, "channel": "Web Shop"}"#, .unprocessableContent, "invalid_channel"),
                (#"{"reward": "MUG"}"#, .badRequest, "invalid_json"),
                (#"{"reward": "MUG", "quantity": "one"}"#, .badRequest, "invalid_json"),
                ("[]", .badRequest, "invalid_json"),
            ]
            for (body, status, code) in cases {
                let response = try await app.redeem(member, body)
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(body)")
            }
            let stranger = try await app.redeem(UUID(), #"{"reward": "MUG", "quantity": 1}"#)
            #expect(stranger.status == .notFound)
            #expect(try errorCode(stranger) == "member_not_found")
            let notAnID = try await app.request(
                .post, "/api/v1/members/42/redemptions", as: .redeem,
                json: #"{"reward": "MUG", "quantity": 1}"#, headers: [TestApp.idempotencyKey: "k"])
            #expect(notAnID.status == .notFound)
            let noKey = try await app.request(
                .post, "/api/v1/members/\(member)/redemptions", as: .redeem, json: #"{"reward": "MUG", "quantity": 1}"#)
            #expect(noKey.status == .badRequest)
            #expect(try errorCode(noKey) == "missing_idempotency_key")
            let longKey = try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: String(repeating: "k", count: 201))
            #expect(try errorCode(longKey) == "invalid_idempotency_key")
            let wrongScope = try await app.request(
                .post, "/api/v1/members/\(member)/redemptions", as: .crmWrite,
                json: #"{"reward": "MUG", "quantity": 1}"#, headers: [TestApp.idempotencyKey: "k2"])
            #expect(wrongScope.status == .forbidden)

            #expect(try await RedemptionSnapshot(app) == before)
            #expect(try await app.balance(member) == 98)
            #expect(try await app.stock("MUG") == (2, 2))
            try await app.expectInvariants()
        }
    }

    @Test("a retry with the same Idempotency-Key gets the same answer and debits once; another body is refused; a refusal keeps no key")
    func idempotentRetry() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 30, "stock": 5}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 50)
            let first = try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "order-1")
            #expect(first.status == .created)
            let retry = try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "order-1")
            #expect(retry.status == .created)
            #expect(retry.headers[TestApp.idempotentReplayed] == "true")
            #expect(Array(buffer: retry.body) == Array(buffer: first.body))
            #expect(try await app.count("redemptions") == 1)
            #expect(try await app.balance(member) == 20)
            #expect(try await app.stock("MUG") == (5, 4))

            let before = try await RedemptionSnapshot(app)
            let reused = try await app.redeem(member, #"{"reward": "MUG", "quantity": 2}"#, key: "order-1")
            #expect(reused.status == .unprocessableContent)
            #expect(try errorCode(reused) == "idempotency_key_reused")
            #expect(try await RedemptionSnapshot(app) == before)

            // Refused for want of points: the key is not kept, so the same request succeeds later.
            let refused = try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "order-2")
            #expect(try errorCode(refused) == "insufficient_points")
            #expect(try await RedemptionSnapshot(app) == before)
            try await app.credit(member, 10)
            let later = try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#, key: "order-2")
            #expect(later.status == .created && later.headers[TestApp.idempotentReplayed] == nil)
            #expect(try await app.balance(member) == 0)
            try await app.expectInvariants()
        }
    }

    @Test("spending takes the soonest-expiring lots first; cancelling puts the points back into those lots and the units into stock")
    func cancelReturnsToLots() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 150, "stock": 3, "per_member_limit": 1}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100, expiresInDays: 200) // lot 1: expires last
            try await app.credit(member, 100, expiresInDays: 10) // lot 2: expires first
            try await app.credit(member, 100) // lot 3: the programme's 12 months
            let redemption = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            #expect(try await app.lots(member) == [50, 0, 100])
            #expect(try await app.stock("MUG") == (3, 2))
            // The limit counts live redemptions only.
            #expect(try errorCode(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#)) == "limit_reached")

            let response = try await app.cancel(redemption.id, reason: "wrong colour")
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let cancelled = try decode(Redemption.self, response)
            #expect(cancelled.id == redemption.id && cancelled.status == "cancelled" && cancelled.cancelledAt != nil)
            #expect(cancelled.balance == 300 && cancelled.cancellableUntil == nil && cancelled.voucher == redemption.voucher)
            #expect(try await app.lots(member) == [100, 100, 100])
            #expect(try await app.balance(member) == 300)
            #expect(try await app.stock("MUG") == (3, 3))
            #expect(
                try await Self.ledger(app, member).suffix(2) == [
                    "redemption -150 → 150 (MUG)", "redemption_cancel 150 → 300 (wrong colour)",
                ])

            let before = try await RedemptionSnapshot(app)
            let twice = try await app.cancel(redemption.id)
            #expect(twice.status == .conflict)
            #expect(try errorCode(twice) == "already_cancelled")
            let unknown = try await app.cancel(UUID())
            #expect(unknown.status == .notFound)
            #expect(try errorCode(unknown) == "redemption_not_found")
            #expect(
                try await app.request(.post, "/api/v1/redemptions/42/cancel", as: .redeem, json: #"{"reason": "x"}"#).status == .notFound)
            #expect(try errorCode(try await app.cancel(redemption.id, reason: "")) == "invalid_reason")
            let noReason = try await app.request(.post, "/api/v1/redemptions/\(redemption.id)/cancel", as: .redeem, json: "{}")
            #expect(noReason.status == .badRequest)
            #expect(try await RedemptionSnapshot(app) == before)

            // The limit is free again.
            #expect(try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#).status == .created)
            try await app.expectInvariants()
        }
    }

    @Test("after the programme's window a redemption cannot be cancelled, and nothing changes")
    func cancelWindowClosed() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 10, "stock": 3}"#)
            let member = try await app.newMember(phone: "13800138000")
            try await app.credit(member, 100)
            let old = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            let recent = try decode(Redemption.self, try await app.redeem(member, #"{"reward": "MUG", "quantity": 1}"#))
            // 73 hours ago: past the default 72.
            try await app.database.query(
                "UPDATE redemptions SET created_at = now() - interval '73 hours' WHERE id = \(old.id)", logger: TestDatabase.logger
            )
            let before = try await RedemptionSnapshot(app)
            let closed = try await app.cancel(old.id)
            #expect(closed.status == .conflict)
            #expect(try errorCode(closed) == "window_closed")
            #expect(try await RedemptionSnapshot(app) == before)

            // A programme that allows no cancellation at all.
            try await app.database.query("UPDATE programme_settings SET redemption_cancel_hours = 0", logger: TestDatabase.logger)
            #expect(try errorCode(try await app.cancel(recent.id)) == "window_closed")
            #expect(try await RedemptionSnapshot(app) == before)
            // A longer window reopens both.
            try await app.database.query("UPDATE programme_settings SET redemption_cancel_hours = 100", logger: TestDatabase.logger)
            #expect(try await app.cancel(old.id).status == .ok)
            #expect(try await app.balance(member) == 90)
            #expect(try await app.stock("MUG") == (3, 2))
            try await app.expectInvariants()
        }
    }

    @Test("a merged member redeems from the survivor's account; listings follow the merge; pages of redemptions")
    func mergedMemberAndPages() async throws {
        try await TestApp.run { app in
            _ = try await app.createReward(#"{"sku": "PEN", "name": "Pen", "cost_points": 1}"#)
            let survivor = try await app.newMember(phone: "13800138000")
            let absorbed = try await app.newMember(phone: "13900139000")
            try await app.credit(survivor, 3)
            try await app.credit(absorbed, 2)
            let early = try decode(Redemption.self, try await app.redeem(absorbed, #"{"reward": "PEN", "quantity": 1}"#))
            try await app.database.query(
                "SELECT outcome FROM merge_members(\(survivor), \(absorbed), 'same person', 'test')", logger: TestDatabase.logger
            )
            let viaAbsorbed = try decode(Redemption.self, try await app.redeem(absorbed, #"{"reward": "PEN", "quantity": 1}"#))
            #expect(viaAbsorbed.memberId == survivor && viaAbsorbed.balance == 3)
            for _ in 0..<2 { #expect(try await app.redeem(survivor, #"{"reward": "PEN", "quantity": 1}"#).status == .created) }

            struct RedemptionPage: Decodable {
                let items: [Redemption]
                let nextCursor: String?
            }
            var seen: [UUID] = []
            var cursor: String?
            repeat {
                let query = "?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await app.request(.get, "/api/v1/members/\(absorbed)/redemptions\(query)", as: .redeem)
                try #require(response.status == .ok, "\(String(buffer: response.body))")
                let page = try decode(RedemptionPage.self, response)
                seen += page.items.map(\.id)
                #expect(page.items.allSatisfy { $0.memberId == survivor })
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 4 && Set(seen).count == 4 && seen.last == early.id && seen.first != early.id)

            #expect(try await app.request(.get, "/api/v1/members/\(UUID())/redemptions", as: .redeem).status == .notFound)
            #expect(try await app.request(.get, "/api/v1/members/x/redemptions", as: .redeem).status == .notFound)
            let badCursor = try await app.request(.get, "/api/v1/members/\(survivor)/redemptions?cursor=abc", as: .redeem)
            #expect(badCursor.status == .badRequest)
            #expect(try errorCode(badCursor) == "invalid_cursor")
            #expect(try await app.request(.get, "/api/v1/members/\(survivor)/redemptions", as: .crmRead).status == .forbidden)
            try await app.expectInvariants()
        }
    }
}
