import Foundation
import PostgresNIO

/// A campaign written straight into the tables, for tests that need one before the campaign API
/// exists on this branch (switch to POST /api/v1/campaigns once it is merged): a campaign, its
/// version 1, its prizes and budget totals, then its state.
public struct CampaignFixture: Sendable {
    /// A prize of a draw's table, in order.
    public struct Prize: Sendable {
        public let key: String
        public let points: Int64
        public let probabilityPPM: Int
        /// Its stock budget (`campaign_budgets` 'prize:<key>').
        public let stock: Int64

        public init(key: String, points: Int64, probabilityPPM: Int, stock: Int64) {
            self.key = key
            self.points = points
            self.probabilityPPM = probabilityPPM
            self.stock = stock
        }
    }

    /// The draw's secret: 32 bytes 0x07.
    public static let secret = [UInt8](repeating: 7, count: 32)

    /// Columns of `campaign_versions` besides the names, the window and the zone, as SQL
    /// literals: e.g. `["effect": "'bonus'", "bonus_points": "20", "budget_points": "50"]`.
    public var columns: [String: String]
    public var prizes: [Prize] = []
    /// Budget totals, `points` and `awards` (set them in `columns` too, as the claim path reads them there).
    public var budgets: [String: Int64] = [:]
    /// `scheduled` (live in its window) or `draft`.
    public var state = "scheduled"
    public var timeZone = "Asia/Shanghai"

    public init(columns: [String: String], prizes: [Prize] = [], budgets: [String: Int64] = [:], state: String = "scheduled") {
        self.columns = columns
        self.prizes = prizes
        self.budgets = budgets
        self.state = state
    }

    /// Inserts the campaign (its window: from 30 days ago to 30 days ahead) and returns its id.
    public func insert(into database: PostgresClient) async throws -> Int64 {
        let hex = Self.secret.map { String(format: "%02x", $0) }.joined()
        var id: Int64 = 0
        let rows = try await database.query(
            PostgresQuery(unsafeSQL: "INSERT INTO campaigns (secret) VALUES (decode('\(hex)', 'hex')) RETURNING id"),
            logger: TestDatabase.logger)
        for try await value in rows.decode(Int64.self) { id = value }
        let names = columns.keys.sorted()
        try await run(
            database,
            """
            INSERT INTO campaign_versions (campaign_id, version, name_zh, name_en, starts_at, ends_at, time_zone, created_by\(names.map { ", " + $0 }.joined()))
            VALUES (\(id), 1, '测试活动', 'Test campaign', now() - interval '30 days', now() + interval '30 days', '\(timeZone)', 'test'\(names.map { ", " + columns[$0]! }.joined()))
            """)
        for (position, prize) in prizes.enumerated() {
            try await run(
                database,
                """
                INSERT INTO campaign_prizes (campaign_id, version, position, key, name_zh, name_en, points, probability_ppm, stock)
                VALUES (\(id), 1, \(position + 1), '\(prize.key)', '奖\(position + 1)', 'Prize \(position + 1)', \(prize.points), \(prize.probabilityPPM), \(prize.stock))
                """)
            try await run(database, "SELECT set_campaign_budget(\(id), 'prize:\(prize.key)', \(prize.stock))")
        }
        for (budget, total) in budgets.sorted(by: { $0.key < $1.key }) {
            try await run(database, "SELECT set_campaign_budget(\(id), '\(budget)', \(total))")
        }
        try await run(database, "UPDATE campaigns SET state = '\(state)' WHERE id = \(id)")
        return id
    }

    private func run(_ database: PostgresClient, _ sql: String) async throws {
        try await database.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
    }
}
