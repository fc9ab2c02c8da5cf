import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// Members with points, rewards and redemptions for the reward and redemption tests.
extension TestApp {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    /// A new member, known by `phone`.
    func newMember(phone: String) async throws -> UUID {
        try await MemberStore(database: database, logger: TestDatabase.logger).findOrCreate(.phone(PhoneNumber(phone)))
    }

    /// Credits `points` as one lot (a manual adjustment), expiring in `expiresInDays` if given.
    func credit(_ member: UUID, _ points: Int64, expiresInDays days: Int? = nil) async throws {
        let rows = try await database.query(
            "SELECT outcome, entry_id FROM adjust_points(\(member), \(points), 'test credit', 'test')", logger: TestDatabase.logger
        )
        var entry: Int64?
        for try await (outcome, id) in rows.decode((String, Int64?).self) {
            try #require(outcome == "adjusted")
            entry = id
        }
        if let days, let entry {
            try await database.query(
                """
                UPDATE point_lots SET expires_at = now() + make_interval(days => \(days)::int4)
                WHERE member_id = \(member) AND ledger_entry_id = \(entry)
                """, logger: TestDatabase.logger)
        }
    }

    /// Creates a reward through the API (as `crm:write`) and returns it.
    func createReward(_ json: String) async throws -> Reward {
        let response = try await request(.post, "/api/v1/rewards", as: .crmWrite, json: json)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try decode(Reward.self, response)
    }

    /// Redeems as the `redeem` key with an Idempotency-Key (a new one unless given).
    func redeem(_ member: UUID, _ json: String, key: String = UUID().uuidString) async throws -> TestResponse {
        try await request(.post, "/api/v1/members/\(member)/redemptions", as: .redeem, json: json, headers: [Self.idempotencyKey: key])
    }

    /// The same on a connection of its own, so concurrent requests meet in the database (the
    /// shared test client answers its requests one after another). Returns status and body.
    func redeemOnOwnConnection(_ member: UUID, _ json: String) async throws -> (HTTPResponse.Status, Data) {
        let headers: HTTPFields = [
            .authorization: "Bearer \(secrets[.redeem]!)", .contentType: "application/json",
            Self.idempotencyKey: UUID().uuidString, .connection: "close",
        ]
        let request = TestClient.Request(
            "/api/v1/members/\(member)/redemptions", method: .post, authority: "localhost", headers: headers, body: ByteBuffer(string: json)
        )
        let response = try await TestClient.executeAlone(request, port: client.port!)
        return (response.status, Data(Array(buffer: response.body ?? ByteBuffer())))
    }

    func cancel(_ redemption: UUID, reason: String = "customer changed their mind") async throws -> TestResponse {
        try await request(.post, "/api/v1/redemptions/\(redemption)/cancel", as: .redeem, json: #"{"reason": "\#(reason)"}"#)
    }

    func balance(_ member: UUID) async throws -> Int64 {
        let rows = try await database.query("SELECT balance FROM members WHERE id = \(member)", logger: TestDatabase.logger)
        for try await balance in rows.decode(Int64.self) { return balance }
        return -1
    }

    /// (initial_stock, stock) of the reward `sku`: the units left are its stock slices' sum.
    func stock(_ sku: String) async throws -> (initial: Int64?, left: Int64?) {
        let rows = try await database.query(
            """
            SELECT initial_stock, (SELECT sum(s.units) FROM reward_stock s WHERE s.reward_id = rewards.id)::int8
            FROM rewards WHERE sku = \(sku)
            """, logger: TestDatabase.logger)
        for try await row in rows.decode((Int64?, Int64?).self) { return row }
        return (nil, nil)
    }

    /// What is left in each of the member's lots, by lot id.
    func lots(_ member: UUID) async throws -> [Int64] {
        let rows = try await database.query(
            "SELECT remaining FROM point_lots WHERE member_id = \(member) ORDER BY id", logger: TestDatabase.logger
        )
        var remaining: [Int64] = []
        for try await left in rows.decode(Int64.self) { remaining.append(left) }
        return remaining
    }

    /// I1–I4 hold (the checker reads the database).
    func expectInvariants() async throws {
        let findings = try await InvariantChecker(database: database, logger: TestDatabase.logger).check()
        #expect(findings.contains { $0.invariant.hasPrefix("I4") })
        for finding in findings { #expect(finding.holds, "\(finding)") }
    }
}

/// Everything a redemption, a cancellation or a catalogue change may touch: a refused one
/// must leave it all as it was.
struct RedemptionSnapshot: Equatable {
    var ledger, redemptions, lotDebits, idempotencyKeys: Int
    var balances, lotsRemaining: Int64
    var rewards: [String]

    init(_ app: TestApp) async throws {
        ledger = try await app.count("ledger_entries")
        redemptions = try await app.count("redemptions")
        lotDebits = try await app.count("lot_debits")
        idempotencyKeys = try await app.count("idempotency_keys")
        balances = try await Self.sum(app, "SELECT coalesce(sum(balance), 0)::int8 FROM members")
        lotsRemaining = try await Self.sum(app, "SELECT coalesce(sum(remaining), 0)::int8 FROM point_lots")
        let rows = try await app.database.query(
            "SELECT row_to_json(r)::text FROM rewards r ORDER BY id", logger: TestDatabase.logger
        )
        rewards = []
        for try await json in rows.decode(String.self) { rewards.append(json) }
    }

    private static func sum(_ app: TestApp, _ sql: String) async throws -> Int64 {
        let rows = try await app.database.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        for try await n in rows.decode(Int64.self) { return n }
        return -1
    }
}
