import Foundation
import PostgresNIO

extension AbuseAlerts {
    /// Addresses (or networks) with at least `minCount` scans, or claims, within `minutes`
    /// minutes of one another: one row per burst (overlapping stretches that meet the threshold
    /// are one burst), showing its busiest stretch; the biggest first, then the latest.
    ///
    /// Bursts need every scan of the window, whatever its result, read through `scans_by_time`
    /// (BRIN); its cost follows the window's scans. Only addresses that could hold a burst are
    /// looked at closely: a stretch of `minutes` lies within two consecutive buckets of
    /// `minutes`, so one of them holds at least half of it.
    public func bursts(
        from: Date? = nil, to: Date? = nil, by grouping: AlertGrouping = .address, counting: BurstCounting = .scans,
        minCount: Int = defaultBurstMinCount, minutes: Int = defaultBurstMinutes, limit: Int = defaultLimit
    ) async throws -> [BurstAlert] {
        let window = try AlertWindow(from: from, to: to)
        try Self.check(minCount, Self.burstMinCountRange, "minCount")
        try Self.check(minutes, Self.burstMinutesRange, "minutes")
        try Self.check(limit: limit)
        let claimsOnly = counting == .claims ? "AND result = 'claimed'" : ""
        let stretch = Int32(minutes)
        // The scans' keys and times are kept (small rows); the few in the bursts shown are read
        // again by id for their codes, members and user agents.
        let rows = try await database.query(
            """
            WITH w AS MATERIALIZED (
                SELECT id, \(unescaped: grouping.key) AS key, scanned_at FROM scans
                WHERE scanned_at >= \(window.from) AND scanned_at < \(window.to) AND ip IS NOT NULL \(unescaped: claimsOnly)),
            candidates AS (
                SELECT DISTINCT key FROM w
                GROUP BY key, date_bin(make_interval(mins => \(stretch)), scanned_at, timestamptz '2000-01-01 00:00:00+00')
                HAVING count(*) * 2 >= \(minCount)),
            starts AS (
                SELECT key, scanned_at AS start,
                       count(*) OVER (PARTITION BY key ORDER BY scanned_at
                                      RANGE BETWEEN CURRENT ROW AND make_interval(mins => \(stretch)) FOLLOWING) AS n
                FROM w WHERE key = ANY (ARRAY(SELECT key FROM candidates))),
            qualifying AS (
                SELECT key, start, n,
                       CASE WHEN start - lag(start) OVER (PARTITION BY key ORDER BY start) <= make_interval(mins => \(stretch))
                            THEN 0 ELSE 1 END AS new_burst
                FROM starts WHERE n >= \(minCount)),
            bursts AS (
                SELECT key, start, n, sum(new_burst) OVER (PARTITION BY key ORDER BY start) AS burst FROM qualifying),
            peaks AS (
                SELECT DISTINCT ON (key, burst) key, start, n FROM bursts ORDER BY key, burst, n DESC, start),
            top AS (
                SELECT key, start, n FROM peaks ORDER BY n DESC, start DESC, key LIMIT \(limit))
            SELECT \(unescaped: grouping.text("t.key")), t.start, max(s.scanned_at), t.n::int8,
                   count(*) FILTER (WHERE s.result = 'claimed')::int8,
                   count(DISTINCT coalesce(s.kid || '-' || s.serial, s.input))::int8,
                   count(DISTINCT s.member_id)::int8,
                   coalesce((array_agg(DISTINCT s.user_agent) FILTER (WHERE s.user_agent IS NOT NULL))[1:3], '{}')
            FROM top t
            JOIN w ON w.key = t.key AND w.scanned_at >= t.start AND w.scanned_at <= t.start + make_interval(mins => \(stretch))
            JOIN scans s ON s.id = w.id
            GROUP BY t.key, t.start, t.n
            ORDER BY t.n DESC, t.start DESC, t.key
            """, logger: logger)
        var alerts: [BurstAlert] = []
        for try await (address, start, end, count, claims, codes, members, agents) in rows.decode(
            (String, Date, Date, Int, Int, Int, Int, [String]).self)
        {
            alerts.append(
                BurstAlert(
                    address: address, start: start, end: end, count: count, claims: claims, codes: codes, members: members,
                    sampleUserAgents: agents))
        }
        return alerts
    }
}
