import Foundation
import Logging
import PostgresNIO

/// Reads the console's dashboard and regions figures from the rollup tables
/// (db/migrations/0015_rollups.sql), through `rollup_rows`, which on Citus adds up every node's
/// copy, and the small reference tables (products, batches, provinces), never from claims, scans,
/// members or the ledger: each read costs a few rows per day of the period (and one per day of
/// history for the liability), whatever the history.
public struct DashboardStore: Sendable {
    /// The longest top lists asked for.
    public static let maxTop = 100

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The rollups' time zone, today in it, and the diversion threshold.
    struct Settings {
        var timeZone: String
        var today: String
        var diversionKm: Int
    }

    func settings() async throws -> Settings {
        let rows = try await database.query(
            """
            SELECT rollup_time_zone, to_char(now() AT TIME ZONE rollup_time_zone, 'YYYY-MM-DD'), diversion_km
            FROM programme_settings
            """, logger: logger)
        for try await (zone, today, km) in rows.decode((String, String, Int).self) {
            return Settings(timeZone: zone, today: today, diversionKm: km)
        }
        throw UnexpectedSQLOutcome(function: "programme_settings", outcome: "no row")
    }

    /// The dashboard for `from` to `to` (`YYYY-MM-DD`, both included; by default the 30 days
    /// ending today), compared with the period of equal length before it; top lists of at most
    /// `top` products and channels. Refusals: see `DashboardPeriod`.
    public func report(from: String? = nil, to: String? = nil, top: Int = 10) async throws -> DashboardReport {
        let settings = try await settings()
        let period = try DashboardPeriod(from: from, to: to, today: settings.today)
        let top = min(max(top, 1), Self.maxTop)

        var days: [DashboardReport.Day] = []
        let rows = try await database.query(
            """
            SELECT to_char(g.day, 'YYYY-MM-DD'), coalesce(r.scans, 0)::int8, coalesce(r.genuine, 0)::int8,
                   coalesce(r.forged, 0)::int8, coalesce(r.claims, 0)::int8, coalesce(r.members, 0)::int8,
                   coalesce(r.issued, 0)::int8, coalesce(r.redeemed, 0)::int8, coalesce(r.expired, 0)::int8,
                   coalesce(r.adjusted_out, 0)::int8
            FROM generate_series(\(period.previousFrom)::date, \(period.to)::date, interval '1 day') AS g(day)
            LEFT JOIN (
                SELECT d.day, sum(d.scans) AS scans, sum(d.genuine_scans) AS genuine, sum(d.forged_scans) AS forged,
                       sum(d.claims) AS claims, sum(d.new_members) AS members, sum(d.points_issued) AS issued,
                       sum(d.points_redeemed) AS redeemed, sum(d.points_expired) AS expired,
                       sum(d.points_adjusted_out) AS adjusted_out
                FROM rollup_rows('rollup_days', \(period.previousFrom)::date, \(period.to)::date) j,
                     jsonb_populate_record(NULL::rollup_days, j) d
                GROUP BY d.day) r ON r.day = g.day::date
            ORDER BY g.day
            """, logger: logger)
        for try await (day, scans, genuine, forged, claims, members, issued, redeemed, expired, adjustedOut) in rows.decode(
            (String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
        {
            days.append(
                .init(
                    day: day, scans: scans, genuineScans: genuine, forgedScans: forged, claims: claims, newMembers: members,
                    pointsIssued: issued, pointsRedeemed: redeemed, pointsExpired: expired, pointsAdjustedOut: adjustedOut))
        }
        let previousDays = Array(days.prefix(period.days))
        let currentDays = Array(days.dropFirst(period.days))

        // The liability at each period's end and now: the running sum of the ledger's net per day.
        var liability: (current: Int64, previous: Int64, now: Int64) = (0, 0, 0)
        let sums = try await database.query(
            """
            SELECT coalesce(sum(d.points_net) FILTER (WHERE d.day <= \(period.to)::date), 0)::int8,
                   coalesce(sum(d.points_net) FILTER (WHERE d.day <= \(period.previousTo)::date), 0)::int8,
                   coalesce(sum(d.points_net), 0)::int8
            FROM rollup_rows('rollup_days', NULL, NULL) j, jsonb_populate_record(NULL::rollup_days, j) d
            """, logger: logger)
        for try await row in sums.decode((Int64, Int64, Int64).self) { liability = row }

        var current = Self.totals(currentDays, from: period.from, to: period.to, liability: liability.current)
        var previous = Self.totals(previousDays, from: period.previousFrom, to: period.previousTo, liability: liability.previous)
        try await addRepeatClaims(to: &current)
        try await addRepeatClaims(to: &previous)

        return DashboardReport(
            timeZone: settings.timeZone, period: period, days: currentDays, previousDays: previousDays, current: current,
            previous: previous, topProducts: try await topProducts(period, top: top),
            topChannels: try await topChannels(period, top: top), liability: liability.now)
    }

    static func totals(_ days: [DashboardReport.Day], from: String, to: String, liability: Int64) -> DashboardReport.Totals {
        func sum(_ field: KeyPath<DashboardReport.Day, Int64>) -> Int64 { days.reduce(0) { $0 + $1[keyPath: field] } }
        let genuine = sum(\.genuineScans)
        let claims = sum(\.claims)
        return .init(
            from: from, to: to, scans: sum(\.scans), genuineScans: genuine, forgedScans: sum(\.forgedScans), claims: claims,
            newMembers: sum(\.newMembers), pointsIssued: sum(\.pointsIssued), pointsRedeemed: sum(\.pointsRedeemed),
            pointsExpired: sum(\.pointsExpired), pointsAdjustedOut: sum(\.pointsAdjustedOut),
            scanToClaimRate: genuine > 0 ? Double(claims) / Double(genuine) : nil, liability: liability)
    }

    /// The repeat-claim figures of the last written day up to the period's end, if within it.
    private func addRepeatClaims(to totals: inout DashboardReport.Totals) async throws {
        let rows = try await database.query(
            """
            SELECT to_char(day, 'YYYY-MM-DD'), claimers, repeaters FROM rollup_repeat_claims
            WHERE day BETWEEN \(totals.from)::date AND \(totals.to)::date ORDER BY day DESC LIMIT 1
            """, logger: logger)
        for try await (day, claimers, repeaters) in rows.decode((String, Int64, Int64).self) {
            totals.repeatClaimDay = day
            totals.claimers90Days = claimers
            totals.repeaters90Days = repeaters
            totals.repeatClaimRate = claimers > 0 ? Double(repeaters) / Double(claimers) : nil
        }
    }

    private func topProducts(_ period: DashboardPeriod, top: Int) async throws -> [DashboardReport.Ranked] {
        let rows = try await database.query(
            """
            SELECT p.sku, p.name, r.claims::int8, r.points::int8 FROM (
                SELECT d.product_id, sum(d.claims) AS claims, sum(d.claim_points) AS points
                FROM rollup_rows('rollup_products', \(period.from)::date, \(period.to)::date) j,
                     jsonb_populate_record(NULL::rollup_products, j) d
                GROUP BY d.product_id) r
            JOIN products p ON p.id = r.product_id
            WHERE r.claims > 0 ORDER BY r.claims DESC, p.sku LIMIT \(top)
            """, logger: logger)
        var ranked: [DashboardReport.Ranked] = []
        for try await (sku, name, claims, points) in rows.decode((String, String, Int64, Int64).self) {
            ranked.append(.init(key: sku, name: name, claims: claims, points: points))
        }
        return ranked
    }

    private func topChannels(_ period: DashboardPeriod, top: Int) async throws -> [DashboardReport.Ranked] {
        let rows = try await database.query(
            """
            SELECT d.channel, sum(d.claims)::int8 AS claims, sum(d.claim_points)::int8
            FROM rollup_rows('rollup_channels', \(period.from)::date, \(period.to)::date) j,
                 jsonb_populate_record(NULL::rollup_channels, j) d
            GROUP BY d.channel HAVING sum(claims) > 0 ORDER BY claims DESC, channel LIMIT \(top)
            """, logger: logger)
        var ranked: [DashboardReport.Ranked] = []
        for try await (channel, claims, points) in rows.decode((String, Int64, Int64).self) {
            ranked.append(.init(key: channel, name: channel, claims: claims, points: points))
        }
        return ranked
    }
}
