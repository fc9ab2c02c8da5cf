import Foundation
import Logging
import PostgresNIO

/// `GET /campaigns/{id}/draws`: the draws of a campaign, newest (highest id) first.
public struct CampaignDraws: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// At most `limit` draws of campaign `id` with an id below `before` (nil: from the newest);
    /// a 404 `campaign_not_found` if there is no such campaign. A campaign without a draw has none.
    public func list(campaign id: Int64, before: Int64?, limit: Int) async throws -> [CampaignDrawEntry] {
        _ = try await CampaignHeader.find(id, database: database, logger: logger)
        let rows = try await database.query(
            """
            SELECT a.id, a.version, a.kid, a.serial, a.ticket, a.prize, a.outcome, a.awarded_at
            FROM campaign_awards a
            WHERE a.campaign_id = \(id) AND a.ticket IS NOT NULL AND a.id < \(before ?? Int64.max)
            ORDER BY a.id DESC LIMIT \(Int32(limit))
            """, logger: logger)
        var draws: [CampaignDrawEntry] = []
        for try await (drawID, version, kid, serial, ticket, prize, outcome, at) in rows.decode(
            (Int64, Int32, Int16, Int64, Int32, String?, String, Date).self
        ) {
            draws.append(
                CampaignDrawEntry(
                    id: drawID, version: version, kid: kid, serial: serial, ticket: ticket, prize: prize, outcome: outcome, awardedAt: at))
        }
        return draws
    }
}
