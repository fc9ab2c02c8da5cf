import Foundation
import Logging
import PostgresNIO

/// `GET /campaigns/{id}/report`: a campaign's figures per local day, from what the claim path
/// wrote to `campaign_awards` (one row per claim it matched). What a budget had left at a day's
/// end is its total (`campaign_budgets`) less what the awards up to then used.
public struct CampaignReports: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The report of campaign `id` for the days `from` to `to` (see `ReportRange`).
    public func report(campaign id: Int64, from: String?, to: String?) async throws -> CampaignReport {
        let campaign = try await CampaignHeader.find(id, database: database, logger: logger)
        let range = try ReportRange(from: from, to: to, startDay: campaign.startDay, today: campaign.today)
        let zone = campaign.timeZone
        var days: [CampaignReport.Day] = []
        let perDay = try await database.query(
            """
            WITH a AS (
                SELECT (a.awarded_at AT TIME ZONE \(zone))::date AS day, a.outcome, a.points, a.member_id, a.redemption_id
                FROM campaign_awards a
                WHERE a.campaign_id = \(id)
                  AND a.awarded_at >= (\(range.from)::date)::timestamp AT TIME ZONE \(zone)
                  AND a.awarded_at < (\(range.to)::date + 1)::timestamp AT TIME ZONE \(zone))
            SELECT to_char(g.day, 'YYYY-MM-DD'), count(a.day)::int8,
                   count(*) FILTER (WHERE a.outcome = 'awarded')::int8,
                   coalesce(sum(a.points) FILTER (WHERE a.outcome = 'awarded'), 0)::int8,
                   count(a.redemption_id) FILTER (WHERE a.outcome = 'awarded')::int8,
                   count(DISTINCT a.member_id) FILTER (WHERE a.outcome = 'awarded')::int8,
                   count(*) FILTER (WHERE a.outcome = 'no_prize')::int8,
                   count(*) FILTER (WHERE a.outcome = 'out_of_stock')::int8,
                   count(*) FILTER (WHERE a.outcome = 'budget_exhausted')::int8,
                   count(*) FILTER (WHERE a.outcome = 'limit_reached')::int8
            FROM generate_series(\(range.from)::date, \(range.to)::date, interval '1 day') AS g (day)
            LEFT JOIN a ON a.day = g.day::date
            GROUP BY g.day ORDER BY g.day
            """, logger: logger)
        for try await (day, matched, awards, points, vouchers, members, noPrize, outOfStock, exhausted, limited) in perDay.decode(
            (String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self
        ) {
            var refused = CampaignReport.Refused()
            refused.noPrize = noPrize
            refused.outOfStock = outOfStock
            refused.budgetExhausted = exhausted
            refused.limitReached = limited
            days.append(
                .init(
                    day: day, matched: matched, awards: awards, points: points, vouchers: vouchers, membersReached: members,
                    refused: refused, pointsBudgetLeft: nil, awardsBudgetLeft: nil, prizesLeft: []))
        }

        // The budgets: their totals and what the awards before the first day used (the totals
        // apart: Citus sums the awards, kept by member, on their nodes and cannot add a subquery).
        let budgets = try await database.query(
            """
            WITH used AS MATERIALIZED (
                SELECT coalesce(sum(a.points) FILTER (WHERE a.awarded_at < (\(range.from)::date)::timestamp AT TIME ZONE \(zone)), 0)::int8 AS points,
                       count(*) FILTER (WHERE a.awarded_at < (\(range.from)::date)::timestamp AT TIME ZONE \(zone))::int8 AS awards,
                       count(DISTINCT a.member_id) FILTER (
                           WHERE a.awarded_at >= (\(range.from)::date)::timestamp AT TIME ZONE \(zone)
                             AND a.awarded_at < (\(range.to)::date + 1)::timestamp AT TIME ZONE \(zone))::int8 AS members
                FROM campaign_awards a WHERE a.campaign_id = \(id) AND a.outcome = 'awarded')
            SELECT (SELECT b.total FROM campaign_budgets b WHERE b.campaign_id = \(id) AND b.budget = 'points'),
                   (SELECT b.total FROM campaign_budgets b WHERE b.campaign_id = \(id) AND b.budget = 'awards'),
                   u.points, u.awards, u.members
            FROM used u
            """, logger: logger)
        var membersReached: Int64 = 0
        for try await (pointsTotal, awardsTotal, pointsBefore, awardsBefore, members) in budgets.decode(
            (Int64?, Int64?, Int64, Int64, Int64).self
        ) {
            membersReached = members
            var points = pointsTotal.map { $0 - pointsBefore }
            var awards = awardsTotal.map { $0 - awardsBefore }
            for index in days.indices {
                points = points.map { $0 - days[index].points }
                awards = awards.map { $0 - days[index].awards }
                days[index].pointsBudgetLeft = points
                days[index].awardsBudgetLeft = awards
            }
        }

        // Each prize of the current version: its stock, and what was won before and on each day.
        let prizes = try await database.query(
            """
            SELECT p.key, b.total,
                   count(a.id) FILTER (WHERE a.awarded_at < (\(range.from)::date)::timestamp AT TIME ZONE \(zone))::int8,
                   coalesce(array_agg(to_char(a.awarded_at AT TIME ZONE \(zone), 'YYYY-MM-DD')) FILTER (
                       WHERE a.awarded_at >= (\(range.from)::date)::timestamp AT TIME ZONE \(zone)), '{}')
            FROM campaign_prizes p
            LEFT JOIN campaign_budgets b ON b.campaign_id = p.campaign_id AND b.budget = 'prize:' || p.key
            LEFT JOIN campaign_awards a ON a.campaign_id = p.campaign_id AND a.prize = p.key AND a.outcome = 'awarded'
                 AND a.awarded_at < (\(range.to)::date + 1)::timestamp AT TIME ZONE \(zone)
            WHERE p.campaign_id = \(id) AND p.version = \(campaign.version)
            GROUP BY p.key, p.position, b.total ORDER BY p.position
            """, logger: logger)
        for try await (key, total, before, wonOn) in prizes.decode((String, Int64?, Int64, [String]).self) {
            var won: [String: Int64] = [:]
            for day in wonOn { won[day, default: 0] += 1 }
            var left = total.map { $0 - before }
            for index in days.indices {
                left = left.map { $0 - won[days[index].day, default: 0] }
                days[index].prizesLeft.append(.init(key: key, left: left))
            }
        }

        let totals = CampaignReport.Totals(
            matched: days.reduce(0) { $0 + $1.matched }, awards: days.reduce(0) { $0 + $1.awards },
            points: days.reduce(0) { $0 + $1.points }, vouchers: days.reduce(0) { $0 + $1.vouchers }, membersReached: membersReached,
            refused: days.reduce(CampaignReport.Refused()) { $0 + $1.refused })
        return CampaignReport(
            campaignId: id, version: campaign.version, timeZone: zone, from: range.from, to: range.to, days: days, totals: totals)
    }
}
