import Foundation
import Logging
import PostgresNIO

/// How a campaign's versions are read back: the columns of a version (`v`, campaign_versions)
/// with its products and voucher named by SKU again, and its prizes, into a `CampaignDefinition`.
enum CampaignRows {
    /// The columns of the version `v`, by the names `definition(_:prizes:)` reads.
    static let versionColumns = """
        v.version, v.name_zh, v.name_en, v.starts_at, v.ends_at, v.time_zone, v.priority, v.exclusive,
        (SELECT array_agg(p.sku ORDER BY u.n) FROM unnest(v.product_ids) WITH ORDINALITY AS u (id, n)
         JOIN products p ON p.id = u.id) AS skus,
        v.batch_ids, v.regions, v.channels, v.weekdays::int8[] AS weekdays, v.hour_from, v.hour_to, v.tiers, v.segment,
        v.lapsed_days, v.nth_claim, v.nth_every, v.nth_within, v.first_of_product, v.awards_per_member, v.effect,
        v.bonus_points, v.multiplier::float8 AS multiplier, (SELECT r.sku FROM rewards r WHERE r.id = v.voucher_reward_id) AS voucher,
        v.budget_points, v.budget_awards, v.member_points_per_day, v.member_points_per_week, v.member_points,
        v.when_exhausted, v.awards_per_phone_per_day, v.awards_per_device_per_day, v.awards_per_ip_per_day,
        v.created_by, v.created_at AS version_created_at
        """

    /// The definition in a row with `versionColumns`, with its draw's `prizes`.
    static func definition(_ row: PostgresRandomAccessRow, prizes: [CampaignDefinition.Prize]) throws -> CampaignDefinition {
        CampaignDefinition(
            nameZh: try row["name_zh"].decode(String.self), nameEn: try row["name_en"].decode(String.self),
            startsAt: try row["starts_at"].decode(Date.self), endsAt: try row["ends_at"].decode(Date.self),
            timeZone: try row["time_zone"].decode(String.self), priority: try row["priority"].decode(Int.self),
            exclusive: try row["exclusive"].decode(Bool.self),
            productSKUs: try row["skus"].decode([String]?.self), batchIDs: try row["batch_ids"].decode([Int64]?.self),
            regions: try row["regions"].decode([String]?.self), channels: try row["channels"].decode([String]?.self),
            weekdays: try row["weekdays"].decode([Int]?.self), hourFrom: try row["hour_from"].decode(Int?.self),
            hourTo: try row["hour_to"].decode(Int?.self), tiers: try row["tiers"].decode([String]?.self),
            segment: try row["segment"].decode(String?.self), lapsedDays: try row["lapsed_days"].decode(Int?.self),
            nthClaim: try row["nth_claim"].decode(Int?.self), nthEvery: try row["nth_every"].decode(Bool.self),
            nthWithin: try row["nth_within"].decode(String.self), firstOfProduct: try row["first_of_product"].decode(Bool.self),
            awardsPerMember: try row["awards_per_member"].decode(Int?.self),
            effect: try row["effect"].decode(String.self), bonusPoints: try row["bonus_points"].decode(Int64?.self),
            multiplier: try row["multiplier"].decode(Double?.self), voucherSKU: try row["voucher"].decode(String?.self),
            prizes: prizes,
            budgetPoints: try row["budget_points"].decode(Int64?.self), budgetAwards: try row["budget_awards"].decode(Int64?.self),
            memberPointsPerDay: try row["member_points_per_day"].decode(Int64?.self),
            memberPointsPerWeek: try row["member_points_per_week"].decode(Int64?.self),
            memberPoints: try row["member_points"].decode(Int64?.self), whenExhausted: try row["when_exhausted"].decode(String.self),
            awardsPerPhonePerDay: try row["awards_per_phone_per_day"].decode(Int?.self),
            awardsPerDevicePerDay: try row["awards_per_device_per_day"].decode(Int?.self),
            awardsPerIPPerDay: try row["awards_per_ip_per_day"].decode(Int?.self)
        )
    }

    /// The prizes of `versions` of `campaign` (all its versions when nil), by version, in prize
    /// order, each with the units left of its stock (`left`, nil without a budget row).
    static func prizes(
        campaign: Int64, versions: [Int]?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: [(prize: CampaignDefinition.Prize, left: Int64?)]] {
        let rows = try await connection.query(
            """
            SELECT z.version, z.key, z.name_zh, z.name_en, z.points, r.sku, z.probability_ppm, z.stock,
                   (SELECT sum(s.units) FROM campaign_budget_slices s
                    WHERE s.campaign_id = z.campaign_id AND s.budget = 'prize:' || z.key)::int8
            FROM campaign_prizes z LEFT JOIN rewards r ON r.id = z.reward_id
            WHERE z.campaign_id = \(campaign) AND (\(versions)::int8[] IS NULL OR z.version = ANY (\(versions)::int8[]))
            ORDER BY z.version, z.position
            """, logger: logger)
        var prizes: [Int: [(prize: CampaignDefinition.Prize, left: Int64?)]] = [:]
        for try await (version, key, zh, en, points, reward, ppm, stock, left) in rows.decode(
            (Int, String, String, String, Int64?, String?, Int, Int64, Int64?).self)
        {
            let prize = CampaignDefinition.Prize(
                key: key, nameZh: zh, nameEn: en, points: points, rewardSKU: reward, probabilityPPM: ppm, stock: stock)
            prizes[version, default: []].append((prize, left))
        }
        return prizes
    }
}
