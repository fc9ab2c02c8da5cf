import Foundation
import Logging
import PostgresNIO

/// `POST /campaigns/{id}/backtest`: runs `backtest_campaign` (read-only) and shapes its days.
public struct CampaignBacktester: Sendable {
    public static let maxDays = 366

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Replays the last `days` days (1 to `maxDays`, else a 422 `invalid_backtest_days`; nil:
    /// not sent, the same) against campaign `id` (a 404 `campaign_not_found` if there is none).
    public func backtest(campaign id: Int64, days: Int64?) async throws -> CampaignBacktest {
        guard let days, (1...Int64(Self.maxDays)).contains(days) else {
            throw StoreError(
                .invalid, .invalidBacktestDays, "days is the number of past days to replay: a whole number from 1 to \(Self.maxDays)")
        }
        let campaign = try await CampaignHeader.find(id, database: database, logger: logger)
        let rows = try await database.query(
            """
            SELECT to_char(b.day, 'YYYY-MM-DD'), b.claims, b.matched, b.awards, b.points, b.members_reached, b.first_reached,
                   b.refused_total, b.points_budget_left, b.awards_budget_left, b.prizes::text
            FROM backtest_campaign(\(id), \(Int32(days))) b
            """, logger: logger)
        var result = CampaignBacktest(
            campaignId: id, version: campaign.version, days: Int(days), from: "", to: "", claimsReplayed: 0, matched: 0, awards: 0,
            points: 0, membersReached: 0, budgetRunsOutOn: nil, prizes: [], perDay: [])
        struct PrizeDay: Decodable {
            let awarded: Int64
            let left: Int64?
        }
        var prizes: [String: CampaignBacktest.Prize] = [:]
        for try await (day, claims, matched, awards, points, reached, firstReached, refused, pointsLeft, awardsLeft, prizeJSON)
            in rows.decode((String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64?, Int64?, String).self)
        {
            result.perDay.append(
                .init(
                    day: day, claims: claims, matched: matched, awards: awards, points: points, membersReached: reached,
                    pointsBudgetLeft: pointsLeft, awardsBudgetLeft: awardsLeft))
            result.claimsReplayed += claims
            result.matched += matched
            result.awards += awards
            result.points += points
            result.membersReached += firstReached
            if refused > 0, result.budgetRunsOutOn == nil { result.budgetRunsOutOn = day }
            // A JSON object has no order: the prize table's is read below.
            for (key, figures) in try JSONDecoder().decode([String: PrizeDay].self, from: Data(prizeJSON.utf8)) {
                var prize = prizes[key] ?? .init(key: key, awarded: 0, stock: nil, left: nil)
                prize.awarded += figures.awarded
                prize.left = figures.left
                prizes[key] = prize
            }
        }
        result.from = result.perDay.first?.day ?? ""
        result.to = result.perDay.last?.day ?? ""
        let table = try await database.query(
            "SELECT p.key FROM campaign_prizes p WHERE p.campaign_id = \(id) AND p.version = \(campaign.version) ORDER BY p.position",
            logger: logger)
        for try await key in table.decode(String.self) {
            guard var prize = prizes[key] else { continue }
            prize.stock = prize.left.map { $0 + prize.awarded }
            result.prizes.append(prize)
        }
        return result
    }
}
