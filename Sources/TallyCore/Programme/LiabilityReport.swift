import Foundation
import Logging
import PostgresNIO

/// Points outstanding, issued, redeemed and expired per month: what finance asks for.
public struct LiabilityReport: Sendable, Codable, Equatable {
    public struct Month: Sendable, Codable, Equatable {
        /// `YYYY-MM`, in the programme's time zone.
        public var month: String
        /// Credited by claims, campaigns' awards and adjustments (net of debit adjustments).
        public var issued: Int64
        /// Spent on rewards, net of cancelled redemptions.
        public var redeemed: Int64
        public var expired: Int64
        /// Balances at the month's end: every month before included.
        public var outstanding: Int64
    }

    /// What one campaign's awards account for (ledger entries of kind `campaign`).
    public struct Campaign: Sendable, Codable, Equatable {
        public var campaignId: Int64
        /// The names of its current version.
        public var name: ClaimAward.Names
        /// Credited by its awards within the report's months.
        public var issued: Int64
        /// What is left now of the points lots its awards credited (an expired lot counts 0).
        public var outstanding: Int64
    }

    public var timeZone: String
    public var months: [Month]
    /// Balances now: issued − redeemed − expired over all time.
    public var outstanding: Int64
    /// The campaigns that issued points within the months or have points outstanding now, by id.
    public var campaigns: [Campaign]
}

public struct LiabilityReports: Sendable {
    public static let maxMonths = 240

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Months from `from` to `to` (`YYYY-MM`, both included; by default `to` is this month and
    /// `from` eleven months before `to`).
    public func report(from: String?, to: String?, timeZone: String) async throws -> LiabilityReport {
        for month in [from, to].compactMap({ $0 }) where month.wholeMatch(of: /[0-9]{4}-(0[1-9]|1[0-2])/) == nil {
            throw StoreError(.invalid, .invalidMonth, "months are written YYYY-MM, e.g. 2026-03")
        }
        // Counted before querying: a span of centuries would be a long query for nothing.
        func index(_ month: String) -> Int { Int(month.prefix(4))! * 12 + Int(month.suffix(2))! - 1 }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        let now = calendar.dateComponents([.year, .month], from: Date())
        let thisMonth = String(format: "%04d-%02d", now.year ?? 2000, now.month ?? 1)
        let last = index(to ?? thisMonth)
        let first = from.map(index) ?? last - 11
        if !(0..<Self.maxMonths).contains(last - first) {
            throw StoreError(.invalid, .invalidMonth, "a report covers 1 to \(Self.maxMonths) months, from no later than to")
        }
        // Merges move points between members and add up to zero, so they are left out.
        let rows = try await database.query(
            """
            WITH bounds AS (
                SELECT coalesce(to_date(\(from)::text, 'YYYY-MM'),
                                coalesce(to_date(\(to)::text, 'YYYY-MM'), date_trunc('month', now() AT TIME ZONE \(timeZone)))
                                - interval '11 months')::date AS first,
                       coalesce(to_date(\(to)::text, 'YYYY-MM'), date_trunc('month', now() AT TIME ZONE \(timeZone)))::date AS last),
            monthly AS (
                SELECT date_trunc('month', l.created_at AT TIME ZONE \(timeZone))::date AS month,
                       sum(l.points) FILTER (WHERE l.kind IN ('claim', 'campaign', 'adjustment')) AS issued,
                       -sum(l.points) FILTER (WHERE l.kind IN ('redemption', 'redemption_cancel')) AS redeemed,
                       -sum(l.points) FILTER (WHERE l.kind = 'expiry') AS expired
                FROM ledger_entries l WHERE l.kind NOT IN ('merge_in', 'merge_out')
                  AND l.created_at < ((SELECT last FROM bounds) + interval '1 month') AT TIME ZONE \(timeZone)
                GROUP BY 1),
            running AS (
                SELECT month, coalesce(issued, 0) AS issued, coalesce(redeemed, 0) AS redeemed, coalesce(expired, 0) AS expired,
                       sum(coalesce(issued, 0) - coalesce(redeemed, 0) - coalesce(expired, 0)) OVER (ORDER BY month) AS outstanding
                FROM monthly)
            SELECT to_char(g.month, 'YYYY-MM'), coalesce(r.issued, 0)::int8, coalesce(r.redeemed, 0)::int8, coalesce(r.expired, 0)::int8,
                   coalesce((SELECT x.outstanding FROM running x WHERE x.month <= g.month ORDER BY x.month DESC LIMIT 1), 0)::int8
            FROM bounds b, generate_series(b.first, b.last, interval '1 month') AS g(month)
            LEFT JOIN running r ON r.month = g.month::date
            ORDER BY g.month
            """, logger: logger)
        var months: [LiabilityReport.Month] = []
        for try await (month, issued, redeemed, expired, outstanding) in rows.decode((String, Int64, Int64, Int64, Int64).self) {
            months.append(.init(month: month, issued: issued, redeemed: redeemed, expired: expired, outstanding: outstanding))
        }
        guard !months.isEmpty, months.count <= Self.maxMonths else {
            throw StoreError(.invalid, .invalidMonth, "a report covers 1 to \(Self.maxMonths) months, from no later than to")
        }
        let total = try await database.query("SELECT coalesce(sum(balance), 0)::int8 FROM members", logger: logger)
        var outstanding: Int64 = 0
        for try await sum in total.decode(Int64.self) { outstanding = sum }
        let campaigns = try await campaigns(from: months.first!.month, to: months.last!.month, timeZone: timeZone)
        return LiabilityReport(timeZone: timeZone, months: months, outstanding: outstanding, campaigns: campaigns)
    }

    /// Per campaign: points issued in the months `from` to `to` (`YYYY-MM`), and outstanding now.
    /// A lot moves to the survivor of a merge while its ledger entry stays with the member who
    /// earned it, so a lot is matched to its entry by the entry's id alone. The open lots are read
    /// first, on their own: on Citus the lots and the entries are on different members' shards.
    private func campaigns(from: String, to: String, timeZone: String) async throws -> [LiabilityReport.Campaign] {
        let rows = try await database.query(
            """
            WITH issued AS (
                SELECT l.campaign_id, sum(l.points) AS points FROM ledger_entries l
                WHERE l.kind = 'campaign'
                  AND l.created_at >= to_date(\(from), 'YYYY-MM')::timestamp AT TIME ZONE \(timeZone)
                  AND l.created_at < (to_date(\(to), 'YYYY-MM') + interval '1 month')::timestamp AT TIME ZONE \(timeZone)
                GROUP BY 1),
            open_lots AS MATERIALIZED (
                SELECT p.ledger_entry_id, p.remaining FROM point_lots p
                WHERE p.source = 'campaign' AND p.remaining > 0 AND (p.expires_at IS NULL OR p.expires_at > now())),
            outstanding AS (
                SELECT l.campaign_id, sum(o.remaining) AS points FROM open_lots o
                JOIN ledger_entries l ON l.id = o.ledger_entry_id AND l.kind = 'campaign'
                GROUP BY 1)
            SELECT c.id, v.name_zh, v.name_en, coalesce(i.points, 0)::int8, coalesce(o.points, 0)::int8
            FROM campaigns c
            JOIN campaign_versions v ON v.campaign_id = c.id AND v.version = c.version
            LEFT JOIN issued i ON i.campaign_id = c.id
            LEFT JOIN outstanding o ON o.campaign_id = c.id
            WHERE i.points IS NOT NULL OR o.points IS NOT NULL
            ORDER BY c.id
            """, logger: logger)
        var campaigns: [LiabilityReport.Campaign] = []
        for try await (id, nameZh, nameEn, issued, outstanding) in rows.decode((Int64, String, String, Int64, Int64).self) {
            campaigns.append(.init(campaignId: id, name: .init(zh: nameZh, en: nameEn), issued: issued, outstanding: outstanding))
        }
        return campaigns
    }
}
