import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyTestSupport
import Testing

/// What the campaign report, backtest and draw tests share.
extension TestApp {
    /// A campaign made through the API (see `liveCampaign`), named 测试活动 / Test campaign, its
    /// window from 30 days ago to 30 days ahead (Asia/Shanghai), with the JSON members in
    /// `members` (`"effect": …, "budget": …`); scheduled, so live, unless `schedule` is false.
    /// Its id.
    func reportCampaign(_ members: String, schedule: Bool = true) async throws -> Int64 {
        let now = Date()
        let (starts, ends) = (now.addingTimeInterval(-30 * 86400), now.addingTimeInterval(30 * 86400))
        return try await liveCampaign(
            """
            {"name": {"zh": "测试活动", "en": "Test campaign"},
             "starts_at": "\(RFC3339.string(from: starts))", "ends_at": "\(RFC3339.string(from: ends))", \(members)}
            """, schedule: schedule)
    }

    /// The draw's secret of campaign `id`, as the public gets it: ends the campaign, then reads
    /// `draw.secret` (hex) from `GET /api/v1/campaigns/{id}`.
    func endedSecret(_ id: Int64) async throws -> [UInt8] {
        let ended = try await step(id, "end")
        try #require(ended.status == .ok, "\(String(buffer: ended.body))")
        let hex = try #require(try await campaign(id).draw?.secret)
        return [UInt8](try #require(Data(hex: hex)))
    }

    /// A draw's prize, in its table's order.
    struct DrawPrize: Sendable {
        let key: String
        let points: Int64
        let probabilityPPM: Int
        let stock: Int64

        /// As the published recipe takes it.
        var recipe: DrawRecipe.Prize { DrawRecipe.Prize(key: key, probabilityPPM: probabilityPPM) }
    }

    /// `"effect": {"type": "draw", …}` with `prizes`, named 奖1 / Prize 1 and on.
    static func drawEffect(_ prizes: [DrawPrize]) -> String {
        let items = prizes.enumerated().map { position, prize in
            let probability = String(format: "%d.%06d", prize.probabilityPPM / 1_000_000, prize.probabilityPPM % 1_000_000)
            return #"{"key": "\#(prize.key)", "name": {"zh": "奖\#(position + 1)", "en": "Prize \#(position + 1)"}, "#
                + #""points": \#(prize.points), "probability": \#(probability), "stock": \#(prize.stock)}"#
        }
        return #""effect": {"type": "draw", "prizes": ["# + items.joined(separator: ", ") + "]}"
    }

    /// One text value from SQL, e.g. a local date.
    func text(_ statement: String) async throws -> String {
        let rows = try await database.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
        for try await value in rows.decode(String.self) { return value }
        return ""
    }

    /// Today in Shanghai, or `interval` ago (SQL), as `YYYY-MM-DD`.
    func shanghaiDay(ago interval: String = "0 seconds") async throws -> String {
        try await text("SELECT to_char((now() - interval '\(interval)') AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')")
    }

    /// Asserts that `send` is refused with `status` and `code`, and changes nothing at all.
    func expectRefusal(
        _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ send: () async throws -> TestResponse
    ) async throws {
        let before = try await databaseDigest()
        let response = try await send()
        #expect(Int(response.status.code) == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(try errorCode(response) == code, sourceLocation: sourceLocation)
        #expect(try await databaseDigest() == before, sourceLocation: sourceLocation)
    }
}
