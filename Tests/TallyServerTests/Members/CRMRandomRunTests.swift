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

/// Everything at once: claims, debits, redemptions, cancellations, merges and expiry racing
/// each other. Afterwards every acknowledged write is stored once (I5) and the ledger's
/// invariants I1–I4 hold.
@Suite("A random concurrent run of the whole programme")
struct CRMRandomRunTests {
    enum Operation: Sendable {
        case claim(sequence: Int64, person: Int)
        case debit(person: Int, points: Int, tag: String)
        case redeem(person: Int, reward: Int64, quantity: Int, tag: String)
        case cancelSome
        case merge(survivor: Int, absorbed: Int, tag: String)
        case expire
    }

    /// What a client was told was done.
    enum Acknowledged: Sendable {
        case claim(serial: Int64)
        case debit(tag: String)
        case redemption(id: UUID)
        case cancel(UUID)
        case merge(tag: String)
        case nothing
    }

    @Test("claims, debits, redemptions, cancellations, merges and expiry at once keep I1–I5")
    func randomRun() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 400)
            var members: [UUID] = []
            for person in 0..<8 {
                members.append(try await app.claimAsMember(batch, Int64(person), externalID: "p\(person)"))
                try await app.claimAsMember(batch, Int64(8 + person), externalID: "p\(person)")
            }
            // Some points are already past their expiry, waiting for the job.
            try await app.sql("UPDATE point_lots SET expires_at = now() - interval '1 minute' WHERE id % 3 = 0")
            try await app.sql(
                """
                INSERT INTO rewards (sku, name, cost_points, initial_stock, per_member_limit)
                VALUES ('CUP', 'Cup', 20, 4, NULL), ('BAG', 'Bag', 7, NULL, 3)
                """)
            try await app.sql("SELECT set_reward_stock(id, 4) FROM rewards WHERE sku = 'CUP'")

            var generator = SystemRandomNumberGenerator()
            var nextSequence: Int64 = 16
            let operations: [Operation] = (0..<320).map { index in
                let person = Int.random(in: 0..<8, using: &generator)
                switch Int.random(in: 0..<100, using: &generator) {
                case 0..<40:
                    nextSequence += 1
                    return .claim(sequence: nextSequence, person: person)
                case 40..<55: return .debit(person: person, points: Int.random(in: 1...15, using: &generator), tag: "d\(index)")
                case 55..<75:
                    return .redeem(
                        person: person, reward: Int64.random(in: 1...2, using: &generator),
                        quantity: Int.random(in: 1...2, using: &generator), tag: "r\(index)")
                case 75..<85: return .cancelSome
                case 85..<90:
                    return .merge(survivor: person, absorbed: Int.random(in: 0..<8, using: &generator), tag: "m\(index)")
                default: return .expire
                }
            }

            let people = members
            let acknowledged = try await withThrowingTaskGroup(of: Acknowledged.self) { group in
                for operation in operations {
                    group.addTask { try await Self.perform(operation, app: app, batch: batch, members: people) }
                }
                return try await group.reduce(into: [Acknowledged]()) { $0.append($1) }
            }
            try await app.runProgrammeJobs()

            // I5: each acknowledged write is in the database, once.
            for ack in acknowledged {
                switch ack {
                case .claim(let serial):
                    #expect(try await app.int64("SELECT count(*) FROM claims WHERE serial = \(serial)") == 1)
                case .debit(let tag):
                    #expect(try await app.int64("SELECT count(*) FROM ledger_entries WHERE kind = 'adjustment' AND reason = '\(tag)'") == 1)
                case .redemption(let id):
                    #expect(try await app.int64("SELECT count(*) FROM redemptions WHERE id = '\(id)'") == 1)
                case .cancel(let id):
                    #expect(try await app.int64("SELECT count(*) FROM redemptions WHERE id = '\(id)' AND status = 'cancelled'") == 1)
                case .merge(let tag):
                    #expect(try await app.int64("SELECT count(*) FROM member_merges WHERE reason = '\(tag)'") == 1)
                case .nothing: break
                }
            }
            let done = acknowledged.filter { if case .nothing = $0 { false } else { true } }.count
            #expect(done > 100, "only \(done) operations went through")
            #expect(try await app.int64("SELECT count(*) FROM point_lots WHERE remaining > 0 AND expires_at <= now()") == 0)
            try await app.expectInvariants()
        }
    }

    /// `operation` as a client of the API does it: a request answered 503 (a deadline passed while
    /// it queued behind the others) is sent again, with its Idempotency-Key, until it gets a real
    /// answer. What was acknowledged.
    static func perform(_ operation: Operation, app: TestApp, batch: Batch, members: [UUID]) async throws -> Acknowledged {
        switch operation {
        case .claim(let sequence, let person):
            let code = app.code(batch, sequence)
            let body = #"{"code": "\#(code.text)", "identity": {"channel": "wechat_unionid", "external_id": "p\#(person)"}}"#
            let answer = try await app.requestUntilAnswered(.post, "/api/v1/claims", as: .claim, json: body, key: "c\(sequence)")
            return answer.status == 201 ? .claim(serial: Int64(code.serial)) : .nothing
        case .debit(let person, let points, let tag):
            let answer = try await app.requestUntilAnswered(
                .post, "/api/v1/members/\(members[person])/adjustments", as: .crmWrite,
                json: #"{"points": -\#(points), "reason": "\#(tag)"}"#, key: tag
            )
            // 308: the member was merged away; 422: not enough points. Both change nothing.
            #expect([201, 308, 422].contains(answer.status), "\(answer)")
            return answer.status == 201 ? .debit(tag: tag) : .nothing
        case .redeem(let person, let reward, let quantity, let tag):
            let answer = try await app.requestUntilAnswered(
                .post, "/api/v1/members/\(members[person])/redemptions", as: .redeem,
                json: #"{"reward": "\#(reward == 1 ? "CUP" : "BAG")", "quantity": \#(quantity)}"#, key: tag
            )
            // 308: merged away; 422: not enough points, out of stock, over the limit.
            #expect([201, 308, 422].contains(answer.status), "\(answer)")
            guard answer.status == 201 else { return .nothing }
            let redemption = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
            return .redemption(id: UUID(uuidString: redemption["id"] as! String)!)
        case .cancelSome:
            guard let id = try await app.randomRedemption() else { return .nothing }
            let answer = try await app.requestUntilAnswered(
                .post, "/api/v1/redemptions/\(id)/cancel", as: .redeem, json: #"{"reason": "changed mind"}"#)
            #expect([200, 409].contains(answer.status), "\(answer)")
            return answer.status == 200 ? .cancel(id) : .nothing
        case .merge(let survivor, let absorbed, let tag):
            let answer = try await app.requestUntilAnswered(
                .post, "/api/v1/members/\(members[survivor])/merge", as: .crmWrite,
                json: #"{"absorb": "\#(members[absorbed])", "reason": "\#(tag)"}"#, key: tag
            )
            #expect([200, 308, 409, 422].contains(answer.status), "\(answer)")
            return answer.status == 200 ? .merge(tag: tag) : .nothing
        case .expire:
            try await app.runProgrammeJobs()
            return .nothing
        }
    }
}

extension TestApp {
    /// Any redemption, for a cancel to try.
    func randomRedemption() async throws -> UUID? {
        let statement = "SELECT id FROM redemptions ORDER BY random() LIMIT 1"
        do {
            let rows = try await database.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
            for try await id in rows.decode(UUID.self) { return id }
            return nil
        } catch {
            throw SQLFailure(statement: statement, error: String(reflecting: error))
        }
    }
}
