import Foundation
import PostgresNIO

extension AbuseAlerts {
    /// Forged codes scanned (result `forged`: a wrong signature or an unknown key, as the landing
    /// page records them), by address or network and hour, with at least `minScans` scans in the
    /// hour; the most scans first, then the latest hour. Reads the window's forged scans only,
    /// through `scans_for_alerts`.
    public func forgedScans(
        from: Date? = nil, to: Date? = nil, by grouping: AlertGrouping = .address,
        minScans: Int = defaultForgedMinScans, limit: Int = defaultLimit
    ) async throws -> [ForgedScanAlert] {
        let window = try AlertWindow(from: from, to: to)
        try Self.check(minScans, Self.forgedMinScansRange, "minScans")
        try Self.check(limit: limit)
        // 'forged' is written into the SQL, not bound, so the planner sees that the partial index holds it.
        let rows = try await database.query(
            """
            SELECT \(unescaped: grouping.text("k.key")), k.hour, count(*)::int8, min(k.scanned_at), max(k.scanned_at),
                   count(DISTINCT k.ip)::int8, count(DISTINCT k.user_agent)::int8,
                   coalesce((array_agg(DISTINCT k.input) FILTER (WHERE k.input IS NOT NULL))[1:3], '{}'),
                   coalesce((array_agg(DISTINCT k.user_agent) FILTER (WHERE k.user_agent IS NOT NULL))[1:3], '{}')
            FROM (SELECT \(unescaped: grouping.key) AS key, date_trunc('hour', scanned_at, 'UTC') AS hour,
                         scanned_at, ip, input, user_agent
                  FROM scans
                  WHERE result = 'forged' AND scanned_at >= \(window.from) AND scanned_at < \(window.to)) k
            GROUP BY k.key, k.hour
            HAVING count(*) >= \(minScans)
            ORDER BY 3 DESC, k.hour DESC, k.key NULLS LAST
            LIMIT \(limit)
            """, logger: logger)
        var alerts: [ForgedScanAlert] = []
        for try await (address, hour, scans, first, last, addresses, agents, inputs, sampleAgents) in rows.decode(
            (String?, Date, Int, Date, Date, Int, Int, [String], [String]).self)
        {
            alerts.append(
                ForgedScanAlert(
                    address: address, hour: hour, scans: scans, firstAt: first, lastAt: last, addresses: addresses,
                    userAgents: agents, sampleInputs: inputs, sampleUserAgents: sampleAgents))
        }
        return alerts
    }
}
