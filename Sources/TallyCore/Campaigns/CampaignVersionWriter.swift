import Logging
import PostgresNIO

/// Writes one version of a campaign: its campaign_versions row and its prizes. Versions are
/// never changed after this: a change writes the next one.
enum CampaignVersionWriter {
    static func insert(
        _ d: CampaignDefinition, _ references: CampaignReferences, campaign: Int64, version: Int, actor: String,
        on tx: PostgresConnection, logger: Logger
    ) async throws {
        try await tx.query(
            """
            INSERT INTO campaign_versions (
                campaign_id, version, name_zh, name_en, starts_at, ends_at, time_zone, priority, exclusive,
                product_ids, batch_ids, regions, channels, weekdays, hour_from, hour_to, tiers, segment, lapsed_days,
                nth_claim, nth_every, nth_within, first_of_product, awards_per_member,
                effect, bonus_points, multiplier, voucher_reward_id,
                budget_points, budget_awards, member_points_per_day, member_points_per_week, member_points, when_exhausted,
                awards_per_phone_per_day, awards_per_device_per_day, awards_per_ip_per_day, created_by)
            VALUES (
                \(campaign), \(version), \(d.nameZh), \(d.nameEn), \(d.startsAt), \(d.endsAt), \(d.timeZone), \(d.priority), \(d.exclusive),
                \(references.productIDs), \(d.batchIDs), \(d.regions), \(d.channels), \(d.weekdays)::int8[]::int2[],
                \(d.hourFrom)::int8, \(d.hourTo)::int8, \(d.tiers), \(d.segment), \(d.lapsedDays),
                \(d.nthClaim), \(d.nthEvery), \(d.nthWithin), \(d.firstOfProduct), \(d.awardsPerMember),
                \(d.effect), \(d.bonusPoints), \(d.multiplier)::float8::numeric(6, 2), \(references.voucherRewardID),
                \(d.budgetPoints), \(d.budgetAwards), \(d.memberPointsPerDay), \(d.memberPointsPerWeek), \(d.memberPoints), \(d.whenExhausted),
                \(d.awardsPerPhonePerDay), \(d.awardsPerDevicePerDay), \(d.awardsPerIPPerDay), \(actor))
            """, logger: logger)
        for (index, prize) in d.prizes.enumerated() {
            try await tx.query(
                """
                INSERT INTO campaign_prizes (campaign_id, version, position, key, name_zh, name_en, points, reward_id, probability_ppm, stock)
                VALUES (\(campaign), \(version), \(index + 1), \(prize.key), \(prize.nameZh), \(prize.nameEn), \(prize.points),
                        \(references.prizeRewardIDs[index]), \(prize.probabilityPPM), \(prize.stock))
                """, logger: logger)
        }
    }
}
