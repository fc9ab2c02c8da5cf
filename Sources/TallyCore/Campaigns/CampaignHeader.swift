import Foundation
import Logging
import PostgresNIO

/// What the reports need to know of a campaign: its current version, its time zone, and in that
/// zone the day its window starts and today.
public struct CampaignHeader: Sendable, Equatable {
    public let id: Int64
    public let version: Int32
    public let timeZone: String
    /// `YYYY-MM-DD` in the campaign's time zone.
    public let startDay: String
    public let today: String

    /// The campaign `id`, or a 404 `campaign_not_found`.
    public static func find(_ id: Int64, database: PostgresClient, logger: Logger) async throws -> CampaignHeader {
        let rows = try await database.query(
            """
            SELECT c.version, v.time_zone, to_char(v.starts_at AT TIME ZONE v.time_zone, 'YYYY-MM-DD'),
                   to_char(now() AT TIME ZONE v.time_zone, 'YYYY-MM-DD')
            FROM campaigns c JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version
            WHERE c.id = \(id)
            """, logger: logger)
        for try await (version, zone, start, today) in rows.decode((Int32, String, String, String).self) {
            return CampaignHeader(id: id, version: version, timeZone: zone, startDay: start, today: today)
        }
        throw StoreError(.notFound, .campaignNotFound, "no campaign \(id)")
    }
}
